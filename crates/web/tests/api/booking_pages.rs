//! The booking journey through the pages, as a browser without JavaScript walks it: GET
//! forms from step to step, one POST with the form token to hold, then the billing page,
//! the list and the cancel. The rules are the API's: one place per double tap, one active
//! booking per NIK, nobody else's bookings.

use crate::helpers::{Account, Backend, TestApp};
use crate::pages::{Page, encode_form, first_open_date, page, post_form};

api_tests!(
    the_journey_asks_one_question_per_page_and_a_double_tap_holds_one_place,
    an_unanswered_step_shows_its_errors_and_keeps_every_other_answer,
    a_refused_hold_gets_a_page_that_says_what_happened_and_what_to_do_next,
    a_double_tap_on_a_session_it_just_filled_finds_its_booking,
    the_hold_needs_the_form_token_and_nobody_sees_another_accounts_booking,
    a_booking_can_be_cancelled_after_one_more_question,
    a_booking_is_moved_once_to_another_session_through_its_calendar,
);

async fn a_booking_is_moved_once_to_another_session_through_its_calendar(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let a = app.account(1).await;
    let (cookie, csrf) = browser(&a);
    let date = first_open_date(&app).await;
    let mut fields: Vec<(String, String)> = draft(&a, date, "s1")
        .into_iter()
        .map(|(k, v)| (k.to_owned(), v))
        .collect();
    fields.push(("csrf".into(), csrf.clone()));
    fields.push(("key".into(), "k".into()));
    let location = hold(&app, &cookie, &fields)
        .await
        .reply
        .header("location")
        .unwrap()
        .to_owned();
    let show = page(&app, &location, Some(&cookie)).await;
    let move_at = format!("{location}/reschedule");
    assert_eq!(
        show.attr("main a[href$='/reschedule']", "href"),
        std::slice::from_ref(&move_at)
    );
    let cal = page(&app, &move_at, Some(&cookie)).await;
    assert_eq!(cal.one("h1"), "Pilih tanggal dan sesi baru");
    let links = cal.attr(".cal a", "href");
    assert!(
        !links.is_empty() && links.iter().all(|h| h.starts_with(&move_at)),
        "{links:?}"
    );
    let day = page(&app, &format!("{move_at}?date={date}"), Some(&cookie)).await;
    assert_eq!(day.attr("#sessions form", "method"), ["post"]);
    // The same slot is refused in words; another session moves it.
    let same = post_form(
        &app,
        &move_at,
        &cookie,
        &[
            ("csrf", &csrf),
            ("date", &date.to_string()),
            ("session", "s1"),
        ],
    )
    .await;
    assert!(
        same.one(".error-summary").contains("sama"),
        "{}",
        same.one(".error-summary")
    );
    let moved = post_form(
        &app,
        &move_at,
        &cookie,
        &[
            ("csrf", &csrf),
            ("date", &date.to_string()),
            ("session", "s2"),
        ],
    )
    .await;
    assert_eq!(moved.reply.status, 303, "{}", moved.reply.text);
    let after = page(&app, &location, Some(&cookie)).await;
    assert!(
        after.all(".answer").iter().any(|x| x.contains("10.00")),
        "{:?}",
        after.all(".answer")
    );
    // The history says it was moved, after it was held.
    let steps = after.all(".timeline li strong");
    assert_eq!(
        steps.first().map(String::as_str),
        Some("Tempat disimpan"),
        "{steps:?}"
    );
    assert!(
        steps
            .iter()
            .any(|s| s == "Dipindah ke tanggal atau sesi lain"),
        "{steps:?}"
    );
    // Only once: no more link, and the page itself sends the applicant back.
    assert!(after.attr("main a[href$='/reschedule']", "href").is_empty());
    let again = post_form(
        &app,
        &move_at,
        &cookie,
        &[
            ("csrf", &csrf),
            ("date", &date.to_string()),
            ("session", "s1"),
        ],
    )
    .await;
    assert!(
        again.one(".error-summary").contains("sekali"),
        "{}",
        again.one(".error-summary")
    );
    let api = app
        .booking(
            &a.token,
            &serde_json::json!(location.trim_start_matches("/bookings/")),
        )
        .await;
    assert_eq!(api["session"], "s2");
}

/// A fixed form token in the browser's cookie, and the session of `a`.
pub(crate) fn browser(a: &Account) -> (String, String) {
    let csrf = "ab".repeat(32);
    (
        format!("loket_session={}; loket_csrf={csrf}", a.token),
        csrf,
    )
}

