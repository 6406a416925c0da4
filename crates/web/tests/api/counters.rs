//! The counters over the API: calls in the call policy's order, one ticket per counter at
//! a time, the actions on a called ticket and what an interview outcome makes of the
//! booking; and only the office's counter officers and head of office may work them.

use serde_json::{Value, json};

use crate::helpers::{Backend, OFFICE, Reply, TestApp};

api_tests!(
    a_counter_calls_priority_first_serves_one_ticket_at_a_time_and_gives_outcomes,
    only_the_offices_counter_officers_and_head_work_its_counters,
);

fn call_url(counter: u32) -> String {
    format!("/api/v1/offices/{OFFICE}/counters/{counter}/call")
}

fn act_url(ticket: &Value) -> String {
    format!(
        "/api/v1/offices/{OFFICE}/tickets/{}/actions",
        ticket["id"].as_str().expect("ticket id")
    )
}

async fn a_counter_calls_priority_first_serves_one_ticket_at_a_time_and_gives_outcomes(
    backend: Backend,
) {
    let app = TestApp::spawn(backend).await;
    let day = app.bookable_date().await;
    let mut owners = Vec::new();
    for _ in 0..2 {
        let (b, a) = app.paid_booking(day, "s1").await;
        owners.push((a.token, b));
    }
    app.advance_to_local(day, 8);
    let desk = app.staff_token("loket.palembang").await;
    for (_, b) in &owners {
        let qr = format!("LOKET:{}", b["id"].as_str().expect("id")).to_uppercase();
        app.post(
            &format!("/api/v1/offices/{OFFICE}/check-ins"),
            Some(&desk),
            &json!({ "code": qr }),
        )
        .await
        .expect(201);
    }
    app.post(
        &format!("/api/v1/offices/{OFFICE}/walk-ins"),
        Some(&desk),
        &json!({"basis": "pregnant", "birth_date": "1995-01-01"}),
    )
    .await
    .expect(201);
    let officer = app.staff_token("petugas.palembang").await;
    let documents = json!({"stage": "documents"});

    // The priority walk-in first, at counter 1; the counter then serves it alone.
    let p = app
        .post(&call_url(1), Some(&officer), &documents)
        .await
        .expect(200)["called"]
        .clone();
    assert_eq!(
        (p["number"].as_str(), p["counter"].as_u64()),
        (Some("P-001"), Some(1))
    );
    assert_eq!(p["state"], "called");
    let busy = app
        .post(&call_url(1), Some(&officer), &documents)
        .await
        .problem(409, "counter-busy");
    assert_eq!(busy["number"], "P-001");
    let done = app
        .post(
            &act_url(&p),
            Some(&officer),
            &json!({"action": "finish", "counter": 1, "outcome": "accepted"}),
        )
        .await
        .expect(200);
    assert_eq!(
        (done["state"].as_str(), done["outcome"].as_str()),
        (Some("done"), Some("accepted"))
    );

    // The booked tickets in order; one whose person does not come is missed after three
    // calls, and put back when they turn up.
    let a1 = app
        .post(&call_url(1), Some(&officer), &documents)
        .await
        .expect(200)["called"]
        .clone();
    assert_eq!(a1["number"], "A-001");
    let soon = app
        .post(
            &act_url(&a1),
            Some(&officer),
            &json!({"action": "absent", "counter": 1}),
        )
        .await
        .problem(409, "ticket-action-refused");
    assert_eq!(
        (soon["reason"].as_str(), soon["needed"].as_u64()),
        (Some("recall_first"), Some(3))
    );
    for _ in 0..2 {
        app.post(
            &act_url(&a1),
            Some(&officer),
            &json!({"action": "recall", "counter": 1}),
        )
        .await
        .expect(200);
    }
    let other = app
        .post(
            &act_url(&a1),
            Some(&officer),
            &json!({"action": "recall", "counter": 2}),
        )
        .await
        .problem(409, "ticket-action-refused");
    assert_eq!(other["reason"], "other_counter");
    let missed = app
        .post(
            &act_url(&a1),
            Some(&officer),
            &json!({"action": "absent", "counter": 1}),
        )
        .await
        .expect(200);
    assert_eq!(missed["state"], "missed");
    app.post(
        &act_url(&a1),
        Some(&officer),
        &json!({"action": "put_back", "counter": 2}),
    )
    .await
    .expect(200);
    // Back at its place: called before A-002, which came after it.
    let again = app
        .post(&call_url(2), Some(&officer), &documents)
        .await
        .expect(200)["called"]
        .clone();
    assert_eq!(again["number"], "A-001");
    let no_reason = app
        .post(
            &act_url(&again),
            Some(&officer),
            &json!({"action": "finish", "counter": 2, "outcome": "rejected"}),
        )
        .await
        .problem(422, "validation-failed");
    assert_eq!(Reply::field_error(&no_reason, "reason")["code"], "required");
    app.post(
        &act_url(&again),
        Some(&officer),
        &json!({"action": "finish", "counter": 2, "outcome": "rejected", "reason": "identity_mismatch"}),
    )
    .await
    .expect(200);
    let a2 = app
        .post(&call_url(1), Some(&officer), &documents)
        .await
        .expect(200)["called"]
        .clone();
    assert_eq!(a2["number"], "A-002");
    app.post(
        &act_url(&a2),
        Some(&officer),
        &json!({"action": "finish", "counter": 1, "outcome": "accepted"}),
    )
    .await
    .expect(200);
    let none = app
        .post(&call_url(1), Some(&officer), &documents)
        .await
        .expect(200);
    assert_eq!(none["called"], Value::Null);

    // The outcomes, as the applicants see their bookings.
    let rejected = app.booking(&owners[0].0, &owners[0].1["id"]).await;
    assert_eq!(rejected["state"], "rejected");
    let accepted = app.booking(&owners[1].0, &owners[1].1["id"]).await;
    assert_eq!(accepted["state"], "accepted");
    let head = app.head_token().await;
    let audit = app
        .get(&format!("/api/v1/offices/{OFFICE}/audit"), Some(&head))
        .await
        .expect(200);
    let actions: Vec<&str> = audit
        .as_array()
        .expect("a list")
        .iter()
        .filter_map(|a| a["action"].as_str())
        .filter(|a| a.starts_with("floor."))
        .collect();
    for want in [
        "floor.call",
        "floor.recall",
        "floor.absent",
        "floor.put_back",
        "floor.finish",
    ] {
        assert!(actions.contains(&want), "{want} in {actions:?}");
    }
}

