//! Payments: the simulated bank, the signed webhook, repeats, and late payments reconciled
//! (restored, or owed back and rebooked), and a pending payment that keeps its place.

use chrono::SecondsFormat;
use loket_web::Settings;
use loket_web::routes::payments::{SIGNATURE_HEADER, sign};
use reqwest::Method;
use serde_json::{Value, json};

use crate::helpers::{Backend, Reply, TestApp};

api_tests!(
    the_simulated_bank_pays_a_booking,
    a_notification_with_a_bad_signature_is_refused,
    a_correctly_signed_notification_pays_the_booking,
    a_repeated_notification_is_a_duplicate,
    a_late_payment_after_the_place_was_retaken_is_owed_back_and_may_be_rebooked,
    a_late_payment_with_the_place_still_free_restores_the_booking,
    a_pending_payment_keeps_the_place_past_the_deadline_until_paid,
    a_notification_must_be_sent_as_json,
    a_notification_time_not_in_rfc3339_is_refused_naming_paid_at,
);

/// A notification body as the bank sends it, serialized once (the signature covers bytes).
fn notice(id: &str, booking: &Value, status: &str, app: &TestApp) -> Vec<u8> {
    serde_json::to_vec(&json!({
        "notification_id": id,
        "billing_code": booking["billing_code"],
        "amount": booking["amount"],
        "status": status,
        "paid_at": app.now().to_rfc3339_opts(SecondsFormat::Millis, true),
    }))
    .unwrap()
}

async fn deliver(app: &TestApp, body: &[u8], signature: Option<&str>) -> Reply {
    let mut rb = app
        .request(Method::POST, "/api/v1/payments/notifications", None)
        .header("content-type", "application/json")
        .body(body.to_vec());
    if let Some(s) = signature {
        rb = rb.header(SIGNATURE_HEADER, s);
    }
    app.send(rb).await
}

fn secret() -> String {
    // The test servers run in dev mode with no secret configured.
    Settings {
        mode: loket_web::config::Mode::Dev,
        ..Settings::default()
    }
    .webhook_secret()
    .to_owned()
}

async fn the_simulated_bank_pays_a_booking(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let account = app.account(1).await;
    let date = app.bookable_date().await;
    let b = app
        .book(&account.token, account.people[0].id, date, "s1")
        .await
        .expect(201);

    assert_eq!(app.pay(&b["billing_code"]).await, "paid");

    let paid = app.booking(&account.token, &b["id"]).await;
    assert_eq!(paid["state"], "paid");
    assert!(paid["paid_at"].is_string(), "{paid}");
    // Paying is not booking: the place was already counted.
    assert_eq!(app.remaining(date, "s1").await, 29);
    // A paid booking does not lapse at the deadline.
    app.advance_minutes(180).await;
    assert_eq!(app.booking(&account.token, &b["id"]).await["state"], "paid");
    assert_eq!(app.remaining(date, "s1").await, 29);
}

async fn a_notification_with_a_bad_signature_is_refused(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let account = app.account(1).await;
    let date = app.bookable_date().await;
    let b = app
        .book(&account.token, account.people[0].id, date, "s1")
        .await
        .expect(201);
    let body = notice("bank-1", &b, "paid", &app);
    let zeros = format!("sha256={}", "0".repeat(64));
    let other_secret = sign("not-the-secret", &body);
    let bare_hex = sign(&secret(), &body)
        .trim_start_matches("sha256=")
        .to_owned();

    for sig in [
        None,
        Some(zeros.as_str()),
        Some(&other_secret),
        Some(&bare_hex),
    ] {
        deliver(&app, &body, sig)
            .await
            .problem(401, "invalid-signature");
    }
    // A valid signature of other bytes does not cover this body.
    let mut tampered = body.clone();
    tampered.push(b' ');
    deliver(&app, &tampered, Some(&sign(&secret(), &body)))
        .await
        .problem(401, "invalid-signature");

    assert_eq!(
        app.booking(&account.token, &b["id"]).await["state"],
        "awaiting_payment"
    );
}

