//! The harness, after zero-to-production's `spawn_app`: every test gets a real Loket server on
//! port 0 over a fresh database of its own (a SQLite file, or a PostgreSQL database created
//! through the admin URL), seeded with the demo data, plus a reqwest client. Accounts are made
//! through the store, because argon2 makes HTTP registration slow; one test in accounts.rs
//! walks the real registration flow instead.
//!
//! PostgreSQL comes from `LOKET_TEST_POSTGRES_URL` (an admin URL; default
//! `postgres://postgres@127.0.0.1:5432/postgres`). If it is unreachable the postgres tests
//! fail rather than skip.

use std::path::PathBuf;
use std::sync::atomic::{AtomicU32, Ordering};
use std::sync::{Arc, Mutex};

use chrono::{DateTime, Datelike, Days, Duration, NaiveDate, TimeZone, Utc, Weekday};
use chrono_tz::Asia::Jakarta;
use loket_demo::DEMO_LOGINS;
use loket_domain::{Nik, Sex};
use loket_store::{Applicant, NewAccount, Principal, SlotUsage, Staff, StaffRole};
use loket_web::Settings;
use loket_web::app::StartError;
use loket_web::config::Mode;
use loket_web::state::AppState;
use reqwest::header::{CONTENT_TYPE, HeaderMap};
use reqwest::{Method, RequestBuilder, StatusCode};
use serde_json::{Value, json};
use sqlx::Connection as _;
use tokio::io::AsyncReadExt;
use tokio::sync::{OnceCell, oneshot};
use uuid::Uuid;

/// The demo office every story books into.
pub const OFFICE: &str = "palembang";
/// The password of every account made through the store.
pub const PASSWORD: &str = "rahasia-123";

// ---------- databases ----------

/// Which engine a test runs on.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Backend {
    Sqlite,
    Postgres,
}

const DEFAULT_ADMIN_URL: &str = "postgres://postgres@127.0.0.1:5432/postgres";

fn admin_url() -> String {
    std::env::var("LOKET_TEST_POSTGRES_URL").unwrap_or_else(|_| DEFAULT_ADMIN_URL.to_owned())
}

/// `url` with its database name replaced, keeping any query string.
fn with_database(url: &str, name: &str) -> String {
    let (base, query) = match url.find('?') {
        Some(i) => url.split_at(i),
        None => (url, ""),
    };
    let after_scheme = base.find("://").map_or(0, |i| i + 3);
    let host_end = base[after_scheme..]
        .find('/')
        .map_or(base.len(), |i| after_scheme + i);
    format!("{}/{name}{query}", &base[..host_end])
}

/// A fresh, empty database; removed (best effort) when dropped, also after a panic.
struct Database {
    url: String,
    sqlite_path: Option<PathBuf>,
    pg_name: Option<String>,
}

impl Database {
    async fn create(backend: Backend) -> Database {
        let id = Uuid::new_v4().simple().to_string();
        match backend {
            Backend::Sqlite => {
                let path = std::env::temp_dir().join(format!("loket-api-{id}.db"));
                Database {
                    url: format!("sqlite://{}", path.display()),
                    sqlite_path: Some(path),
                    pg_name: None,
                }
            }
            Backend::Postgres => {
                let admin = admin_url();
                let name = format!("loket_api_{id}");
                let mut conn = sqlx::PgConnection::connect(&admin)
                    .await
                    .unwrap_or_else(|e| {
                        panic!(
                            "PostgreSQL is unreachable at {admin} ({e}); start it or set \
                         LOKET_TEST_POSTGRES_URL"
                        )
                    });
                sqlx::raw_sql(sqlx::AssertSqlSafe(format!("CREATE DATABASE \"{name}\"")))
                    .execute(&mut conn)
                    .await
                    .expect("create the test database");
                let _ = conn.close().await;
                Database {
                    url: with_database(&admin, &name),
                    sqlite_path: None,
                    pg_name: Some(name),
                }
            }
        }
    }
}

