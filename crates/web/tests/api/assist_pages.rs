//! The desk's assisted booking form, in process: a session that fills while the form is
//! open is told beside the session with every answer kept and nothing booked; a double tap
//! books once; the same form sent with other answers is refused with a fresh key; the slip
//! shows the booking with the NIK masked; only the office's desk and head open the form and
//! only the office's own assisted bookings open as slips.

use serde_json::json;

use crate::helpers::{Backend, OFFICE, Person, TestApp};
use crate::pages::{Page, page, post_form};
use crate::staff_pages::cookies;

api_tests!(
    the_assisted_form_keeps_every_answer_when_the_session_fills_and_books_once_on_a_double_tap,
    only_the_offices_desk_and_head_open_the_assisted_form_and_its_own_slips,
);

const FORM: &str = "/staff/desk/assist";

/// The answers of a complete form for `person` in `slot`, with the form's `key`.
fn answers<'a>(
    csrf: &'a str,
    key: &'a str,
    person: &'a Person,
    birth: &'a str,
    slot: &'a str,
) -> Vec<(&'a str, &'a str)> {
    vec![
        ("csrf", csrf),
        ("key", key),
        ("nik", person.nik.as_str()),
        ("full_name", "Siti Aminah"),
        ("birth_date", birth),
        ("sex", person.sex.as_str()),
        ("kind", "new"),
        ("passport_type", "electronic"),
        ("validity", "5y"),
        ("processing", "regular"),
        ("travel_purpose", "tourism"),
        ("slot", slot),
    ]
}

fn location(p: &Page) -> String {
    assert_eq!(p.reply.status, 303, "{}", p.reply.text);
    p.reply.header("location").expect("location").to_owned()
}

async fn assisted_audits(app: &TestApp) -> usize {
    app.state
        .store
        .audit_log(Some(OFFICE), 100)
        .await
        .expect("audit")
        .iter()
        .filter(|e| e.action == "booking.assisted")
        .count()
}

async fn the_assisted_form_keeps_every_answer_when_the_session_fills_and_books_once_on_a_double_tap(
    backend: Backend,
) {
    let app = TestApp::spawn(backend).await;
    let day = app.bookable_date().await;
    let token = app.staff_token("loket.palembang").await;
    let (cookie, csrf) = cookies(Some(&token));
    let form = page(&app, FORM, Some(&cookie)).await;
    assert_eq!(form.reply.status, 200);
    let key = form.attr("input[name=key]", "value").remove(0);
    let slot = format!("{day}|s1");
    assert!(
        form.attr("#slot option", "value").contains(&slot),
        "{slot} is offered"
    );
    let person = Person::fresh();
    let birth = person.birth_date.to_string();

    // The session fills while the form is open: told beside the session, all kept.
    let head = app.head_token().await;
    app.set_capacity(&head, day, "s1", 0).await;
    let full = post_form(
        &app,
        FORM,
        &cookie,
        &answers(&csrf, &key, &person, &birth, &slot),
    )
    .await;
    assert_eq!(full.reply.status, 409, "{}", full.reply.text);
    assert_eq!(
        full.all("#slot-error").len(),
        1,
        "the message beside the session"
    );
    assert_eq!(full.attr("#nik", "value"), [person.nik.as_str()]);
    assert_eq!(full.attr("#full_name", "value"), ["Siti Aminah"]);
    assert_eq!(full.attr("#birth_date", "value"), [birth.as_str()]);
    assert_eq!(
        full.attr("input[name=travel_purpose][checked]", "value"),
        ["tourism"]
    );
    assert_eq!(
        full.attr("input[name=key]", "value"),
        [key.as_str()],
        "the same form goes on"
    );
    assert_eq!(assisted_audits(&app).await, 0, "nothing booked");

    // With places again: booked; a second tap of the same form opens the same slip.
    app.set_capacity(&head, day, "s1", 5).await;
    let complete = answers(&csrf, &key, &person, &birth, &slot);
    let first = location(&post_form(&app, FORM, &cookie, &complete).await);
    assert!(first.starts_with("/staff/assisted/"), "{first}");
    let again = location(&post_form(&app, FORM, &cookie, &complete).await);
    assert_eq!(again, first);
    assert_eq!(app.remaining(day, "s1").await, 4, "one place taken");
    assert_eq!(assisted_audits(&app).await, 1);

    // The same form with other answers: refused above the form, with a fresh key.
    let mut other = answers(&csrf, &key, &person, &birth, &slot);
    other.retain(|(k, _)| *k != "travel_purpose");
    other.push(("travel_purpose", "work"));
    let resent = post_form(&app, FORM, &cookie, &other).await;
    assert_eq!(resent.reply.status, 409);
    assert_eq!(resent.all(".error-summary li").len(), 1);
    assert_ne!(resent.attr("input[name=key]", "value"), [key.as_str()]);

    // The slip: the booking code, the NIK masked, the billing code to pay.
    let slip = page(&app, &first, Some(&cookie)).await;
    assert_eq!(slip.reply.status, 200);
    assert!(slip.one(".slip .number").contains('-'));
    assert!(!slip.reply.text.contains(&person.nik), "the whole NIK");
    assert_eq!(slip.one(".slip .billing").replace(' ', "").len(), 15);
}

async fn only_the_offices_desk_and_head_open_the_assisted_form_and_its_own_slips(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let day = app.bookable_date().await;
    for who in ["petugas.palembang", "kanwil.sumsel"] {
        let (cookie, _) = cookies(Some(&app.staff_token(who).await));
        assert_eq!(
            page(&app, FORM, Some(&cookie)).await.reply.status,
            403,
            "{who}"
        );
    }
    let nobody = page(&app, FORM, None).await;
    assert!(location(&nobody).starts_with("/staff/login"));
    let (head, _) = cookies(Some(&app.head_token().await));
    assert_eq!(page(&app, FORM, Some(&head)).await.reply.status, 200);

    let desk = app.staff_token("loket.palembang").await;
    let mut body = Person::fresh().body();
    for (k, v) in [
        ("date", json!(day)),
        ("session", json!("s1")),
        ("kind", json!("new")),
        ("passport_type", json!("electronic")),
        ("validity", json!("5y")),
        ("processing", json!("regular")),
        ("travel_purpose", json!("tourism")),
    ] {
        body[k] = v;
    }
    let made = app
        .post(
            &format!("/api/v1/offices/{OFFICE}/assisted-bookings"),
            Some(&desk),
            &body,
        )
        .await
        .expect(201);
    let slip = format!("/staff/assisted/{}", made["id"].as_str().expect("id"));
    let (desk_cookie, _) = cookies(Some(&desk));
    assert_eq!(
        page(&app, &slip, Some(&desk_cookie)).await.reply.status,
        200
    );
    // Another office's desk does not find it; nor does a person's own booking open as a slip.
    let elsewhere = app
        .new_staff_token(
            "desk.muara-enim",
            loket_store::StaffRole::FrontDesk,
            Some("muara-enim"),
            None,
        )
        .await;
    let (elsewhere, _) = cookies(Some(&elsewhere));
    assert_eq!(page(&app, &slip, Some(&elsewhere)).await.reply.status, 404);
    let a = app.account(1).await;
    let own = app
        .book(&a.token, a.people[0].id, day, "s1")
        .await
        .expect(201);
    let own_slip = format!("/staff/assisted/{}", own["id"].as_str().expect("id"));
    assert_eq!(
        page(&app, &own_slip, Some(&desk_cookie)).await.reply.status,
        404
    );
}