pub(crate) fn draft(
    a: &Account,
    date: chrono::NaiveDate,
    session: &str,
) -> Vec<(&'static str, String)> {
    vec![
        ("applicant", a.people[0].id.to_string()),
        ("kind", "new".into()),
        ("passport_type", "electronic".into()),
        ("validity", "5y".into()),
        ("processing", "regular".into()),
        ("purpose", "tourism".into()),
        ("office", "palembang".into()),
        ("date", date.to_string()),
        ("session", session.into()),
    ]
}

pub(crate) fn query(pairs: &[(&str, String)]) -> String {
    let borrowed: Vec<(&str, &str)> = pairs.iter().map(|(k, v)| (*k, v.as_str())).collect();
    encode_form(&borrowed)
}

/// The hidden fields and their values of the page's first form with `action`.
pub(crate) fn form_fields(p: &Page, method: &str) -> Vec<(String, String)> {
    let sel = scraper::Selector::parse(&format!("main form[method={method}] input[type=hidden]"))
        .unwrap();
    p.html
        .select(&sel)
        .filter_map(|e| {
            Some((
                e.value().attr("name")?.to_owned(),
                e.value().attr("value")?.to_owned(),
            ))
        })
        .collect()
}

pub(crate) async fn hold(app: &TestApp, cookie: &str, fields: &[(String, String)]) -> Page {
    let borrowed: Vec<(&str, &str)> = fields
        .iter()
        .map(|(k, v)| (k.as_str(), v.as_str()))
        .collect();
    post_form(app, "/book", cookie, &borrowed).await
}

async fn the_journey_asks_one_question_per_page_and_a_double_tap_holds_one_place(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let a = app.account(1).await;
    let (cookie, _) = browser(&a);
    // Not logged in: the login page, with the way back.
    let anon = page(&app, "/book?office=palembang", None).await.reply;
    assert_eq!(anon.status, 303);
    assert_eq!(
        anon.header("location"),
        Some("/login?next=/book%3Foffice%3Dpalembang")
    );
    let date = first_open_date(&app).await;
    let full = draft(&a, date, "s1");
    // Each step in turn: the page asks for the next missing answer.
    let titles = [
        (1, "Untuk siapa janji ini?"),
        (6, "Layanan paspor apa yang Anda perlukan?"),
        (7, "Di kantor mana Anda ingin datang?"),
        (9, "Pilih tanggal dan sesi"),
    ];
    let mut known = 0;
    for (upto, title) in titles {
        let p = page(
            &app,
            &format!("/book?{}", query(&full[..known])),
            Some(&cookie),
        )
        .await;
        assert_eq!(p.reply.status, 200, "{}", p.reply.text);
        assert_eq!(p.one("h1"), title);
        // What was answered travels along: as hidden fields, and on the date step (before
        // a date is chosen) in the calendar's links.
        if title == "Pilih tanggal dan sesi" {
            let links = p.attr(".cal a", "href");
            let wanted = format!("applicant={}", a.people[0].id);
            assert!(
                !links.is_empty() && links.iter().all(|h| h.contains(&wanted)),
                "{links:?}"
            );
        } else {
            let hidden = form_fields(&p, "get");
            for (k, v) in &full[..known] {
                assert!(
                    hidden.contains(&(k.to_string(), v.clone())),
                    "{k} not carried: {hidden:?}"
                );
            }
        }
        known = upto;
    }
    // All answered: check your answers, with the fee in Rupiah and the documents.
    let check = page(&app, &format!("/book?{}", query(&full)), Some(&cookie)).await;
    assert_eq!(check.one("h1"), "Periksa jawaban Anda");
    let answers = check.all(".answer");
    assert!(answers.iter().any(|x| x.contains("WIB")), "{answers:?}");
    assert!(
        answers.iter().any(|x| x.contains("********")),
        "NIK masked: {answers:?}"
    );
    assert!(
        !check.reply.text.contains(&a.people[0].nik),
        "the full NIK is never shown"
    );
    assert!(
        check.one(".total").contains("Rp650.000"),
        "{}",
        check.one(".total")
    );
    assert!(
        check
            .all("main ul li")
            .iter()
            .any(|d| d == "KTP elektronik")
    );
    let changes = check.attr(".answer .change a", "href");
    assert!(
        changes.iter().any(|h| h.ends_with("change=date")),
        "{changes:?}"
    );
    // Hold, twice with the same form (a double tap): one booking, one place.
    let before = app.remaining(date, "s1").await;
    let fields = form_fields(&check, "post");
    let first = hold(&app, &cookie, &fields).await;
    let again = hold(&app, &cookie, &fields).await;
    assert_eq!(first.reply.status, 303, "{}", first.reply.text);
    let location = first.reply.header("location").unwrap().to_owned();
    assert!(location.starts_with("/bookings/"), "{location}");
    assert_eq!(again.reply.header("location"), Some(location.as_str()));
    tokio::time::sleep(std::time::Duration::from_millis(1100)).await;
    assert_eq!(app.remaining(date, "s1").await, before - 1);
    // The billing page: the code in groups, the amount, the deadline in WIB.
    let billing = page(&app, &location, Some(&cookie)).await;
    assert_eq!(billing.one("h1"), "Tempat Anda sudah disimpan");
    let code = billing.one("#billing-code");
    assert_eq!(code.len(), 17, "{code}");
    assert!(billing.one("#deadline").contains("WIB"));
    assert_eq!(billing.one("#status"), "Menunggu pembayaran");
    // One step is the current one: paying.
    assert_eq!(
        billing.all(".timeline li[aria-current=step] strong"),
        ["Dibayar"]
    );
    // Paid at the bank: the same page now says so and shows the next step.
    assert_eq!(
        app.pay(&serde_json::json!(code.replace(' ', ""))).await,
        "paid"
    );
    let paid = page(&app, &location, Some(&cookie)).await;
    assert_eq!(paid.one("#status"), "Lunas");
    assert_eq!(
        paid.all(".timeline li[aria-current=step] strong"),
        ["Hadir di kantor"]
    );
    // And it is in the list.
    let list = page(&app, "/bookings", Some(&cookie)).await;
    assert_eq!(list.attr(".office a", "href"), [location]);
}