impl Drop for Database {
    fn drop(&mut self) {
        if let Some(path) = &self.sqlite_path {
            for suffix in ["", "-wal", "-shm", ".lock"] {
                let mut p = path.clone().into_os_string();
                p.push(suffix);
                let _ = std::fs::remove_file(p);
            }
        }
        if let Some(name) = self.pg_name.take() {
            // Drop cannot await: a thread with its own small runtime does the work. FORCE
            // ends the server's pooled connections, which may still be open.
            let _ = std::thread::spawn(move || {
                let Ok(rt) = tokio::runtime::Builder::new_current_thread()
                    .enable_all()
                    .build()
                else {
                    return;
                };
                rt.block_on(async {
                    if let Ok(mut conn) = sqlx::PgConnection::connect(&admin_url()).await {
                        let sql = format!("DROP DATABASE IF EXISTS \"{name}\" WITH (FORCE)");
                        let _ = sqlx::raw_sql(sqlx::AssertSqlSafe(sql))
                            .execute(&mut conn)
                            .await;
                        let _ = conn.close().await;
                    }
                });
            })
            .join();
        }
    }
}

// ---------- the app ----------

/// A running Loket server and what a test needs to talk to it.
pub struct TestApp {
    /// `http://127.0.0.1:<port>`.
    pub address: String,
    /// The bound port.
    pub port: u16,
    /// The service's state: the store and the clock.
    pub state: AppState,
    /// The engine.
    pub backend: Backend,
    /// The database URL (a second instance can open it).
    pub database_url: String,
    /// A client for this server.
    pub client: reqwest::Client,
    /// Every response body this app sent, to check that no personal data leaks.
    bodies: Arc<Mutex<Vec<String>>>,
    shutdown: Option<oneshot::Sender<()>>,
    // Declared last: dropped after the server was told to stop.
    db: Option<Database>,
}

impl Drop for TestApp {
    fn drop(&mut self) {
        if let Some(tx) = self.shutdown.take() {
            let _ = tx.send(());
        }
    }
}

/// A client that may open hundreds of connections to one host at once.
pub fn client() -> reqwest::Client {
    reqwest::Client::builder()
        .pool_max_idle_per_host(1024)
        .timeout(std::time::Duration::from_secs(60))
        .build()
        .expect("reqwest client")
}

impl TestApp {
    /// A server on a fresh database of `backend`, demo data seeded, default settings.
    pub async fn spawn(backend: Backend) -> TestApp {
        Self::spawn_with(backend, |_| {}).await
    }

    /// Like `spawn`, with settings changed by `tweak` first.
    pub async fn spawn_with(backend: Backend, tweak: impl FnOnce(&mut Settings)) -> TestApp {
        let db = Database::create(backend).await;
        let mut app = Self::start(backend, &db.url, tweak)
            .await
            .unwrap_or_else(|e| panic!("the app starts on {backend:?}: {e}"));
        app.db = Some(db);
        app
    }

    /// A second server on this app's database (PostgreSQL serves several instances).
    pub async fn another_instance(
        &self,
        tweak: impl FnOnce(&mut Settings),
    ) -> Result<TestApp, StartError> {
        Self::start(self.backend, &self.database_url, tweak).await
    }

    async fn start(
        backend: Backend,
        database_url: &str,
        tweak: impl FnOnce(&mut Settings),
    ) -> Result<TestApp, StartError> {
        let mut settings = Settings {
            bind: "127.0.0.1:0".into(),
            database_url: database_url.to_owned(),
            mode: Mode::Dev,
            // Stories read availability right after a change; one story tests the cache.
            availability_cache_ms: 0,
            ..Settings::default()
        };
        tweak(&mut settings);
        let app = loket_web::Application::build(settings).await?;
        loket_demo::seed(&*app.state().store)
            .await
            .expect("the demo data seeds");
        let port = app.port();
        let state = app.state();
        let (tx, rx) = oneshot::channel::<()>();
        tokio::spawn(app.run_until(async move {
            let _ = rx.await;
        }));
        Ok(TestApp {
            address: format!("http://127.0.0.1:{port}"),
            port,
            state,
            backend,
            database_url: database_url.to_owned(),
            client: client(),
            bodies: Arc::new(Mutex::new(Vec::new())),
            shutdown: Some(tx),
            db: None,
        })
    }

