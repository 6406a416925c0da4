//! Bookings: holding a place, idempotent retries, one active booking per NIK, closed and
//! unreleased dates, ownership, cancelling, rescheduling, and holds that lapse.

use chrono::Duration;
use reqwest::Method;
use serde_json::{Value, json};
use uuid::Uuid;

use crate::helpers::{Backend, Reply, TestApp, booking_body, time_of};

api_tests!(
    a_booking_gets_a_billing_code_a_two_hour_deadline_and_a_location,
    a_retry_with_the_same_idempotency_key_returns_the_same_booking,
    simultaneous_retries_with_one_idempotency_key_return_one_booking,
    an_idempotency_key_reused_for_another_request_is_refused,
    a_nik_with_an_active_booking_cannot_book_again_from_any_account,
    weekends_and_holidays_cannot_be_booked,
    a_date_not_yet_released_is_refused_with_its_opening_time,
    a_child_cannot_take_a_ten_year_passport,
    another_accounts_booking_is_not_found,
    the_booking_list_shows_only_my_bookings,
    cancelling_gives_the_place_back,
    a_booking_can_be_rescheduled_only_once,
    a_booking_cannot_be_rescheduled_on_its_day,
    a_lapsed_hold_gives_its_place_to_the_next_applicant,
);

async fn a_booking_gets_a_billing_code_a_two_hour_deadline_and_a_location(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let account = app.account(1).await;
    let date = app.bookable_date().await;
    let before = app.now();

    let r = app
        .book(&account.token, account.people[0].id, date, "s1")
        .await;
    let b = r.expect(201);

    let code = b["billing_code"].as_str().unwrap();
    assert_eq!(code.len(), 15, "{b}");
    assert!(code.bytes().all(|c| c.is_ascii_digit()), "{b}");
    let deadline = time_of(&b["payment_deadline"]);
    let after = app.now();
    assert!(
        deadline >= before + Duration::minutes(120) - Duration::seconds(1)
            && deadline <= after + Duration::minutes(120) + Duration::seconds(1),
        "deadline {deadline}, booked between {before} and {after}"
    );
    assert_eq!(b["state"], "awaiting_payment");
    assert_eq!(b["office"], "palembang");
    assert_eq!(b["date"], date.to_string());
    assert_eq!(b["session"], "s1");
    assert_eq!(b["class"], "online");
    assert_eq!(b["amount"], 650_000);
    assert_eq!(b["reschedules_left"], 1);
    let id = b["id"].as_str().unwrap();
    let location = r.header("location").unwrap();
    assert_eq!(location, format!("/api/v1/bookings/{id}"));

    let again = app.get(location, Some(&account.token)).await.expect(200);
    assert_eq!(again["id"], b["id"]);
    assert_eq!(again["billing_code"], b["billing_code"]);
}

async fn a_retry_with_the_same_idempotency_key_returns_the_same_booking(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let account = app.account(1).await;
    let date = app.bookable_date().await;
    let body = booking_body(account.people[0].id, date, "s1");
    let send = || {
        app.send(
            app.request(Method::POST, "/api/v1/bookings", Some(&account.token))
                .header("Idempotency-Key", "retry-7f3a")
                .json(&body),
        )
    };

    let first = send().await.expect(201);
    let second = send().await;
    let replay = second.expect(200);

    assert_eq!(replay["id"], first["id"]);
    assert_eq!(replay["billing_code"], first["billing_code"]);
    assert!(second.header("location").is_some());
    let list = app
        .get("/api/v1/bookings", Some(&account.token))
        .await
        .expect(200);
    assert_eq!(list.as_array().unwrap().len(), 1);
    assert_eq!(app.remaining(date, "s1").await, 29);
}

