//! Accounts through the pages: register (errors in words, what was typed kept, never the
//! password), verify with the mailed code, log in (a new session and a new form token),
//! a wrong password, log out, a forgotten password; too many wrong codes or code requests
//! said in words with the minutes to wait.

use crate::helpers::{Backend, TestApp};
use crate::pages::{Page, page, post_form};

api_tests!(
    a_person_registers_verifies_and_logs_in_through_the_pages,
    a_wrong_login_says_so_and_a_logout_ends_the_session,
    a_forgotten_password_is_replaced_with_the_mailed_code,
    too_many_wrong_codes_are_said_in_the_pages_language_and_the_address_is_kept,
    asking_for_codes_too_often_says_when_to_try_again_and_keeps_what_was_typed,
);

async fn a_forgotten_password_is_replaced_with_the_mailed_code(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let a = app.account(0).await;
    let (login, csrf, cookie) = fresh_form(&app, "/login", "").await;
    assert!(
        login
            .attr("main a", "href")
            .iter()
            .any(|h| h.starts_with("/reset"))
    );
    // An unknown address gets the same answer as a known one.
    let unknown = post_form(
        &app,
        "/reset",
        &cookie,
        &[("csrf", &csrf), ("email", "nobody@example.id")],
    )
    .await;
    let known = post_form(
        &app,
        "/reset",
        &cookie,
        &[("csrf", &csrf), ("email", &a.email)],
    )
    .await;
    assert_eq!(unknown.reply.status, 303);
    assert_eq!(known.reply.status, 303);
    let mail = app
        .get(&format!("/api/v1/dev/mail?to={}", a.email), None)
        .await
        .expect(200);
    let code = six_digits(mail[0]["body"].as_str().unwrap()).unwrap();
    let wrong_code = if code == "000000" { "111111" } else { "000000" };
    let wrong = post_form(
        &app,
        "/reset/code",
        &cookie,
        &[
            ("csrf", &csrf),
            ("email", &a.email),
            ("code", wrong_code),
            ("password", "baru-sekali-123"),
        ],
    )
    .await;
    assert_eq!(wrong.attr(".error-summary a", "href"), ["#code"]);
    let short = post_form(
        &app,
        "/reset/code",
        &cookie,
        &[
            ("csrf", &csrf),
            ("email", &a.email),
            ("code", &code),
            ("password", "pendek"),
        ],
    )
    .await;
    assert_eq!(short.attr(".error-summary a", "href"), ["#password"]);
    // The code typed beside a too-short password stays in its field.
    assert_eq!(short.attr("input#code", "value"), [code.as_str()]);
    let done = post_form(
        &app,
        "/reset/code",
        &cookie,
        &[
            ("csrf", &csrf),
            ("email", &a.email),
            ("code", &code),
            ("password", "baru-sekali-123"),
        ],
    )
    .await;
    assert_eq!(done.reply.status, 303, "{}", done.reply.text);
    // The login page then says the password changed (not that the address was verified).
    let location = done.reply.header("location").unwrap_or_default().to_owned();
    assert!(location.starts_with("/login?reset=1&"), "{location}");
    let after = page(&app, &location, None).await;
    assert_eq!(
        after.all("main .notice"),
        ["Kata sandi Anda sudah diganti. Masuk dengan kata sandi yang baru."]
    );
    // The old session is over; the new password works.
    let old = page(
        &app,
        "/bookings",
        Some(&format!("loket_session={}", a.token)),
    )
    .await;
    assert_eq!(old.reply.status, 303);
    let ok = post_form(
        &app,
        "/login",
        &cookie,
        &[
            ("csrf", &csrf),
            ("email", &a.email),
            ("password", "baru-sekali-123"),
        ],
    )
    .await;
    assert!(cookies(&ok).contains("loket_session=lk_"));
}

/// The form token the page set, and the cookies to send back.
pub(crate) async fn fresh_form(app: &TestApp, path: &str, cookie: &str) -> (Page, String, String) {
    let p = page(app, path, (!cookie.is_empty()).then_some(cookie)).await;
    let token = p.attr("main form input[name=csrf]", "value").remove(0);
    let set = cookies(&p);
    let cookie = if set.is_empty() {
        cookie.to_owned()
    } else {
        set
    };
    (p, token, cookie)
}

