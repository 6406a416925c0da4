//! The pages, in process: the start page, the region search and an office's calendar, in
//! both languages, read through CSS selectors. Browser tests (tests/browser/) cover the
//! same pages in Chromium with axe-core and the weight budget.

use reqwest::Method;
use scraper::{Html, Selector};

use crate::helpers::{Backend, Reply, TestApp};

api_tests!(
    the_start_page_lists_every_office_by_region_with_its_next_free_date,
    the_language_is_indonesian_until_english_is_chosen_and_then_it_sticks,
    the_region_search_puts_the_nearest_free_date_first_and_explains_a_bad_region,
    an_office_calendar_shows_open_full_closed_and_unreleased_days_in_words,
);

/// A parsed page.
struct Page {
    reply: Reply,
    html: Html,
}

impl Page {
    fn all(&self, css: &str) -> Vec<String> {
        let sel = Selector::parse(css).unwrap_or_else(|e| panic!("selector {css}: {e:?}"));
        self.html
            .select(&sel)
            .map(|e| {
                e.text()
                    .collect::<String>()
                    .split_whitespace()
                    .collect::<Vec<_>>()
                    .join(" ")
            })
            .collect()
    }

    fn one(&self, css: &str) -> String {
        let all = self.all(css);
        assert_eq!(all.len(), 1, "exactly one {css}, found {all:?}");
        all.into_iter().next().unwrap_or_default()
    }

    fn attr(&self, css: &str, name: &str) -> Vec<String> {
        let sel = Selector::parse(css).unwrap();
        self.html
            .select(&sel)
            .filter_map(|e| e.value().attr(name).map(str::to_owned))
            .collect()
    }
}

async fn page(app: &TestApp, path: &str, cookie: Option<&str>) -> Page {
    let mut rb = app.request(Method::GET, path, None);
    if let Some(c) = cookie {
        rb = rb.header("cookie", c);
    }
    let reply = app.send(rb).await;
    let html = Html::parse_document(&reply.text);
    Page { reply, html }
}

/// Palembang's first date with places, as the API reports it.
async fn first_open_date(app: &TestApp) -> chrono::NaiveDate {
    let days = app
        .get("/api/v1/offices/palembang/availability", None)
        .await
        .expect(200);
    days["days"]
        .as_array()
        .unwrap()
        .iter()
        .find(|d| d["status"] == "open")
        .map(|d| crate::helpers::date_of(&d["date"]))
        .expect("an open date within two weeks")
}

async fn the_start_page_lists_every_office_by_region_with_its_next_free_date(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let p = page(&app, "/", None).await;
    assert_eq!(p.reply.status, 200);
    assert_eq!(p.attr("html", "lang"), ["id"]);
    assert_eq!(p.one("h1"), "Buat janji temu paspor");
    assert!(p.one("title").starts_with("Buat janji temu paspor"));
    // Every office the store knows is listed, each under its region's heading.
    let offices = app.state.store.list_offices().await.unwrap();
    let listed = p.all("section .office h3 a");
    assert_eq!(listed.len(), offices.len(), "{listed:?}");
    for o in &offices {
        assert!(
            listed.contains(&o.name),
            "{} missing from {listed:?}",
            o.name
        );
    }
    // Palembang's next free date is the first open date of its availability.
    let first_open = first_open_date(&app).await;
    let palembang = p
        .all(".office")
        .into_iter()
        .find(|t| t.contains("Palembang"))
        .unwrap();
    let day = first_open.format("%-d").to_string();
    assert!(palembang.contains("Tanggal terdekat"), "{palembang}");
    assert!(
        palembang.contains(&format!(" {day} ")),
        "{palembang} lacks {first_open}"
    );
    // Landmarks and the skip link.
    assert_eq!(p.attr("a.skip", "href"), ["#main"]);
    assert_eq!(p.all("header").len(), 1);
    assert_eq!(p.all("main#main").len(), 1);
    assert_eq!(p.all("footer").len(), 1);
    // Security headers; no outside address anywhere in the page.
    let csp = p
        .reply
        .header("content-security-policy")
        .unwrap_or_default();
    assert!(csp.contains("default-src 'self'"), "{csp}");
    assert_eq!(p.reply.header("x-frame-options"), Some("DENY"));
    assert!(!p.reply.text.contains("http://") && !p.reply.text.contains("https://"));
    // The stylesheet is served, cached for a year, under the name the page links to.
    let css = p.attr("link[rel=stylesheet]", "href");
    assert_eq!(css.len(), 1);
    let sheet = app.get(&css[0], None).await;
    assert_eq!(sheet.status, 200);
    assert!(
        sheet
            .header("cache-control")
            .unwrap_or_default()
            .contains("immutable")
    );
    assert_eq!(
        app.get("/static/site.0000000000.css", None).await.status,
        404
    );
    // Compressed when the browser accepts it.
    let gz = app
        .send(
            app.request(Method::GET, "/", None)
                .header("accept-encoding", "gzip"),
        )
        .await;
    assert_eq!(gz.header("content-encoding"), Some("gzip"));
}

