//! The receipt of a paid booking through the pages: the booking code (also as a QR code),
//! the masked NIK, the session with its zone label, the .ics event at the right instant;
//! nothing before payment, nothing for another account; the offline worker and the logout
//! that forgets what it kept.

use loket_domain::BookingCode;
use uuid::Uuid;

use crate::helpers::{Account, Backend, TestApp};
use crate::pages::{Page, first_open_date, page, post_form};

api_tests!(
    a_paid_booking_has_a_receipt_with_its_code_qr_and_calendar_event,
    the_receipt_is_only_its_owners_and_only_once_paid,
    the_receipt_worker_is_served_fresh_and_logout_forgets_what_it_kept,
);

fn cookie(a: &Account, lang: &str) -> String {
    format!("loket_session={}; loket_lang={lang}", a.token)
}

/// A booking of `a`'s first person at Palembang's first open date, session s1 (08.00 WIB).
async fn booked(app: &TestApp, a: &Account) -> (Uuid, serde_json::Value, chrono::NaiveDate) {
    let date = first_open_date(app).await;
    let b = app
        .book(&a.token, a.people[0].id, date, "s1")
        .await
        .expect(201);
    let id = Uuid::parse_str(b["id"].as_str().unwrap()).unwrap();
    (id, b["billing_code"].clone(), date)
}

async fn receipt(app: &TestApp, id: Uuid, cookie: &str) -> Page {
    page(app, &format!("/bookings/{id}/receipt"), Some(cookie)).await
}

async fn a_paid_booking_has_a_receipt_with_its_code_qr_and_calendar_event(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let a = app.account(1).await;
    let (id, billing, date) = booked(&app, &a).await;
    assert_eq!(app.pay(&billing).await, "paid");
    let code = BookingCode::of(id).to_string();
    let id_cookie = cookie(&a, "id");

    // The booking's page says it is paid and leads to the receipt.
    let show = page(&app, &format!("/bookings/{id}"), Some(&id_cookie)).await;
    assert_eq!(show.one("h1"), "Pembayaran diterima");
    assert_eq!(show.one("#booking-code"), code);
    assert_eq!(
        show.attr("main a[href$='/receipt']", "href"),
        [format!("/bookings/{id}/receipt")]
    );

    let r = receipt(&app, id, &id_cookie).await;
    assert_eq!(r.reply.status, 200, "{}", r.reply.text);
    assert_eq!(r.one("h1"), "Tanda terima janji");
    assert_eq!(r.one("#booking-code"), code);
    assert_eq!(r.attr("svg.qr", "role"), ["img"]);
    assert_eq!(
        r.attr("svg.qr", "aria-label"),
        [format!("Kode QR janji {code}")]
    );
    assert_eq!(r.all("svg.qr path").len(), 1);
    let nik = &a.people[0].nik;
    assert!(
        !r.reply.text.contains(nik.as_str()),
        "the full NIK is on the receipt"
    );
    let masked = format!("{}********{}", &nik[..4], &nik[12..]);
    assert!(
        r.one("#receipt-applicant").contains(&masked),
        "{}",
        r.one("#receipt-applicant")
    );
    assert!(
        r.one("#receipt-when").ends_with("08.00–10.00 WIB"),
        "{}",
        r.one("#receipt-when")
    );
    assert!(
        r.all("main li")
            .iter()
            .any(|d| d.contains("KTP elektronik")),
        "{:?}",
        r.all("main li")
    );
    assert_eq!(
        r.attr("main a[download]", "href"),
        [format!("/bookings/{id}/receipt.ics")]
    );
    assert_eq!(r.reply.header("cache-control"), Some("private, no-cache"));

    // The same receipt in English.
    let en = receipt(&app, id, &cookie(&a, "en")).await;
    assert_eq!(en.one("h1"), "Booking receipt");
    assert!(
        en.one("#receipt-when").ends_with("08:00–10:00 WIB"),
        "{}",
        en.one("#receipt-when")
    );

    // The calendar event starts at 08.00 in Palembang (UTC+7), written in UTC.
    let ics = page(
        &app,
        &format!("/bookings/{id}/receipt.ics"),
        Some(&id_cookie),
    )
    .await;
    assert_eq!(ics.reply.status, 200);
    assert_eq!(
        ics.reply.header("content-type"),
        Some("text/calendar; charset=utf-8")
    );
    assert_eq!(
        ics.reply.header("content-disposition"),
        Some(format!("attachment; filename=\"loket-{code}.ics\"").as_str())
    );
    let day = date.format("%Y%m%d");
    let lines: Vec<&str> = ics.reply.text.split("\r\n").collect();
    assert!(
        lines.contains(&format!("DTSTART:{day}T010000Z").as_str()),
        "{lines:?}"
    );
    assert!(
        lines.contains(&format!("DTEND:{day}T030000Z").as_str()),
        "{lines:?}"
    );
    assert!(
        lines.contains(&format!("UID:{id}@loket").as_str()),
        "{lines:?}"
    );
    let unfolded = ics.reply.text.replace("\r\n ", "");
    assert!(
        unfolded.contains(&format!("Kode janji: {code}")),
        "{unfolded}"
    );
    assert!(!unfolded.contains(nik.as_str()));
}