/// The `name=value` pairs the answer set, as a Cookie header.
pub(crate) fn cookies(p: &Page) -> String {
    p.reply
        .headers
        .get_all("set-cookie")
        .iter()
        .filter_map(|v| v.to_str().ok())
        .filter_map(|c| c.split(';').next())
        .collect::<Vec<_>>()
        .join("; ")
}

fn six_digits(s: &str) -> Option<String> {
    s.as_bytes()
        .windows(6)
        .find(|w| w.iter().all(u8::is_ascii_digit))
        .map(|w| String::from_utf8_lossy(w).into_owned())
}

async fn a_person_registers_verifies_and_logs_in_through_the_pages(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let (_, csrf, cookie) = fresh_form(&app, "/register", "").await;
    // Wrong in every field: each message in words, typed values kept, the password not.
    let bad = post_form(
        &app,
        "/register",
        &cookie,
        &[
            ("csrf", &csrf),
            ("full_name", ""),
            ("email", "rina-at-example"),
            ("phone", "08x"),
            ("birth_date", "2099-01-01"),
            ("sex", ""),
            ("password", "short"),
        ],
    )
    .await;
    assert!(bad.one("title").starts_with("Galat:"));
    let summary = bad.attr(".error-summary a", "href");
    assert_eq!(
        summary,
        [
            "#full_name",
            "#email",
            "#phone",
            "#birth_date",
            "#sex",
            "#password"
        ]
    );
    assert!(
        bad.one(".field-error:has(#email) .error-text")
            .contains("nama@contoh.id")
    );
    assert_eq!(bad.attr("input#email", "value"), ["rina-at-example"]);
    assert_eq!(bad.attr("input#birth_date", "value"), ["2099-01-01"]);
    assert_eq!(
        bad.attr("input#password", "value"),
        [""],
        "a password is never sent back"
    );
    // Right: the code by email, the verify page, then the login page says so.
    let email = format!("rina-{}@example.id", uuid::Uuid::new_v4().simple());
    let ok = post_form(
        &app,
        "/register",
        &cookie,
        &[
            ("csrf", &csrf),
            ("full_name", "Rina Wati"),
            ("email", &email),
            ("phone", "081234567890"),
            ("birth_date", "1990-08-17"),
            ("sex", "female"),
            ("password", "rahasia-rina"),
        ],
    )
    .await;
    assert_eq!(ok.reply.status, 303, "{}", ok.reply.text);
    let verify_at = ok.reply.header("location").unwrap().to_owned();
    assert!(verify_at.starts_with("/verify?email="), "{verify_at}");
    let mail = app
        .get(&format!("/api/v1/dev/mail?to={email}"), None)
        .await
        .expect(200);
    let code = six_digits(mail[0]["body"].as_str().unwrap()).unwrap();
    let wrong_code = if code == "000000" { "111111" } else { "000000" };
    let wrong = post_form(
        &app,
        "/verify",
        &cookie,
        &[("csrf", &csrf), ("email", &email), ("code", wrong_code)],
    )
    .await;
    assert_eq!(wrong.attr(".error-summary a", "href"), ["#code"]);
    let verified = post_form(
        &app,
        "/verify",
        &cookie,
        &[("csrf", &csrf), ("email", &email), ("code", &code)],
    )
    .await;
    assert_eq!(verified.reply.status, 303);
    let login_at = verified.reply.header("location").unwrap().to_owned();
    let login = page(&app, &login_at, Some(&cookie)).await;
    assert!(login.one(".notice").contains("terverifikasi"));
    assert_eq!(
        login.attr("input#email", "value"),
        std::slice::from_ref(&email)
    );
    // Logging in sets a session and renews the form token; `next` brings the person back.
    let done = post_form(
        &app,
        "/login",
        &cookie,
        &[
            ("csrf", &csrf),
            ("email", &email),
            ("password", "rahasia-rina"),
            ("next", "/book"),
        ],
    )
    .await;
    assert_eq!(done.reply.status, 303);
    assert_eq!(done.reply.header("location"), Some("/book"));
    let set = cookies(&done);
    assert!(set.contains("loket_session=lk_"), "{set}");
    let renewed = set
        .split("; ")
        .find(|c| c.starts_with("loket_csrf="))
        .unwrap();
    assert_ne!(renewed, format!("loket_csrf={csrf}"));
    let all_set: Vec<String> = done
        .reply
        .headers
        .get_all("set-cookie")
        .iter()
        .map(|v| v.to_str().unwrap().to_owned())
        .collect();
    assert!(
        all_set
            .iter()
            .all(|c| c.contains("HttpOnly") && c.contains("SameSite=Lax")),
        "{all_set:?}"
    );
    // An outside `next` is not followed.
    let evil = post_form(
        &app,
        "/login",
        &cookie,
        &[
            ("csrf", &csrf),
            ("email", &email),
            ("password", "rahasia-rina"),
            ("next", "https://evil.example/"),
        ],
    )
    .await;
    assert_eq!(evil.reply.header("location"), Some("/bookings"));
    let mine = page(&app, "/bookings", Some(&set)).await;
    assert_eq!(mine.reply.status, 200);
    assert_eq!(mine.one("h1"), "Janji saya");
}

