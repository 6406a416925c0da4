//! Accounts (register, verify by mailed code, log in) and the people an account applies for.

use chrono::NaiveDate;
use loket_domain::Sex;
use serde_json::{Value, json};

use crate::helpers::{Backend, PASSWORD, Person, Reply, TestApp, nik_for};

api_tests!(
    a_new_applicant_registers_verifies_the_mailed_code_logs_in_and_books,
    registering_an_email_twice_is_email_taken,
    registration_lists_every_invalid_field,
    a_wrong_verification_code_is_verification_failed,
    logging_in_before_verifying_is_email_not_verified,
    a_wrong_password_is_invalid_credentials,
    ten_wrong_passwords_pause_that_accounts_logins_for_a_while,
    ten_wrong_passwords_pause_a_staff_members_logins,
    the_profile_needs_a_bearer_token,
    a_page_session_cookie_works_same_origin_and_ends_at_logout,
    a_login_token_stops_working_when_its_session_ends,
    an_invalid_nik_is_refused_with_its_reason,
    a_sixth_applicant_is_over_the_limit,
    the_same_person_twice_is_applicant_exists,
    the_full_nik_never_appears_in_any_answer,
);

fn registration(email: &str) -> Value {
    json!({
        "email": email,
        "password": PASSWORD,
        "full_name": "Siti Aminah",
        "birth_date": "1990-05-12",
        "sex": "female",
        "phone": "0812-3456-7890",
    })
}

/// The first run of six digits in a text (the code in the verification mail).
pub(crate) fn six_digits(text: &str) -> Option<String> {
    let b = text.as_bytes();
    (0..b.len().saturating_sub(5))
        .find(|&i| {
            b[i..i + 6].iter().all(u8::is_ascii_digit)
                && (i == 0 || !b[i - 1].is_ascii_digit())
                && b.get(i + 6).is_none_or(|c| !c.is_ascii_digit())
        })
        .map(|i| text[i..i + 6].to_owned())
}

/// Registers over HTTP and returns the code from the dev mailbox.
pub(crate) async fn register(app: &TestApp, email: &str) -> String {
    app.post("/api/v1/accounts", None, &registration(email))
        .await
        .expect(201);
    let mail = app
        .get(&format!("/api/v1/dev/mail?to={email}"), None)
        .await
        .expect(200);
    let body = mail[0]["body"].as_str().expect("a mail to the address");
    six_digits(body).unwrap_or_else(|| panic!("no code in {body:?}"))
}

/// Registers `email` and verifies it with the mailed code.
async fn register_verified(app: &TestApp, email: &str) {
    let code = register(app, email).await;
    app.post(
        "/api/v1/accounts/verify",
        None,
        &json!({"email": email, "code": code}),
    )
    .await
    .expect(204);
}

async fn a_new_applicant_registers_verifies_the_mailed_code_logs_in_and_books(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let email = "siti.aminah@example.test";

    register_verified(&app, email).await;
    let login = app
        .post(
            "/api/v1/auth/login",
            None,
            &json!({"email": email, "password": PASSWORD}),
        )
        .await
        .expect(200);
    assert_eq!(login["token_type"], "Bearer");
    let token = login["token"].as_str().unwrap().to_owned();

    let me = app.get("/api/v1/me", Some(&token)).await.expect(200);
    assert_eq!(me["email"], email);
    assert_eq!(me["full_name"], "Siti Aminah");

    let person = Person::fresh();
    let added = app
        .post("/api/v1/applicants", Some(&token), &person.body())
        .await
        .expect(201);
    let applicant = added["id"].as_str().unwrap().parse().unwrap();
    let date = app.bookable_date().await;
    let booking = app.book(&token, applicant, date, "s1").await.expect(201);
    assert_eq!(booking["state"], "awaiting_payment");
}

async fn registering_an_email_twice_is_email_taken(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    app.post("/api/v1/accounts", None, &registration("budi@example.test"))
        .await
        .expect(201);

    app.post("/api/v1/accounts", None, &registration("budi@example.test"))
        .await
        .problem(409, "email-taken");
    // Addresses are compared without case and surrounding blanks.
    app.post(
        "/api/v1/accounts",
        None,
        &registration("  Budi@Example.TEST "),
    )
    .await
    .problem(409, "email-taken");
}

