//! Check-in over the API: the front desk finds a paid booking by its QR code or typed
//! booking code, sees whom to compare with the ID card, and checks it in on its day within
//! the session's grace, getting an A ticket; everything else is refused with its reason.

use loket_store::StaffRole;
use serde_json::{Value, json};

use crate::helpers::{Backend, OFFICE, Reply, TestApp};

api_tests!(
    a_paid_booking_is_checked_in_once_on_its_day_and_gets_an_a_ticket,
    a_booking_that_is_unpaid_early_late_or_elsewhere_is_refused_with_its_reason,
    only_the_offices_front_desk_and_head_check_bookings_in,
    the_front_desk_moves_a_booking_on_its_day_with_a_special_reschedule,
);

/// What the QR code of booking `b` carries.
fn qr(b: &Value) -> String {
    format!("LOKET:{}", b["id"].as_str().expect("id")).to_uppercase()
}

fn arrival_url(code: &str) -> String {
    format!(
        "/api/v1/offices/{OFFICE}/arrivals?code={}",
        urlencoding(code)
    )
}

fn urlencoding(s: &str) -> String {
    s.replace(':', "%3A")
}

async fn a_paid_booking_is_checked_in_once_on_its_day_and_gets_an_a_ticket(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let day = app.bookable_date().await;
    let (first, owner) = app.paid_booking(day, "s1").await;
    let owner = owner.token;
    let (second, _) = app.paid_booking(day, "s1").await;
    let desk = app.staff_token("loket.palembang").await;
    let check_ins = format!("/api/v1/offices/{OFFICE}/check-ins");

    // Before the day the scan finds it and says when.
    let before = app
        .get(&arrival_url(&qr(&first)), Some(&desk))
        .await
        .expect(200);
    assert_eq!(before["can_check_in"], false);
    assert_eq!(before["refusal"], "other_day");
    let refused = app
        .post(&check_ins, Some(&desk), &json!({"code": qr(&first)}))
        .await
        .problem(409, "check-in-refused");
    assert_eq!(refused["reason"], "other_day");
    assert_eq!(refused["date"], day.to_string());

    // On the day, at 07:00 WIB (an hour before s1), the typed code finds it (the desk's
    // shift starts with a new login).
    app.advance_to_local(day, 7);
    let desk = app.staff_token("loket.palembang").await;
    let typed = first["booking_code"].as_str().expect("code").to_lowercase();
    let found = app.get(&arrival_url(&typed), Some(&desk)).await.expect(200);
    assert_eq!(found["booking_id"], first["id"]);
    assert_eq!(found["can_check_in"], true, "{found}");
    assert_eq!(found["applicant_name"], "Budi Santoso");
    let masked = found["nik_masked"].as_str().expect("masked");
    assert!(masked.contains("********"), "{masked}");
    assert_eq!(found["ticket"], Value::Null);

    let checked = app
        .post(&check_ins, Some(&desk), &json!({"code": typed}))
        .await
        .expect(201);
    assert_eq!(checked["state"], "checked_in");
    assert_eq!(checked["ticket"]["number"], "A-001");
    assert_eq!(checked["ticket"]["booking_id"], first["id"]);
    assert_eq!(checked["ticket"]["state"], "waiting");
    let next = app
        .post(&check_ins, Some(&desk), &json!({"code": qr(&second)}))
        .await
        .expect(201);
    assert_eq!(next["ticket"]["number"], "A-002");

    // Once only: a second scan says so and shows the ticket it has.
    let again = app
        .post(&check_ins, Some(&desk), &json!({"code": qr(&first)}))
        .await
        .problem(409, "check-in-refused");
    assert_eq!(again["reason"], "already_checked_in");
    let shown = app
        .get(&arrival_url(&qr(&first)), Some(&desk))
        .await
        .expect(200);
    assert_eq!(shown["refusal"], "already_checked_in");
    assert_eq!(shown["ticket"]["number"], "A-001");

    // The applicant sees it checked in; it keeps its place and its NIK.
    let own = app.booking(&owner, &first["id"]).await;
    assert_eq!(own["state"], "checked_in");
    let tickets = app
        .get(&format!("/api/v1/offices/{OFFICE}/tickets"), Some(&desk))
        .await
        .expect(200);
    let numbers: Vec<&str> = tickets
        .as_array()
        .expect("a list")
        .iter()
        .filter_map(|t| t["number"].as_str())
        .collect();
    assert_eq!(numbers, ["A-001", "A-002"]);
    let head = app.head_token().await;
    let audit = app
        .get(&format!("/api/v1/offices/{OFFICE}/audit"), Some(&head))
        .await
        .expect(200);
    let entries: Vec<&Value> = audit
        .as_array()
        .expect("a list")
        .iter()
        .filter(|a| a["action"] == "floor.check_in")
        .collect();
    assert_eq!(entries.len(), 2, "{audit}");
    assert!(
        entries
            .iter()
            .any(|a| a["subject"] == format!("{day}/A-001") && a["actor"] == "loket.palembang"),
        "{audit}"
    );
}

