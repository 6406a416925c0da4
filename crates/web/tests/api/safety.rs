//! Safe to deploy: production refuses unsafe settings and serves no dev routes; the
//! framework's own rejections and an unreachable database answer fast with problem+json;
//! a paid booking does not block its NIK for ever; what the applicant and staff are told.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

use loket_web::config::{Mode, Secret};
use loket_web::{Application, Settings};
use serde_json::json;
use tokio::io::AsyncWriteExt;
use tokio::net::{TcpListener, TcpStream};

use crate::helpers::{Backend, TestApp, read_answer};

api_tests!(
    production_with_a_real_secret_serves_no_dev_routes,
    a_client_that_stalls_while_sending_its_body_gets_408_problem,
    a_request_target_too_long_is_a_414_problem,
    a_paid_booking_whose_day_passed_is_a_no_show_and_frees_the_nik,
    a_late_payment_owed_back_shows_that_the_money_arrived,
    a_cancelled_paid_booking_says_its_fee_is_owed_back,
    a_front_desk_asking_for_its_own_quotas_hears_that_its_role_may_not,
    a_bulk_change_refuses_empty_session_and_class_lists_alike,
);

fn temp_sqlite() -> String {
    let path = std::env::temp_dir().join(format!("loket-safety-{}.db", uuid::Uuid::new_v4()));
    format!("sqlite://{}", path.display())
}

#[tokio::test]
async fn production_without_a_webhook_secret_refuses_to_start() {
    for secret in [
        None,
        Some("dev-only-webhook-secret"),
        Some("too-short-secret"),
    ] {
        let settings = Settings {
            bind: "127.0.0.1:0".into(),
            database_url: temp_sqlite(),
            mode: Mode::Production,
            payment_webhook_secret: secret.map(|s| Secret(s.to_owned())),
            ..Settings::default()
        };
        let e = match Application::build(settings).await {
            Ok(_) => panic!("production started with secret {secret:?}"),
            Err(e) => e.to_string(),
        };
        assert!(e.contains("payment_webhook_secret"), "{e}");
    }
}

#[tokio::test]
async fn production_without_an_https_public_url_refuses_to_start_and_dev_links_to_itself() {
    for url in [None, Some("http://loket.example.go.id")] {
        let settings = Settings {
            bind: "127.0.0.1:0".into(),
            database_url: temp_sqlite(),
            mode: Mode::Production,
            payment_webhook_secret: Some(Secret("k".repeat(48))),
            public_url: url.map(str::to_owned),
            ..Settings::default()
        };
        let e = match Application::build(settings).await {
            Ok(_) => panic!("production started with public_url {url:?}"),
            Err(e) => e.to_string(),
        };
        assert!(e.contains("public_url"), "{e}");
    }
    let dev = Application::build(Settings {
        bind: "127.0.0.1:0".into(),
        database_url: temp_sqlite(),
        mode: Mode::Dev,
        ..Settings::default()
    })
    .await
    .unwrap();
    assert_eq!(
        dev.state().settings.public_base(),
        format!("http://{}", dev.address()),
        "dev mail links point at the server itself, with its real port"
    );
}

async fn production_with_a_real_secret_serves_no_dev_routes(backend: Backend) {
    let app = TestApp::spawn_with(backend, |s| {
        s.mode = Mode::Production;
        s.public_url = Some("https://loket.example.go.id".into());
        s.payment_webhook_secret = Some(Secret("k".repeat(48)));
    })
    .await;
    for path in [
        "/api/v1/dev/mail",
        "/api/v1/dev/bank/pay",
        "/api/v1/dev/clock",
    ] {
        let r = app.post(path, None, &json!({})).await;
        r.problem(404, "not-found");
        let r = app.get(path, None).await;
        r.problem(404, "not-found");
    }
    // A notification signed with the public dev key is refused.
    let body = br#"{"notification_id":"n1","billing_code":"123456789012345","amount":1,"status":"paid","paid_at":"2026-01-01T00:00:00Z"}"#;
    let sig = hmac_hex("dev-only-webhook-secret", body);
    let r = app
        .send(
            app.request(
                reqwest::Method::POST,
                "/api/v1/payments/notifications",
                None,
            )
            .header("content-type", "application/json")
            .header("x-loket-signature", sig)
            .body(body.to_vec()),
        )
        .await;
    r.problem(401, "invalid-signature");
}

fn hmac_hex(key: &str, body: &[u8]) -> String {
    loket_web::routes::payments::sign(key, body)
}

