//! The office floor over the API: priority walk-ins get P tickets within today's priority
//! quota, the basis checked against the birth date, and only the office's front desk and
//! head of office may register them.

use chrono::{Datelike, Days};
use serde_json::json;

use crate::helpers::{Backend, OFFICE, Reply, TestApp};

api_tests!(
    the_front_desk_registers_priority_walk_ins_until_the_days_quota_is_used_up,
    a_walk_in_is_refused_in_words_when_the_birth_date_does_not_fit_the_basis,
    only_the_offices_front_desk_and_head_register_walk_ins,
    no_walk_in_is_registered_on_a_day_the_office_is_closed,
    in_outage_mode_people_without_a_booking_get_b_numbers,
    outage_mode_is_not_switched_on_on_a_day_the_office_is_closed,
);

/// Moves the clock to 09:00 WIB on the first open Monday-to-Thursday date.
async fn open_morning(app: &TestApp) -> chrono::NaiveDate {
    let day = app.bookable_date().await;
    app.advance_to_local(day, 9);
    day
}

async fn the_front_desk_registers_priority_walk_ins_until_the_days_quota_is_used_up(
    backend: Backend,
) {
    let app = TestApp::spawn(backend).await;
    let day = open_morning(&app).await;
    let desk = app.staff_token("loket.palembang").await;
    let head = app.head_token().await;
    let url = format!("/api/v1/offices/{OFFICE}/walk-ins");
    // Today's priority places: one in each morning session, none in the afternoon.
    for (session, places) in [("s1", 1), ("s2", 1), ("s3", 0)] {
        app.put(
            &format!("/api/v1/offices/{OFFICE}/quotas/overrides"),
            Some(&head),
            &json!({"date": day, "session": session, "class": "priority_walk_in", "capacity": places}),
        )
        .await
        .expect(200);
    }
    let elderly = json!({"basis": "elderly", "birth_date": "1950-03-04"});
    let first = app.post(&url, Some(&desk), &elderly).await.expect(201);
    assert_eq!(first["number"], "P-001");
    assert_eq!(first["priority_basis"], "elderly");
    assert_eq!(first["state"], "waiting");
    assert_eq!(first["date"], day.to_string());
    let child = json!({"basis": "small_child", "birth_date": (day - Days::new(400)).to_string()});
    assert_eq!(
        app.post(&url, Some(&desk), &child).await.expect(201)["number"],
        "P-002"
    );
    let full = app
        .post(
            &url,
            Some(&desk),
            &json!({"basis": "pregnant", "birth_date": "1995-01-01"}),
        )
        .await
        .problem(409, "priority-quota-full");
    assert!(
        full["detail"].as_str().unwrap_or("").contains("raise"),
        "{full}"
    );
    // The head of office raises it on the spot (audited as any quota change).
    app.put(
        &format!("/api/v1/offices/{OFFICE}/quotas/overrides"),
        Some(&head),
        &json!({"date": day, "session": "s2", "class": "priority_walk_in", "capacity": 2}),
    )
    .await
    .expect(200);
    assert_eq!(
        app.post(
            &url,
            Some(&head),
            &json!({"basis": "pregnant", "birth_date": "1995-01-01"})
        )
        .await
        .expect(201)["number"],
        "P-003"
    );
    let listed = app
        .get(&format!("/api/v1/offices/{OFFICE}/tickets"), Some(&desk))
        .await
        .expect(200);
    let numbers: Vec<&str> = listed
        .as_array()
        .expect("a list")
        .iter()
        .filter_map(|t| t["number"].as_str())
        .collect();
    assert_eq!(numbers, ["P-001", "P-002", "P-003"]);
    let audit = app
        .get(&format!("/api/v1/offices/{OFFICE}/audit"), Some(&head))
        .await
        .expect(200);
    let registered = audit
        .as_array()
        .expect("a list")
        .iter()
        .filter(|a| a["action"] == "floor.walk_in")
        .count();
    assert_eq!(registered, 3, "{audit}");
    // Another day's list is empty.
    let tomorrow = day + Days::new(1);
    let other = app
        .get(
            &format!("/api/v1/offices/{OFFICE}/tickets?date={tomorrow}"),
            Some(&desk),
        )
        .await
        .expect(200);
    assert_eq!(other, json!([]));
    assert!(day.weekday().number_from_monday() <= 4);
}

async fn a_walk_in_is_refused_in_words_when_the_birth_date_does_not_fit_the_basis(
    backend: Backend,
) {
    let app = TestApp::spawn(backend).await;
    let day = open_morning(&app).await;
    let desk = app.staff_token("loket.palembang").await;
    let url = format!("/api/v1/offices/{OFFICE}/walk-ins");
    let young = app
        .post(
            &url,
            Some(&desk),
            &json!({"basis": "elderly", "birth_date": "1990-01-01"}),
        )
        .await
        .problem(422, "validation-failed");
    assert_eq!(
        Reply::field_error(&young, "birth_date")["code"],
        "not_elderly"
    );
    let five = (day.with_year(day.year() - 5)).expect("a date five years back");
    let big = app
        .post(
            &url,
            Some(&desk),
            &json!({"basis": "small_child", "birth_date": five}),
        )
        .await
        .problem(422, "validation-failed");
    assert_eq!(
        Reply::field_error(&big, "birth_date")["code"],
        "not_small_child"
    );
    let both = app
        .post(
            &url,
            Some(&desk),
            &json!({"basis": "tired", "birth_date": "someday"}),
        )
        .await
        .problem(422, "validation-failed");
    assert_eq!(Reply::field_error(&both, "basis")["code"], "invalid_choice");
    assert_eq!(
        Reply::field_error(&both, "birth_date")["code"],
        "invalid_date"
    );
    // Nothing was issued.
    let listed = app
        .get(&format!("/api/v1/offices/{OFFICE}/tickets"), Some(&desk))
        .await
        .expect(200);
    assert_eq!(listed, json!([]));
}