/// A client that times out and retries while its first request is still waiting for the
/// slot must get its booking back, not a conflict with itself.
async fn simultaneous_retries_with_one_idempotency_key_return_one_booking(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let date = app.bookable_date().await;
    for round in 0..5 {
        let account = app.account(1).await;
        let body = booking_body(account.people[0].id, date, "s1");
        let start = std::sync::Arc::new(tokio::sync::Barrier::new(4));
        let mut tasks = tokio::task::JoinSet::new();
        for _ in 0..4 {
            let rb = app
                .request(Method::POST, "/api/v1/bookings", Some(&account.token))
                .header("Idempotency-Key", format!("same-request-{round}"))
                .json(&body);
            let start = start.clone();
            tasks.spawn(async move {
                start.wait().await;
                let res = rb.send().await.unwrap();
                let status = res.status().as_u16();
                (status, res.text().await.unwrap())
            });
        }
        let answers = tasks.join_all().await;
        let ids: Vec<String> = answers
            .iter()
            .map(|(status, text)| {
                assert!(
                    *status == 201 || *status == 200,
                    "round {round}: a retry of the same request got {status}: {text}"
                );
                let v: Value = serde_json::from_str(text).unwrap();
                v["id"].as_str().unwrap().to_owned()
            })
            .collect();
        assert!(ids.iter().all(|i| *i == ids[0]), "{ids:?}");
        assert_eq!(
            answers.iter().filter(|(s, _)| *s == 201).count(),
            1,
            "{answers:?}"
        );
    }
}

async fn an_idempotency_key_reused_for_another_request_is_refused(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let account = app.account(1).await;
    let date = app.bookable_date().await;
    let post = |session: &str| {
        app.send(
            app.request(Method::POST, "/api/v1/bookings", Some(&account.token))
                .header("Idempotency-Key", "key-1")
                .json(&booking_body(account.people[0].id, date, session)),
        )
    };

    post("s1").await.expect(201);
    post("s2").await.problem(422, "idempotency-key-reused");

    // Keys belong to an account: another account may use the same key.
    let other = app.account(1).await;
    app.send(
        app.request(Method::POST, "/api/v1/bookings", Some(&other.token))
            .header("Idempotency-Key", "key-1")
            .json(&booking_body(other.people[0].id, date, "s2")),
    )
    .await
    .expect(201);
    // A key that is not a visible ASCII string is a validation problem.
    let p = app
        .send(
            app.request(Method::POST, "/api/v1/bookings", Some(&account.token))
                .header("Idempotency-Key", "x".repeat(101))
                .json(&booking_body(account.people[0].id, date, "s1")),
        )
        .await
        .problem(422, "validation-failed");
    assert_eq!(Reply::field_error(&p, "Idempotency-Key")["code"], "invalid");
}

async fn a_nik_with_an_active_booking_cannot_book_again_from_any_account(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let account = app.account(1).await;
    let person = &account.people[0];
    let dates = app.open_dates().await;

    app.book(&account.token, person.id, dates[0], "s1")
        .await
        .expect(201);
    app.book(&account.token, person.id, dates[0], "s2")
        .await
        .problem(409, "nik-active-booking");
    app.book(&account.token, person.id, dates[1], "s1")
        .await
        .problem(409, "nik-active-booking");

    // The same person added to a broker's account is still one person.
    let broker = app.account(0).await;
    let added = app
        .post("/api/v1/applicants", Some(&broker.token), &person.body())
        .await
        .expect(201);
    let again: Uuid = added["id"].as_str().unwrap().parse().unwrap();
    app.book(&broker.token, again, dates[2], "s1")
        .await
        .problem(409, "nik-active-booking");
    assert_eq!(app.remaining(dates[0], "s2").await, 25);
}

async fn weekends_and_holidays_cannot_be_booked(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let account = app.account(1).await;
    let person = account.people[0].id;

    let p = app
        .book(&account.token, person, app.saturday(), "s1")
        .await
        .problem(409, "office-closed");
    assert_eq!(p["reason"]["kind"], "weekend", "{p}");

    let holiday = app.future_holiday().await;
    let p = app
        .book(&account.token, person, holiday, "s1")
        .await
        .problem(409, "office-closed");
    let kind = p["reason"]["kind"].as_str().unwrap();
    assert!(kind == "holiday" || kind == "collective_leave", "{p}");

    // The person is still free to book an open day.
    let date = app.bookable_date().await;
    app.book(&account.token, person, date, "s1")
        .await
        .expect(201);
}

