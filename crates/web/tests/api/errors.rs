//! Bad requests of every kind are answered with a problem and the right status, never a 500:
//! malformed or oversized bodies, wrong media types, unknown routes and methods, garbage ids
//! and out-of-range values.

use reqwest::Method;
use serde_json::{Value, json};
use tokio::io::AsyncWriteExt;

use crate::helpers::{Backend, OFFICE, Reply, TestApp, booking_body, read_answer};

api_tests!(
    malformed_json_is_a_bad_request_problem,
    a_body_that_is_not_json_is_unsupported_media_type,
    an_unknown_route_is_a_not_found_problem,
    a_wrong_method_is_a_method_not_allowed_problem,
    an_oversized_body_is_payload_too_large,
    an_oversized_body_sent_in_chunks_is_payload_too_large,
    a_garbage_booking_id_is_not_found,
    odd_requests_never_cause_a_server_error,
    dates_far_outside_the_calendar_are_refused_not_a_server_error,
    text_with_a_nul_character_is_refused_not_a_server_error,
);

async fn malformed_json_is_a_bad_request_problem(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let account = app.account(0).await;

    for (path, token) in [
        ("/api/v1/accounts", None),
        ("/api/v1/bookings", Some(account.token.as_str())),
        ("/api/v1/staff/login", None),
    ] {
        app.send(
            app.request(Method::POST, path, token)
                .header("content-type", "application/json")
                .body(r#"{"email": "a@b.c", "#),
        )
        .await
        .problem(400, "malformed-json");
    }
}

async fn a_body_that_is_not_json_is_unsupported_media_type(backend: Backend) {
    let app = TestApp::spawn(backend).await;

    app.send(
        app.request(Method::POST, "/api/v1/accounts", None)
            .header("content-type", "text/plain")
            .body(r#"{"email": "a@b.c"}"#),
    )
    .await
    .problem(415, "unsupported-media-type");
    app.send(
        app.request(Method::POST, "/api/v1/auth/login", None)
            .body(r#"{"email": "a@b.c"}"#),
    )
    .await
    .problem(415, "unsupported-media-type");
    app.send(
        app.request(Method::POST, "/api/v1/accounts", None)
            .header("content-type", "application/x-www-form-urlencoded")
            .body("email=a%40b.c"),
    )
    .await
    .problem(415, "unsupported-media-type");
}

async fn an_unknown_route_is_a_not_found_problem(backend: Backend) {
    let app = TestApp::spawn(backend).await;

    // Outside /api/ an unknown path is a page (pages.rs); under it, a problem.
    let page = app.get("/nope", None).await;
    assert_eq!(page.status, 404);
    assert!(
        page.header("content-type")
            .unwrap_or_default()
            .starts_with("text/html")
    );
    for path in [
        "/api/v1/nope",
        "/api/v2/bookings",
        "/api/v1/offices/palembang/nope",
    ] {
        app.get(path, None).await.problem(404, "not-found");
    }
    app.post("/api/v1/nope", None, &json!({}))
        .await
        .problem(404, "not-found");
}

async fn a_wrong_method_is_a_method_not_allowed_problem(backend: Backend) {
    let app = TestApp::spawn(backend).await;

    for (method, path) in [
        (Method::DELETE, "/api/v1/offices"),
        (Method::PUT, "/api/v1/bookings"),
        (Method::GET, "/api/v1/accounts"),
        (Method::POST, "/api/v1/offices/palembang/availability"),
        (Method::PATCH, "/api/v1/holidays/2026-12-01"),
    ] {
        app.send(app.request(method.clone(), path, None))
            .await
            .problem(405, "method-not-allowed");
    }
}

fn big_registration() -> Vec<u8> {
    serde_json::to_vec(&json!({
        "email": "big@example.test",
        "password": "rahasia-123",
        "full_name": "x".repeat(70 * 1024),
    }))
    .unwrap()
}

async fn an_oversized_body_is_payload_too_large(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let account = app.account(1).await;

    // The size is declared up front, so the server refuses on the headers alone. The body is
    // not sent: a client still writing when the server answers and closes sees a broken pipe,
    // which would make this test depend on timing.
    for (path, token) in [
        ("/api/v1/accounts", None),
        ("/api/v1/bookings", Some(account.token.as_str())),
        ("/api/v1/payments/notifications", None),
    ] {
        let (status, content_type, body) = declared_too_large(&app, path, token, 70 * 1024).await;
        assert_eq!(status, 413, "{path}: {body}");
        assert_eq!(content_type, "application/problem+json", "{path}: {body}");
        let problem: serde_json::Value = serde_json::from_str(&body).unwrap();
        assert_eq!(problem["code"], "body-too-large", "{path}: {body}");
    }
    // Just under the limit is read (and judged on its content).
    let mut fits = booking_body(account.people[0].id, app.bookable_date().await, "s1");
    fits["padding"] = "x".repeat(60 * 1024).into();
    app.post("/api/v1/bookings", Some(&account.token), &fits)
        .await
        .expect(201);
}

/// Sends only the head of a request declaring a `len`-byte JSON body over a bare TCP
/// connection; returns (status, content-type, body) of the answer.
async fn declared_too_large(
    app: &TestApp,
    path: &str,
    token: Option<&str>,
    len: usize,
) -> (u16, String, String) {
    let mut s = tokio::net::TcpStream::connect(("127.0.0.1", app.port))
        .await
        .unwrap();
    let auth = token
        .map(|t| format!("Authorization: Bearer {t}\r\n"))
        .unwrap_or_default();
    let head = format!(
        "POST {path} HTTP/1.1\r\nHost: 127.0.0.1:{}\r\nContent-Type: application/json\r\n\
         {auth}Content-Length: {len}\r\nConnection: close\r\n\r\n",
        app.port
    );
    s.write_all(head.as_bytes()).await.unwrap();
    read_answer(&mut s).await
}

/// Sends a request with a chunked body over a bare TCP connection (reqwest only sends
/// chunked bodies from streams); returns (status, content-type, body).
async fn chunked(app: &TestApp, path: &str, body: &[u8]) -> (u16, String, String) {
    let mut s = tokio::net::TcpStream::connect(("127.0.0.1", app.port))
        .await
        .unwrap();
    let head = format!(
        "POST {path} HTTP/1.1\r\nHost: 127.0.0.1:{}\r\nContent-Type: application/json\r\n\
         Transfer-Encoding: chunked\r\nConnection: close\r\n\r\n",
        app.port
    );
    s.write_all(head.as_bytes()).await.unwrap();
    // The server may answer and close before it has read everything; that is fine.
    for part in body.chunks(8 * 1024) {
        let mut chunk = format!("{:x}\r\n", part.len()).into_bytes();
        chunk.extend_from_slice(part);
        chunk.extend_from_slice(b"\r\n");
        if s.write_all(&chunk).await.is_err() {
            break;
        }
    }
    let _ = s.write_all(b"0\r\n\r\n").await;
    read_answer(&mut s).await
}

async fn an_oversized_body_sent_in_chunks_is_payload_too_large(backend: Backend) {
    let app = TestApp::spawn(backend).await;

    for path in ["/api/v1/accounts", "/api/v1/payments/notifications"] {
        let (status, content_type, body) = chunked(&app, path, &big_registration()).await;
        assert_eq!(status, 413, "{path}: {body}");
        assert_eq!(content_type, "application/problem+json", "{path}: {body}");
    }
    // A small chunked body is read normally.
    let (status, _, body) = chunked(&app, "/api/v1/accounts", b"{}").await;
    assert_eq!(status, 422, "{body}");
}

async fn a_garbage_booking_id_is_not_found(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let account = app.account(0).await;
    let token = Some(account.token.as_str());

    for path in [
        "/api/v1/bookings/not-a-uuid",
        "/api/v1/bookings/00000000-0000-0000-0000-000000000000",
        "/api/v1/bookings/%E2%9C%88",
        "/api/v1/bookings/' OR 1=1 --",
    ] {
        app.get(path, token).await.problem(404, "not-found");
    }
    app.post("/api/v1/bookings/not-a-uuid/cancel", token, &json!({}))
        .await
        .problem(404, "not-found");
    app.post(
        "/api/v1/bookings/not-a-uuid/reschedule",
        token,
        &json!({"date": "2030-01-01", "session": "s1"}),
    )
    .await
    .problem(404, "not-found");
}

type Probe<'a> = (Method, String, Option<&'a str>, Option<Value>);

/// Sends each probe; none may get a 5xx, and every client error must be a problem.
async fn assert_no_server_errors(app: &TestApp, probes: Vec<Probe<'_>>) {
    let mut server_errors = Vec::new();
    for (method, path, token, body) in probes {
        let mut rb = app.request(method.clone(), &path, token);
        if let Some(b) = &body {
            rb = rb.json(b);
        }
        let r: Reply = app.send(rb).await;
        if r.status.is_server_error() {
            server_errors.push(format!(
                "{method} {path} {body:?} -> {} {}",
                r.status, r.text
            ));
            continue;
        }
        if r.status.is_client_error() {
            assert_eq!(
                r.header("content-type"),
                Some("application/problem+json"),
                "{method} {path} -> {} {}",
                r.status,
                r.text
            );
        }
    }
    assert!(
        server_errors.is_empty(),
        "server errors:\n{}",
        server_errors.join("\n")
    );
}

fn get(path: impl Into<String>, token: Option<&str>) -> Probe<'_> {
    (Method::GET, path.into(), token, None)
}

fn send(method: Method, path: impl Into<String>, token: Option<&str>, body: Value) -> Probe<'_> {
    (method, path.into(), token, Some(body))
}

