//! Quota management by staff: defaults, overrides, bulk changes, never below the places
//! taken, the audit trail, and who may manage which office.

use chrono::{Datelike, Days};
use serde_json::{Value, json};

use crate::helpers::{Backend, OFFICE, TestApp};

api_tests!(
    the_head_of_office_sets_a_weekday_default_and_a_date_override,
    a_bulk_percent_change_raises_every_session_in_the_range,
    an_override_below_the_places_taken_is_refused,
    a_bulk_cut_below_the_places_taken_is_clamped,
    the_audit_log_names_the_head_of_office,
    an_applicant_may_not_manage_quotas,
    a_head_of_office_manages_only_their_own_office,
    a_regional_admin_manages_only_offices_of_their_region,
);

fn weekday_code(d: chrono::NaiveDate) -> &'static str {
    match d.weekday() {
        chrono::Weekday::Mon => "mon",
        chrono::Weekday::Tue => "tue",
        chrono::Weekday::Wed => "wed",
        chrono::Weekday::Thu => "thu",
        chrono::Weekday::Fri => "fri",
        chrono::Weekday::Sat => "sat",
        chrono::Weekday::Sun => "sun",
    }
}

fn override_body(date: chrono::NaiveDate, session: &str, capacity: i64) -> Value {
    json!({"date": date, "session": session, "class": "online", "capacity": capacity})
}

async fn the_head_of_office_sets_a_weekday_default_and_a_date_override(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let head = app.head_token().await;
    let dates = app.open_dates().await;
    let (d0, d1) = (dates[0], dates[0] + Days::new(7));

    let changes = app
        .put(
            &format!("/api/v1/offices/{OFFICE}/quotas/defaults"),
            Some(&head),
            &json!({"weekday": weekday_code(d0), "session": "s2", "class": "online", "capacity": 40}),
        )
        .await
        .expect(200);
    assert_eq!(changes[0]["before"], 25, "{changes}");
    assert_eq!(changes[0]["after"], 40, "{changes}");
    assert_eq!(app.capacity(d0, "s2").await, 40);
    assert_eq!(app.capacity(d1, "s2").await, 40);

    let change = app
        .put(
            &format!("/api/v1/offices/{OFFICE}/quotas/overrides"),
            Some(&head),
            &override_body(d0, "s2", 75),
        )
        .await
        .expect(200);
    assert_eq!(change["before"], 40, "{change}");
    assert_eq!(change["after"], 75, "{change}");
    assert_eq!(app.capacity(d0, "s2").await, 75);
    assert_eq!(app.remaining(d0, "s2").await, 75);
    assert_eq!(app.capacity(d1, "s2").await, 40);

    let q = app
        .get(
            &format!("/api/v1/offices/{OFFICE}/quotas?from={d0}&to={d0}"),
            Some(&head),
        )
        .await
        .expect(200);
    let o = &q["overrides"].as_array().unwrap();
    assert!(
        o.iter()
            .any(|o| o["session_code"] == "s2" && o["capacity"] == 75),
        "{q}"
    );
    // Bad input is a validation problem listing each field.
    let p = app
        .put(
            &format!("/api/v1/offices/{OFFICE}/quotas/overrides"),
            Some(&head),
            &json!({"date": d0, "session": "s9", "class": "vip", "capacity": -1}),
        )
        .await
        .problem(422, "validation-failed");
    assert_eq!(p["errors"].as_array().unwrap().len(), 3, "{p}");
}

async fn a_bulk_percent_change_raises_every_session_in_the_range(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let head = app.head_token().await;
    let from = app.bookable_date().await;
    let to = from + Days::new(6);

    let r = app
        .post(
            &format!("/api/v1/offices/{OFFICE}/quotas/bulk"),
            Some(&head),
            &json!({"from": from, "to": to, "adjustment": {"mode": "percent", "value": 50}}),
        )
        .await
        .expect(200);

    let changes = r["changes"].as_array().unwrap();
    assert_eq!(r["clamped"], 0);
    // A week has five workdays unless a holiday falls in it; three sessions each.
    assert!(changes.len() >= 9 && changes.len() <= 15, "{r}");
    for c in changes {
        let before = c["before"].as_i64().unwrap();
        assert_eq!(
            c["after"].as_i64().unwrap(),
            (before * 150 + 50) / 100,
            "{c}"
        );
        assert_eq!(c["clamped"], false);
    }
    assert_eq!(app.capacity(from, "s1").await, 45);
    assert_eq!(app.capacity(from, "s2").await, 38); // 25 * 1.5 = 37.5, rounded half up
    assert_eq!(app.capacity(from, "s3").await, 30);
    assert_eq!(app.capacity(to + Days::new(1), "s1").await, 30);
}

async fn an_override_below_the_places_taken_is_refused(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let head = app.head_token().await;
    let account = app.account(2).await;
    let date = app.bookable_date().await;
    for p in &account.people {
        app.book(&account.token, p.id, date, "s1").await.expect(201);
    }

    let p = app
        .put(
            &format!("/api/v1/offices/{OFFICE}/quotas/overrides"),
            Some(&head),
            &override_body(date, "s1", 1),
        )
        .await
        .problem(409, "capacity-below-taken");

    assert_eq!(p["taken"], 2, "{p}");
    assert_eq!(app.capacity(date, "s1").await, 30);
    // Exactly the places taken is allowed: the session is then full.
    app.set_capacity(&head, date, "s1", 2).await;
    assert_eq!(app.remaining(date, "s1").await, 0);
}