    /// The absolute URL of a path.
    pub fn url(&self, path: &str) -> String {
        format!("{}{path}", self.address)
    }

    // ---------- HTTP ----------

    /// A request to this app, with a bearer token if given.
    pub fn request(&self, method: Method, path: &str, token: Option<&str>) -> RequestBuilder {
        let rb = self.client.request(method, self.url(path));
        match token {
            Some(t) => rb.bearer_auth(t),
            None => rb,
        }
    }

    /// Sends a request and reads the whole answer. A problem answer must be one the
    /// OpenAPI document lists for the operation called, so every story also checks the
    /// document's error responses.
    pub async fn send(&self, rb: RequestBuilder) -> Reply {
        let (client, request) = rb.build_split();
        let request = request.expect("a well-formed request");
        let method = request.method().clone();
        let path = request.url().path().to_owned();
        let res = client.execute(request).await.expect("the server answers");
        let reply = Reply::read(res).await;
        check_documented(self.state.settings.mode.dev_tools(), &method, &path, &reply);
        if let Ok(mut b) = self.bodies.lock() {
            b.push(reply.text.clone());
        }
        reply
    }

    pub async fn get(&self, path: &str, token: Option<&str>) -> Reply {
        self.send(self.request(Method::GET, path, token)).await
    }

    pub async fn post(&self, path: &str, token: Option<&str>, body: &Value) -> Reply {
        self.send(self.request(Method::POST, path, token).json(body))
            .await
    }

    pub async fn put(&self, path: &str, token: Option<&str>, body: &Value) -> Reply {
        self.send(self.request(Method::PUT, path, token).json(body))
            .await
    }

    /// How many response bodies so far contained `needle`.
    pub fn bodies_containing(&self, needle: &str) -> usize {
        self.bodies
            .lock()
            .map(|b| b.iter().filter(|t| t.contains(needle)).count())
            .unwrap_or(0)
    }

    // ---------- the clock ----------

    /// Now, as the service sees it.
    pub fn now(&self) -> DateTime<Utc> {
        self.state.now()
    }

    /// Today in Palembang (WIB).
    pub fn today(&self) -> NaiveDate {
        self.now().with_timezone(&Jakarta).date_naive()
    }

    /// Moves the service's clock forward through the dev endpoint.
    pub async fn advance_minutes(&self, minutes: i64) {
        self.post(
            "/api/v1/dev/clock",
            None,
            &json!({ "advance_minutes": minutes }),
        )
        .await
        .expect(200);
    }

    /// Moves the clock to `hour`:00 WIB on `date` (which must not be in the past).
    pub fn advance_to_local(&self, date: NaiveDate, hour: u32) {
        let target = Jakarta
            .from_local_datetime(&date.and_hms_opt(hour, 0, 0).expect("valid hour"))
            .single()
            .expect("WIB has no gaps")
            .with_timezone(&Utc);
        let by = target - self.now();
        assert!(by > Duration::zero(), "{date} {hour}:00 is in the past");
        self.state.clock.advance(by);
    }

    // ---------- dates ----------

    /// Availability of the demo office for one date: its `days[0]`.
    pub async fn day(&self, date: NaiveDate) -> Value {
        let r = self
            .get(
                &format!("/api/v1/offices/{OFFICE}/availability?from={date}&to={date}"),
                None,
            )
            .await
            .expect(200);
        r["days"][0].clone()
    }

    /// Online places left in a session on a date (0 when closed or not bookable).
    pub async fn remaining(&self, date: NaiveDate, session: &str) -> i64 {
        online(&self.day(date).await, session)["remaining"]
            .as_i64()
            .expect("remaining is a number")
    }

    /// Online capacity of a session on a date.
    pub async fn capacity(&self, date: NaiveDate, session: &str) -> i64 {
        online(&self.day(date).await, session)["capacity"]
            .as_i64()
            .expect("capacity is a number")
    }