async fn registration_lists_every_invalid_field(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let tomorrow = app.today() + chrono::Days::new(2);

    let p = app
        .post(
            "/api/v1/accounts",
            None,
            &json!({
                "email": "not-an-address",
                "password": "short",
                "full_name": "Siti Aminah",
                "birth_date": tomorrow,
                "sex": "x",
                "phone": "081234567890",
            }),
        )
        .await
        .problem(422, "validation-failed");

    for (field, code) in [
        ("email", "invalid"),
        ("password", "too_short"),
        ("birth_date", "in_future"),
        ("sex", "invalid"),
    ] {
        assert_eq!(Reply::field_error(&p, field)["code"], code, "{p}");
    }
    assert_eq!(p["errors"].as_array().unwrap().len(), 4, "{p}");
    // Nothing was registered.
    let mail = app
        .get("/api/v1/dev/mail?to=not-an-address", None)
        .await
        .expect(200);
    assert_eq!(mail, json!([]));
}

async fn a_wrong_verification_code_is_verification_failed(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let email = "wrong.code@example.test";
    let code = register(&app, email).await;
    let wrong = format!("{:06}", (code.parse::<u32>().unwrap() + 1) % 1_000_000);

    app.post(
        "/api/v1/accounts/verify",
        None,
        &json!({"email": email, "code": wrong}),
    )
    .await
    .problem(422, "verification-failed");
    // An unknown address answers the same, so addresses cannot be probed.
    app.post(
        "/api/v1/accounts/verify",
        None,
        &json!({"email": "nobody@example.test", "code": code}),
    )
    .await
    .problem(422, "verification-failed");
    // The right code still works afterwards.
    app.post(
        "/api/v1/accounts/verify",
        None,
        &json!({"email": email, "code": code}),
    )
    .await
    .expect(204);
}

async fn logging_in_before_verifying_is_email_not_verified(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let email = "belum@example.test";
    register(&app, email).await;

    app.post(
        "/api/v1/auth/login",
        None,
        &json!({"email": email, "password": PASSWORD}),
    )
    .await
    .problem(403, "email-not-verified");
}

async fn a_wrong_password_is_invalid_credentials(backend: Backend) {
    let app = TestApp::spawn(backend).await;

    let r = app
        .post(
            "/api/v1/auth/login",
            None,
            &json!({"email": "pemohon@demo.loket.id", "password": "not-the-password"}),
        )
        .await;
    r.problem(401, "invalid-credentials");
    // An unknown address is told apart neither by the answer nor the code.
    app.post(
        "/api/v1/auth/login",
        None,
        &json!({"email": "nobody@example.test", "password": "not-the-password"}),
    )
    .await
    .problem(401, "invalid-credentials");
}

async fn login(app: &TestApp, email: &str, password: &str) -> Reply {
    app.post(
        "/api/v1/auth/login",
        None,
        &json!({"email": email, "password": password}),
    )
    .await
}

/// Password guessing: after ten failures (the default `login_max_failures`) even the right
/// password is refused for 15 minutes, for that address only; a success clears the count.
async fn ten_wrong_passwords_pause_that_accounts_logins_for_a_while(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let email = "pemohon@demo.loket.id";
    // A success in between starts the count again.
    for _ in 0..9 {
        login(&app, email, "not-the-password")
            .await
            .problem(401, "invalid-credentials");
    }
    login(&app, email, "demo-pemohon").await.expect(200);
    for _ in 0..10 {
        login(&app, email, "not-the-password")
            .await
            .problem(401, "invalid-credentials");
    }
    let r = login(&app, email, "demo-pemohon").await;
    let p = r.problem(429, "too-many-login-attempts");
    let secs: u64 = r.header("retry-after").unwrap().parse().unwrap();
    assert!((840..=900).contains(&secs), "retry-after {secs}");
    assert_eq!(p["retry_after_seconds"].as_u64(), Some(secs));
    // Another address is not affected, nor is the same address with other capitals.
    let other = "lain@example.test";
    register_verified(&app, other).await;
    login(&app, other, PASSWORD).await.expect(200);
    login(&app, "Pemohon@Demo.Loket.ID", "demo-pemohon")
        .await
        .problem(429, "too-many-login-attempts");
    app.advance_minutes(16).await;
    login(&app, email, "demo-pemohon").await.expect(200);
}