async fn the_language_is_indonesian_until_english_is_chosen_and_then_it_sticks(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let id = page(&app, "/", None).await;
    let switch = id.attr("header nav a[hreflang=en]", "href");
    assert_eq!(switch, ["/?lang=en"]);
    let en = page(&app, "/?lang=en", None).await;
    assert_eq!(en.attr("html", "lang"), ["en"]);
    assert_eq!(en.one("h1"), "Book a passport appointment");
    let set = en
        .reply
        .headers
        .get_all("set-cookie")
        .iter()
        .filter_map(|v| v.to_str().ok())
        .find(|c| c.starts_with("loket_lang="))
        .expect("the choice is kept in a cookie")
        .to_owned();
    assert!(
        set.starts_with("loket_lang=en;") && set.contains("Max-Age="),
        "{set}"
    );
    // The next page, with only the cookie, is English too; ?lang=id switches back.
    let later = page(&app, "/find", Some("loket_lang=en")).await;
    assert_eq!(later.one("h1"), "Find the nearest free date");
    let back = page(&app, "/find?lang=id", Some("loket_lang=en")).await;
    assert_eq!(back.one("h1"), "Cari tanggal terdekat");
    // A path that names no page gets a translated page, the API a problem.
    let missing = page(&app, "/no-such-page", Some("loket_lang=en")).await;
    assert_eq!(missing.reply.status, 404);
    assert_eq!(missing.one("h1"), "Page not found");
    let api = app.get("/api/v1/no-such-thing", None).await;
    api.problem(404, "not-found");
}

async fn the_region_search_puts_the_nearest_free_date_first_and_explains_a_bad_region(
    backend: Backend,
) {
    let app = TestApp::spawn(backend).await;
    let start = page(&app, "/", None).await;
    let regions = start.attr("select#region option", "value");
    let region = app
        .state
        .store
        .get_office("palembang")
        .await
        .unwrap()
        .unwrap()
        .region_code;
    assert!(regions.contains(&region), "{regions:?}");
    let first = first_open_date(&app).await;
    let found = page(&app, &format!("/find?region={region}"), None).await;
    assert_eq!(found.reply.status, 200);
    let rows = found.all(".office");
    assert!(!rows.is_empty());
    assert!(rows[0].contains("Tanggal terdekat"), "{rows:?}");
    let selected = found.attr("select#region option[selected]", "value");
    assert_eq!(selected, std::slice::from_ref(&region));
    let day = first.format(" %-d ").to_string();
    assert!(
        rows.iter()
            .any(|r| r.contains("Palembang") && r.contains(&day)),
        "{first}: {rows:?}"
    );
    // An unknown region: the error summary and the message beside the field, the title
    // starting with "Galat:".
    let bad = page(&app, "/find?region=atlantis", None).await;
    assert_eq!(bad.reply.status, 200);
    assert!(
        bad.one("title").starts_with("Galat:"),
        "{}",
        bad.one("title")
    );
    assert_eq!(bad.all(".error-summary a"), ["Pilih wilayah dari daftar"]);
    assert_eq!(bad.attr(".error-summary a", "href"), ["#region"]);
    assert!(
        bad.one(".field-error .error-text")
            .contains("Pilih wilayah dari daftar")
    );
}

async fn an_office_calendar_shows_open_full_closed_and_unreleased_days_in_words(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let date = app.bookable_date().await;
    let month = date.format("%Y-%m").to_string();
    // Fill one session of the date, and read a Saturday and an unreleased date too.
    let head = app.head_token().await;
    app.set_capacity(&head, date, "s1", 0).await;
    app.put(
        "/api/v1/offices/palembang/quotas/overrides",
        Some(&head),
        &serde_json::json!({"date": date, "session": "s1", "class": "express", "capacity": 0}),
    )
    .await
    .expect(200);
    let p = page(&app, &format!("/offices/palembang?date={date}"), None).await;
    assert_eq!(p.reply.status, 200);
    assert!(p.one("h1").contains("Palembang"));
    let link = format!("/offices/palembang?date={date}#day");
    assert_eq!(p.attr(".cal a[aria-current=date]", "href"), [link]);
    let sessions = p.all("#day .office");
    let s1 = p.attr("#day .office a.button", "href");
    assert!(sessions.iter().any(|s| s.contains("Penuh")), "{sessions:?}");
    assert!(
        s1.iter().all(|h| !h.contains("session=s1")),
        "a full session offers no booking: {s1:?}"
    );
    assert!(!s1.is_empty(), "the other sessions can be chosen");
    assert!(p.one("#day h2").contains(&date.format("%Y").to_string()));
    // Every session time carries the zone label.
    assert!(sessions.iter().all(|s| s.contains("WIB")), "{sessions:?}");
    // A closed Saturday says so in words (not by colour alone).
    let saturday = app.saturday();
    let sat = page(&app, &format!("/offices/palembang?date={saturday}"), None).await;
    assert!(
        sat.one("#day p").starts_with("Tutup"),
        "{}",
        sat.one("#day p")
    );
    // A date whose quota is not open yet shows when it opens, in the office's zone.
    let (later, _) = app.unreleased_date().await;
    let soon = page(
        &app,
        &format!("/offices/palembang?date={later}&lang=en"),
        None,
    )
    .await;
    let status = soon.one("#day p");
    assert!(
        status.starts_with("Not open yet. Places open on") && status.ends_with("WIB."),
        "{status}"
    );
    // The month navigation never leaves the bookable months; an unknown office is a page.
    let m = page(&app, &format!("/offices/palembang?month={month}"), None).await;
    assert!(
        m.attr(".months a", "href")
            .iter()
            .all(|h| h.contains("month="))
    );
    let none = page(&app, "/offices/atlantis", None).await;
    assert_eq!(none.reply.status, 404);
    assert_eq!(none.one("h1"), "Halaman tidak ditemukan");
}
