//! The staff pages, in process: the staff login (a wrong password keeps the username; the
//! way back to the page that asked), who may open the front desk (only staff whose role
//! works it, never an applicant or a counter officer), and the desk's forms (the form token
//! required; a check-in and a walk-in each answer with their ticket); the counters only for
//! counter officers and the head of office.

use reqwest::Method;
use serde_json::Value;

use crate::helpers::{Backend, TestApp};
use crate::pages::{browser_request, page, post_form};

api_tests!(
    the_staff_login_keeps_the_username_on_a_wrong_password_and_comes_back_to_the_desk,
    only_staff_who_work_the_front_desk_open_it,
    the_desk_checks_in_by_the_typed_code_and_registers_walk_ins_with_the_form_token,
    the_head_of_office_sees_the_floor_and_raises_todays_priority_quota_on_the_spot,
    a_late_applicant_is_moved_with_a_special_reschedule_at_the_desk,
    in_outage_mode_the_desk_gives_b_numbers_to_people_without_a_booking,
    on_a_closed_day_the_desk_offers_no_outage_mode,
);

const CSRF: &str = "cd";

/// The browser's cookies: a fixed form token and, if given, a session.
pub(crate) fn cookies(token: Option<&str>) -> (String, String) {
    let csrf = CSRF.repeat(32);
    let session = token
        .map(|t| format!("loket_session={t}; "))
        .unwrap_or_default();
    (format!("{session}loket_csrf={csrf}"), csrf)
}

async fn the_staff_login_keeps_the_username_on_a_wrong_password_and_comes_back_to_the_desk(
    backend: Backend,
) {
    let app = TestApp::spawn(backend).await;
    let away = page(&app, "/staff/desk", None).await;
    assert_eq!(away.reply.status, 303);
    assert_eq!(
        away.reply.header("location"),
        Some("/staff/login?next=/staff/desk")
    );
    let (cookie, csrf) = cookies(None);
    let wrong = post_form(
        &app,
        "/staff/login",
        &cookie,
        &[
            ("csrf", &csrf),
            ("username", "loket.palembang"),
            ("password", "not-the-password"),
            ("next", "/staff/desk"),
        ],
    )
    .await;
    assert_eq!(wrong.reply.status, 200);
    assert!(
        wrong.one("title").starts_with("Galat:"),
        "{}",
        wrong.one("title")
    );
    assert_eq!(wrong.attr("#username", "value"), ["loket.palembang"]);
    assert_eq!(wrong.attr("#password", "value"), [""]);
    let right = post_form(
        &app,
        "/staff/login",
        &cookie,
        &[
            ("csrf", &csrf),
            ("username", "loket.palembang"),
            ("password", "demo-loket"),
            ("next", "https://evil.example/staff/"),
        ],
    )
    .await;
    assert_eq!(right.reply.status, 303);
    // Another site is never followed: the staff member's own screen instead.
    assert_eq!(right.reply.header("location"), Some("/staff/desk"));
    let set: Vec<&str> = right
        .reply
        .headers
        .get_all("set-cookie")
        .iter()
        .filter_map(|v| v.to_str().ok())
        .collect();
    assert!(
        set.iter()
            .any(|c| c.starts_with("loket_session=") && c.contains("HttpOnly")),
        "{set:?}"
    );
    assert!(
        set.iter().any(|c| c.starts_with("loket_csrf=")),
        "the form token is renewed at login: {set:?}"
    );
    // Without the form token the login is refused.
    let forged = post_form(
        &app,
        "/staff/login",
        "",
        &[("username", "loket.palembang"), ("password", "demo-loket")],
    )
    .await;
    assert_eq!(forged.reply.status, 403);
}