async fn a_booking_that_is_unpaid_early_late_or_elsewhere_is_refused_with_its_reason(
    backend: Backend,
) {
    let app = TestApp::spawn(backend).await;
    let day = app.bookable_date().await;
    let (paid, _) = app.paid_booking(day, "s1").await;
    let a = app.account(1).await;
    let unpaid = app
        .book(&a.token, a.people[0].id, day, "s1")
        .await
        .expect(201);
    // A payment the bank is still confirming: held, not paid.
    let a = app.account(1).await;
    let confirming = app
        .book(&a.token, a.people[0].id, day, "s1")
        .await
        .expect(201);
    app.post(
        "/api/v1/dev/bank/pay",
        None,
        &json!({"billing_code": confirming["billing_code"], "status": "pending"}),
    )
    .await
    .expect(200);
    // 06:00: s1 (08:00-10:00) opens for check-in at 07:00.
    app.advance_to_local(day, 6);
    let desk = app.staff_token("loket.palembang").await;
    let check_in = |code: String| {
        let app = &app;
        let desk = desk.clone();
        async move {
            app.post(
                &format!("/api/v1/offices/{OFFICE}/check-ins"),
                Some(&desk),
                &json!({ "code": code }),
            )
            .await
        }
    };

    let early = check_in(qr(&paid)).await.problem(409, "check-in-refused");
    assert_eq!(early["reason"], "too_early");
    assert_eq!(early["opens_at_local"], format!("{day}T07:00:00"));
    // Not paid is told before the time: that is what the officer can act on.
    let not_paid = check_in(qr(&confirming))
        .await
        .problem(409, "check-in-refused");
    assert_eq!(not_paid["reason"], "not_paid");

    // 11:00: past 10:30, the end of s1 and its half hour of grace.
    app.advance_to_local(day, 11);
    let late = check_in(qr(&paid)).await.problem(409, "check-in-refused");
    assert_eq!(late["reason"], "too_late");
    // A hold whose deadline passed has ended.
    let ended = check_in(qr(&unpaid)).await.problem(409, "check-in-refused");
    assert_eq!(ended["reason"], "ended");
    assert_eq!(ended["state"], "expired");

    // A code nobody has today, a code that is no code, and nothing at all.
    check_in("ZZZZ-ZZZZ".into()).await.problem(404, "not-found");
    let unreadable = check_in("hello".into())
        .await
        .problem(422, "validation-failed");
    assert_eq!(
        Reply::field_error(&unreadable, "code")["code"],
        "unreadable_code"
    );
    let empty = check_in(String::new())
        .await
        .problem(422, "validation-failed");
    assert_eq!(Reply::field_error(&empty, "code")["code"], "required");
    // Nothing was issued.
    let tickets = app
        .get(&format!("/api/v1/offices/{OFFICE}/tickets"), Some(&desk))
        .await
        .expect(200);
    assert_eq!(tickets, json!([]));
}