async fn a_wrong_login_says_so_and_a_logout_ends_the_session(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let (_, csrf, cookie) = fresh_form(&app, "/login", "").await;
    let wrong = post_form(
        &app,
        "/login",
        &cookie,
        &[
            ("csrf", &csrf),
            ("email", "pemohon@demo.loket.id"),
            ("password", "not-the-password"),
        ],
    )
    .await;
    assert_eq!(wrong.reply.status, 200);
    assert!(
        wrong
            .one(".error-summary")
            .contains("Email atau kata sandi salah")
    );
    assert_eq!(
        wrong.attr("input#email", "value"),
        ["pemohon@demo.loket.id"]
    );
    // Without the token: refused before the password is even checked.
    let forged = post_form(
        &app,
        "/login",
        &cookie,
        &[
            ("email", "pemohon@demo.loket.id"),
            ("password", "demo-pemohon"),
        ],
    )
    .await;
    assert_eq!(forged.reply.status, 403);
    let ok = post_form(
        &app,
        "/login",
        &cookie,
        &[
            ("csrf", &csrf),
            ("email", "pemohon@demo.loket.id"),
            ("password", "demo-pemohon"),
        ],
    )
    .await;
    let session = cookies(&ok);
    let logged = page(&app, "/bookings", Some(&session)).await;
    assert_eq!(logged.reply.status, 200);
    let token = logged
        .attr("header form[action='/logout'] input[name=csrf]", "value")
        .remove(0);
    let out = post_form(&app, "/logout", &session, &[("csrf", &token)]).await;
    assert_eq!(out.reply.status, 303);
    assert!(cookies(&out).contains("loket_session="));
    // The old session cookie no longer works.
    let after = page(&app, "/bookings", Some(&session)).await;
    assert_eq!(after.reply.status, 303);
    assert!(
        after
            .reply
            .header("location")
            .unwrap()
            .starts_with("/login")
    );
}

