//! Paying through the pages: the simulated bank page (demo mode only), a booking whose
//! deadline passed unpaid (its place went back to the quota; a new booking with the same
//! answers is one button away), and a late payment at the simulated bank, which ends on
//! the booking's page saying whether the place was restored or the money is refunded.

use reqwest::Method;

use crate::booking_pages::{browser, draft, hold};
use crate::helpers::{Account, Backend, TestApp};
use crate::pages::{browser_request, page, post_form};

api_tests!(
    the_simulated_bank_page_pays_in_demo_mode_and_does_not_exist_in_production,
    a_lapsed_booking_says_its_place_went_back_and_offers_a_new_booking_with_the_same_answers,
    paying_late_at_the_simulated_bank_ends_on_a_page_that_says_restored_or_refunded,
);

/// Holds `session` on `date` for `a` through the pages: the booking's page and its
/// billing code.
async fn held(
    app: &TestApp,
    a: &Account,
    date: chrono::NaiveDate,
    session: &str,
) -> (String, String) {
    let (cookie, csrf) = browser(a);
    let mut fields: Vec<(String, String)> = draft(a, date, session)
        .into_iter()
        .map(|(k, v)| (k.to_owned(), v))
        .collect();
    fields.push(("csrf".into(), csrf));
    fields.push(("key".into(), uuid::Uuid::new_v4().simple().to_string()));
    let r = hold(app, &cookie, &fields).await;
    assert_eq!(r.reply.status, 303, "{}", r.reply.text);
    let location = r.reply.header("location").unwrap().to_owned();
    let billing = page(app, &location, Some(&cookie)).await;
    let code = billing.one("#billing-code").replace(' ', "");
    (location, code)
}

/// Pays `code` in full at the simulated bank page, coming back to `back`; the redirect.
async fn pay_at_the_bank(app: &TestApp, a: &Account, code: &str, back: &str) -> String {
    let (cookie, csrf) = browser(a);
    let paid = post_form(
        app,
        "/dev/bank",
        &cookie,
        &[("csrf", &csrf), ("billing_code", code), ("back", back)],
    )
    .await;
    assert_eq!(paid.reply.status, 303, "{}", paid.reply.text);
    paid.reply.header("location").unwrap().to_owned()
}

async fn a_lapsed_booking_says_its_place_went_back_and_offers_a_new_booking_with_the_same_answers(
    backend: Backend,
) {
    let app = TestApp::spawn(backend).await;
    let a = app.account(1).await;
    let (cookie, _) = browser(&a);
    let date = app.bookable_date().await;
    let (location, _) = held(&app, &a, date, "s1").await;
    app.advance_minutes(121).await;
    let lapsed = page(&app, &location, Some(&cookie)).await;
    assert_eq!(lapsed.one("h1"), "Batas waktu pembayaran sudah lewat");
    assert_eq!(lapsed.one("#status"), "Kedaluwarsa (tidak dibayar)");
    let todo = lapsed.one("#todo");
    assert!(
        todo.contains("kembali ke kuota") && todo.contains("WIB"),
        "{todo}"
    );
    assert!(lapsed.all("#billing-code").is_empty(), "the code is gone");
    // One button starts a new booking with the same applicant, service and office.
    let again = lapsed.attr("a#rebook", "href");
    assert_eq!(again.len(), 1, "{again:?}");
    let href = &again[0];
    for part in [
        format!("applicant={}", a.people[0].id),
        "kind=new".into(),
        "passport_type=electronic".into(),
        "office=palembang".into(),
    ] {
        assert!(href.contains(&part), "{part} in {href}");
    }
    assert!(!href.contains("date="), "{href}");
    let next = page(&app, href, Some(&cookie)).await;
    assert_eq!(next.reply.status, 200);
    assert_eq!(next.one("h1"), "Pilih tanggal dan sesi");
    // In English too.
    let en = page(&app, &format!("{location}?lang=en"), Some(&cookie)).await;
    assert_eq!(en.one("h1"), "The payment deadline has passed");
    assert!(en.one("#todo").contains("went back to the quota"));
}