async fn only_the_offices_front_desk_and_head_register_walk_ins(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    open_morning(&app).await;
    let url = format!("/api/v1/offices/{OFFICE}/walk-ins");
    let body = json!({"basis": "disability", "birth_date": "1980-01-01"});
    for who in ["petugas.palembang", "kanwil.sumsel"] {
        let token = app.staff_token(who).await;
        app.post(&url, Some(&token), &body)
            .await
            .problem(403, "forbidden");
    }
    let applicant = app.demo_applicant_token().await;
    app.post(&url, Some(&applicant), &body)
        .await
        .problem(403, "forbidden");
    app.post(&url, None, &body)
        .await
        .problem(401, "unauthorized");
    let desk = app.staff_token("loket.palembang").await;
    app.post("/api/v1/offices/muara-enim/walk-ins", Some(&desk), &body)
        .await
        .problem(403, "forbidden");
    app.post(&url, Some(&desk), &body).await.expect(201);
}

async fn no_walk_in_is_registered_on_a_day_the_office_is_closed(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let saturday = app.saturday();
    app.advance_to_local(saturday, 9);
    let desk = app.staff_token("loket.palembang").await;
    let closed = app
        .post(
            &format!("/api/v1/offices/{OFFICE}/walk-ins"),
            Some(&desk),
            &json!({"basis": "elderly", "birth_date": "1950-03-04"}),
        )
        .await
        .problem(409, "office-closed");
    assert_eq!(closed["reason"]["kind"], "weekend", "{closed}");
    let listed = app
        .get(&format!("/api/v1/offices/{OFFICE}/tickets"), Some(&desk))
        .await
        .expect(200);
    assert_eq!(listed, json!([]));
}

async fn in_outage_mode_people_without_a_booking_get_b_numbers(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    open_morning(&app).await;
    let desk = app.staff_token("loket.palembang").await;
    let walk_ins = format!("/api/v1/offices/{OFFICE}/outage-walk-ins");
    let off = app
        .send(app.request(reqwest::Method::POST, &walk_ins, Some(&desk)))
        .await
        .problem(409, "outage-mode-off");
    assert!(
        off["detail"].as_str().unwrap_or("").contains("outage"),
        "{off}"
    );
    let mode = format!("/api/v1/offices/{OFFICE}/outage");
    let officer = app.staff_token("petugas.palembang").await;
    app.put(&mode, Some(&officer), &json!({"on": true}))
        .await
        .problem(403, "forbidden");
    app.put(&mode, Some(&desk), &json!({}))
        .await
        .problem(422, "validation-failed");
    assert_eq!(
        app.put(&mode, Some(&desk), &json!({"on": true}))
            .await
            .expect(200)["on"],
        true
    );
    let b = app
        .send(app.request(reqwest::Method::POST, &walk_ins, Some(&desk)))
        .await
        .expect(201);
    assert_eq!(b["number"], "B-001");
    // The office's calendar tells applicants to come without a booking today.
    let calendar = |app: &TestApp| {
        let url = app.url(&format!("/offices/{OFFICE}"));
        async move {
            crate::helpers::client()
                .get(url)
                .send()
                .await
                .expect("page")
                .text()
                .await
                .expect("body")
        }
    };
    let page = calendar(&app).await;
    assert!(
        page.contains("melayani pemohon tanpa janji"),
        "the outage notice: {page}"
    );
    app.put(&mode, Some(&desk), &json!({"on": false}))
        .await
        .expect(200);
    assert!(
        !calendar(&app)
            .await
            .contains("melayani pemohon tanpa janji")
    );
    app.send(app.request(reqwest::Method::POST, &walk_ins, Some(&desk)))
        .await
        .problem(409, "outage-mode-off");
}

async fn outage_mode_is_not_switched_on_on_a_day_the_office_is_closed(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let saturday = app.saturday();
    app.advance_to_local(saturday, 9);
    let desk = app.staff_token("loket.palembang").await;
    let mode = format!("/api/v1/offices/{OFFICE}/outage");
    let closed = app
        .put(&mode, Some(&desk), &json!({"on": true}))
        .await
        .problem(409, "office-closed");
    assert_eq!(closed["reason"]["kind"], "weekend", "{closed}");
    // Switching it off is always allowed, and a B number is refused as closed.
    assert_eq!(
        app.put(&mode, Some(&desk), &json!({"on": false}))
            .await
            .expect(200)["on"],
        false
    );
    app.send(app.request(
        reqwest::Method::POST,
        &format!("/api/v1/offices/{OFFICE}/outage-walk-ins"),
        Some(&desk),
    ))
    .await
    .problem(409, "office-closed");
}