async fn an_unanswered_step_shows_its_errors_and_keeps_every_other_answer(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let a = app.account(1).await;
    let (cookie, _) = browser(&a);
    let applicant = a.people[0].id.to_string();
    // The service step sent with only the kind: the four others are errors, in the
    // summary (linking to their fields) and beside each field; the kind stays chosen.
    let p = page(
        &app,
        &format!("/book?step=service&applicant={applicant}&kind=replacement_lost"),
        Some(&cookie),
    )
    .await;
    assert!(p.one("title").starts_with("Galat:"), "{}", p.one("title"));
    let summary = p.attr(".error-summary a", "href");
    assert_eq!(
        summary,
        ["#passport_type", "#validity", "#processing", "#purpose"]
    );
    for id in ["passport_type", "validity", "processing", "purpose"] {
        assert_eq!(p.all(&format!("input#{id}")).len(), 1, "{id} has its field");
    }
    assert_eq!(p.all(".field-error .error-text").len(), 4);
    assert_eq!(
        p.attr("input[name=kind][checked]", "value"),
        ["replacement_lost"]
    );
    assert_eq!(
        p.attr("input[type=hidden][name=applicant]", "value"),
        std::slice::from_ref(&applicant)
    );
    // An unknown office: the office step again, with its message, the service kept.
    let office = page(
        &app,
        &format!(
            "/book?applicant={applicant}&kind=new&passport_type=ordinary&validity=5y&processing=regular&purpose=work&office=atlantis"
        ),
        Some(&cookie),
    )
    .await;
    assert_eq!(office.all(".error-summary a"), ["Pilih kantor dari daftar"]);
    assert_eq!(
        office.attr("input[type=hidden][name=purpose]", "value"),
        ["work"]
    );
    // A 10-year passport for a child is refused at the service step, in words.
    let child = app.account(0).await;
    let kid = crate::helpers::Person::fresh();
    let mut body = kid.body();
    body["birth_date"] = serde_json::json!("2020-05-05");
    body["nik"] = serde_json::json!(crate::helpers::nik_for(
        7,
        chrono::NaiveDate::from_ymd_opt(2020, 5, 5).unwrap(),
        kid.sex,
        77
    ));
    let added = app
        .post("/api/v1/applicants", Some(&child.token), &body)
        .await
        .expect(201);
    let (child_cookie, _) = browser(&child);
    let ten = page(
        &app,
        &format!(
            "/book?step=service&applicant={}&kind=new&passport_type=ordinary&validity=10y&processing=regular&purpose=tourism",
            added["id"].as_str().unwrap()
        ),
        Some(&child_cookie),
    )
    .await;
    assert_eq!(ten.attr(".error-summary a", "href"), ["#validity"]);
    assert!(ten.one(".error-summary").contains("17"));
}

