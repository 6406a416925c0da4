//! The limits on repeated attempts over the API: wrong one-time codes per address, codes
//! mailed to one address, registrations and code requests per client address (the
//! connection's peer, or the trusted proxies' `X-Forwarded-For` when configured). Each
//! refusal is a 429 problem of its own type with `Retry-After`.

use serde_json::json;

use crate::accounts::register;
use crate::helpers::{Backend, Reply, TestApp};

api_tests!(
    five_wrong_codes_pause_the_addresss_codes_with_retry_after,
    one_address_gets_five_codes_an_hour_and_then_a_429,
    registrations_and_code_requests_are_counted_per_client_address,
);

/// The Retry-After seconds of a 429 problem of `code`, checked against its member.
#[track_caller]
fn retry_after(r: &Reply, code: &str) -> u64 {
    let p = r.problem(429, code);
    let secs: u64 = r
        .header("retry-after")
        .expect("Retry-After")
        .parse()
        .unwrap();
    assert_eq!(p["retry_after_seconds"].as_u64(), Some(secs), "{p}");
    assert!(p["detail"].as_str().unwrap().contains("minutes"), "{p}");
    secs
}

async fn verify(app: &TestApp, email: &str, code: &str) -> Reply {
    app.post(
        "/api/v1/accounts/verify",
        None,
        &json!({"email": email, "code": code}),
    )
    .await
}

async fn new_code(app: &TestApp, email: &str) -> Reply {
    app.post(
        "/api/v1/accounts/verification-code",
        None,
        &json!({ "email": email }),
    )
    .await
}

async fn five_wrong_codes_pause_the_addresss_codes_with_retry_after(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let email = "kode@example.test";
    let code = register(&app, email).await;
    let wrong = if code == "000000" { "111111" } else { "000000" };
    for _ in 0..4 {
        verify(&app, email, wrong)
            .await
            .problem(422, "verification-failed");
    }
    let fifth = verify(&app, email, wrong).await;
    let secs = retry_after(&fifth, "too-many-code-attempts");
    assert!((840..=900).contains(&secs), "{secs}");
    // Even the right code, until the 15 minutes have passed.
    retry_after(&verify(&app, email, &code).await, "too-many-code-attempts");
    app.advance_minutes(16).await;
    // The old code was tried five times; a new one works.
    verify(&app, email, &code)
        .await
        .problem(422, "verification-failed");
    new_code(&app, email).await.expect(202);
    let mail = app
        .get(&format!("/api/v1/dev/mail?to={email}"), None)
        .await
        .expect(200);
    let fresh = crate::accounts::six_digits(mail[0]["body"].as_str().unwrap()).unwrap();
    verify(&app, email, &fresh).await.expect(204);
}

async fn one_address_gets_five_codes_an_hour_and_then_a_429(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let email = "banjir@example.test";
    register(&app, email).await;
    for _ in 0..4 {
        new_code(&app, email).await.expect(202);
    }
    let secs = retry_after(&new_code(&app, email).await, "too-many-codes-sent");
    assert!((3540..=3600).contains(&secs), "{secs}");
    let mail = app
        .get(&format!("/api/v1/dev/mail?to={email}"), None)
        .await
        .expect(200);
    assert_eq!(mail.as_array().unwrap().len(), 5);
    // Whether or not the address has an account, the same answers.
    for _ in 0..5 {
        new_code(&app, "tidak-ada@example.test").await.expect(202);
    }
    retry_after(
        &new_code(&app, "tidak-ada@example.test").await,
        "too-many-codes-sent",
    );
    app.advance_minutes(61).await;
    new_code(&app, email).await.expect(202);
}

async fn registrations_and_code_requests_are_counted_per_client_address(backend: Backend) {
    // Three requests per client: the test's own address is 127.0.0.1.
    let app = TestApp::spawn_with(backend, |s| s.client_max_requests = 3).await;
    for i in 0..3 {
        new_code(&app, &format!("a{i}@example.test"))
            .await
            .expect(202);
    }
    retry_after(
        &new_code(&app, "a3@example.test").await,
        "too-many-account-requests",
    );
    let body = json!({
        "email": "baru@example.test", "password": "rahasia-123", "full_name": "Siti Aminah",
        "birth_date": "1990-05-12", "sex": "female", "phone": "081234567890",
    });
    let r = app.post("/api/v1/accounts", None, &body).await;
    let secs = retry_after(&r, "too-many-account-requests");
    assert!((3540..=3600).contains(&secs), "{secs}");
    // With no proxy configured, a client cannot pick another address with a header.
    let forged = app
        .send(
            app.request(
                reqwest::Method::POST,
                "/api/v1/accounts/verification-code",
                None,
            )
            .header("x-forwarded-for", "198.51.100.1")
            .json(&json!({"email": "a4@example.test"})),
        )
        .await;
    retry_after(&forged, "too-many-account-requests");
    // Behind one trusted proxy, the address it appended is the client.
    let proxied = TestApp::spawn_with(backend, |s| {
        s.client_max_requests = 1;
        s.trusted_proxy_hops = 1;
    })
    .await;
    let from = |ip: &'static str| {
        let app = &proxied;
        async move {
            app.send(
                app.request(
                    reqwest::Method::POST,
                    "/api/v1/accounts/verification-code",
                    None,
                )
                .header("x-forwarded-for", format!("10.9.9.9, {ip}"))
                .json(&json!({"email": format!("{ip}@example.test")})),
            )
            .await
        }
    };
    from("203.0.113.1").await.expect(202);
    retry_after(&from("203.0.113.1").await, "too-many-account-requests");
    from("203.0.113.2").await.expect(202);
}