async fn a_correctly_signed_notification_pays_the_booking(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let account = app.account(1).await;
    let date = app.bookable_date().await;
    let b = app
        .book(&account.token, account.people[0].id, date, "s1")
        .await
        .expect(201);
    let body = notice("bank-2", &b, "paid", &app);

    let r = deliver(&app, &body, Some(&sign(&secret(), &body)))
        .await
        .expect(200);

    assert_eq!(r["outcome"], "paid");
    assert_eq!(app.booking(&account.token, &b["id"]).await["state"], "paid");
    // An unknown billing code and a wrong amount are answered, not lost.
    let mut unknown = b.clone();
    unknown["billing_code"] = "123456789012345".into();
    let body = notice("bank-3", &unknown, "paid", &app);
    let r = deliver(&app, &body, Some(&sign(&secret(), &body)))
        .await
        .expect(200);
    assert_eq!(r["outcome"], "unknown_billing_code");
    // A signed body that is not a notification is a validation problem, not a 500.
    let junk = br#"{"hello": "bank"}"#;
    deliver(&app, junk, Some(&sign(&secret(), junk)))
        .await
        .problem(422, "validation-failed");
}

async fn a_repeated_notification_is_a_duplicate(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let account = app.account(1).await;
    let date = app.bookable_date().await;
    let b = app
        .book(&account.token, account.people[0].id, date, "s1")
        .await
        .expect(201);
    let body = notice("bank-retry-1", &b, "paid", &app);
    let sig = sign(&secret(), &body);

    let first = deliver(&app, &body, Some(&sig)).await.expect(200);
    let second = deliver(&app, &body, Some(&sig)).await.expect(200);

    assert_eq!(first["outcome"], "paid");
    assert_eq!(second["outcome"], "duplicate");
    assert_eq!(app.booking(&account.token, &b["id"]).await["state"], "paid");
    // The simulated bank can retry too.
    let again = app
        .post(
            "/api/v1/dev/bank/pay",
            None,
            &json!({"billing_code": b["billing_code"], "notification_id": "bank-retry-1"}),
        )
        .await
        .expect(200);
    assert_eq!(again["outcome"], "duplicate");
}

async fn a_late_payment_after_the_place_was_retaken_is_owed_back_and_may_be_rebooked(
    backend: Backend,
) {
    let app = TestApp::spawn(backend).await;
    let head = app.head_token().await;
    let a = app.account(1).await;
    let b = app.account(1).await;
    let date = app.bookable_date().await;
    app.set_capacity(&head, date, "s1", 1).await;
    let late = app
        .book(&a.token, a.people[0].id, date, "s1")
        .await
        .expect(201);
    app.advance_minutes(121).await;
    let retaken = app
        .book(&b.token, b.people[0].id, date, "s1")
        .await
        .expect(201);

    assert_eq!(app.pay(&late["billing_code"]).await, "refund_due");

    let owed = app.booking(&a.token, &late["id"]).await;
    assert_eq!(owed["state"], "refund_due");
    assert_eq!(
        app.booking(&b.token, &retaken["id"]).await["state"],
        "awaiting_payment"
    );
    assert_eq!(app.usage(date, "s1").await.unwrap().taken, 1);
    assert_eq!(app.remaining(date, "s1").await, 0);

    // The late payer takes another free session instead of the refund.
    let s2_before = app.remaining(date, "s2").await;
    let id = late["id"].as_str().unwrap();
    let moved = app
        .post(
            &format!("/api/v1/bookings/{id}/reschedule"),
            Some(&a.token),
            &json!({"date": date, "session": "s2"}),
        )
        .await
        .expect(200);
    assert_eq!(moved["state"], "paid");
    assert_eq!(moved["session"], "s2");
    // That move is not the applicant's one reschedule.
    assert_eq!(moved["reschedules_left"], 1);
    assert_eq!(app.remaining(date, "s2").await, s2_before - 1);
    assert_eq!(app.remaining(date, "s1").await, 0);
}

