//! Assisted booking over the API: the front desk books for a person without a phone by the
//! rules of an online hold, the booking is paid by its billing code and checked in on its
//! day like any other, no mail goes anywhere for it, and only the office's front desk and
//! head may book or read such bookings.

use axum::http::Method;
use loket_store::StaffRole;
use serde_json::{Value, json};

use crate::helpers::{Backend, OFFICE, Person, Reply, TestApp};

api_tests!(
    the_front_desk_books_for_a_person_without_a_phone_by_the_rules_of_an_online_hold,
    only_the_offices_front_desk_and_head_book_for_someone_and_read_it_back,
);

fn url() -> String {
    format!("/api/v1/offices/{OFFICE}/assisted-bookings")
}

/// A booking of `person` on `date`, session `session`, as the desk sends it.
fn body(person: &Person, date: chrono::NaiveDate, session: &str) -> Value {
    let mut b = person.body();
    let fields = json!({
        "date": date,
        "session": session,
        "kind": "new",
        "passport_type": "electronic",
        "validity": "5y",
        "processing": "regular",
        "travel_purpose": "umrah_hajj",
    });
    for (k, v) in fields.as_object().expect("object") {
        b[k] = v.clone();
    }
    b
}

async fn post_keyed(app: &TestApp, token: &str, key: Option<&str>, body: &Value) -> Reply {
    let mut rb = app.request(Method::POST, &url(), Some(token)).json(body);
    if let Some(k) = key {
        rb = rb.header("Idempotency-Key", k);
    }
    app.send(rb).await
}

async fn the_front_desk_books_for_a_person_without_a_phone_by_the_rules_of_an_online_hold(
    backend: Backend,
) {
    let app = TestApp::spawn(backend).await;
    let dates = app.open_dates().await;
    let day = dates[0];
    let desk = app.staff_token("loket.palembang").await;
    let person = Person::fresh();
    let left = app.remaining(day, "s1").await;

    let made = post_keyed(&app, &desk, Some("desk-form-1"), &body(&person, day, "s1")).await;
    let b = made.expect(201);
    assert_eq!(
        made.header("location"),
        Some(format!("{}/{}", url(), b["id"].as_str().expect("id")).as_str())
    );
    assert_eq!(b["state"], "awaiting_payment");
    assert_eq!(b["date"], day.to_string());
    assert_eq!(b["travel_purpose"], "umrah_hajj");
    assert!(b["nik_masked"].as_str().expect("masked").contains("****"));
    assert!(
        !b.to_string().contains(&person.nik),
        "the NIK is masked: {b}"
    );
    assert_eq!(app.remaining(day, "s1").await, left - 1, "it takes a place");

    // The same form sent again books once; with other answers the key is refused.
    let again = post_keyed(&app, &desk, Some("desk-form-1"), &body(&person, day, "s1"))
        .await
        .expect(200);
    assert_eq!(again["id"], b["id"]);
    post_keyed(&app, &desk, Some("desk-form-1"), &body(&person, day, "s2"))
        .await
        .problem(422, "idempotency-key-reused");
    // One active booking per NIK, as online.
    post_keyed(&app, &desk, None, &body(&person, dates[1], "s1"))
        .await
        .problem(409, "nik-active-booking");
    assert_eq!(app.remaining(day, "s1").await, left - 1);

    // Mistakes are told per field, and nothing is booked.
    let mut wrong = body(&Person::fresh(), day, "s1");
    wrong["nik"] = json!("1671");
    post_keyed(&app, &desk, None, &wrong)
        .await
        .problem(422, "invalid-nik");
    let empty = post_keyed(&app, &desk, None, &json!({}))
        .await
        .problem(422, "validation-failed");
    for field in [
        "nik",
        "full_name",
        "birth_date",
        "sex",
        "kind",
        "date",
        "session",
    ] {
        Reply::field_error(&empty, field);
    }
    // Today cannot be booked online, nor at the desk.
    let today = post_keyed(
        &app,
        &desk,
        None,
        &body(&Person::fresh(), app.today(), "s1"),
    )
    .await
    .problem(422, "validation-failed");
    assert_eq!(
        Reply::field_error(&today, "date")["code"],
        "date_not_in_future"
    );
    assert_eq!(app.remaining(day, "s1").await, left - 1);

    // The desk reads it back for the slip; it is paid at the bank like any booking.
    let id = b["id"].as_str().expect("id");
    let read = app
        .get(&format!("{}/{id}", url()), Some(&desk))
        .await
        .expect(200);
    assert_eq!(read["billing_code"], b["billing_code"]);
    assert_eq!(app.pay(&b["billing_code"]).await, "paid");

    // No mail is sent about it: the office's account has no mailbox.
    let mut sweeper = loket_web::usecases::notices::Sweeper::default();
    sweeper.pass(&app.state).await.expect("notices");
    let mail = app.state.store.recent_mail(None, 100).await.expect("mail");
    assert!(mail.iter().all(|m| !m.to.contains("assisted")), "{mail:?}");

    // On its day the slip's QR code checks it in.
    app.advance_to_local(day, 8);
    let desk = app.staff_token("loket.palembang").await;
    let checked = app
        .post(
            &format!("/api/v1/offices/{OFFICE}/check-ins"),
            Some(&desk),
            &json!({ "code": format!("LOKET:{id}") }),
        )
        .await
        .expect(201);
    assert_eq!(checked["ticket"]["number"], "A-001");
}

async fn only_the_offices_front_desk_and_head_book_for_someone_and_read_it_back(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let day = app.bookable_date().await;
    let applicant = app.account(1).await;
    let own = app
        .book(&applicant.token, applicant.people[0].id, day, "s1")
        .await
        .expect(201);
    let b = body(&Person::fresh(), day, "s1");
    for who in ["petugas.palembang", "kanwil.sumsel"] {
        let token = app.staff_token(who).await;
        post_keyed(&app, &token, None, &b)
            .await
            .problem(403, "forbidden");
    }
    post_keyed(&app, &applicant.token, None, &b)
        .await
        .problem(403, "forbidden");
    app.post(&url(), None, &b)
        .await
        .problem(401, "unauthorized");
    let desk = app.staff_token("loket.palembang").await;
    app.post(
        "/api/v1/offices/muara-enim/assisted-bookings",
        Some(&desk),
        &b,
    )
    .await
    .problem(403, "forbidden");

    let head = app.head_token().await;
    let made = post_keyed(&app, &head, None, &b).await.expect(201);
    let id = made["id"].as_str().expect("id");
    // Another office's desk does not find it; nor does Palembang's desk find a booking a
    // person made online.
    let elsewhere = app
        .new_staff_token(
            "desk.muara-enim",
            StaffRole::FrontDesk,
            Some("muara-enim"),
            None,
        )
        .await;
    app.get(
        &format!("/api/v1/offices/muara-enim/assisted-bookings/{id}"),
        Some(&elsewhere),
    )
    .await
    .problem(404, "not-found");
    app.get(
        &format!("{}/{}", url(), own["id"].as_str().expect("id")),
        Some(&desk),
    )
    .await
    .problem(404, "not-found");
    app.get(&format!("{}/{id}", url()), Some(&desk))
        .await
        .expect(200);
    // The booking is audited as the head's.
    let audit = app
        .state
        .store
        .audit_log(Some(OFFICE), 50)
        .await
        .expect("audit");
    let entry = audit
        .iter()
        .find(|e| e.action == "booking.assisted")
        .expect("audited");
    assert_eq!(entry.actor, "kepala.palembang");
    assert_eq!(entry.subject, id);
}