async fn too_many_wrong_codes_are_said_in_the_pages_language_and_the_address_is_kept(
    backend: Backend,
) {
    let app = TestApp::spawn(backend).await;
    let (_, csrf, cookie) = fresh_form(&app, "/verify", "").await;
    let email = "kode-salah@example.id";
    let code = crate::accounts::register(&app, email).await;
    let wrong = if code == "000000" { "111111" } else { "000000" };
    let verify = |code: String, cookie: String| {
        let (app, csrf) = (&app, &csrf);
        async move {
            post_form(
                app,
                "/verify",
                &cookie,
                &[("csrf", csrf), ("email", email), ("code", &code)],
            )
            .await
        }
    };
    for _ in 0..4 {
        let p = verify(wrong.into(), cookie.clone()).await;
        assert_eq!(p.reply.status, 200);
        assert_eq!(p.attr(".error-summary a", "href"), ["#code"]);
    }
    let fifth = verify(wrong.into(), cookie.clone()).await;
    assert_eq!(fifth.reply.status, 429);
    assert!(fifth.one("title").starts_with("Galat:"));
    let said = fifth.one(".error-summary");
    assert!(
        said.contains("Terlalu banyak kode salah") && said.contains("15 menit"),
        "{said}"
    );
    assert_eq!(fifth.attr("input#email", "value"), [email]);
    assert_eq!(
        fifth.attr("input#code", "value"),
        [""],
        "a code is never sent back"
    );
    // The right code too, and in English on an English page.
    let english = verify(code.clone(), format!("{cookie}; loket_lang=en")).await;
    assert_eq!(english.reply.status, 429);
    let said = english.one(".error-summary");
    assert!(
        said.contains("Too many wrong codes") && said.contains("15 minutes"),
        "{said}"
    );
    // A password reset code for the address is refused the same way.
    let reset = post_form(
        &app,
        "/reset/code",
        &cookie,
        &[
            ("csrf", &csrf),
            ("email", email),
            ("code", &code),
            ("password", "baru-sekali-123"),
        ],
    )
    .await;
    assert_eq!(reset.reply.status, 429);
    assert!(
        reset
            .one(".error-summary")
            .contains("Terlalu banyak kode salah")
    );
    assert_eq!(reset.attr("input#email", "value"), [email]);
    assert_eq!(reset.attr("input#password", "value"), [""]);
    assert_eq!(reset.attr("input#code", "value"), [""]);
}

async fn asking_for_codes_too_often_says_when_to_try_again_and_keeps_what_was_typed(
    backend: Backend,
) {
    // Seven requests from this client; five mails to one address.
    let app = TestApp::spawn_with(backend, |s| s.client_max_requests = 7).await;
    let (_, csrf, cookie) = fresh_form(&app, "/verify/resend", "").await;
    let email = "banjir@example.id";
    let ask = |path: &'static str| {
        let (app, csrf, cookie) = (&app, &csrf, &cookie);
        async move { post_form(app, path, cookie, &[("csrf", csrf), ("email", email)]).await }
    };
    for _ in 0..5 {
        assert_eq!(ask("/verify/resend").await.reply.status, 303);
    }
    let sixth = ask("/verify/resend").await;
    assert_eq!(sixth.reply.status, 429);
    assert!(sixth.one("title").starts_with("Galat:"));
    let said = sixth.one(".error-summary");
    assert!(
        said.contains("sudah beberapa kali mengirim kode") && said.contains("60 menit"),
        "{said}"
    );
    assert_eq!(sixth.attr("input#email", "value"), [email]);
    let reset = ask("/reset").await;
    assert_eq!(reset.reply.status, 429);
    assert!(reset.one(".error-summary").contains("sudah beberapa kali"));
    assert_eq!(reset.attr("input#email", "value"), [email]);
    // The client's seven requests are used up: a registration is refused before any work,
    // with everything typed kept but the password.
    let register = post_form(
        &app,
        "/register",
        &cookie,
        &[
            ("csrf", &csrf),
            ("full_name", "Rina Wati"),
            ("email", "rina-baru@example.id"),
            ("phone", "081234567890"),
            ("birth_date", "1990-08-17"),
            ("sex", "female"),
            ("password", "rahasia-rina"),
        ],
    )
    .await;
    assert_eq!(register.reply.status, 429);
    let said = register.one(".error-summary");
    assert!(
        said.contains("jaringan Anda") && said.contains("menit"),
        "{said}"
    );
    assert_eq!(register.attr("input#full_name", "value"), ["Rina Wati"]);
    assert_eq!(
        register.attr("input#email", "value"),
        ["rina-baru@example.id"]
    );
    assert_eq!(register.attr("input#birth_date", "value"), ["1990-08-17"]);
    assert_eq!(register.attr("input#password", "value"), [""]);
    assert_eq!(
        register.attr("input[name=sex][checked]", "value"),
        ["female"]
    );
}