async fn only_staff_who_work_the_front_desk_open_it(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    // An applicant's session opens no staff page: to the staff login.
    let applicant = app.account(1).await;
    let (cookie, _) = cookies(Some(&applicant.token));
    let p = page(&app, "/staff/desk", Some(&cookie)).await;
    assert_eq!(p.reply.status, 303);
    assert!(
        p.reply
            .header("location")
            .is_some_and(|l| l.starts_with("/staff/login")),
        "{:?}",
        p.reply.header("location")
    );
    // Staff whose role does not work the desk see the forbidden page, and cannot post to it.
    for who in ["petugas.palembang", "kanwil.sumsel"] {
        let token = app.staff_token(who).await;
        let (cookie, csrf) = cookies(Some(&token));
        let p = page(&app, "/staff/desk", Some(&cookie)).await;
        assert_eq!(p.reply.status, 403, "{who}");
        let post = post_form(
            &app,
            "/staff/desk/walk-in",
            &cookie,
            &[
                ("csrf", &csrf),
                ("basis", "elderly"),
                ("birth_date", "1950-03-04"),
            ],
        )
        .await;
        assert_eq!(post.reply.status, 403, "{who}");
    }
    // The desk and the head of office open it.
    for who in ["loket.palembang", "kepala.palembang"] {
        let token = app.staff_token(who).await;
        let (cookie, _) = cookies(Some(&token));
        let p = page(&app, "/staff/desk", Some(&cookie)).await;
        assert_eq!(p.reply.status, 200, "{who}");
        assert_eq!(p.attr("#code", "autofocus"), [""], "{who}");
    }
    let issued = app
        .get(
            "/api/v1/offices/palembang/tickets",
            Some(&app.head_token().await),
        )
        .await
        .expect(200);
    assert_eq!(issued, Value::Array(vec![]));
}

async fn the_desk_checks_in_by_the_typed_code_and_registers_walk_ins_with_the_form_token(
    backend: Backend,
) {
    let app = TestApp::spawn(backend).await;
    let day = app.bookable_date().await;
    let (b, a) = app.paid_booking(day, "s1").await;
    app.advance_to_local(day, 8);
    let token = app.staff_token("loket.palembang").await;
    let (cookie, csrf) = cookies(Some(&token));
    let code = b["booking_code"].as_str().expect("code");

    let found = page(&app, &format!("/staff/desk?code={code}"), Some(&cookie)).await;
    assert_eq!(found.reply.status, 200);
    assert_eq!(found.one(".card h3"), "Budi Santoso");
    let nik = found.one(".card .nik");
    assert!(nik.contains("********"), "{nik}");
    assert!(
        !found.reply.text.contains(&a.people[0].nik),
        "the whole NIK"
    );

    // Without the token: refused, nothing issued.
    let forged = post_form(&app, "/staff/desk/check-in", &cookie, &[("code", code)]).await;
    assert_eq!(forged.reply.status, 403);
    let checked = post_form(
        &app,
        "/staff/desk/check-in",
        &cookie,
        &[("csrf", &csrf), ("code", code)],
    )
    .await;
    assert_eq!(checked.reply.status, 303);
    let to = checked
        .reply
        .header("location")
        .expect("location")
        .to_owned();
    assert!(to.starts_with("/staff/desk?done="), "{to}");
    let done = page(&app, &to, Some(&cookie)).await;
    assert!(done.one(".done").contains("A-001"), "{}", done.one(".done"));
    // Twice: a conflict, said in words, the booking shown as it stands.
    let again = post_form(
        &app,
        "/staff/desk/check-in",
        &cookie,
        &[("csrf", &csrf), ("code", code)],
    )
    .await;
    assert_eq!(again.reply.status, 409);
    assert!(again.one(".error-summary").contains("sudah lapor diri"));

    // A walk-in with a birth date that does not fit: 422, what was typed kept.
    let unfit = post_form(
        &app,
        "/staff/desk/walk-in",
        &cookie,
        &[
            ("csrf", &csrf),
            ("basis", "small_child"),
            ("birth_date", "1990-01-01"),
        ],
    )
    .await;
    assert_eq!(unfit.reply.status, 422);
    assert_eq!(unfit.attr("#birth_date", "value"), ["1990-01-01"]);
    assert_eq!(
        unfit.attr("input[name=basis][checked]", "value"),
        ["small_child"]
    );
    let walk = post_form(
        &app,
        "/staff/desk/walk-in",
        &cookie,
        &[
            ("csrf", &csrf),
            ("basis", "pregnant"),
            ("birth_date", "1995-01-01"),
        ],
    )
    .await;
    assert_eq!(walk.reply.status, 303);
    let to = walk.reply.header("location").expect("location").to_owned();
    let shown = page(&app, &to, Some(&cookie)).await;
    assert!(shown.one(".done").contains("P-001"));
    let printed: Vec<String> = shown.attr(".done a", "href");
    let ticket = page(&app, &printed[0], Some(&cookie)).await;
    assert_eq!(ticket.one(".ticket .number"), "P-001");
    // Another staff member's office would not find it: the ticket page is the office's.
    let elsewhere = browser_request(&app, Method::GET, &printed[0]);
    let anon = app.send(elsewhere).await;
    assert_eq!(anon.status, 303);
}