async fn a_refused_hold_gets_a_page_that_says_what_happened_and_what_to_do_next(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let a = app.account(1).await;
    let (cookie, csrf) = browser(&a);
    let date = first_open_date(&app).await;
    let mut fields: Vec<(String, String)> = draft(&a, date, "s1")
        .into_iter()
        .map(|(k, v)| (k.to_owned(), v))
        .collect();
    fields.push(("csrf".into(), csrf.clone()));
    fields.push(("key".into(), "one".into()));
    assert_eq!(hold(&app, &cookie, &fields).await.reply.status, 303);
    // The same person again (another key): one active booking per NIK.
    fields.pop();
    fields.push(("key".into(), "two".into()));
    let nik = hold(&app, &cookie, &fields).await;
    assert_eq!(nik.reply.status, 409);
    assert!(nik.one("title").starts_with("Galat:"));
    assert_eq!(
        nik.one("#refusal-title"),
        "NIK ini sudah memiliki janji aktif"
    );
    assert_eq!(nik.attr(".error-summary a", "href"), ["/bookings"]);
    // What to do next, in words: pay, move or cancel the booking there.
    assert!(
        nik.one(".error-summary")
            .contains("bayar, jadwal ulang, atau batalkan"),
        "{}",
        nik.one(".error-summary")
    );
    // A session filled up while the applicant was checking the answers.
    let b = app.account(1).await;
    let (b_cookie, b_csrf) = browser(&b);
    let head = app.head_token().await;
    app.set_capacity(&head, date, "s2", 0).await;
    let mut full: Vec<(String, String)> = draft(&b, date, "s2")
        .into_iter()
        .map(|(k, v)| (k.to_owned(), v))
        .collect();
    full.push(("csrf".into(), b_csrf));
    full.push(("key".into(), "three".into()));
    let gone = hold(&app, &b_cookie, &full).await;
    assert_eq!(gone.reply.status, 409, "{}", gone.reply.text);
    assert_eq!(gone.one("#refusal-title"), "Sesi ini baru saja penuh");
    // The session cannot be held again: the answers and the way on, no hold button, fee
    // or documents (the page most people get when a quota opens, kept small); the page
    // of another refusal keeps them.
    assert!(gone.attr("form[action='/book']", "method").is_empty());
    assert!(gone.all("table").is_empty() && gone.all("dd.change").is_empty());
    assert_eq!(gone.all("dl.answers .answer").len(), 5);
    assert_eq!(nik.attr("form[action='/book']", "method"), ["post"]);
    assert!(
        gone.reply.text.len() * 3 < nik.reply.text.len() * 2,
        "{} bytes, not lighter than {}",
        gone.reply.text.len(),
        nik.reply.text.len()
    );
    assert!(
        gone.one(".error-summary")
            .contains("Pilih sesi atau tanggal lain"),
        "{}",
        gone.one(".error-summary")
    );
    let next = gone.attr(".error-summary a", "href");
    assert!(
        next[0].starts_with("/book?") && next[0].ends_with("change=date"),
        "{next:?}"
    );
    // The check page behind the panel keeps every answer.
    assert!(gone.all(".answer").iter().any(|x| x.contains("Palembang")));
}

async fn the_hold_needs_the_form_token_and_nobody_sees_another_accounts_booking(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let a = app.account(1).await;
    let (cookie, csrf) = browser(&a);
    let date = first_open_date(&app).await;
    let mut fields: Vec<(String, String)> = draft(&a, date, "s1")
        .into_iter()
        .map(|(k, v)| (k.to_owned(), v))
        .collect();
    fields.push(("key".into(), "k".into()));
    // Without the token, or with a wrong one, or from another site: refused, nothing held.
    let none = hold(&app, &cookie, &fields).await;
    assert_eq!(none.reply.status, 403);
    assert_eq!(none.one("h1"), "Formulir sudah kedaluwarsa");
    fields.push(("csrf".into(), "cd".repeat(32)));
    assert_eq!(hold(&app, &cookie, &fields).await.reply.status, 403);
    fields.pop();
    fields.push(("csrf".into(), csrf.clone()));
    let borrowed: Vec<(&str, &str)> = fields
        .iter()
        .map(|(k, v)| (k.as_str(), v.as_str()))
        .collect();
    let cross = app
        .send(
            crate::pages::browser_request(&app, reqwest::Method::POST, "/book")
                .header("cookie", &cookie)
                .header("sec-fetch-site", "cross-site")
                .header("content-type", "application/x-www-form-urlencoded")
                .body(encode_form(&borrowed)),
        )
        .await;
    assert_eq!(cross.status, 403);
    let listed = page(&app, "/bookings", Some(&cookie)).await;
    assert!(listed.all(".office").is_empty(), "nothing was held");
    // Held properly; another account gets "not found" for it, on every page of it.
    let held = hold(&app, &cookie, &fields).await;
    let location = held.reply.header("location").unwrap().to_owned();
    let other = app.account(1).await;
    let (other_cookie, other_csrf) = browser(&other);
    for path in [location.clone(), format!("{location}/cancel")] {
        let p = page(&app, &path, Some(&other_cookie)).await;
        assert_eq!(p.reply.status, 404, "{path}");
        assert_eq!(p.one("h1"), "Halaman tidak ditemukan");
    }
    let cancel = post_form(
        &app,
        &format!("{location}/cancel"),
        &other_cookie,
        &[("csrf", &other_csrf)],
    )
    .await;
    assert_eq!(cancel.reply.status, 404);
    let mine = page(&app, &location, Some(&cookie)).await;
    assert_eq!(mine.one("#status"), "Menunggu pembayaran");
}