fn availability(from: &str, to: &str) -> String {
    format!("/api/v1/offices/{OFFICE}/availability?from={from}&to={to}")
}

/// Whatever each of these odd requests gets, it is not a 5xx, and an error is a problem.
async fn odd_requests_never_cause_a_server_error(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let account = app.account(1).await;
    let head = app.head_token().await;
    let admin = app.staff_token("admin").await;
    let date = app.bookable_date().await;
    let booking = app
        .book(&account.token, account.people[0].id, date, "s2")
        .await
        .expect(201);
    let id = booking["id"].as_str().unwrap().to_owned();
    let user = Some(account.token.as_str());
    let (head, admin) = (Some(head.as_str()), Some(admin.as_str()));
    let with = |key: &str, value: Value| {
        let mut b = booking_body(account.people[0].id, date, "s1");
        b[key] = value;
        b
    };
    let reschedule = format!("/api/v1/bookings/{id}/reschedule");
    let overrides = format!("/api/v1/offices/{OFFICE}/quotas/overrides");
    let bulk = format!("/api/v1/offices/{OFFICE}/quotas/bulk");
    let closure = format!("/api/v1/offices/{OFFICE}/closures/{date}");
    let override_of = |capacity: Value| json!({"date": date, "session": "s1", "class": "online", "capacity": capacity});
    let bulk_by = |adjustment: Value| json!({"from": date, "to": date, "adjustment": adjustment});
    let holiday = json!({"kind": "holiday", "name_id": "a", "name_en": "b"});
    let probes = vec![
        get("/api/v1/holidays?year=abc", None),
        get("/api/v1/holidays?year=300000", None),
        get(availability("%2B200000-01-01", "%2B200000-01-02"), None),
        get(availability("9999-12-30", "9999-12-31"), None),
        get(availability("", ""), None),
        get(format!("/api/v1/offices/{OFFICE}/audit?limit=-1"), head),
        get(format!("/api/v1/offices/{OFFICE}/quotas?from=x"), head),
        send(Method::POST, "/api/v1/bookings", user, json!({})),
        send(Method::POST, "/api/v1/bookings", user, json!([])),
        send(Method::POST, "/api/v1/bookings", user, json!(null)),
        send(
            Method::POST,
            "/api/v1/bookings",
            user,
            with("date", "2026-02-30".into()),
        ),
        send(
            Method::POST,
            "/api/v1/bookings",
            user,
            with("date", "+200000-01-03".into()),
        ),
        send(
            Method::POST,
            "/api/v1/bookings",
            user,
            with("date", 20261201.into()),
        ),
        send(
            Method::POST,
            "/api/v1/bookings",
            user,
            with("applicant_id", "nope".into()),
        ),
        send(
            Method::POST,
            "/api/v1/bookings",
            user,
            with("session", "s9".into()),
        ),
        send(
            Method::POST,
            "/api/v1/bookings",
            user,
            with("processing", "express".into()),
        ),
        send(
            Method::POST,
            "/api/v1/bookings",
            user,
            with("kind", "x".repeat(5000).into()),
        ),
        send(
            Method::POST,
            "/api/v1/bookings",
            user,
            with("force_majeure", "yes".into()),
        ),
        send(
            Method::POST,
            &reschedule,
            user,
            json!({"date": date, "session": "s2"}),
        ),
        send(Method::POST, &reschedule, user, json!({})),
        send(
            Method::POST,
            "/api/v1/dev/clock",
            None,
            json!({"advance_minutes": 1_000_000_000_000i64}),
        ),
        send(
            Method::POST,
            "/api/v1/dev/clock",
            None,
            json!({"advance_minutes": "soon"}),
        ),
        send(
            Method::POST,
            "/api/v1/dev/bank/pay",
            None,
            json!({"billing_code": "12"}),
        ),
        send(
            Method::PUT,
            &overrides,
            head,
            override_of(1_000_000_000_000i64.into()),
        ),
        send(Method::PUT, &overrides, head, override_of(1.5.into())),
        send(
            Method::PUT,
            format!("/api/v1/offices/{OFFICE}/quotas/defaults"),
            head,
            json!({"weekday": "someday", "session": "s1", "class": "online", "capacity": 1}),
        ),
        send(
            Method::POST,
            &bulk,
            head,
            bulk_by(json!({"mode": "percent", "value": 100000})),
        ),
        send(
            Method::POST,
            &bulk,
            head,
            bulk_by(json!({"mode": "double"})),
        ),
        send(
            Method::PUT,
            "/api/v1/holidays/not-a-date",
            admin,
            holiday.clone(),
        ),
        send(
            Method::PUT,
            format!("/api/v1/holidays/{date}"),
            admin,
            json!({"kind": "party"}),
        ),
        send(
            Method::PUT,
            &closure,
            head,
            json!({"kind": "maybe", "reason": ""}),
        ),
        send(
            Method::POST,
            "/api/v1/applicants",
            user,
            json!({"nik": "١٦٧١٠١١٢٠٥٩٠٠٠٠١", "full_name": "a", "birth_date": "1990-05-12", "sex": "male"}),
        ),
        send(
            Method::POST,
            "/api/v1/applicants",
            user,
            json!({"nik": 1671011205900001i64}),
        ),
        send(
            Method::POST,
            "/api/v1/applicants",
            user,
            json!({"nik": "1671011205900001", "full_name": "a", "birth_date": "0001-01-01", "sex": "male"}),
        ),
        send(
            Method::POST,
            "/api/v1/accounts",
            None,
            json!({"email": "a@b.c", "password": "x".repeat(200), "full_name": "x".repeat(101),
                   "birth_date": "1990-02-30", "sex": "?", "phone": "+"}),
        ),
        send(
            Method::POST,
            "/api/v1/accounts",
            None,
            json!({"email": null}),
        ),
        send(
            Method::POST,
            "/api/v1/accounts/verify",
            None,
            json!({"email": "a@b.c", "code": "1234567"}),
        ),
        send(
            Method::POST,
            "/api/v1/staff/login",
            None,
            json!({"username": "admin", "password": null}),
        ),
    ];

    assert_no_server_errors(&app, probes).await;
    // The booking made first is untouched by all this.
    assert_eq!(
        app.booking(&account.token, &booking["id"]).await["state"],
        "awaiting_payment"
    );
}

