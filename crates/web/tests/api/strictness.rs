//! Input is taken in one spelling only: dates exactly as YYYY-MM-DD wherever a date enters
//! (path, query, body), list sizes between 1 and their maximum.

use chrono::Datelike;
use reqwest::Method;
use serde_json::{Value, json};

use crate::helpers::{Backend, OFFICE, Reply, TestApp, booking_body};

api_tests!(
    a_date_not_written_as_yyyy_mm_dd_is_refused_naming_its_field,
    an_audit_limit_outside_one_to_a_thousand_is_refused,
);

/// Asserts a 422 whose errors name `field` with `code`.
#[track_caller]
fn refused(r: &Reply, field: &str, code: &str, what: &str) {
    let text: String = r.text.chars().take(300).collect();
    assert_eq!(r.status.as_u16(), 422, "{what}: {text}");
    let p = r.problem(422, "validation-failed");
    assert_eq!(Reply::field_error(&p, field)["code"], code, "{what}: {p}");
}

async fn a_date_not_written_as_yyyy_mm_dd_is_refused_naming_its_field(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let head = app.head_token().await;
    let admin = app.staff_token("admin").await;
    let account = app.account(1).await;
    let booked = app
        .book(
            &account.token,
            account.people[0].id,
            app.bookable_date().await,
            "s1",
        )
        .await
        .expect(201);
    // Real dates, each one chrono's "%Y-%m-%d" alone takes: the test fails if any is
    // accepted, or refused for some other reason than its spelling.
    let next = app.today().year() + 1;
    let lenient = [
        format!("{next}-1-5"),
        format!("{next}-01-5"),
        format!("{next}-1-05"),
        format!("+{next}-01-05"),
    ];
    let good = format!("{next}-01-05");

    for d in &lenient {
        let q = |query: &str| format!("/api/v1/offices/{OFFICE}/{query}");
        // In a query string '+' is a space: send the sign itself.
        let d_in_query = d.replace('+', "%2B");
        for (path, field) in [
            (q(&format!("availability?from={d_in_query}")), "from"),
            (
                q(&format!("availability?from={good}&to={d_in_query}")),
                "to",
            ),
            (q(&format!("closures?from={d_in_query}")), "from"),
            (q(&format!("closures?from={good}&to={d_in_query}")), "to"),
        ] {
            refused(&app.get(&path, None).await, field, "invalid_date", &path);
        }
        for (path, field) in [
            (q(&format!("quotas?from={d_in_query}")), "from"),
            (q(&format!("quotas?from={good}&to={d_in_query}")), "to"),
        ] {
            refused(
                &app.get(&path, Some(&head)).await,
                field,
                "invalid_date",
                &path,
            );
        }
        let holiday = json!({"kind": "holiday", "name_id": "Uji", "name_en": "Test"});
        let r = app
            .put(&format!("/api/v1/holidays/{d}"), Some(&admin), &holiday)
            .await;
        refused(&r, "date", "invalid_date", "holiday put");
        let r = app
            .send(app.request(
                Method::DELETE,
                &format!("/api/v1/holidays/{d}"),
                Some(&admin),
            ))
            .await;
        refused(&r, "date", "invalid_date", "holiday delete");
        let closure = json!({"kind": "closed", "reason": "Uji"});
        let r = app
            .put(&q(&format!("closures/{d}")), Some(&head), &closure)
            .await;
        refused(&r, "date", "invalid_date", "closure put");
        let r = app
            .send(app.request(Method::DELETE, &q(&format!("closures/{d}")), Some(&head)))
            .await;
        refused(&r, "date", "invalid_date", "closure delete");

        // A body field of more than 10 characters is refused as too long already.
        if d.len() > 10 {
            continue;
        }
        let r = app
            .put(
                &q("quotas/overrides"),
                Some(&head),
                &json!({"date": d, "session": "s1", "class": "online", "capacity": 10}),
            )
            .await;
        refused(&r, "date", "invalid_date", "quota override");
        let adjustment = json!({"mode": "delta", "value": 1});
        for (body, field) in [
            (
                json!({"from": d, "to": good, "adjustment": adjustment}),
                "from",
            ),
            (
                json!({"from": good, "to": d, "adjustment": adjustment}),
                "to",
            ),
        ] {
            let r = app.post(&q("quotas/bulk"), Some(&head), &body).await;
            refused(&r, field, "invalid_date", "bulk change");
        }
        let mut body = booking_body(account.people[0].id, app.bookable_date().await, "s1");
        body["date"] = Value::from(d.as_str());
        let r = app
            .post("/api/v1/bookings", Some(&account.token), &body)
            .await;
        refused(&r, "date", "invalid_date", "booking");
        let id = booked["id"].as_str().unwrap();
        let r = app
            .post(
                &format!("/api/v1/bookings/{id}/reschedule"),
                Some(&account.token),
                &json!({"date": d, "session": "s2"}),
            )
            .await;
        refused(&r, "date", "invalid_date", "reschedule");
    }
    for birth in ["1990-1-5", "1990-01-5", "1990-1-05"] {
        let r = app
            .post(
                "/api/v1/applicants",
                Some(&account.token),
                &json!({"nik": "1671010501900001", "full_name": "Dewi", "birth_date": birth, "sex": "male"}),
            )
            .await;
        refused(&r, "birth_date", "invalid_date", "applicant");
        let r = app
            .post(
                "/api/v1/accounts",
                None,
                &json!({"email": "baru@example.test", "password": "rahasia-123",
                        "full_name": "Dewi", "birth_date": birth, "sex": "female",
                        "phone": "081234567890"}),
            )
            .await;
        refused(&r, "birth_date", "invalid_date", "registration");
    }
    // The well-formed spelling still works where the rest of the request is right.
    app.get(
        &format!("/api/v1/offices/{OFFICE}/availability?from={good}&to={good}"),
        None,
    )
    .await
    .expect(200);
}

async fn an_audit_limit_outside_one_to_a_thousand_is_refused(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let head = app.head_token().await;
    let date = app.bookable_date().await;
    app.set_capacity(&head, date, "s1", 20).await;
    app.set_capacity(&head, date, "s2", 20).await;
    let audit = |q: &str| format!("/api/v1/offices/{OFFICE}/audit{q}");

    for limit in ["-1", "0", "1001", "-9223372036854775808"] {
        let r = app
            .get(&audit(&format!("?limit={limit}")), Some(&head))
            .await;
        refused(&r, "limit", "out_of_range", limit);
    }
    app.get(&audit("?limit=abc"), Some(&head))
        .await
        .problem(422, "validation-failed");
    let one = app.get(&audit("?limit=1"), Some(&head)).await.expect(200);
    assert_eq!(one.as_array().unwrap().len(), 1, "{one}");
    let all = app
        .get(&audit("?limit=1000"), Some(&head))
        .await
        .expect(200);
    assert!(all.as_array().unwrap().len() >= 2, "{all}");
    app.get(&audit(""), Some(&head)).await.expect(200);
}