async fn a_booking_can_be_cancelled_after_one_more_question(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let a = app.account(1).await;
    let (cookie, csrf) = browser(&a);
    let date = first_open_date(&app).await;
    let mut fields: Vec<(String, String)> = draft(&a, date, "s1")
        .into_iter()
        .map(|(k, v)| (k.to_owned(), v))
        .collect();
    fields.push(("csrf".into(), csrf.clone()));
    fields.push(("key".into(), "k".into()));
    let location = hold(&app, &cookie, &fields)
        .await
        .reply
        .header("location")
        .unwrap()
        .to_owned();
    let show = page(&app, &location, Some(&cookie)).await;
    assert_eq!(
        show.attr("main a[href$='/cancel']", "href"),
        [format!("{location}/cancel")]
    );
    let ask = page(&app, &format!("{location}/cancel"), Some(&cookie)).await;
    assert_eq!(ask.one("h1"), "Batalkan janji ini?");
    let done = post_form(
        &app,
        &format!("{location}/cancel"),
        &cookie,
        &[("csrf", &csrf)],
    )
    .await;
    assert_eq!(done.reply.status, 303);
    let after = page(&app, &location, Some(&cookie)).await;
    assert_eq!(after.one("#status"), "Dibatalkan");
    assert!(after.attr("main a[href$='/cancel']", "href").is_empty());
    // The cancel page of a cancelled booking goes back to the booking.
    let again = page(&app, &format!("{location}/cancel"), Some(&cookie)).await;
    assert_eq!(again.reply.status, 303);
}

/// The last place taken: the session is called full from then on (the attempts of others
/// are answered without a transaction or a key lookup each), but the second tap of the
/// form that took the place still finds its booking, and a new form of the same person's
/// is refused.
async fn a_double_tap_on_a_session_it_just_filled_finds_its_booking(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let (a, b) = (app.account(1).await, app.account(1).await);
    let date = first_open_date(&app).await;
    let head = app.head_token().await;
    app.set_capacity(&head, date, "s1", 1).await;
    let form = |who: &Account, key: &str| {
        let (cookie, csrf) = browser(who);
        let mut fields: Vec<(String, String)> = draft(who, date, "s1")
            .into_iter()
            .map(|(k, v)| (k.to_owned(), v))
            .collect();
        fields.push(("csrf".into(), csrf));
        fields.push(("key".into(), key.into()));
        (cookie, fields)
    };
    let (a_cookie, tap) = form(&a, "tap");
    let first = hold(&app, &a_cookie, &tap).await;
    assert_eq!(first.reply.status, 303, "{}", first.reply.text);
    let location = first.reply.header("location").unwrap().to_owned();
    // Someone else: refused by the database, which calls the session full.
    let (b_cookie, late) = form(&b, "late");
    let refused = hold(&app, &b_cookie, &late).await;
    assert_eq!(refused.reply.status, 409, "{}", refused.reply.text);
    assert_eq!(refused.one("#refusal-title"), "Sesi ini baru saja penuh");
    // While it is called full: the same form again finds the booking; another key of the
    // same person, and the other person's second try, are told it is full.
    let again = hold(&app, &a_cookie, &tap).await;
    assert_eq!(again.reply.status, 303, "{}", again.reply.text);
    assert_eq!(again.reply.header("location"), Some(location.as_str()));
    let (_, other) = form(&a, "other");
    for (cookie, fields) in [(&a_cookie, &other), (&b_cookie, &late)] {
        let p = hold(&app, cookie, fields).await;
        assert_eq!(p.reply.status, 409, "{}", p.reply.text);
        assert_eq!(p.one("#refusal-title"), "Sesi ini baru saja penuh");
    }
    assert_eq!(app.remaining(date, "s1").await, 0);
}