async fn the_receipt_is_only_its_owners_and_only_once_paid(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let a = app.account(1).await;
    let other = app.account(1).await;
    let (id, billing, _) = booked(&app, &a).await;
    // Not paid yet: back to the billing page, for the page and for the calendar file.
    for path in [
        format!("/bookings/{id}/receipt"),
        format!("/bookings/{id}/receipt.ics"),
    ] {
        let unpaid = page(&app, &path, Some(&cookie(&a, "id"))).await;
        assert_eq!(unpaid.reply.status, 303, "{path}");
        assert_eq!(
            unpaid.reply.header("location"),
            Some(format!("/bookings/{id}").as_str())
        );
    }
    let billing_page = page(&app, &format!("/bookings/{id}"), Some(&cookie(&a, "id"))).await;
    assert!(
        billing_page
            .attr("main a[href$='/receipt']", "href")
            .is_empty()
    );
    app.pay(&billing).await;
    // Another account, or nobody, never sees it.
    for path in [
        format!("/bookings/{id}/receipt"),
        format!("/bookings/{id}/receipt.ics"),
    ] {
        let theirs = page(&app, &path, Some(&cookie(&other, "id"))).await;
        assert_eq!(theirs.reply.status, 404, "{path}");
        assert!(!theirs.reply.text.contains(&BookingCode::of(id).to_string()));
        let nobody = page(&app, &path, None).await;
        assert_eq!(nobody.reply.status, 303, "{path}");
        assert!(
            nobody
                .reply
                .header("location")
                .unwrap()
                .starts_with("/login?next=")
        );
    }
    let junk = page(&app, "/bookings/not-an-id/receipt", Some(&cookie(&a, "id"))).await;
    assert_eq!(junk.reply.status, 404);
    // Once cancelled it is no longer a receipt.
    let csrf = "cd".repeat(32);
    let jar = format!("{}; loket_csrf={csrf}", cookie(&a, "id"));
    let done = post_form(
        &app,
        &format!("/bookings/{id}/cancel"),
        &jar,
        &[("csrf", &csrf)],
    )
    .await;
    assert_eq!(done.reply.status, 303);
    let after = receipt(&app, id, &jar).await;
    assert_eq!(after.reply.status, 303);
}

async fn the_receipt_worker_is_served_fresh_and_logout_forgets_what_it_kept(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let worker = page(&app, "/bookings/receipt-worker.js", None).await;
    assert_eq!(worker.reply.status, 200);
    assert_eq!(
        worker.reply.header("content-type"),
        Some("text/javascript; charset=utf-8")
    );
    assert_eq!(worker.reply.header("cache-control"), Some("no-cache"));
    assert!(worker.reply.text.contains("addEventListener('fetch'"));
    let a = app.account(1).await;
    let csrf = "ef".repeat(32);
    let jar = format!("{}; loket_csrf={csrf}", cookie(&a, "id"));
    let out = post_form(&app, "/logout", &jar, &[("csrf", &csrf)]).await;
    assert_eq!(out.reply.status, 303);
    assert_eq!(
        out.reply.header("clear-site-data"),
        Some("\"cache\", \"storage\"")
    );
}