/// Sends a request head over a bare connection, then `body_part` of a longer body, and
/// stalls; returns (status, content type, body, seconds waited).
async fn stall(
    port: u16,
    path: &str,
    declared: usize,
    body_part: &[u8],
) -> (u16, String, String, f64) {
    let mut s = TcpStream::connect(("127.0.0.1", port)).await.unwrap();
    let head = format!(
        "POST {path} HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\nContent-Type: application/json\r\n\
         Content-Length: {declared}\r\n\r\n"
    );
    s.write_all(head.as_bytes()).await.unwrap();
    s.write_all(body_part).await.unwrap();
    let start = Instant::now();
    let (status, ct, body) = read_answer(&mut s).await;
    (status, ct, body, start.elapsed().as_secs_f64())
}

async fn a_client_that_stalls_while_sending_its_body_gets_408_problem(backend: Backend) {
    let app = TestApp::spawn_with(backend, |s| s.request_body_timeout_seconds = 1).await;
    let (status, ct, body, waited) =
        stall(app.port, "/api/v1/auth/login", 200, b"{\"email\":").await;
    assert_eq!(status, 408, "{body}");
    assert_eq!(ct, "application/problem+json");
    let p: serde_json::Value = serde_json::from_str(&body).unwrap();
    assert_eq!(p["code"], "request-timeout", "{p}");
    assert!(waited < 5.0, "answered after {waited:.1} s");
}

async fn a_request_target_too_long_is_a_414_problem(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let long = format!("/api/v1/offices?pad={}", "a".repeat(9 * 1024));
    app.get(&long, None).await.problem(414, "uri-too-long");
}

async fn a_paid_booking_whose_day_passed_is_a_no_show_and_frees_the_nik(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let account = app.account(1).await;
    let person = account.people[0].id;
    let date = app.bookable_date().await;
    let b = app
        .book(&account.token, person, date, "s1")
        .await
        .expect(201);
    assert_eq!(app.pay(&b["billing_code"]).await, "paid");

    // The day has not passed: the NIK is still busy.
    let later = app.open_dates().await;
    let other = *later.iter().find(|d| **d != date).unwrap();
    app.book(&account.token, person, other, "s1")
        .await
        .problem(409, "nik-active-booking");

    // Two weeks past the appointment, with no check-in.
    app.advance_minutes((date - app.today()).num_minutes() + 14 * 24 * 60)
        .await;
    let next = app.bookable_date().await;
    let again = app
        .book(&account.token, person, next, "s1")
        .await
        .expect(201);
    assert_ne!(again["id"], b["id"]);
    assert_eq!(
        app.booking(&account.token, &b["id"]).await["state"],
        "no_show"
    );

    // The sweep moves the other no-shows on by itself; a second one of another NIK:
    let other_account = app.account(1).await;
    let date2 = app.bookable_date().await;
    let b2 = app
        .book(
            &other_account.token,
            other_account.people[0].id,
            date2,
            "s1",
        )
        .await
        .expect(201);
    app.pay(&b2["billing_code"]).await;
    app.advance_minutes(3 * 24 * 60 + (date2 - app.today()).num_minutes())
        .await;
    let moved = app
        .state
        .store
        .expire_overdue(app.now(), 100)
        .await
        .unwrap();
    assert!(moved >= 1, "swept {moved}");
    assert_eq!(
        app.booking(&other_account.token, &b2["id"]).await["state"],
        "no_show"
    );
}

async fn a_late_payment_owed_back_shows_that_the_money_arrived(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let date = app.bookable_date().await;
    let head = app.head_token().await;
    app.set_capacity(&head, date, "s1", 1).await;
    let late = app.account(1).await;
    let b = app
        .book(&late.token, late.people[0].id, date, "s1")
        .await
        .expect(201);
    let unpaid = app.booking(&late.token, &b["id"]).await;
    assert_eq!(unpaid["payment"], "unpaid");
    assert_eq!(unpaid["refund"], "none");
    // The hold lapses and someone else takes the one place.
    app.advance_minutes(121).await;
    let quick = app.account(1).await;
    app.book(&quick.token, quick.people[0].id, date, "s1")
        .await
        .expect(201);
    assert_eq!(app.pay(&b["billing_code"]).await, "refund_due");
    let v = app.booking(&late.token, &b["id"]).await;
    assert_eq!(v["state"], "refund_due");
    assert!(v["paid_at"].is_string(), "{v}");
    assert_eq!(v["payment"], "received");
    assert_eq!(v["refund"], "due");
}