/// PostgreSQL stores no date before 4713 BC: such a date must be refused as input, not
/// reach the database and come back as a 500.
async fn dates_far_outside_the_calendar_are_refused_not_a_server_error(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let account = app.account(1).await;
    let date = app.bookable_date().await;
    let booking = app
        .book(&account.token, account.people[0].id, date, "s2")
        .await
        .expect(201);
    let reschedule = format!(
        "/api/v1/bookings/{}/reschedule",
        booking["id"].as_str().unwrap()
    );
    let user = Some(account.token.as_str());
    // Nine characters: within the length limit of a date field.
    let mut too_early = booking_body(account.people[0].id, date, "s1");
    too_early["date"] = "-4714-1-1".into();
    let head = app.head_token().await;
    let admin = app.staff_token("admin").await;
    let (head, admin) = (Some(head.as_str()), Some(admin.as_str()));
    let closures = format!("/api/v1/offices/{OFFICE}/closures");
    let holiday = json!({"kind": "holiday", "name_id": "a", "name_en": "b"});
    let probes = vec![
        get("/api/v1/holidays?year=-5000", None),
        get(availability("-5000-01-01", "-5000-01-05"), None),
        get(format!("{closures}?from=-5000-01-01&to=-5000-01-02"), None),
        get(
            format!("/api/v1/offices/{OFFICE}/quotas?from=-5000-01-01&to=-5000-01-02"),
            head,
        ),
        send(Method::PUT, "/api/v1/holidays/-5000-01-01", admin, holiday),
        send(
            Method::PUT,
            format!("{closures}/-5000-01-01"),
            head,
            json!({"kind": "closed", "reason": "x"}),
        ),
        send(Method::POST, "/api/v1/bookings", user, too_early),
        send(
            Method::POST,
            &reschedule,
            user,
            json!({"date": "-4714-1-1", "session": "s1"}),
        ),
    ];
    assert_no_server_errors(&app, probes).await;
}