async fn the_head_of_office_sees_the_floor_and_raises_todays_priority_quota_on_the_spot(
    backend: Backend,
) {
    let app = TestApp::spawn(backend).await;
    let day = app.bookable_date().await;
    app.advance_to_local(day, 9);
    let desk = app.staff_token("loket.palembang").await;
    app.post(
        "/api/v1/offices/palembang/walk-ins",
        Some(&desk),
        &serde_json::json!({"basis": "elderly", "birth_date": "1950-03-04"}),
    )
    .await
    .expect(201);
    let head = app.head_token().await;
    let (cookie, csrf) = cookies(Some(&head));
    let view = page(&app, "/staff/floor", Some(&cookie)).await;
    assert_eq!(view.reply.status, 200);
    let figures = view.all(".figures dd");
    // Waiting: one priority, none booked, none at pickup; ...; the demo's 20 priority
    // places of a Monday to Thursday, one used.
    assert_eq!(figures[0], "1", "{figures:?}");
    assert_eq!(figures[1], "0", "{figures:?}");
    assert_eq!(
        figures.last().map(String::as_str),
        Some("19 dari 20"),
        "{figures:?}"
    );
    // Raised on the spot: the desk sees it, the audit log has it.
    let raised = post_form(
        &app,
        "/staff/floor/priority",
        &cookie,
        &[("csrf", &csrf), ("places", "5")],
    )
    .await;
    assert_eq!(raised.reply.status, 303);
    assert_eq!(
        raised.reply.header("location"),
        Some("/staff/floor?raised=5")
    );
    let after = page(&app, "/staff/floor?raised=5", Some(&cookie)).await;
    assert_eq!(
        after.all(".figures dd").last().map(String::as_str),
        Some("24 dari 25")
    );
    assert!(after.one(".done").contains('5'));
    let audit = app
        .get("/api/v1/offices/palembang/audit", Some(&head))
        .await
        .expect(200);
    assert!(
        audit
            .as_array()
            .expect("a list")
            .iter()
            .any(|a| a["actor"] == "kepala.palembang"
                && a["subject"]
                    .as_str()
                    .is_some_and(|s| s.contains("priority_walk_in"))),
        "{audit}"
    );
    // Nonsense changes nothing; the front desk may not see or raise it.
    let bad = post_form(
        &app,
        "/staff/floor/priority",
        &cookie,
        &[("csrf", &csrf), ("places", "1000")],
    )
    .await;
    assert_eq!(bad.reply.header("location"), Some("/staff/floor?refused=1"));
    let (desk_cookie, desk_csrf) = cookies(Some(&desk));
    assert_eq!(
        page(&app, "/staff/floor", Some(&desk_cookie))
            .await
            .reply
            .status,
        403
    );
    let refused = post_form(
        &app,
        "/staff/floor/priority",
        &desk_cookie,
        &[("csrf", &desk_csrf), ("places", "5")],
    )
    .await;
    assert_eq!(refused.reply.status, 403);
}

