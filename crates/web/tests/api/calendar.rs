//! The calendar: national holidays (system admins) and office closures (heads of office).

use chrono::Datelike;
use serde_json::json;

use crate::helpers::{Backend, OFFICE, TestApp, date_of};

api_tests!(
    a_new_national_holiday_closes_the_date,
    an_office_closure_refuses_bookings_on_that_date,
    only_system_admins_set_national_holidays,
);

async fn a_new_national_holiday_closes_the_date(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let admin = app.staff_token("admin").await;
    let date = app.bookable_date().await;
    assert_eq!(app.day(date).await["status"], "open");

    let h = app
        .put(
            &format!("/api/v1/holidays/{date}"),
            Some(&admin),
            &json!({"kind": "holiday", "name_id": "Hari Pemilihan", "name_en": "Election Day"}),
        )
        .await
        .expect(200);
    assert_eq!(h["date"], date.to_string());

    let day = app.day(date).await;
    assert_eq!(day["status"], "closed", "{day}");
    assert_eq!(day["closed_reason"]["kind"], "holiday", "{day}");
    assert_eq!(day["closed_reason"]["name_en"], "Election Day", "{day}");
    let list = app
        .get(&format!("/api/v1/holidays?year={}", date.year()), None)
        .await
        .expect(200);
    assert!(
        list.as_array()
            .unwrap()
            .iter()
            .any(|h| date_of(&h["date"]) == date && h["kind"] == "holiday"),
        "{list}"
    );
    let account = app.account(1).await;
    app.book(&account.token, account.people[0].id, date, "s1")
        .await
        .problem(409, "office-closed");
}

async fn an_office_closure_refuses_bookings_on_that_date(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let head = app.head_token().await;
    let account = app.account(1).await;
    let dates = app.open_dates().await;
    let date = dates[1];

    let c = app
        .put(
            &format!("/api/v1/offices/{OFFICE}/closures/{date}"),
            Some(&head),
            &json!({"kind": "closed", "reason": "Pemadaman listrik"}),
        )
        .await
        .expect(200);
    assert_eq!(c["kind"], "closed");

    let p = app
        .book(&account.token, account.people[0].id, date, "s1")
        .await
        .problem(409, "office-closed");
    assert_eq!(p["reason"]["kind"], "office_closure", "{p}");
    assert_eq!(p["reason"]["reason"], "Pemadaman listrik", "{p}");
    let day = app.day(date).await;
    assert_eq!(day["status"], "closed", "{day}");
    assert_eq!(day["closed_reason"]["kind"], "office_closure", "{day}");
    let closures = app
        .get(
            &format!("/api/v1/offices/{OFFICE}/closures?from={date}&to={date}"),
            None,
        )
        .await
        .expect(200);
    assert_eq!(closures[0]["reason"], "Pemadaman listrik", "{closures}");
    // Other days and other offices are not affected.
    app.book(&account.token, account.people[0].id, dates[0], "s1")
        .await
        .expect(201);
    let denpasar = app
        .get(
            &format!("/api/v1/offices/denpasar/availability?from={date}&to={date}"),
            None,
        )
        .await
        .expect(200);
    assert_eq!(denpasar["days"][0]["status"], "open", "{denpasar}");
    // Only managers close offices.
    let other = app.account(0).await;
    app.put(
        &format!("/api/v1/offices/{OFFICE}/closures/{}", dates[2]),
        Some(&other.token),
        &json!({"kind": "closed", "reason": "x"}),
    )
    .await
    .problem(403, "forbidden");
    app.put(
        &format!("/api/v1/offices/denpasar/closures/{}", dates[2]),
        Some(&head),
        &json!({"kind": "closed", "reason": "x"}),
    )
    .await
    .problem(403, "forbidden");
}

async fn only_system_admins_set_national_holidays(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let date = app.bookable_date().await;
    let body = json!({"kind": "holiday", "name_id": "Libur", "name_en": "Day off"});
    let path = format!("/api/v1/holidays/{date}");

    let head = app.head_token().await;
    app.put(&path, Some(&head), &body)
        .await
        .problem(403, "forbidden");
    let kanwil = app.staff_token("kanwil.sumsel").await;
    app.put(&path, Some(&kanwil), &body)
        .await
        .problem(403, "forbidden");
    let account = app.account(0).await;
    app.put(&path, Some(&account.token), &body)
        .await
        .problem(403, "forbidden");
    app.put(&path, None, &body)
        .await
        .problem(401, "unauthorized");

    assert_eq!(app.day(date).await["status"], "open");
}
