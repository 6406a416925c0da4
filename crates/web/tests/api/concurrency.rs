//! The crush at release time: 500 applicants with distinct NIKs ask for one session of 75
//! places at the same instant, over HTTP, on one instance and on two instances sharing one
//! PostgreSQL database. Exactly 75 get a place; the others are told the session is full;
//! nobody gets a 5xx. Run with the "full" cache off (every attempt reaches the database)
//! and on (the default).

use std::sync::Arc;
use std::time::Instant;

use chrono::NaiveDate;
use loket_web::Settings;
use loket_web::app::StartError;
use reqwest::{Method, RequestBuilder};
use serde_json::Value;
use tokio::sync::Barrier;

use crate::helpers::{Backend, TestApp, booking_body};

api_tests!(
    five_hundred_simultaneous_attempts_take_exactly_the_75_places,
    five_hundred_attempts_that_all_reach_the_database_take_exactly_75,
    two_instances_on_one_database_share_the_75_places_exactly,
    two_instances_with_the_full_cache_share_the_75_places_exactly,
);

const CAPACITY: i64 = 75;
const ACCOUNTS: usize = 100;
const PEOPLE_PER_ACCOUNT: usize = 5;
const ATTEMPTS: usize = ACCOUNTS * PEOPLE_PER_ACCOUNT;

fn no_cache(s: &mut Settings) {
    s.full_slot_cache_ms = 0;
}

fn default_cache(s: &mut Settings) {
    s.full_slot_cache_ms = Settings::default().full_slot_cache_ms;
}

/// A session of 75 places and one booking request per person of 100 accounts of five.
async fn prepare(app: &TestApp) -> (NaiveDate, Vec<(String, Value)>) {
    let head = app.head_token().await;
    let date = app.bookable_date().await;
    app.set_capacity(&head, date, "s1", CAPACITY).await;
    let accounts = app.accounts(ACCOUNTS, PEOPLE_PER_ACCOUNT).await;
    let requests: Vec<_> = accounts
        .iter()
        .flat_map(|a| {
            a.people
                .iter()
                .map(|p| (a.token.clone(), booking_body(p.id, date, "s1")))
        })
        .collect();
    assert_eq!(requests.len(), ATTEMPTS);
    (date, requests)
}

/// Sends every request from its own task, all released together by one barrier.
async fn stampede(requests: Vec<RequestBuilder>) -> Vec<(u16, Value)> {
    let start = Arc::new(Barrier::new(requests.len()));
    let tasks: Vec<_> = requests
        .into_iter()
        .map(|rb| {
            let start = start.clone();
            tokio::spawn(async move {
                start.wait().await;
                let res = rb.send().await.expect("the server answers");
                let status = res.status().as_u16();
                let text = res.text().await.expect("the body arrives");
                (
                    status,
                    serde_json::from_str(&text).unwrap_or(Value::String(text)),
                )
            })
        })
        .collect();
    let mut out = Vec::with_capacity(tasks.len());
    for t in tasks {
        out.push(t.await.expect("attempt task"));
    }
    out
}

/// Asserts exactly `CAPACITY` bookings and quota-full for all the others.
fn tally(results: &[(u16, Value)]) {
    let booked: Vec<_> = results.iter().filter(|(s, _)| *s == 201).collect();
    let full = results
        .iter()
        .filter(|(s, b)| *s == 409 && b["code"] == "quota-full")
        .count();
    let other: Vec<_> = results
        .iter()
        .filter(|(s, b)| !(*s == 201 || (*s == 409 && b["code"] == "quota-full")))
        .take(5)
        .collect();
    let server_errors = results.iter().filter(|(s, _)| *s >= 500).count();
    assert_eq!(server_errors, 0, "5xx answers, e.g. {other:?}");
    assert!(other.is_empty(), "unexpected answers, e.g. {other:?}");
    assert_eq!(booked.len() as i64, CAPACITY, "bookings made");
    assert_eq!(full, ATTEMPTS - CAPACITY as usize, "quota-full answers");
    let mut ids: Vec<_> = booked.iter().map(|(_, b)| b["id"].to_string()).collect();
    ids.sort();
    ids.dedup();
    assert_eq!(ids.len() as i64, CAPACITY, "distinct bookings");
}

/// What every instance and the store say afterwards: the session is exactly full.
async fn assert_exactly_full(apps: &[&TestApp], date: NaiveDate) {
    for app in apps {
        assert_eq!(app.remaining(date, "s1").await, 0);
        assert_eq!(app.capacity(date, "s1").await, CAPACITY);
    }
    let usage = apps[0].usage(date, "s1").await.expect("the slot row");
    assert_eq!(usage.taken, CAPACITY);
    assert_eq!(usage.capacity, CAPACITY);
}

async fn race_on_one_instance(backend: Backend, tweak: fn(&mut Settings)) {
    let app = TestApp::spawn_with(backend, tweak).await;
    let (date, requests) = prepare(&app).await;
    let requests = requests
        .iter()
        .map(|(token, body)| {
            app.request(Method::POST, "/api/v1/bookings", Some(token))
                .json(body)
        })
        .collect();

    let t = Instant::now();
    let results = stampede(requests).await;
    eprintln!("{backend:?}: {ATTEMPTS} attempts in {:?}", t.elapsed());

    tally(&results);
    assert_exactly_full(&[&app], date).await;
}

async fn race_on_two_instances(backend: Backend, tweak: fn(&mut Settings)) {
    let first = TestApp::spawn_with(backend, tweak).await;
    let second = match first.another_instance(tweak).await {
        Ok(second) => second,
        Err(StartError::Locked(_)) if backend == Backend::Sqlite => {
            // SQLite serves one instance: the second is refused at start-up, so two
            // instances can never share (and overbook) one SQLite file.
            return;
        }
        Err(e) => panic!("a second instance on {backend:?}: {e}"),
    };
    assert_ne!(
        backend,
        Backend::Sqlite,
        "a second instance on one SQLite file must be refused"
    );
    let (date, requests) = prepare(&first).await;
    let requests = requests
        .iter()
        .enumerate()
        .map(|(i, (token, body))| {
            let app = if i % 2 == 0 { &first } else { &second };
            app.request(Method::POST, "/api/v1/bookings", Some(token))
                .json(body)
        })
        .collect();

    let t = Instant::now();
    let results = stampede(requests).await;
    eprintln!(
        "{backend:?}, two instances: {ATTEMPTS} attempts in {:?}",
        t.elapsed()
    );

    tally(&results);
    assert_exactly_full(&[&first, &second], date).await;
}

async fn five_hundred_simultaneous_attempts_take_exactly_the_75_places(backend: Backend) {
    race_on_one_instance(backend, default_cache).await;
}

async fn five_hundred_attempts_that_all_reach_the_database_take_exactly_75(backend: Backend) {
    race_on_one_instance(backend, no_cache).await;
}

async fn two_instances_on_one_database_share_the_75_places_exactly(backend: Backend) {
    race_on_two_instances(backend, no_cache).await;
}

async fn two_instances_with_the_full_cache_share_the_75_places_exactly(backend: Backend) {
    race_on_two_instances(backend, default_cache).await;
}
