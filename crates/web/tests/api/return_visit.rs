//! After the interview, over the API: documents missing are brought back on a later day
//! (found by the typed booking code, a new queue number, the counter's outcome), and a
//! checked-in applicant the office did not serve before closing is told so and given a new
//! day by the desk; each told by mail, in the account's language.

use serde_json::{Value, json};

use crate::helpers::{Backend, OFFICE, TestApp};
use crate::pages::page;

api_tests!(
    documents_come_back_on_a_later_day_and_the_unserved_get_a_new_one,
    documents_are_not_taken_back_on_a_day_the_office_is_closed,
);

/// The URL and body that finish `ticket` at counter 1 with `outcome`.
fn finish(ticket: &Value, outcome: &str) -> (String, Value) {
    (
        format!(
            "/api/v1/offices/{OFFICE}/tickets/{}/actions",
            ticket["id"].as_str().expect("ticket id")
        ),
        json!({"action": "finish", "counter": 1, "outcome": outcome}),
    )
}

/// The steps of a booking's timeline on its owner's page: each label, and whether it is
/// the current step.
async fn timeline(app: &TestApp, token: &str, booking: &Value) -> Vec<(String, bool)> {
    let cookie = format!("loket_session={token}");
    let path = format!("/bookings/{}", booking["id"].as_str().expect("id"));
    let shown = page(app, &path, Some(&cookie)).await;
    assert_eq!(shown.reply.status, 200, "{}", shown.reply.text);
    let current = shown.all(".timeline li[aria-current=step] strong");
    shown
        .all(".timeline li strong")
        .into_iter()
        .map(|l| {
            let now = current.contains(&l);
            (l, now)
        })
        .collect()
}

/// Runs the notice worker's pass and returns the subjects and bodies mailed to `to`.
async fn mail_to(app: &TestApp, to: &str) -> Vec<(String, String)> {
    let mut sweeper = loket_web::usecases::notices::Sweeper::default();
    sweeper.pass(&app.state).await.expect("notices");
    let mut mail: Vec<(String, String)> = app
        .state
        .store
        .recent_mail(Some(to), 100)
        .await
        .expect("mail")
        .into_iter()
        .map(|m| (m.subject, m.body))
        .collect();
    mail.reverse();
    mail
}

async fn documents_come_back_on_a_later_day_and_the_unserved_get_a_new_one(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let open = app.open_dates().await;
    let day = open[0];
    // A working day at least two days later, within the week the documents may be brought
    // (not a weekend: the office would be closed and number no return).
    let next = open
        .iter()
        .copied()
        .find(|d| *d >= day + chrono::Days::new(2))
        .expect("a later working day");
    assert!(next <= loket_domain::booking::documents_due(day), "{next}");
    let (missing, owner) = app.paid_booking(day, "s1").await;
    let (unserved, other) = app.paid_booking(day, "s1").await;
    app.advance_to_local(day, 8);
    let desk = app.staff_token("loket.palembang").await;
    let officer = app.staff_token("petugas.palembang").await;
    let check_ins = format!("/api/v1/offices/{OFFICE}/check-ins");
    let call = format!("/api/v1/offices/{OFFICE}/counters/1/call");
    let documents = json!({"stage": "documents"});
    for b in [&missing, &unserved] {
        app.post(
            &check_ins,
            Some(&desk),
            &json!({"code": b["booking_code"].as_str().expect("code")}),
        )
        .await
        .expect(201);
    }
    let t = app
        .post(&call, Some(&officer), &documents)
        .await
        .expect(200)["called"]
        .clone();
    assert_eq!(t["booking_id"], missing["id"]);
    let (url, body) = finish(&t, "documents_missing");
    app.post(&url, Some(&officer), &body).await.expect(200);
    assert_eq!(
        app.booking(&owner.token, &missing["id"]).await["state"],
        "documents_missing"
    );
    // The owner's timeline: told at the interview, coming back with them is the step now.
    let steps = timeline(&app, &owner.token, &missing).await;
    let labels: Vec<&str> = steps.iter().map(|(l, _)| l.as_str()).collect();
    assert_eq!(
        labels[..6],
        [
            "Tempat disimpan",
            "Dibayar",
            "Hadir di kantor",
            "Dokumen belum lengkap",
            "Kembali membawa dokumen",
            "Wawancara dan foto"
        ],
        "{steps:?}"
    );
    assert_eq!(
        steps.iter().filter(|(_, now)| *now).collect::<Vec<_>>(),
        [&("Kembali membawa dokumen".to_owned(), true)]
    );
    let due = day + chrono::Days::new(7);
    let told = mail_to(&app, &owner.email).await;
    let (subject, text) = told.last().expect("a mail");
    assert_eq!(subject, "Dokumen permohonan paspor Anda belum lengkap");
    let due_words =
        loket_web::format::long_date(loket_web::i18n::Tr(loket_web::i18n::Lang::Id), due);
    assert!(
        text.contains(&due_words),
        "the last day, {due_words}: {text}"
    );

    // The office closes with `unserved` still waiting: a later day's sweep closes its
    // ticket, it is unserved, its place goes back, and its owner is told.
    app.advance_to_local(next, 9);
    let taken = |u: Option<loket_store::SlotUsage>| u.expect("the slot").taken;
    let taken_before = taken(app.usage(day, "s1").await);
    app.state
        .store
        .expire_overdue(app.now(), 100)
        .await
        .expect("sweep");
    let seen = app.booking(&other.token, &unserved["id"]).await;
    assert_eq!(seen["state"], "unserved", "{seen}");
    assert_eq!(taken(app.usage(day, "s1").await), taken_before - 1);
    let told = mail_to(&app, &other.email).await;
    assert_eq!(told.last().expect("a mail").0, "Maaf, Anda belum dilayani");

    // That day, the documents: the typed booking code finds the booking, a new
    // number of the day is issued once, and the counter finishes the interview.
    let desk = app.staff_token("loket.palembang").await;
    let typed = missing["booking_code"]
        .as_str()
        .expect("code")
        .to_lowercase();
    let found = app
        .get(
            &format!("/api/v1/offices/{OFFICE}/arrivals?code={typed}"),
            Some(&desk),
        )
        .await
        .expect(200);
    assert_eq!(found["can_check_in"], true, "{found}");
    let back = app
        .post(&check_ins, Some(&desk), &json!({"code": typed}))
        .await
        .expect(201);
    assert_eq!(
        back["ticket"]["number"], "A-001",
        "numbered afresh on its day: {back}"
    );
    assert_eq!(back["state"], "documents_missing", "until the outcome");
    // Back with them: that step is done, and the interview is the step now.
    let steps = timeline(&app, &owner.token, &missing).await;
    let current: Vec<&str> = steps
        .iter()
        .filter(|(_, now)| *now)
        .map(|(l, _)| l.as_str())
        .collect();
    assert_eq!(current, ["Wawancara dan foto"], "{steps:?}");
    assert!(
        steps.contains(&("Kembali membawa dokumen".to_owned(), false)),
        "{steps:?}"
    );
    let twice = app
        .post(&check_ins, Some(&desk), &json!({"code": typed}))
        .await
        .problem(409, "check-in-refused");
    assert_eq!(twice["reason"], "already_checked_in");
    let officer = app.staff_token("petugas.palembang").await;
    let t = app
        .post(&call, Some(&officer), &documents)
        .await
        .expect(200)["called"]
        .clone();
    assert_eq!(t["number"], "A-001");
    let (url, body) = finish(&t, "accepted");
    app.post(&url, Some(&officer), &body).await.expect(200);
    assert_eq!(
        app.booking(&owner.token, &missing["id"]).await["state"],
        "accepted"
    );

    // The desk gives the unserved applicant a new day, at no cost: paid there, told as a
    // move, not as a payment.
    let later = app
        .open_dates()
        .await
        .into_iter()
        .find(|d| *d > next)
        .expect("a date");
    let moved = app
        .post(
            &format!("/api/v1/offices/{OFFICE}/special-reschedules"),
            Some(&desk),
            &json!({"code": unserved["booking_code"], "date": later, "session": "s1", "reason": "system_fault"}),
        )
        .await
        .expect(200);
    assert_eq!(
        (moved["state"].as_str(), moved["date"].as_str()),
        (Some("paid"), Some(later.to_string().as_str()))
    );
    let told = mail_to(&app, &other.email).await;
    assert_eq!(
        told.last().expect("a mail").0,
        "Jadwal janji paspor Anda sudah diubah",
        "{told:?}"
    );
}