async fn a_late_payment_with_the_place_still_free_restores_the_booking(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let account = app.account(1).await;
    let date = app.bookable_date().await;
    let b = app
        .book(&account.token, account.people[0].id, date, "s1")
        .await
        .expect(201);
    app.advance_minutes(121).await;
    assert_eq!(
        app.booking(&account.token, &b["id"]).await["state"],
        "expired"
    );
    assert_eq!(app.remaining(date, "s1").await, 30);

    assert_eq!(app.pay(&b["billing_code"]).await, "restored");

    assert_eq!(app.booking(&account.token, &b["id"]).await["state"], "paid");
    assert_eq!(app.remaining(date, "s1").await, 29);
}

async fn a_pending_payment_keeps_the_place_past_the_deadline_until_paid(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let head = app.head_token().await;
    let a = app.account(1).await;
    let b = app.account(1).await;
    let date = app.bookable_date().await;
    app.set_capacity(&head, date, "s1", 1).await;
    let held = app
        .book(&a.token, a.people[0].id, date, "s1")
        .await
        .expect(201);

    let pending = app
        .post(
            "/api/v1/dev/bank/pay",
            None,
            &json!({"billing_code": held["billing_code"], "status": "pending"}),
        )
        .await
        .expect(200);
    assert_eq!(pending["outcome"], "pending");
    app.advance_minutes(121).await;

    assert_eq!(
        app.booking(&a.token, &held["id"]).await["state"],
        "payment_pending"
    );
    assert_eq!(app.remaining(date, "s1").await, 0);
    app.book(&b.token, b.people[0].id, date, "s1")
        .await
        .problem(409, "quota-full");

    assert_eq!(app.pay(&held["billing_code"]).await, "paid");
    assert_eq!(app.booking(&a.token, &held["id"]).await["state"], "paid");
    assert_eq!(app.remaining(date, "s1").await, 0);
    assert_eq!(app.usage(date, "s1").await.unwrap().taken, 1);
}

async fn a_notification_must_be_sent_as_json(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let account = app.account(1).await;
    let date = app.bookable_date().await;
    let b = app
        .book(&account.token, account.people[0].id, date, "s1")
        .await
        .expect(201);
    let body = notice("bank-ct", &b, "paid", &app);
    let sig = sign(&secret(), &body);
    let post = |content_type: Option<&str>| {
        let mut rb = app
            .request(Method::POST, "/api/v1/payments/notifications", None)
            .header(SIGNATURE_HEADER, &sig)
            .body(body.clone());
        if let Some(ct) = content_type {
            rb = rb.header("content-type", ct);
        }
        rb
    };

    // Correctly signed, but not declared as JSON: refused like any other endpoint would.
    for ct in [
        None,
        Some("text/plain"),
        Some("application/x-www-form-urlencoded"),
    ] {
        app.send(post(ct))
            .await
            .problem(415, "unsupported-media-type");
    }
    assert_eq!(
        app.booking(&account.token, &b["id"]).await["state"],
        "awaiting_payment"
    );
    // The signature still covers the raw bytes, whatever parameters the media type carries.
    let r = app
        .send(post(Some("application/json; charset=utf-8")))
        .await
        .expect(200);
    assert_eq!(r["outcome"], "paid");
}

async fn a_notification_time_not_in_rfc3339_is_refused_naming_paid_at(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let account = app.account(1).await;
    let date = app.bookable_date().await;
    let b = app
        .book(&account.token, account.people[0].id, date, "s1")
        .await
        .expect(201);

    for paid_at in ["2026-1-5T09:30:00Z", "2026-01-05 09:30:00Z", "2026-01-05"] {
        let body = serde_json::to_vec(&json!({
            "notification_id": format!("bank-t-{paid_at}"),
            "billing_code": b["billing_code"],
            "amount": b["amount"],
            "status": "paid",
            "paid_at": paid_at,
        }))
        .unwrap();
        let p = deliver(&app, &body, Some(&sign(&secret(), &body)))
            .await
            .problem(422, "validation-failed");
        assert_eq!(
            Reply::field_error(&p, "paid_at")["code"],
            "invalid_instant",
            "{paid_at}: {p}"
        );
    }
    assert_eq!(
        app.booking(&account.token, &b["id"]).await["state"],
        "awaiting_payment"
    );
}