async fn a_date_not_yet_released_is_refused_with_its_opening_time(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let account = app.account(1).await;
    let (date, opens_at) = app.unreleased_date().await;

    let p = app
        .book(&account.token, account.people[0].id, date, "s1")
        .await
        .problem(409, "not-yet-released");

    assert_eq!(time_of(&p["opens_at"]), opens_at, "{p}");
    assert!(opens_at > app.now());

    // A second before the opening it is still refused; from the opening on it succeeds.
    // (The clock moves in whole milliseconds, hence the extra one.)
    app.state
        .clock
        .advance(opens_at - app.now() - Duration::seconds(1));
    app.book(&account.token, account.people[0].id, date, "s1")
        .await
        .problem(409, "not-yet-released");
    app.state
        .clock
        .advance(Duration::seconds(1) + Duration::milliseconds(1));
    app.book(&account.token, account.people[0].id, date, "s1")
        .await
        .expect(201);
}

async fn a_child_cannot_take_a_ten_year_passport(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let token = app.demo_applicant_token().await;
    let list = app
        .get("/api/v1/applicants", Some(&token))
        .await
        .expect(200);
    let child = list
        .as_array()
        .unwrap()
        .iter()
        .find(|a| a["birth_date"] == "2015-05-03")
        .unwrap_or_else(|| panic!("the demo child in {list}"));
    let child: Uuid = child["id"].as_str().unwrap().parse().unwrap();
    let date = app.bookable_date().await;
    let mut body = booking_body(child, date, "s1");
    body["validity"] = "10y".into();

    let p = app
        .post("/api/v1/bookings", Some(&token), &body)
        .await
        .problem(422, "validation-failed");
    assert_eq!(p["errors"][0]["field"], "validity", "{p}");
    assert_eq!(p["errors"][0]["code"], "ten_years_not_allowed", "{p}");

    // Five years is fine for a child.
    body["validity"] = "5y".into();
    app.post("/api/v1/bookings", Some(&token), &body)
        .await
        .expect(201);
}

async fn another_accounts_booking_is_not_found(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let owner = app.account(1).await;
    let stranger = app.account(1).await;
    let date = app.bookable_date().await;
    let b = app
        .book(&owner.token, owner.people[0].id, date, "s1")
        .await
        .expect(201);
    let id = b["id"].as_str().unwrap();

    app.get(&format!("/api/v1/bookings/{id}"), Some(&stranger.token))
        .await
        .problem(404, "not-found");
    app.post(
        &format!("/api/v1/bookings/{id}/cancel"),
        Some(&stranger.token),
        &json!({}),
    )
    .await
    .problem(404, "not-found");
    app.post(
        &format!("/api/v1/bookings/{id}/reschedule"),
        Some(&stranger.token),
        &json!({"date": date, "session": "s2"}),
    )
    .await
    .problem(404, "not-found");
    // A booking for someone else's applicant cannot be made either.
    app.book(&stranger.token, owner.people[0].id, date, "s2")
        .await
        .problem(422, "validation-failed");
    assert_eq!(
        app.booking(&owner.token, &b["id"]).await["state"],
        "awaiting_payment"
    );
}

async fn the_booking_list_shows_only_my_bookings(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let me = app.account(2).await;
    let other = app.account(1).await;
    let dates = app.open_dates().await;
    let mine = [
        app.book(&me.token, me.people[0].id, dates[0], "s1")
            .await
            .expect(201),
        app.book(&me.token, me.people[1].id, dates[1], "s2")
            .await
            .expect(201),
    ];
    app.book(&other.token, other.people[0].id, dates[0], "s1")
        .await
        .expect(201);

    let list = app
        .get("/api/v1/bookings", Some(&me.token))
        .await
        .expect(200);

    let mut ids: Vec<_> = list
        .as_array()
        .unwrap()
        .iter()
        .map(|b| b["id"].clone())
        .collect();
    ids.sort_by_key(|v| v.to_string());
    let mut want: Vec<_> = mine.iter().map(|b| b["id"].clone()).collect();
    want.sort_by_key(|v| v.to_string());
    assert_eq!(ids, want);
    let theirs = app
        .get("/api/v1/bookings", Some(&other.token))
        .await
        .expect(200);
    assert_eq!(theirs.as_array().unwrap().len(), 1);
}