async fn documents_are_not_taken_back_on_a_day_the_office_is_closed(backend: Backend) {
    use chrono::Datelike;
    let app = TestApp::spawn(backend).await;
    let day = app.bookable_date().await;
    let (missing, owner) = app.paid_booking(day, "s1").await;
    app.advance_to_local(day, 8);
    let desk = app.staff_token("loket.palembang").await;
    let officer = app.staff_token("petugas.palembang").await;
    let check_ins = format!("/api/v1/offices/{OFFICE}/check-ins");
    let code = json!({"code": missing["booking_code"].as_str().expect("code")});
    app.post(&check_ins, Some(&desk), &code).await.expect(201);
    let t = app
        .post(
            &format!("/api/v1/offices/{OFFICE}/counters/1/call"),
            Some(&officer),
            &json!({"stage": "documents"}),
        )
        .await
        .expect(200)["called"]
        .clone();
    let (url, body) = finish(&t, "documents_missing");
    app.post(&url, Some(&officer), &body).await.expect(200);
    // The Saturday after (the booking's day is Monday to Thursday), within the week the
    // documents may be brought: the office is closed, no number is given.
    let saturday = day + chrono::Days::new(u64::from(5 - day.weekday().num_days_from_monday()));
    app.advance_to_local(saturday, 9);
    let desk = app.staff_token("loket.palembang").await;
    // The desk's lookup says so before anyone tries.
    let found = app
        .get(
            &format!(
                "/api/v1/offices/{OFFICE}/arrivals?code={}",
                code["code"].as_str().expect("code")
            ),
            Some(&desk),
        )
        .await
        .expect(200);
    assert_eq!(
        (&found["can_check_in"], &found["refusal"]),
        (&json!(false), &json!("office_closed")),
        "{found}"
    );
    // So does the desk page's card: no check-in button, and until when they may come.
    let (cookie, _) = crate::staff_pages::cookies(Some(&desk));
    let path = format!("/staff/desk?code={}", code["code"].as_str().expect("code"));
    let card = page(&app, &path, Some(&cookie)).await;
    let shown = card.one(".card");
    assert!(shown.contains("Kantor tutup hari ini"), "{shown}");
    assert!(shown.contains("paling lambat"), "{shown}");
    assert!(
        card.attr("form[action='/staff/desk/check-in']", "action")
            .is_empty(),
        "no check-in: {shown}"
    );
    let closed = app
        .post(&check_ins, Some(&desk), &code)
        .await
        .problem(409, "office-closed");
    assert_eq!(closed["reason"]["kind"], "weekend", "{closed}");
    assert_eq!(
        app.booking(&owner.token, &missing["id"]).await["state"],
        "documents_missing"
    );
}