async fn a_cancelled_paid_booking_says_its_fee_is_owed_back(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let account = app.account(1).await;
    let date = app.bookable_date().await;
    let b = app
        .book(&account.token, account.people[0].id, date, "s1")
        .await
        .expect(201);
    app.pay(&b["billing_code"]).await;
    let id = b["id"].as_str().unwrap();
    let c = app
        .post(
            &format!("/api/v1/bookings/{id}/cancel"),
            Some(&account.token),
            &json!({}),
        )
        .await
        .expect(200);
    assert_eq!(c["state"], "cancelled", "{c}");
    assert_eq!(c["payment"], "received", "{c}");
    assert_eq!(c["refund"], "due", "{c}");

    // An unpaid hold that is cancelled owes nothing.
    let other = app.account(1).await;
    let u = app
        .book(&other.token, other.people[0].id, date, "s1")
        .await
        .expect(201);
    let id = u["id"].as_str().unwrap();
    let c = app
        .post(
            &format!("/api/v1/bookings/{id}/cancel"),
            Some(&other.token),
            &json!({}),
        )
        .await
        .expect(200);
    assert_eq!(c["refund"], "none", "{c}");
    assert_eq!(c["payment"], "unpaid", "{c}");
}

async fn a_front_desk_asking_for_its_own_quotas_hears_that_its_role_may_not(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let desk = app.staff_token("loket.palembang").await;
    let p = app
        .get("/api/v1/offices/palembang/quotas", Some(&desk))
        .await
        .problem(403, "forbidden");
    let detail = p["detail"].as_str().unwrap();
    assert!(
        detail.contains("your role (front desk) may not"),
        "{detail}"
    );
    let head = app.head_token().await;
    let p = app
        .get("/api/v1/offices/jayapura/quotas", Some(&head))
        .await
        .problem(403, "forbidden");
    assert!(
        p["detail"]
            .as_str()
            .unwrap()
            .contains("only for your own office"),
        "{p}"
    );
}

async fn a_bulk_change_refuses_empty_session_and_class_lists_alike(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let head = app.head_token().await;
    let date = app.bookable_date().await;
    let before = app.capacity(date, "s1").await;
    for (field, body) in [
        (
            "sessions",
            json!({"from": date, "to": date, "sessions": [], "adjustment": {"mode": "delta", "value": 5}}),
        ),
        (
            "classes",
            json!({"from": date, "to": date, "classes": [], "adjustment": {"mode": "delta", "value": 5}}),
        ),
    ] {
        let p = app
            .post("/api/v1/offices/palembang/quotas/bulk", Some(&head), &body)
            .await
            .problem(422, "validation-failed");
        let e = crate::helpers::Reply::field_error(&p, field);
        assert_eq!(e["code"], "empty", "{p}");
    }
    assert_eq!(app.capacity(date, "s1").await, before, "nothing changed");
    // Left out, both mean the defaults: every session, the online class.
    let r = app
        .post(
            "/api/v1/offices/palembang/quotas/bulk",
            Some(&head),
            &json!({"from": date, "to": date, "adjustment": {"mode": "delta", "value": 5}}),
        )
        .await
        .expect(200);
    assert!(!r["changes"].as_array().unwrap().is_empty(), "{r}");
    assert_eq!(app.capacity(date, "s1").await, before + 5);
}

// ---------- an unreachable database ----------

/// A TCP proxy in front of PostgreSQL that the test can cut: while cut it closes every
/// connection it holds and every new one at once, as a database that went away does. While
/// stalled it holds every connection open and forwards nothing, as a network that drops
/// packets does.
struct CuttableProxy {
    port: u16,
    cut: Arc<AtomicBool>,
    stall: Arc<AtomicBool>,
    generation: Arc<tokio::sync::watch::Sender<u64>>,
}

