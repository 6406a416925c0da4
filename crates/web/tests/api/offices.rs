//! Offices and availability: zones, closed days, release, remaining places, bad ranges.

use chrono::{Datelike, Days, TimeZone, Utc, Weekday};
use chrono_tz::Asia::Jakarta;

use crate::helpers::{Backend, OFFICE, Reply, TestApp, date_of, time_of};

api_tests!(
    the_office_list_has_offices_in_all_three_time_zones,
    weekends_and_holidays_are_closed_with_a_reason,
    dates_past_the_release_are_not_released_with_their_opening_time,
    remaining_places_drop_after_a_booking,
    availability_lags_a_booking_by_at_most_its_cache_ttl_and_is_exact_after,
    bad_ranges_are_validation_failed,
    an_unknown_office_is_a_not_found_problem,
);

async fn the_office_list_has_offices_in_all_three_time_zones(backend: Backend) {
    let app = TestApp::spawn(backend).await;

    let list = app.get("/api/v1/offices", None).await.expect(200);

    let office = |code: &str| {
        list.as_array()
            .unwrap()
            .iter()
            .find(|o| o["code"] == code)
            .unwrap_or_else(|| panic!("{code} missing from {list}"))
            .clone()
    };
    for (code, zone, label) in [
        ("palembang", "Asia/Jakarta", "WIB"),
        ("denpasar", "Asia/Makassar", "WITA"),
        ("jayapura", "Asia/Jayapura", "WIT"),
    ] {
        let o = office(code);
        assert_eq!(o["time_zone"], zone, "{o}");
        assert_eq!(o["zone_label"], label, "{o}");
    }
    let palembang = office("palembang");
    let sessions: Vec<_> = palembang["sessions"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s["code"].as_str().unwrap().to_owned())
        .collect();
    assert_eq!(sessions, ["s1", "s2", "s3", "s3f"]);
    let one = app.get("/api/v1/offices/jayapura", None).await.expect(200);
    assert_eq!(one["zone_label"], "WIT");
}

async fn weekends_and_holidays_are_closed_with_a_reason(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let saturday = app.saturday();
    let sunday = saturday + Days::new(1);

    for d in [saturday, sunday] {
        let day = app.day(d).await;
        assert_eq!(day["status"], "closed", "{day}");
        assert_eq!(day["closed_reason"]["kind"], "weekend", "{day}");
        assert_eq!(day["sessions"].as_array().unwrap().len(), 0, "{day}");
    }

    let holiday = app.future_holiday().await;
    let day = app.day(holiday).await;
    assert_eq!(day["status"], "closed", "{day}");
    let kind = day["closed_reason"]["kind"].as_str().unwrap();
    assert!(
        kind == "holiday" || kind == "collective_leave",
        "{holiday}: {day}"
    );
    assert!(
        !day["closed_reason"]["name_id"]
            .as_str()
            .unwrap_or("")
            .is_empty(),
        "{day}"
    );
}

async fn dates_past_the_release_are_not_released_with_their_opening_time(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let today = app.today();
    let from = today + Days::new(1);
    let to = today + Days::new(45);

    let r = app
        .get(
            &format!("/api/v1/offices/{OFFICE}/availability?from={from}&to={to}"),
            None,
        )
        .await
        .expect(200);

    assert_eq!(r["time_zone"], "Asia/Jakarta");
    assert_eq!(r["zone_label"], "WIB");
    let days = r["days"].as_array().unwrap();
    assert_eq!(days.len(), 45);
    let mut unreleased = 0;
    for d in days {
        let date = date_of(&d["date"]);
        let status = d["status"].as_str().unwrap();
        if status == "closed" {
            continue;
        }
        // Rolling release: 30 days ahead at 08:00 office time.
        let opens = Jakarta
            .from_local_datetime(&(date - Days::new(30)).and_hms_opt(8, 0, 0).unwrap())
            .unwrap()
            .with_timezone(&Utc);
        if opens > app.now() {
            assert_eq!(status, "not_released", "{d}");
            assert_eq!(time_of(&d["opens_at"]), opens, "{d}");
            assert!(date > today + Days::new(29), "{d}");
            unreleased += 1;
        } else {
            assert_eq!(status, "open", "{d}");
            assert!(d.get("opens_at").is_none(), "{d}");
            assert!(date <= today + Days::new(30), "{d}");
        }
    }
    assert!(unreleased >= 5, "{unreleased} unreleased days in {r}");
    // A date that is not released shows its sessions, with nothing to book yet.
    let (date, _) = app.unreleased_date().await;
    let day = app.day(date).await;
    assert!(!day["sessions"].as_array().unwrap().is_empty(), "{day}");
    assert_eq!(crate::helpers::online(&day, "s1")["remaining"], 0, "{day}");
}