async fn paying_late_at_the_simulated_bank_ends_on_a_page_that_says_restored_or_refunded(
    backend: Backend,
) {
    let app = TestApp::spawn(backend).await;
    let head = app.head_token().await;
    let date = app.bookable_date().await;
    // Restored: the place was still free when the money came.
    let a = app.account(1).await;
    let (cookie, _) = browser(&a);
    let (location, code) = held(&app, &a, date, "s1").await;
    app.set_capacity(&head, date, "s2", 1).await;
    let b = app.account(1).await;
    let (b_location, b_code) = held(&app, &b, date, "s2").await;
    app.advance_minutes(121).await;
    let back = pay_at_the_bank(&app, &a, &code, &location).await;
    assert_eq!(back, format!("{location}?paid=restored"));
    let restored = page(&app, &back, Some(&cookie)).await;
    assert_eq!(restored.one("#status"), "Lunas");
    assert!(
        restored.one("#paid-late").contains("dipulihkan"),
        "{}",
        restored.one("#paid-late")
    );
    // Refund due: someone else took the lapsed place first.
    let c = app.account(1).await;
    held(&app, &c, date, "s2").await;
    let back = pay_at_the_bank(&app, &b, &b_code, &b_location).await;
    assert_eq!(back, format!("{b_location}?paid=refund_due"));
    let (b_cookie, _) = browser(&b);
    let refund = page(&app, &back, Some(&b_cookie)).await;
    assert_eq!(refund.one("h1"), "Pembayaran Anda terlambat");
    assert_eq!(refund.one("#status"), "Dana akan dikembalikan");
    assert!(
        refund.one("#todo").contains("Dana akan dikembalikan"),
        "{}",
        refund.one("#todo")
    );
    // The page says only what the booking shows: a made-up outcome says nothing.
    let made_up = page(
        &app,
        &format!("{b_location}?paid=restored"),
        Some(&b_cookie),
    )
    .await;
    assert!(made_up.all("#paid-late").is_empty());
}

async fn the_simulated_bank_page_pays_in_demo_mode_and_does_not_exist_in_production(
    backend: Backend,
) {
    let app = TestApp::spawn(backend).await;
    let a = app.account(1).await;
    let date = crate::pages::first_open_date(&app).await;
    let held = app
        .book(&a.token, a.people[0].id, date, "s1")
        .await
        .expect(201);
    let code = held["billing_code"].as_str().unwrap().to_owned();
    let csrf = "ab".repeat(32);
    let cookie = format!("loket_session={}; loket_csrf={csrf}", a.token);
    let back = format!("/bookings/{}", held["id"].as_str().unwrap());
    let bank = page(
        &app,
        &format!("/dev/bank?code={code}&back={back}"),
        Some(&cookie),
    )
    .await;
    assert_eq!(
        bank.attr("input#billing_code", "value"),
        std::slice::from_ref(&code)
    );
    let unknown = post_form(
        &app,
        "/dev/bank",
        &cookie,
        &[
            ("csrf", &csrf),
            ("billing_code", "123451234512345"),
            ("back", &back),
        ],
    )
    .await;
    assert!(unknown.one(".error-summary").contains("tidak dikenal"));
    let paid = post_form(
        &app,
        "/dev/bank",
        &cookie,
        &[("csrf", &csrf), ("billing_code", &code), ("back", &back)],
    )
    .await;
    assert_eq!(
        paid.reply.header("location"),
        Some(format!("{back}?paid=paid").as_str())
    );
    assert_eq!(app.booking(&a.token, &held["id"]).await["state"], "paid");
    let prod = TestApp::spawn_with(backend, |s| {
        s.mode = loket_web::config::Mode::Production;
        s.public_url = Some("https://loket.example.go.id".into());
        s.payment_webhook_secret = Some(loket_web::config::Secret(format!(
            "{}{}",
            uuid::Uuid::new_v4(),
            uuid::Uuid::new_v4()
        )));
    })
    .await;
    let none = app_get(&prod, "/dev/bank").await;
    assert_eq!(none, 404);
    // Production cookies carry Secure.
    let start = page(&prod, "/", None).await;
    let set: Vec<String> = start
        .reply
        .headers
        .get_all("set-cookie")
        .iter()
        .map(|v| v.to_str().unwrap().to_owned())
        .collect();
    assert!(
        !set.is_empty() && set.iter().all(|c| c.contains("; Secure")),
        "{set:?}"
    );
}

async fn app_get(app: &TestApp, path: &str) -> u16 {
    app.send(browser_request(app, Method::GET, path))
        .await
        .status
        .as_u16()
}