async fn cancelling_gives_the_place_back(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let account = app.account(1).await;
    let date = app.bookable_date().await;
    let b = app
        .book(&account.token, account.people[0].id, date, "s1")
        .await
        .expect(201);
    assert_eq!(app.remaining(date, "s1").await, 29);
    let id = b["id"].as_str().unwrap();

    let c = app
        .post(
            &format!("/api/v1/bookings/{id}/cancel"),
            Some(&account.token),
            &json!({}),
        )
        .await
        .expect(200);

    assert_eq!(c["state"], "cancelled");
    assert_eq!(app.remaining(date, "s1").await, 30);
    assert_eq!(
        app.booking(&account.token, &b["id"]).await["state"],
        "cancelled"
    );
    app.post(
        &format!("/api/v1/bookings/{id}/cancel"),
        Some(&account.token),
        &json!({}),
    )
    .await
    .problem(409, "cancel-not-allowed");
    // The person may book again.
    app.book(&account.token, account.people[0].id, date, "s2")
        .await
        .expect(201);
}

async fn a_booking_can_be_rescheduled_only_once(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let account = app.account(1).await;
    let dates = app.open_dates().await;
    let b = app
        .book(&account.token, account.people[0].id, dates[0], "s1")
        .await
        .expect(201);
    let id = b["id"].as_str().unwrap();
    let path = format!("/api/v1/bookings/{id}/reschedule");

    let moved = app
        .post(
            &path,
            Some(&account.token),
            &json!({"date": dates[1], "session": "s2"}),
        )
        .await
        .expect(200);

    assert_eq!(moved["date"], dates[1].to_string());
    assert_eq!(moved["session"], "s2");
    assert_eq!(moved["state"], "awaiting_payment");
    assert_eq!(moved["reschedules_left"], 0);
    assert_eq!(moved["billing_code"], b["billing_code"]);
    assert_eq!(app.remaining(dates[0], "s1").await, 30);
    assert_eq!(app.remaining(dates[1], "s2").await, 24);

    app.post(
        &path,
        Some(&account.token),
        &json!({"date": dates[2], "session": "s1"}),
    )
    .await
    .problem(409, "reschedule-not-allowed");
    assert_eq!(app.remaining(dates[2], "s1").await, 30);
}

async fn a_booking_cannot_be_rescheduled_on_its_day(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let account = app.account(1).await;
    let dates = app.open_dates().await;
    let b = app
        .book(&account.token, account.people[0].id, dates[0], "s1")
        .await
        .expect(201);
    // Paid, so that the hold does not lapse while the clock moves.
    assert_eq!(app.pay(&b["billing_code"]).await, "paid");
    let id = b["id"].as_str().unwrap();

    app.advance_to_local(dates[0], 7);
    let p = app
        .post(
            &format!("/api/v1/bookings/{id}/reschedule"),
            Some(&account.token),
            &json!({"date": dates[1], "session": "s1"}),
        )
        .await
        .problem(409, "reschedule-not-allowed");
    assert!(p["detail"].is_string());
    let still = app.booking(&account.token, &b["id"]).await;
    assert_eq!(still["date"], dates[0].to_string());
    assert_eq!(still["state"], "paid");
}

async fn a_lapsed_hold_gives_its_place_to_the_next_applicant(backend: Backend) {
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
    assert_eq!(app.remaining(date, "s1").await, 0);
    assert_eq!(app.day(date).await["status"], "open"); // other sessions still have places

    app.advance_minutes(121).await;
    app.book(&b.token, b.people[0].id, date, "s1")
        .await
        .expect(201);

    assert_eq!(app.booking(&a.token, &held["id"]).await["state"], "expired");
    assert_eq!(app.remaining(date, "s1").await, 0);
    assert_eq!(app.usage(date, "s1").await.unwrap().taken, 1);
    // The lapsed hold no longer blocks its NIK.
    app.book(&a.token, a.people[0].id, date, "s2")
        .await
        .expect(201);
}