    /// Open Monday-to-Thursday dates from the day after tomorrow on, released and not
    /// holidays, as the availability endpoint reports them. Starting two days ahead keeps
    /// them in the future when a story moves the clock a few hours.
    pub async fn open_dates(&self) -> Vec<NaiveDate> {
        let from = self.today() + Days::new(2);
        let to = self.today() + Days::new(29);
        let r = self
            .get(
                &format!("/api/v1/offices/{OFFICE}/availability?from={from}&to={to}"),
                None,
            )
            .await
            .expect(200);
        let dates: Vec<NaiveDate> = r["days"]
            .as_array()
            .expect("days")
            .iter()
            .filter(|d| d["status"] == "open")
            .map(|d| date_of(&d["date"]))
            .filter(|d| !matches!(d.weekday(), Weekday::Fri | Weekday::Sat | Weekday::Sun))
            .collect();
        assert!(dates.len() >= 4, "too few open dates: {dates:?}");
        dates
    }

    /// The first open Monday-to-Thursday date (see `open_dates`).
    pub async fn bookable_date(&self) -> NaiveDate {
        self.open_dates().await[0]
    }

    /// The first workday whose places are not released yet, and when they open.
    pub async fn unreleased_date(&self) -> (NaiveDate, DateTime<Utc>) {
        let from = self.today() + Days::new(25);
        let to = self.today() + Days::new(50);
        let r = self
            .get(
                &format!("/api/v1/offices/{OFFICE}/availability?from={from}&to={to}"),
                None,
            )
            .await
            .expect(200);
        let d = r["days"]
            .as_array()
            .expect("days")
            .iter()
            .find(|d| d["status"] == "not_released")
            .expect("a date that is not released yet")
            .clone();
        (date_of(&d["date"]), time_of(&d["opens_at"]))
    }

    /// The first Saturday from the day after tomorrow on (released, so only the weekend
    /// makes it unbookable).
    pub fn saturday(&self) -> NaiveDate {
        let mut d = self.today() + Days::new(2);
        while d.weekday() != Weekday::Sat {
            d = d + Days::new(1);
        }
        d
    }

    /// A national holiday or collective-leave day after today: from the seeded data if
    /// there is one within a year, otherwise one set by the system admin.
    pub async fn future_holiday(&self) -> NaiveDate {
        let today = self.today();
        for year in [today.year(), today.year() + 1] {
            let list = self
                .get(&format!("/api/v1/holidays?year={year}"), None)
                .await
                .expect(200);
            if let Some(h) = list
                .as_array()
                .expect("holidays")
                .iter()
                .map(|h| date_of(&h["date"]))
                .find(|d| *d > today + Days::new(1))
            {
                return h;
            }
        }
        let date = self.bookable_date().await;
        let admin = self.staff_token("admin").await;
        self.put(
            &format!("/api/v1/holidays/{date}"),
            Some(&admin),
            &json!({"kind": "holiday", "name_id": "Hari Uji", "name_en": "Test Day"}),
        )
        .await
        .expect(200);
        date
    }

    // ---------- staff ----------

    /// A bearer token for a new staff member (`username`, in `role`, of `office` or
    /// `region`), made through the store, valid for a day.
    pub async fn new_staff_token(
        &self,
        username: &str,
        role: StaffRole,
        office: Option<&str>,
        region: Option<&str>,
    ) -> String {
        let staff = Staff {
            id: Uuid::now_v7(),
            username: username.to_owned(),
            full_name: format!("Test {username}"),
            role,
            office_code: office.map(str::to_owned),
            region_code: region.map(str::to_owned),
        };
        let now = self.now();
        self.state
            .store
            .create_staff(&staff, "not-a-hash", now)
            .await
            .expect("create staff");
        let token = loket_web::auth::new_token();
        self.state
            .store
            .create_token(
                &loket_web::auth::hash_token(&token),
                &Principal::Staff(staff),
                now,
                now + Duration::days(1),
            )
            .await
            .expect("create token");
        token
    }