async fn a_late_applicant_is_moved_with_a_special_reschedule_at_the_desk(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let dates = app.open_dates().await;
    let (day, later) = (dates[0], dates[2]);
    let (b, a) = app.paid_booking(day, "s1").await;
    app.advance_to_local(day, 11);
    let token = app.staff_token("loket.palembang").await;
    let (cookie, csrf) = cookies(Some(&token));
    let code = b["booking_code"].as_str().expect("code");
    let found = page(&app, &format!("/staff/desk?code={code}"), Some(&cookie)).await;
    assert_eq!(found.attr("#special-date", "name"), ["date"]);
    let unchosen = post_form(
        &app,
        "/staff/desk/special",
        &cookie,
        &[("csrf", &csrf), ("code", code), ("session", "s1")],
    )
    .await;
    assert_eq!(unchosen.reply.status, 409);
    let later_s = later.to_string();
    let moved = post_form(
        &app,
        "/staff/desk/special",
        &cookie,
        &[
            ("csrf", &csrf),
            ("code", code),
            ("date", &later_s),
            ("session", "s1"),
            ("reason", "illness"),
        ],
    )
    .await;
    assert_eq!(moved.reply.status, 200);
    assert!(
        moved.one(".done").contains(&later.format("%Y").to_string()),
        "{}",
        moved.one(".done")
    );
    let seen = app.booking(&a.token, &b["id"]).await;
    assert_eq!(seen["date"], later_s);
    assert_eq!(seen["state"], "paid");
}

async fn in_outage_mode_the_desk_gives_b_numbers_to_people_without_a_booking(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let day = app.bookable_date().await;
    app.advance_to_local(day, 9);
    let token = app.staff_token("loket.palembang").await;
    let (cookie, csrf) = cookies(Some(&token));
    let refused = post_form(
        &app,
        "/staff/desk/outage-walk-in",
        &cookie,
        &[("csrf", &csrf)],
    )
    .await;
    assert_eq!(refused.reply.status, 409);
    let on = post_form(
        &app,
        "/staff/desk/outage",
        &cookie,
        &[("csrf", &csrf), ("on", "1")],
    )
    .await;
    assert_eq!(on.reply.header("location"), Some("/staff/desk?outage=on"));
    let b = post_form(
        &app,
        "/staff/desk/outage-walk-in",
        &cookie,
        &[("csrf", &csrf)],
    )
    .await;
    assert_eq!(b.reply.status, 303);
    let to = b.reply.header("location").expect("location").to_owned();
    let shown = page(&app, &to, Some(&cookie)).await;
    assert!(
        shown.one(".done").contains("B-001"),
        "{}",
        shown.one(".done")
    );
    // The counter calls it with the regular tickets.
    let officer = app.staff_token("petugas.palembang").await;
    let called = app
        .post(
            "/api/v1/offices/palembang/counters/1/call",
            Some(&officer),
            &serde_json::json!({"stage": "documents"}),
        )
        .await
        .expect(200);
    assert_eq!(called["called"]["number"], "B-001");
}

async fn on_a_closed_day_the_desk_offers_no_outage_mode(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let saturday = app.saturday();
    app.advance_to_local(saturday, 9);
    let token = app.staff_token("loket.palembang").await;
    let (cookie, csrf) = cookies(Some(&token));
    let desk = page(&app, "/staff/desk", Some(&cookie)).await;
    assert_eq!(desk.reply.status, 200);
    let outage = desk.one("section[aria-labelledby=outage-title]");
    assert!(outage.contains("Kantor tutup hari ini"), "{outage}");
    let switches = desk.attr("section[aria-labelledby=outage-title] form", "action");
    assert!(switches.is_empty(), "no switch: {switches:?}");
    // Nor a priority walk-in form: nobody is served today.
    let walk_in = desk.one("section[aria-labelledby=walk-in-title]");
    assert!(walk_in.contains("Kantor tutup hari ini"), "{walk_in}");
    let forms = desk.attr("section[aria-labelledby=walk-in-title] form", "action");
    assert!(forms.is_empty(), "no walk-in form: {forms:?}");
    // A switch posted anyway is refused in words, on the desk page.
    let on = post_form(
        &app,
        "/staff/desk/outage",
        &cookie,
        &[("csrf", &csrf), ("on", "1")],
    )
    .await;
    assert_eq!(on.reply.status, 409);
    assert!(
        on.one(".error-summary").contains("Kantor tutup hari ini"),
        "{}",
        on.reply.text
    );
}