async fn remaining_places_drop_after_a_booking(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let account = app.account(2).await;
    let date = app.bookable_date().await;
    assert!(matches!(
        date.weekday(),
        Weekday::Mon | Weekday::Tue | Weekday::Wed | Weekday::Thu
    ));
    assert_eq!(app.capacity(date, "s1").await, 30);
    assert_eq!(app.remaining(date, "s1").await, 30);

    app.book(&account.token, account.people[0].id, date, "s1")
        .await
        .expect(201);
    assert_eq!(app.remaining(date, "s1").await, 29);
    app.book(&account.token, account.people[1].id, date, "s1")
        .await
        .expect(201);
    assert_eq!(app.remaining(date, "s1").await, 28);
    assert_eq!(app.capacity(date, "s1").await, 30);
    // Other sessions are untouched.
    assert_eq!(app.remaining(date, "s2").await, 25);
}

async fn availability_lags_a_booking_by_at_most_its_cache_ttl_and_is_exact_after(backend: Backend) {
    let app = TestApp::spawn_with(backend, |s| s.availability_cache_ms = 700).await;
    let account = app.account(1).await;
    let date = app.bookable_date().await;
    let started = std::time::Instant::now();
    let before = app.remaining(date, "s1").await;

    app.book(&account.token, account.people[0].id, date, "s1")
        .await
        .expect(201);
    // Within the TTL the answer built before the booking is served as it was (checked
    // only when the machine was quick enough to ask again well within the TTL)...
    let soon = app.remaining(date, "s1").await;
    if started.elapsed() < std::time::Duration::from_millis(600) {
        assert_eq!(soon, before, "the answer was rebuilt within its TTL");
    }
    // ...and once the TTL has passed since it was built, it is exact.
    tokio::time::sleep(std::time::Duration::from_millis(750)).await;
    assert_eq!(app.remaining(date, "s1").await, before - 1);
}

async fn bad_ranges_are_validation_failed(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let from = app.today() + Days::new(3);
    let path = |f: &str, t: &str| format!("/api/v1/offices/{OFFICE}/availability?from={f}&to={t}");
    let day = |n: u64| (from + Days::new(n)).to_string();
    let f = from.to_string();

    let p = app
        .get(&path(&f, &(from - Days::new(1)).to_string()), None)
        .await
        .problem(422, "validation-failed");
    assert_eq!(Reply::field_error(&p, "to")["code"], "range_reversed");

    let p = app
        .get(&path(&f, &day(62)), None)
        .await
        .problem(422, "validation-failed");
    assert_eq!(Reply::field_error(&p, "to")["code"], "range_too_long");
    // 62 days, the longest allowed, is fine.
    let ok = app.get(&path(&f, &day(61)), None).await.expect(200);
    assert_eq!(ok["days"].as_array().unwrap().len(), 62);

    for (from, to, field) in [
        ("2026-13-01", day(3), "from"),
        ("tomorrow", day(3), "from"),
        (f.as_str(), "2026/12/01".to_owned(), "to"),
        (f.as_str(), "2026-02-30".to_owned(), "to"),
    ] {
        let p = app
            .get(&path(from, &to), None)
            .await
            .problem(422, "validation-failed");
        assert_eq!(Reply::field_error(&p, field)["code"], "invalid_date", "{p}");
    }
}

async fn an_unknown_office_is_a_not_found_problem(backend: Backend) {
    let app = TestApp::spawn(backend).await;

    app.get("/api/v1/offices/atlantis", None)
        .await
        .problem(404, "not-found");
    app.get("/api/v1/offices/atlantis/availability", None)
        .await
        .problem(404, "not-found");
    let account = app.account(1).await;
    let mut body =
        crate::helpers::booking_body(account.people[0].id, app.bookable_date().await, "s1");
    body["office"] = "atlantis".into();
    app.post("/api/v1/bookings", Some(&account.token), &body)
        .await
        .problem(404, "not-found");
}