    /// Logs a demo staff member in over HTTP; returns the bearer token.
    pub async fn staff_token(&self, username: &str) -> String {
        let login = DEMO_LOGINS
            .iter()
            .find(|l| l.login == username)
            .unwrap_or_else(|| panic!("{username} is not a demo login"));
        let r = self
            .post(
                "/api/v1/staff/login",
                None,
                &json!({"username": login.login, "password": login.password}),
            )
            .await
            .expect(200);
        r["token"].as_str().expect("token").to_owned()
    }

    /// The head of office of Palembang's token.
    pub async fn head_token(&self) -> String {
        self.staff_token("kepala.palembang").await
    }

    /// Sets the online capacity of a session on a date (as the head of office).
    pub async fn set_capacity(&self, staff: &str, date: NaiveDate, session: &str, capacity: i64) {
        self.put(
            &format!("/api/v1/offices/{OFFICE}/quotas/overrides"),
            Some(staff),
            &json!({"date": date, "session": session, "class": "online", "capacity": capacity}),
        )
        .await
        .expect(200);
    }

    // ---------- applicants ----------

    /// Logs the demo applicant in over HTTP; returns the token.
    pub async fn demo_applicant_token(&self) -> String {
        let login = &DEMO_LOGINS[0];
        let r = self
            .post(
                "/api/v1/auth/login",
                None,
                &json!({"email": login.login, "password": login.password}),
            )
            .await
            .expect(200);
        r["token"].as_str().expect("token").to_owned()
    }

    /// A verified account with `applicants` people on it and a bearer token, made through
    /// the store (fast: one argon2 hash per process).
    pub async fn account(&self, applicants: usize) -> Account {
        new_account(self.state.clone(), applicants).await
    }

    /// `n` such accounts, made concurrently.
    pub async fn accounts(&self, n: usize, applicants: usize) -> Vec<Account> {
        let mut tasks = tokio::task::JoinSet::new();
        for _ in 0..n {
            tasks.spawn(new_account(self.state.clone(), applicants));
        }
        tasks.join_all().await
    }

    // ---------- bookings ----------

    /// Books a regular e-passport for `applicant` at the demo office.
    pub async fn book(
        &self,
        token: &str,
        applicant: Uuid,
        date: NaiveDate,
        session: &str,
    ) -> Reply {
        self.post(
            "/api/v1/bookings",
            Some(token),
            &booking_body(applicant, date, session),
        )
        .await
    }

    /// Reads a booking as its owner; must succeed.
    pub async fn booking(&self, token: &str, id: &Value) -> Value {
        let id = id.as_str().expect("booking id");
        self.get(&format!("/api/v1/bookings/{id}"), Some(token))
            .await
            .expect(200)
    }

    /// Pays a billing code at the simulated bank; returns the outcome.
    pub async fn pay(&self, billing_code: &Value) -> String {
        let r = self
            .post(
                "/api/v1/dev/bank/pay",
                None,
                &json!({ "billing_code": billing_code }),
            )
            .await
            .expect(200);
        r["outcome"].as_str().expect("outcome").to_owned()
    }

    /// A paid booking of a fresh account of one person on `day`, `session`; with the account.
    pub async fn paid_booking(&self, day: NaiveDate, session: &str) -> (Value, Account) {
        let a = self.account(1).await;
        let b = self
            .book(&a.token, a.people[0].id, day, session)
            .await
            .expect(201);
        assert_eq!(self.pay(&b["billing_code"]).await, "paid");
        (b, a)
    }

    /// The store's count of a slot (None if the slot has no row yet).
    pub async fn usage(&self, date: NaiveDate, session: &str) -> Option<SlotUsage> {
        self.state
            .store
            .slot_usage(OFFICE, date, date, self.now())
            .await
            .expect("slot usage")
            .into_iter()
            .find(|u| {
                u.key.session_code == session
                    && u.key.class == loket_domain::quota::ServiceClass::Online
            })
    }
}