async fn ten_wrong_passwords_pause_a_staff_members_logins(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let staff = |password: &'static str| {
        let app = &app;
        async move {
            app.post(
                "/api/v1/staff/login",
                None,
                &json!({"username": "kepala.palembang", "password": password}),
            )
            .await
        }
    };
    for _ in 0..10 {
        staff("wrong").await.problem(401, "invalid-credentials");
    }
    staff("demo-kepala")
        .await
        .problem(429, "too-many-login-attempts");
    app.advance_minutes(16).await;
    staff("demo-kepala").await.expect(200);
}

async fn the_profile_needs_a_bearer_token(backend: Backend) {
    let app = TestApp::spawn(backend).await;

    let r = app.get("/api/v1/me", None).await;
    r.problem(401, "unauthorized");
    assert_eq!(r.header("www-authenticate"), Some("Bearer"));

    let r = app.get("/api/v1/me", Some("lk_not-a-real-token")).await;
    r.problem(401, "unauthorized");
    assert_eq!(r.header("www-authenticate"), Some("Bearer"));

    let account = app.account(0).await;
    let me = app
        .get("/api/v1/me", Some(&account.token))
        .await
        .expect(200);
    assert_eq!(me["id"], account.id.to_string());
    assert_eq!(me["email"], account.email);
    // After logging out, the token no longer works.
    app.send(app.request(
        reqwest::Method::POST,
        "/api/v1/auth/logout",
        Some(&account.token),
    ))
    .await
    .expect(204);
    app.get("/api/v1/me", Some(&account.token))
        .await
        .problem(401, "unauthorized");

    // A staff token is not an applicant's.
    let staff = app.head_token().await;
    app.get("/api/v1/me", Some(&staff))
        .await
        .problem(403, "forbidden");
}

async fn a_login_token_stops_working_when_its_session_ends(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let applicant = app.demo_applicant_token().await;
    let staff = app.head_token().await;
    app.get("/api/v1/me", Some(&applicant)).await.expect(200);
    app.get("/api/v1/staff/me", Some(&staff)).await.expect(200);

    // Sessions last 12 hours (the default `session_hours`).
    app.advance_minutes(11 * 60 + 59).await;
    app.get("/api/v1/me", Some(&applicant)).await.expect(200);
    app.advance_minutes(2).await;

    app.get("/api/v1/me", Some(&applicant))
        .await
        .problem(401, "unauthorized");
    app.get("/api/v1/staff/me", Some(&staff))
        .await
        .problem(401, "unauthorized");
}

async fn an_invalid_nik_is_refused_with_its_reason(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let account = app.account(0).await;
    let born = NaiveDate::from_ymd_opt(1990, 5, 12).unwrap();
    let man = nik_for(1, born, Sex::Male, 1);
    let cases = [
        // 99 is no province.
        (
            format!("99{}", &man[2..]),
            "1990-05-12",
            "male",
            "unknown_province",
        ),
        (man.clone(), "1990-05-13", "male", "birth_date_mismatch"),
        (man.clone(), "1990-05-12", "female", "sex_mismatch"),
        (
            format!("{}0000", &man[..12]),
            "1990-05-12",
            "male",
            "zero_serial",
        ),
        (
            "16710112059".to_owned(),
            "1990-05-12",
            "male",
            "wrong_length",
        ),
        (
            format!("{}35{}", &man[..6], &man[8..]),
            "1990-05-12",
            "male",
            "invalid_birth_day",
        ),
    ];

    for (nik, birth, sex, code) in cases {
        let p = app
            .post(
                "/api/v1/applicants",
                Some(&account.token),
                &json!({"nik": nik, "full_name": "Budi", "birth_date": birth, "sex": sex}),
            )
            .await
            .problem(422, "invalid-nik");
        assert_eq!(p["errors"][0]["field"], "nik", "{p}");
        assert_eq!(p["errors"][0]["code"], code, "{nik}: {p}");
    }
    let list = app
        .get("/api/v1/applicants", Some(&account.token))
        .await
        .expect(200);
    assert_eq!(list, json!([]));
}