async fn only_the_offices_counter_officers_and_head_work_its_counters(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let day = app.bookable_date().await;
    app.advance_to_local(day, 8);
    let body = json!({"stage": "documents"});
    for who in ["loket.palembang", "kanwil.sumsel"] {
        let token = app.staff_token(who).await;
        app.post(&call_url(1), Some(&token), &body)
            .await
            .problem(403, "forbidden");
    }
    let applicant = app.account(0).await;
    app.post(&call_url(1), Some(&applicant.token), &body)
        .await
        .problem(403, "forbidden");
    app.post(&call_url(1), None, &body)
        .await
        .problem(401, "unauthorized");
    let officer = app.staff_token("petugas.palembang").await;
    app.post(
        "/api/v1/offices/muara-enim/counters/1/call",
        Some(&officer),
        &body,
    )
    .await
    .problem(403, "forbidden");
    // A counter officer may not register walk-ins.
    app.post(
        &format!("/api/v1/offices/{OFFICE}/walk-ins"),
        Some(&officer),
        &json!({"basis": "elderly", "birth_date": "1950-03-04"}),
    )
    .await
    .problem(403, "forbidden");
    // Typed mistakes, each against its field.
    let bad = app
        .post(&call_url(0), Some(&officer), &json!({"stage": "coffee"}))
        .await
        .problem(422, "validation-failed");
    assert_eq!(
        Reply::field_error(&bad, "counter")["code"],
        "invalid_counter"
    );
    assert_eq!(Reply::field_error(&bad, "stage")["code"], "invalid_choice");
    let unknown = format!(
        "/api/v1/offices/{OFFICE}/tickets/{}/actions",
        uuid::Uuid::now_v7()
    );
    app.post(
        &unknown,
        Some(&officer),
        &json!({"action": "recall", "counter": 1}),
    )
    .await
    .problem(404, "not-found");
    let what = app
        .post(
            &unknown,
            Some(&officer),
            &json!({"action": "dance", "counter": 1}),
        )
        .await
        .problem(422, "validation-failed");
    assert_eq!(
        Reply::field_error(&what, "action")["code"],
        "invalid_choice"
    );
    let head = app.head_token().await;
    let none = app.post(&call_url(1), Some(&head), &body).await.expect(200);
    assert_eq!(none["called"], Value::Null);
}