/// A verified account with `applicants` people on it and a bearer token, made through
/// the store (fast: one argon2 hash per process).
pub async fn new_account(state: AppState, applicants: usize) -> Account {
    let store = &state.store;
    let now = state.now();
    let email = format!("pemohon-{}@example.test", Uuid::new_v4().simple());
    let id = store
        .create_account(
            &NewAccount {
                email: email.clone(),
                password_hash: password_hash().await,
                full_name: "Budi Santoso".into(),
                birth_date: NaiveDate::from_ymd_opt(1985, 3, 4).expect("date"),
                sex: Sex::Male,
                phone: "081234567890".into(),
                locale: "id".into(),
            },
            now,
        )
        .await
        .expect("create account");
    store
        .put_verification(id, "x", now + Duration::hours(1))
        .await
        .expect("put verification");
    store.verify_email(id, "x", now).await.expect("verify");
    // A year, so stories that move the clock by days keep their token.
    let token = loket_web::auth::new_token();
    store
        .create_token(
            &loket_web::auth::hash_token(&token),
            &Principal::Account { id, verified: true },
            now,
            now + Duration::days(365),
        )
        .await
        .expect("create token");
    let mut people = Vec::with_capacity(applicants);
    for _ in 0..applicants {
        let p = Person::fresh();
        store
            .add_applicant(
                &Applicant {
                    id: p.id,
                    account_id: id,
                    nik: Nik::parse(&p.nik).expect("valid nik"),
                    full_name: "Budi Santoso".into(),
                    birth_date: p.birth_date,
                    sex: p.sex,
                    married: false,
                },
                now,
            )
            .await
            .expect("add applicant");
        people.push(p);
    }
    Account {
        id,
        email,
        token,
        people,
    }
}

/// A booking request body: a new regular e-passport for five years, for tourism.
pub fn booking_body(applicant: Uuid, date: NaiveDate, session: &str) -> Value {
    json!({
        "applicant_id": applicant,
        "office": OFFICE,
        "date": date,
        "session": session,
        "kind": "new",
        "passport_type": "electronic",
        "validity": "5y",
        "processing": "regular",
        "travel_purpose": "tourism",
    })
}

/// The online class of a session in an availability day.
pub fn online(day: &Value, session: &str) -> Value {
    let s = day["sessions"]
        .as_array()
        .expect("sessions")
        .iter()
        .find(|s| s["code"] == session)
        .unwrap_or_else(|| panic!("session {session} on {day}"));
    s["classes"]
        .as_array()
        .expect("classes")
        .iter()
        .find(|c| c["class"] == "online")
        .expect("online class")
        .clone()
}

/// A JSON date.
pub fn date_of(v: &Value) -> NaiveDate {
    v.as_str()
        .and_then(|s| NaiveDate::parse_from_str(s, "%Y-%m-%d").ok())
        .unwrap_or_else(|| panic!("not a date: {v}"))
}

/// A JSON instant.
pub fn time_of(v: &Value) -> DateTime<Utc> {
    v.as_str()
        .and_then(|s| DateTime::parse_from_rfc3339(s).ok())
        .map(|t| t.with_timezone(&Utc))
        .unwrap_or_else(|| panic!("not an instant: {v}"))
}

// ---------- the OpenAPI document ----------

/// The OpenAPI document the router is built with, with or without the dev routes.
pub fn document(dev_tools: bool) -> Value {
    static DOCS: std::sync::OnceLock<[Value; 2]> = std::sync::OnceLock::new();
    let docs = DOCS.get_or_init(|| {
        [false, true]
            .map(|dev| serde_json::to_value(loket_web::routes::api(dev).1).expect("document"))
    });
    docs[usize::from(dev_tools)].clone()
}