async fn a_sixth_applicant_is_over_the_limit(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let account = app.account(5).await;

    app.post(
        "/api/v1/applicants",
        Some(&account.token),
        &Person::fresh().body(),
    )
    .await
    .problem(409, "applicant-limit-reached");
    let list = app
        .get("/api/v1/applicants", Some(&account.token))
        .await
        .expect(200);
    assert_eq!(list.as_array().unwrap().len(), 5);
}

async fn the_same_person_twice_is_applicant_exists(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let account = app.account(0).await;
    let person = Person::fresh();

    app.post("/api/v1/applicants", Some(&account.token), &person.body())
        .await
        .expect(201);
    app.post("/api/v1/applicants", Some(&account.token), &person.body())
        .await
        .problem(409, "applicant-exists");
}

async fn the_full_nik_never_appears_in_any_answer(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let account = app.account(0).await;
    let person = Person::fresh();
    let masked = format!("{}********{}", &person.nik[..4], &person.nik[12..]);

    let added = app
        .post("/api/v1/applicants", Some(&account.token), &person.body())
        .await
        .expect(201);
    assert_eq!(added["nik_masked"], masked);
    assert!(added.get("nik").is_none(), "{added}");
    let list = app
        .get("/api/v1/applicants", Some(&account.token))
        .await
        .expect(200);
    assert_eq!(list[0]["nik_masked"], masked);
    assert!(list[0].get("nik").is_none(), "{list}");

    let applicant = added["id"].as_str().unwrap().parse().unwrap();
    let date = app.bookable_date().await;
    let b = app
        .book(&account.token, applicant, date, "s1")
        .await
        .expect(201);
    assert_eq!(b["nik_masked"], masked);
    app.booking(&account.token, &b["id"]).await;
    app.get("/api/v1/bookings", Some(&account.token))
        .await
        .expect(200);
    app.pay(&b["billing_code"]).await;
    // A second booking for the same person is refused without naming the NIK either.
    app.book(&account.token, applicant, date, "s2")
        .await
        .problem(409, "nik-active-booking");
    // An invalid-NIK problem does not echo the number.
    let wrong_birth = json!({
        "nik": person.nik, "full_name": "Dewi", "birth_date": "1960-01-01", "sex": person.sex.as_str()
    });
    app.post("/api/v1/applicants", Some(&account.token), &wrong_birth)
        .await
        .problem(422, "invalid-nik");

    assert_eq!(app.bodies_containing(&person.nik), 0);
}

async fn a_page_session_cookie_works_same_origin_and_ends_at_logout(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let login = &loket_demo::DEMO_LOGINS[0];
    let r = app
        .post(
            "/api/v1/auth/login",
            None,
            &json!({"email": login.login, "password": login.password}),
        )
        .await;
    let set_cookie = r
        .header("set-cookie")
        .expect("login sets a cookie")
        .to_owned();
    assert!(set_cookie.contains("HttpOnly"), "{set_cookie}");
    assert!(set_cookie.contains("SameSite=Lax"), "{set_cookie}");
    let cookie = set_cookie.split(';').next().unwrap().to_owned();
    let with_cookie = |method: reqwest::Method, path: &str| {
        app.client
            .request(method, app.url(path))
            .header("cookie", &cookie)
    };

    // Reading with the cookie works.
    app.send(with_cookie(reqwest::Method::GET, "/api/v1/me"))
        .await
        .expect(200);
    // A write from another site carrying the cookie is refused; from our own pages it works.
    let person = json!({"nik": "1671015506900001", "full_name": "Dewi", "birth_date": "1990-06-15", "sex": "female"});
    app.send(
        with_cookie(reqwest::Method::POST, "/api/v1/applicants")
            .header("sec-fetch-site", "cross-site")
            .json(&person),
    )
    .await
    .problem(403, "forbidden");
    app.send(
        with_cookie(reqwest::Method::POST, "/api/v1/applicants")
            .header("sec-fetch-site", "same-origin")
            .json(&person),
    )
    .await
    .expect(201);

    // Logging out with the cookie ends the session on the server, not only in the browser.
    app.send(
        with_cookie(reqwest::Method::POST, "/api/v1/auth/logout")
            .header("sec-fetch-site", "same-origin"),
    )
    .await
    .expect(204);
    app.send(with_cookie(reqwest::Method::GET, "/api/v1/me"))
        .await
        .problem(401, "unauthorized");
}