/// A NUL character is valid JSON and URL text, but PostgreSQL refuses it in text columns:
/// it must be refused as input (or simply match nothing), never become a 500.
async fn text_with_a_nul_character_is_refused_not_a_server_error(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let account = app.account(1).await;
    let head = app.head_token().await;
    let date = app.bookable_date().await;
    let user = Some(account.token.as_str());
    let mut booking = booking_body(account.people[0].id, date, "s1");
    booking["office"] = "palem\u{0}bang".into();
    let probes = vec![
        get("/api/v1/dev/mail?to=%00", None),
        get("/api/v1/offices/palem%00bang", None),
        send(
            Method::POST,
            "/api/v1/accounts",
            None,
            json!({"email": "nul@example.test", "password": "rahasia-123",
                   "full_name": "Siti\u{0}Aminah", "birth_date": "1990-05-12",
                   "sex": "female", "phone": "081234567890"}),
        ),
        send(
            Method::POST,
            "/api/v1/auth/login",
            None,
            json!({"email": "a\u{0}@example.test", "password": "rahasia-123"}),
        ),
        send(
            Method::POST,
            "/api/v1/staff/login",
            None,
            json!({"username": "admin\u{0}", "password": "x"}),
        ),
        send(
            Method::POST,
            "/api/v1/applicants",
            user,
            json!({"nik": "1671011205900001", "full_name": "Budi\u{0}",
                   "birth_date": "1990-05-12", "sex": "male"}),
        ),
        send(Method::POST, "/api/v1/bookings", user, booking),
        send(
            Method::PUT,
            format!("/api/v1/offices/{OFFICE}/closures/{date}"),
            Some(&head),
            json!({"kind": "closed", "reason": "listrik\u{0}padam"}),
        ),
    ];
    assert_no_server_errors(&app, probes).await;
}