/// The documented operation a request path and method land on, if any: the template that
/// matches with the most literal segments.
fn operation<'d>(doc: &'d Value, method: &Method, path: &str) -> Option<(&'d str, &'d Value)> {
    let segments: Vec<&str> = path.split('/').collect();
    let method = method.as_str().to_lowercase();
    doc["paths"]
        .as_object()?
        .iter()
        .filter_map(|(template, item)| {
            let t: Vec<&str> = template.split('/').collect();
            let fits = t.len() == segments.len()
                && t.iter()
                    .zip(&segments)
                    .all(|(a, b)| a.starts_with('{') || a == b);
            let literal = t.iter().filter(|a| !a.starts_with('{')).count();
            let op = item.get(&method)?;
            fits.then_some((literal, template.as_str(), op))
        })
        .max_by_key(|(literal, ..)| *literal)
        .map(|(_, template, op)| (template, op))
}

/// Panics when a problem answer's status or code is not among those the document lists for
/// the operation (requests to no operation, such as a wrong method, are left alone).
#[track_caller]
fn check_documented(dev_tools: bool, method: &Method, path: &str, reply: &Reply) {
    let is_problem = reply.header(CONTENT_TYPE.as_str()) == Some("application/problem+json");
    if !is_problem {
        return;
    }
    let doc = document(dev_tools);
    let Some((template, op)) = operation(&doc, method, path) else {
        return;
    };
    let code = serde_json::from_str::<Value>(&reply.text)
        .ok()
        .and_then(|p| p["code"].as_str().map(str::to_owned))
        .unwrap_or_default();
    let status = reply.status.as_u16().to_string();
    let listed = op["responses"][&status]["content"]["application/problem+json"]["schema"]["allOf"]
        .as_array()
        .and_then(|parts| {
            parts
                .iter()
                .find_map(|p| p["properties"]["code"]["enum"].as_array())
        })
        .is_some_and(|codes| codes.iter().any(|c| c == code.as_str()));
    assert!(
        listed,
        "{method} {template} answered {status} `{code}`, which its OpenAPI operation does not list"
    );
}

// ---------- people ----------

/// One person on an account, with the NIK that matches their birth date and sex.
#[derive(Clone, Debug)]
pub struct Person {
    pub id: Uuid,
    pub nik: String,
    pub birth_date: NaiveDate,
    pub sex: Sex,
}

static NEXT_PERSON: AtomicU32 = AtomicU32::new(0);

impl Person {
    /// A fresh person with a NIK unique in this process: Palembang (16 71), district and
    /// serial from a counter, born on a date that varies with the counter, women and men
    /// alternating (a woman's day field is the day plus 40).
    pub fn fresh() -> Person {
        let n = NEXT_PERSON.fetch_add(1, Ordering::Relaxed);
        let serial = n % 9999 + 1;
        let district = (n / 9999) % 99 + 1;
        let sex = if n.is_multiple_of(2) {
            Sex::Male
        } else {
            Sex::Female
        };
        let birth_date = NaiveDate::from_ymd_opt(1970 + (n % 30) as i32, n % 12 + 1, n % 28 + 1)
            .expect("valid birth date");
        let nik = nik_for(district, birth_date, sex, serial);
        Person {
            id: Uuid::now_v7(),
            nik,
            birth_date,
            sex,
        }
    }

    /// The JSON to add this person over HTTP.
    pub fn body(&self) -> Value {
        json!({
            "nik": self.nik,
            "full_name": "Dewi Lestari",
            "birth_date": self.birth_date,
            "sex": self.sex.as_str(),
        })
    }
}

/// A Palembang NIK: 16 71, district, DDMMYY (day + 40 for women), serial.
pub fn nik_for(district: u32, birth: NaiveDate, sex: Sex, serial: u32) -> String {
    let day = birth.day() + if sex == Sex::Female { 40 } else { 0 };
    format!(
        "1671{district:02}{day:02}{:02}{:02}{serial:04}",
        birth.month(),
        birth.year() % 100
    )
}

/// A verified account with a token, made through the store.
#[derive(Clone, Debug)]
pub struct Account {
    pub id: Uuid,
    pub email: String,
    pub token: String,
    pub people: Vec<Person>,
}

/// One argon2 hash of `PASSWORD`, computed once per process.
pub async fn password_hash() -> String {
    static HASH: OnceCell<String> = OnceCell::const_new();
    HASH.get_or_init(|| async {
        loket_web::auth::hash_password(PASSWORD.into())
            .await
            .expect("hash")
    })
    .await
    .clone()
}