async fn a_bulk_cut_below_the_places_taken_is_clamped(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let head = app.head_token().await;
    let account = app.account(1).await;
    let date = app.bookable_date().await;
    app.book(&account.token, account.people[0].id, date, "s1")
        .await
        .expect(201);

    let r = app
        .post(
            &format!("/api/v1/offices/{OFFICE}/quotas/bulk"),
            Some(&head),
            &json!({"from": date, "to": date, "sessions": ["s1", "s2"],
                    "adjustment": {"mode": "set", "value": 0}}),
        )
        .await
        .expect(200);

    assert_eq!(r["clamped"], 1, "{r}");
    let changes = r["changes"].as_array().unwrap();
    let s1 = changes.iter().find(|c| c["session_code"] == "s1").unwrap();
    assert_eq!(s1["after"], 1, "{r}");
    assert_eq!(s1["clamped"], true, "{r}");
    let s2 = changes.iter().find(|c| c["session_code"] == "s2").unwrap();
    assert_eq!(s2["after"], 0, "{r}");
    assert_eq!(app.capacity(date, "s1").await, 1);
    assert_eq!(app.capacity(date, "s2").await, 0);
    assert_eq!(app.remaining(date, "s1").await, 0);
    assert_eq!(app.usage(date, "s1").await.unwrap().taken, 1);
}

async fn the_audit_log_names_the_head_of_office(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let head = app.head_token().await;
    let date = app.bookable_date().await;
    app.set_capacity(&head, date, "s1", 75).await;

    let log = app
        .get(&format!("/api/v1/offices/{OFFICE}/audit"), Some(&head))
        .await
        .expect(200);

    let entry = log
        .as_array()
        .unwrap()
        .iter()
        .find(|e| e["actor"] == "kepala.palembang")
        .unwrap_or_else(|| panic!("no entry by the head of office in {log}"));
    assert_eq!(entry["action"], "quota.override", "{entry}");
    assert_eq!(entry["subject"], format!("{date}/s1/online"), "{entry}");
    assert_eq!(entry["before"], "30", "{entry}");
    assert_eq!(entry["after"], "75", "{entry}");
    // Newest first.
    assert_eq!(log[0]["actor"], "kepala.palembang", "{log}");
}

async fn an_applicant_may_not_manage_quotas(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let account = app.account(0).await;
    let date = app.bookable_date().await;

    app.put(
        &format!("/api/v1/offices/{OFFICE}/quotas/overrides"),
        Some(&account.token),
        &override_body(date, "s1", 500),
    )
    .await
    .problem(403, "forbidden");
    app.get(
        &format!("/api/v1/offices/{OFFICE}/audit"),
        Some(&account.token),
    )
    .await
    .problem(403, "forbidden");
    app.put(
        &format!("/api/v1/offices/{OFFICE}/quotas/overrides"),
        None,
        &override_body(date, "s1", 500),
    )
    .await
    .problem(401, "unauthorized");
    // Front-desk staff of the office may not either.
    let desk = app.staff_token("loket.palembang").await;
    app.put(
        &format!("/api/v1/offices/{OFFICE}/quotas/overrides"),
        Some(&desk),
        &override_body(date, "s1", 500),
    )
    .await
    .problem(403, "forbidden");
    assert_eq!(app.capacity(date, "s1").await, 30);
}

async fn a_head_of_office_manages_only_their_own_office(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let head = app.head_token().await;
    let date = app.bookable_date().await;

    app.put(
        "/api/v1/offices/denpasar/quotas/overrides",
        Some(&head),
        &override_body(date, "s1", 100),
    )
    .await
    .problem(403, "forbidden");
    app.post(
        "/api/v1/offices/denpasar/quotas/bulk",
        Some(&head),
        &json!({"from": date, "to": date, "adjustment": {"mode": "percent", "value": 50}}),
    )
    .await
    .problem(403, "forbidden");
    app.get("/api/v1/offices/denpasar/audit", Some(&head))
        .await
        .problem(403, "forbidden");
}

async fn a_regional_admin_manages_only_offices_of_their_region(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let kanwil = app.staff_token("kanwil.sumsel").await;
    let date = app.bookable_date().await;

    app.put(
        &format!("/api/v1/offices/{OFFICE}/quotas/overrides"),
        Some(&kanwil),
        &override_body(date, "s1", 60),
    )
    .await
    .expect(200);
    assert_eq!(app.capacity(date, "s1").await, 60);
    // Muara Enim is in South Sumatra too.
    app.put(
        "/api/v1/offices/muara-enim/quotas/overrides",
        Some(&kanwil),
        &override_body(date, "s1", 30),
    )
    .await
    .expect(200);

    app.put(
        "/api/v1/offices/denpasar/quotas/overrides",
        Some(&kanwil),
        &override_body(date, "s1", 100),
    )
    .await
    .problem(403, "forbidden");
    // The system admin manages every office.
    let admin = app.staff_token("admin").await;
    app.put(
        "/api/v1/offices/denpasar/quotas/overrides",
        Some(&admin),
        &override_body(date, "s1", 100),
    )
    .await
    .expect(200);
}
