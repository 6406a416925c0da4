//! Refusals from the rules, each on a page a person understands with the next step: a
//! date whose places are not open yet says when they open, in the office's zone, and
//! leads back to the calendar; a session that ended sends to the login page, which says
//! so, and comes back to the journey with every answer kept.

use chrono_tz::Asia::Jakarta;
use loket_web::format::date_time;
use loket_web::i18n::{Lang, Tr};

use crate::account_pages::{cookies, fresh_form};
use crate::booking_pages::{browser, draft, form_fields, hold, query};
use crate::helpers::{Backend, PASSWORD, TestApp};
use crate::pages::{page, post_form};

api_tests!(
    a_date_not_open_yet_says_when_its_places_open_in_the_offices_zone,
    an_ended_session_sends_to_the_login_which_says_so_and_comes_back_with_the_draft,
);

async fn a_date_not_open_yet_says_when_its_places_open_in_the_offices_zone(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let a = app.account(1).await;
    let (cookie, csrf) = browser(&a);
    let (date, opens_at) = app.unreleased_date().await;
    let opens_id = date_time(Tr(Lang::Id), opens_at, Jakarta);
    assert!(opens_id.ends_with(" WIB"), "{opens_id}");
    let fields = draft(&a, date, "s1");
    // The journey's date step, reached with that date (a link kept from before, say).
    let step = page(&app, &format!("/book?{}", query(&fields)), Some(&cookie)).await;
    assert_eq!(step.one("h1"), "Pilih tanggal dan sesi");
    assert!(step.one("title").starts_with("Galat:"));
    let said = step.one(".error-summary");
    assert!(
        said.contains(&format!("Kuota dibuka {opens_id}")),
        "{said} / {opens_id}"
    );
    // The hold itself (a form kept open from before): a panel with the opening time and
    // the way back to the calendar, every answer still on the page behind it.
    let mut form: Vec<(String, String)> = fields
        .iter()
        .map(|(k, v)| (k.to_string(), v.clone()))
        .collect();
    form.push(("csrf".into(), csrf));
    form.push(("key".into(), "not-yet".into()));
    let held = hold(&app, &cookie, &form).await;
    assert_eq!(held.reply.status, 409, "{}", held.reply.text);
    assert_eq!(held.one("#refusal-title"), "Kuota tanggal ini belum dibuka");
    assert!(
        held.one(".error-summary")
            .contains(&format!("Kuota dibuka {opens_id}.")),
        "{}",
        held.one(".error-summary")
    );
    let back = held.attr(".error-summary a", "href");
    assert!(
        back.len() == 1 && back[0].starts_with("/book?") && back[0].ends_with("change=date"),
        "{back:?}"
    );
    assert_eq!(held.one(".error-summary a"), "Kembali ke kalender");
    let calendar = page(&app, &back[0], Some(&cookie)).await;
    assert_eq!(calendar.one("h1"), "Pilih tanggal dan sesi");
    // In English, with the English way of writing the time.
    let opens_en = date_time(Tr(Lang::En), opens_at, Jakarta);
    let en = hold(&app, &format!("{cookie}; loket_lang=en"), &form).await;
    assert!(
        en.one(".error-summary")
            .contains(&format!("Places open on {opens_en}.")),
        "{}",
        en.one(".error-summary")
    );
    assert!(app.usage(date, "s1").await.is_none_or(|u| u.taken == 0));
}

async fn an_ended_session_sends_to_the_login_which_says_so_and_comes_back_with_the_draft(
    backend: Backend,
) {
    let app = TestApp::spawn_with(backend, |s| s.session_hours = 1).await;
    let a = app.account(1).await;
    let (_, csrf, anon) = fresh_form(&app, "/login", "").await;
    let login = |next: String| {
        let (app, csrf, anon, email) = (&app, &csrf, &anon, &a.email);
        async move {
            post_form(
                app,
                "/login",
                anon,
                &[
                    ("csrf", csrf),
                    ("email", email),
                    ("password", PASSWORD),
                    ("next", &next),
                ],
            )
            .await
        }
    };
    let signed_in = login("/bookings".into()).await;
    assert_eq!(signed_in.reply.status, 303, "{}", signed_in.reply.text);
    let session = cookies(&signed_in);
    // Everything but the date and session: the journey's date step.
    let date = app.bookable_date().await;
    let answers = &draft(&a, date, "s1")[..7];
    let journey = format!("/book?{}", query(answers));
    let before = page(&app, &journey, Some(&session)).await;
    assert_eq!(before.one("h1"), "Pilih tanggal dan sesi");
    // An hour later the session is over: the login page, with the way back.
    app.advance_minutes(61).await;
    let ended = page(&app, &journey, Some(&session)).await;
    assert_eq!(ended.reply.status, 303);
    let to = ended.reply.header("location").unwrap().to_owned();
    assert!(
        to.starts_with("/login?next=/book%3F") && to.ends_with("&ended=1"),
        "{to}"
    );
    assert!(
        ended
            .reply
            .headers
            .get_all("set-cookie")
            .iter()
            .any(|c| c.to_str().unwrap().starts_with("loket_session=;")),
        "the stale session cookie is dropped"
    );
    let asks = page(&app, &to, Some(&anon)).await;
    assert!(
        asks.one(".notice").contains("Sesi Anda telah berakhir"),
        "{}",
        asks.one(".notice")
    );
    let en = page(&app, &format!("{to}&lang=en"), Some(&anon)).await;
    assert!(
        en.one(".notice")
            .starts_with("Your session has ended. Log in again to continue"),
        "{}",
        en.one(".notice")
    );
    let next = asks.attr("input[name=next]", "value");
    assert_eq!(next, std::slice::from_ref(&journey));
    // Logging in comes back to the journey, every answer kept.
    let back = login(next[0].clone()).await;
    assert_eq!(back.reply.header("location"), Some(journey.as_str()));
    let fresh = cookies(&back);
    let resumed = page(&app, &journey, Some(&fresh)).await;
    assert_eq!(resumed.one("h1"), "Pilih tanggal dan sesi");
    let links = resumed.attr(".cal a", "href");
    let applicant = format!("applicant={}", a.people[0].id);
    assert!(
        !links.is_empty() && links.iter().all(|h| h.contains(&applicant)),
        "{links:?}"
    );
    // The hold, sent after the session ended, comes back to the check page with the
    // answers from its form.
    let later = login("/bookings".into()).await;
    let late_session = cookies(&later);
    let check = page(
        &app,
        &format!("/book?{}", query(&draft(&a, date, "s1"))),
        Some(&late_session),
    )
    .await;
    let form = form_fields(&check, "post");
    app.advance_minutes(61).await;
    let refused = hold(&app, &late_session, &form).await;
    assert_eq!(refused.reply.status, 303);
    let to = refused.reply.header("location").unwrap();
    assert!(
        to.starts_with("/login?next=/book%3F")
            && to.contains("session%3Ds1")
            && to.ends_with("&ended=1"),
        "{to}"
    );
}