// ---------- answers ----------

/// A whole HTTP answer.
#[derive(Debug)]
pub struct Reply {
    pub status: StatusCode,
    pub headers: HeaderMap,
    pub text: String,
}

impl Reply {
    async fn read(res: reqwest::Response) -> Reply {
        let status = res.status();
        let headers = res.headers().clone();
        let text = res.text().await.expect("the body arrives");
        Reply {
            status,
            headers,
            text,
        }
    }

    /// The body as JSON.
    #[track_caller]
    pub fn json(&self) -> Value {
        serde_json::from_str(&self.text)
            .unwrap_or_else(|e| panic!("not JSON ({e}): {} {}", self.status, self.text))
    }

    /// A header as text.
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers.get(name).and_then(|v| v.to_str().ok())
    }

    /// Asserts the status; returns the JSON body (Null when empty).
    #[track_caller]
    pub fn expect(&self, status: u16) -> Value {
        assert_eq!(
            self.status.as_u16(),
            status,
            "unexpected status; body: {}",
            self.text
        );
        if self.text.is_empty() {
            Value::Null
        } else {
            self.json()
        }
    }

    /// Asserts a problem+json answer with this status and stable code; returns the problem.
    #[track_caller]
    pub fn problem(&self, status: u16, code: &str) -> Value {
        assert_eq!(
            self.status.as_u16(),
            status,
            "unexpected status; body: {}",
            self.text
        );
        assert_eq!(
            self.header(CONTENT_TYPE.as_str()),
            Some("application/problem+json"),
            "a problem is sent as application/problem+json; body: {}",
            self.text
        );
        let p = self.json();
        assert_eq!(p["code"], code, "problem: {p}");
        assert_eq!(p["status"], status, "problem: {p}");
        assert_eq!(p["type"], format!("/problems/{code}"), "problem: {p}");
        p
    }

    /// The `errors[]` entry of a field in a validation problem.
    #[track_caller]
    pub fn field_error(problem: &Value, field: &str) -> Value {
        problem["errors"]
            .as_array()
            .and_then(|e| e.iter().find(|e| e["field"] == field))
            .unwrap_or_else(|| panic!("no error for {field} in {problem}"))
            .clone()
    }
}

/// Reads one HTTP/1.1 answer over a bare connection until the server closes it or the
/// declared length has arrived; returns (status, content type, body).
pub async fn read_answer(s: &mut tokio::net::TcpStream) -> (u16, String, String) {
    let mut raw = Vec::new();
    let mut buf = [0u8; 4096];
    loop {
        let n = tokio::time::timeout(std::time::Duration::from_secs(20), s.read(&mut buf))
            .await
            .expect("an answer within 20 s")
            .unwrap_or(0);
        if n == 0 {
            break;
        }
        raw.extend_from_slice(&buf[..n]);
        let text = String::from_utf8_lossy(&raw);
        if let Some((head, rest)) = text.split_once("\r\n\r\n") {
            let len = head.lines().find_map(|l| {
                let (k, v) = l.split_once(':')?;
                k.eq_ignore_ascii_case("content-length")
                    .then(|| v.trim().parse::<usize>().ok())?
            });
            if len.is_some_and(|n| rest.len() >= n) {
                break;
            }
        }
    }
    let text = String::from_utf8_lossy(&raw).into_owned();
    let (head, rest) = text.split_once("\r\n\r\n").unwrap_or((&text, ""));
    let status = head
        .split(' ')
        .nth(1)
        .and_then(|c| c.parse().ok())
        .unwrap_or_else(|| panic!("no status line in {text:?}"));
    let content_type = head
        .lines()
        .find_map(|l| {
            let (k, v) = l.split_once(':')?;
            k.eq_ignore_ascii_case("content-type")
                .then(|| v.trim().to_owned())
        })
        .unwrap_or_default();
    (status, content_type, rest.to_owned())
}