impl CuttableProxy {
    async fn start(upstream: String) -> CuttableProxy {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let port = listener.local_addr().unwrap().port();
        let cut = Arc::new(AtomicBool::new(false));
        let stall = Arc::new(AtomicBool::new(false));
        let (tx, _) = tokio::sync::watch::channel(0u64);
        let generation = Arc::new(tx);
        let (c, st, g) = (cut.clone(), stall.clone(), generation.clone());
        tokio::spawn(async move {
            loop {
                let Ok((mut client, _)) = listener.accept().await else {
                    return;
                };
                if c.load(Ordering::SeqCst) {
                    drop(client);
                    continue;
                }
                let upstream = upstream.clone();
                let mut stop = g.subscribe();
                let st = st.clone();
                tokio::spawn(async move {
                    if st.load(Ordering::SeqCst) {
                        // Hold the connection, answer nothing.
                        let _held = &mut client;
                        std::future::pending::<()>().await;
                    }
                    let Ok(mut server) = TcpStream::connect(&upstream).await else {
                        return;
                    };
                    tokio::select! {
                        _ = tokio::io::copy_bidirectional(&mut client, &mut server) => {}
                        _ = stop.changed() => {}
                    }
                    if st.load(Ordering::SeqCst) {
                        let _held = (client, server);
                        std::future::pending::<()>().await;
                    }
                });
            }
        });
        CuttableProxy {
            port,
            cut,
            stall,
            generation,
        }
    }

    fn stall(&self) {
        self.stall.store(true, Ordering::SeqCst);
        self.generation.send_modify(|g| *g += 1);
    }

    fn cut(&self) {
        self.cut.store(true, Ordering::SeqCst);
        self.generation.send_modify(|g| *g += 1);
    }

    fn restore(&self) {
        self.cut.store(false, Ordering::SeqCst);
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn while_postgres_is_unreachable_requests_fail_fast_with_503_and_resume_after() {
    let proxy = CuttableProxy::start("127.0.0.1:5432".into()).await;
    let port = proxy.port;
    let app = TestApp::spawn_with(Backend::Postgres, move |s| {
        s.database_url = s
            .database_url
            .replace("127.0.0.1:5432", &format!("127.0.0.1:{port}"));
        assert!(
            s.database_url.contains(&port.to_string()),
            "{}",
            s.database_url
        );
    })
    .await;
    let account = app.account(1).await;
    app.get("/api/v1/bookings", Some(&account.token))
        .await
        .expect(200);
    assert_eq!(app.get("/readyz", None).await.status, 200);
    let date = app.bookable_date().await;

    proxy.cut();
    let start = Instant::now();
    let r = app.get("/api/v1/bookings", Some(&account.token)).await;
    let took = start.elapsed();
    r.problem(503, "database-unavailable");
    assert_eq!(r.header("retry-after"), Some("5"));
    assert!(took < Duration::from_secs(8), "took {took:?}");

    let start = Instant::now();
    let ready = app.get("/readyz", None).await;
    assert!(
        start.elapsed() < Duration::from_millis(1500),
        "readyz took {:?}",
        start.elapsed()
    );
    ready.problem(503, "not-ready");
    assert_eq!(app.get("/healthz", None).await.status, 200);
    // A booking attempt fails the same way, fast.
    let start = Instant::now();
    app.book(&account.token, account.people[0].id, date, "s1")
        .await
        .problem(503, "database-unavailable");
    assert!(
        start.elapsed() < Duration::from_secs(8),
        "took {:?}",
        start.elapsed()
    );

    proxy.restore();
    let mut resumed = false;
    for _ in 0..50 {
        if app.get("/readyz", None).await.status == 200 {
            resumed = true;
            break;
        }
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    assert!(resumed, "readiness came back");
    app.get("/api/v1/bookings", Some(&account.token))
        .await
        .expect(200);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_request_that_outlives_its_timeout_is_a_503_problem_not_an_empty_504() {
    let proxy = CuttableProxy::start("127.0.0.1:5432".into()).await;
    let port = proxy.port;
    let app = TestApp::spawn_with(Backend::Postgres, move |s| {
        s.database_url = s
            .database_url
            .replace("127.0.0.1:5432", &format!("127.0.0.1:{port}"));
        s.request_timeout_seconds = 1;
    })
    .await;
    let account = app.account(1).await;
    proxy.stall();
    let start = Instant::now();
    let r = app.get("/api/v1/bookings", Some(&account.token)).await;
    let p = r.problem(503, "timeout");
    assert_eq!(r.header("retry-after"), Some("5"), "{p}");
    assert!(
        start.elapsed() < Duration::from_secs(3),
        "took {:?}",
        start.elapsed()
    );
    // Readiness does not hang either.
    let start = Instant::now();
    app.get("/readyz", None).await.problem(503, "not-ready");
    assert!(
        start.elapsed() < Duration::from_millis(1500),
        "readyz took {:?}",
        start.elapsed()
    );
}