async fn only_the_offices_front_desk_and_head_check_bookings_in(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let day = app.bookable_date().await;
    let (b, _) = app.paid_booking(day, "s1").await;
    app.advance_to_local(day, 8);
    let owner = app.account(0).await.token;
    let url = format!("/api/v1/offices/{OFFICE}/check-ins");
    let body = json!({ "code": qr(&b) });
    for who in ["petugas.palembang", "kanwil.sumsel"] {
        let token = app.staff_token(who).await;
        app.post(&url, Some(&token), &body)
            .await
            .problem(403, "forbidden");
        app.get(&arrival_url(&qr(&b)), Some(&token))
            .await
            .problem(403, "forbidden");
    }
    app.post(&url, Some(&owner), &body)
        .await
        .problem(403, "forbidden");
    app.post(&url, None, &body)
        .await
        .problem(401, "unauthorized");
    // Palembang's desk cannot act at another office, and another office's desk does not
    // see Palembang's booking: it is refused without a word about it.
    let desk = app.staff_token("loket.palembang").await;
    app.post("/api/v1/offices/muara-enim/check-ins", Some(&desk), &body)
        .await
        .problem(403, "forbidden");
    let elsewhere = app
        .new_staff_token(
            "desk.muara-enim",
            StaffRole::FrontDesk,
            Some("muara-enim"),
            None,
        )
        .await;
    let refused = app
        .post(
            "/api/v1/offices/muara-enim/check-ins",
            Some(&elsewhere),
            &body,
        )
        .await
        .problem(409, "check-in-refused");
    assert_eq!(refused["reason"], "other_office");
    assert!(
        !refused.to_string().contains("Budi"),
        "another office's booking shows nothing of it: {refused}"
    );
    let peek = app
        .get(
            &format!(
                "/api/v1/offices/muara-enim/arrivals?code={}",
                urlencoding(&qr(&b))
            ),
            Some(&elsewhere),
        )
        .await
        .problem(409, "check-in-refused");
    assert_eq!(peek["reason"], "other_office");
    let head = app.head_token().await;
    let checked = app.post(&url, Some(&head), &body).await.expect(201);
    assert_eq!(checked["ticket"]["number"], "A-001");
}

async fn the_front_desk_moves_a_booking_on_its_day_with_a_special_reschedule(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let dates = app.open_dates().await;
    let (day, later) = (dates[0], dates[3]);
    let (b, owner) = app.paid_booking(day, "s1").await;
    let owner = owner.token;
    // 11:00 on the day: too late to check in, and for the applicant's own move.
    app.advance_to_local(day, 11);
    let own = app
        .post(
            &format!(
                "/api/v1/bookings/{}/reschedule",
                b["id"].as_str().expect("id")
            ),
            Some(&owner),
            &json!({"date": later, "session": "s1"}),
        )
        .await;
    assert_eq!(own.status, 409, "{}", own.text);
    let url = format!("/api/v1/offices/{OFFICE}/special-reschedules");
    let desk = app.staff_token("loket.palembang").await;
    let body = json!({"code": qr(&b), "date": later, "session": "s1", "reason": "illness"});
    let officer = app.staff_token("petugas.palembang").await;
    app.post(&url, Some(&officer), &body)
        .await
        .problem(403, "forbidden");
    let why = app
        .post(
            &url,
            Some(&desk),
            &json!({"code": qr(&b), "date": later, "session": "s1"}),
        )
        .await
        .problem(422, "validation-failed");
    assert_eq!(Reply::field_error(&why, "reason")["code"], "invalid_choice");
    let moved = app.post(&url, Some(&desk), &body).await.expect(200);
    assert_eq!(moved["date"], later.to_string());
    assert_eq!(
        (moved["state"].as_str(), moved["reschedules_used"].as_i64()),
        (Some("paid"), Some(0))
    );
    let seen = app.booking(&owner, &b["id"]).await;
    assert_eq!(seen["date"], later.to_string(), "{seen}");
    let head = app.head_token().await;
    let audit = app
        .get(&format!("/api/v1/offices/{OFFICE}/audit"), Some(&head))
        .await
        .expect(200);
    assert!(
        audit
            .as_array()
            .expect("a list")
            .iter()
            .any(|a| a["action"] == "booking.special_reschedule"
                && a["after"].as_str().is_some_and(|x| x.ends_with("illness"))),
        "{audit}"
    );
}
