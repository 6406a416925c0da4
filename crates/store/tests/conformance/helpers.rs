//! The harness: a fresh database per test on either engine, a seeded office, people with
//! valid NIKs, builders for the requests the stories make, and a start-line for races.
//! Every instant a story uses is chosen here (never the wall clock) and has at most
//! millisecond precision, which both engines store exactly.

use std::future::Future;
use std::path::PathBuf;
use std::sync::Arc;
use std::sync::atomic::{AtomicU32, Ordering};

use chrono::{DateTime, Datelike, Duration, NaiveDate, NaiveTime, TimeZone, Utc, Weekday};
use loket_domain::booking::BillingCode;
use loket_domain::calendar::WeekdaySet;
use loket_domain::catalogue::{
    ApplicationKind, FeeLine, PassportType, Processing, ServiceRequest, TravelPurpose, Validity,
};
use loket_domain::office::parse_time_zone;
use loket_domain::quota::ServiceClass;
use loket_domain::release::ReleaseRule;
use loket_domain::{Nik, Office, SessionWindow, Sex};
use loket_store::db::Pool;
use loket_store::prelude::*;
use loket_store::{
    Actor, AllocationRequest, Applicant, Booking, NewAccount, PaymentNotice, SlotKey, SlotUsage,
    SqlStore, StoreOptions,
};
use sqlx::Connection as _;
use tokio::sync::Barrier;
use uuid::Uuid;

// ---------- databases ----------

/// Which engine a test runs on.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Engine {
    Sqlite,
    Postgres,
}

/// What a story gets: a migrated store on a database of its own.
#[derive(Clone)]
pub struct Ctx {
    pub store: SqlStore,
    pub engine: Engine,
    /// The database URL, to open a second instance on the same database.
    pub url: String,
}

impl Ctx {
    /// Another store with its own pool on the same database: a second app instance.
    pub async fn another_instance(&self) -> SqlStore {
        SqlStore::connect(&self.url, &StoreOptions::default())
            .await
            .expect("second instance connects")
    }
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

/// A fresh, migrated database; `destroy` removes it.
pub struct TestDb {
    store: SqlStore,
    url: String,
    engine: Engine,
    sqlite_path: Option<PathBuf>,
    pg_name: Option<String>,
}

impl TestDb {
    /// Creates and migrates a database of `engine`.
    pub async fn create(engine: Engine) -> TestDb {
        Self::create_at(engine, None).await
    }

    /// Creates a database of `engine` migrated up to `version` (all migrations if none): a
    /// database as an older release left it.
    pub async fn create_at(engine: Engine, version: Option<i64>) -> TestDb {
        let id = Uuid::new_v4().simple().to_string();
        let (url, sqlite_path, pg_name) =
            match engine {
                Engine::Sqlite => {
                    let path = std::env::temp_dir().join(format!("loket-test-{id}.db"));
                    (format!("sqlite://{}", path.display()), Some(path), None)
                }
                Engine::Postgres => {
                    let admin = admin_url();
                    let name = format!("loket_t_{id}");
                    let mut conn = sqlx::PgConnection::connect(&admin).await.unwrap_or_else(|e| {
                    panic!(
                        "PostgreSQL is unreachable at {admin} ({e}); start it (the test script \
                         does) or set LOKET_TEST_POSTGRES_URL"
                    )
                });
                    sqlx::raw_sql(sqlx::AssertSqlSafe(format!("CREATE DATABASE \"{name}\"")))
                        .execute(&mut conn)
                        .await
                        .expect("create the test database");
                    let _ = conn.close().await;
                    (with_database(&admin, &name), None, Some(name))
                }
            };
        let store = SqlStore::connect(&url, &StoreOptions::default())
            .await
            .expect("connect to the test database");
        match version {
            None => store.migrate().await.expect("migrations apply"),
            Some(v) => {
                let older = |mut m: sqlx::migrate::Migrator| {
                    m.migrations = m
                        .migrations
                        .iter()
                        .filter(|x| x.version <= v)
                        .cloned()
                        .collect::<Vec<_>>()
                        .into();
                    m
                };
                match store.pool() {
                    Pool::Sqlite(p) => older(sqlx::migrate!("./migrations/sqlite"))
                        .run(p)
                        .await
                        .expect("older migrations apply"),
                    Pool::Postgres(p) => older(sqlx::migrate!("./migrations/postgres"))
                        .run(p)
                        .await
                        .expect("older migrations apply"),
                }
            }
        }
        TestDb {
            store,
            url,
            engine,
            sqlite_path,
            pg_name,
        }
    }

    /// What a story gets.
    pub fn ctx(&self) -> Ctx {
        Ctx {
            store: self.store.clone(),
            engine: self.engine,
            url: self.url.clone(),
        }
    }

    /// Best effort: a leftover database is clutter, not a failure.
    pub async fn destroy(self) {
        close(&self.store).await;
        if let Some(path) = self.sqlite_path {
            for suffix in ["", "-wal", "-shm"] {
                let mut p = path.clone().into_os_string();
                p.push(suffix);
                let _ = std::fs::remove_file(p);
            }
        }
        if let Some(name) = self.pg_name
            && let Ok(mut conn) = sqlx::PgConnection::connect(&admin_url()).await
        {
            let sql = format!("DROP DATABASE IF EXISTS \"{name}\" WITH (FORCE)");
            let _ = sqlx::raw_sql(sqlx::AssertSqlSafe(sql))
                .execute(&mut conn)
                .await;
            let _ = conn.close().await;
        }
    }
}

/// Closes a store's pool (so its database can be dropped).
pub async fn close(store: &SqlStore) {
    match store.pool() {
        Pool::Sqlite(p) => p.close().await,
        Pool::Postgres(p) => p.close().await,
    }
}

/// Runs one story on a fresh database of `engine`, then drops the database, also when the
/// story panics (the panic is passed on).
pub async fn run<F, Fut>(engine: Engine, story: F)
where
    F: FnOnce(Ctx) -> Fut,
    Fut: Future<Output = ()> + Send + 'static,
{
    let db = TestDb::create(engine).await;
    let outcome = tokio::spawn(story(db.ctx())).await;
    // Whatever the story did, the places the store's reads show must be a full recount's.
    let counts = match &outcome {
        Ok(()) => counts_agree(&db.store).await,
        Err(_) => Ok(()),
    };
    db.destroy().await;
    if let Err(e) = outcome {
        match e.try_into_panic() {
            Ok(panic) => std::panic::resume_unwind(panic),
            Err(e) => panic!("story did not finish: {e}"),
        }
    }
    if let Err(e) = counts {
        panic!("after the story, the store's counts disagree with a recount:\n{e}");
    }
}

// ---------- counts against a full recount ----------

const ALL_SLOTS: &str =
    "SELECT id, office_code, service_date, session_code, class, capacity, taken FROM slots";
const ALL_BOOKINGS: &str = "SELECT slot_id, state, payment_deadline FROM bookings";

/// Checks that the places taken the store reports (`slot_usage`, which the availability
/// page and every count under a lock share) equal a recount of every booking with the
/// domain's rule (`BookingState::holds_place`), at the stories' instant and around every
/// payment deadline (so lapsed holds count too), and that each slot's kept counter equals
/// its active bookings. Returns what disagrees.
pub async fn counts_agree(store: &SqlStore) -> Result<(), String> {
    use loket_domain::booking::BookingState;
    use std::collections::{BTreeSet, HashMap};
    let pool = store.pool();
    let slots = pool
        .fetch_all(ALL_SLOTS, vec![])
        .await
        .map_err(|e| e.to_string())?;
    let bookings = pool
        .fetch_all(ALL_BOOKINGS, vec![])
        .await
        .map_err(|e| e.to_string())?;
    let mut rows = Vec::new();
    let mut instants = BTreeSet::from([t0()]);
    for b in &bookings {
        let state = b.text("state").map_err(|e| e.to_string())?;
        let state = BookingState::parse(&state).ok_or(format!("unknown state {state}"))?;
        let deadline = b.time("payment_deadline").map_err(|e| e.to_string())?;
        instants.extend([deadline - ms(1), deadline, deadline + ms(1)]);
        rows.push((
            b.i64("slot_id").map_err(|e| e.to_string())?,
            state,
            deadline,
        ));
    }
    let recount = |slot: i64, now: DateTime<Utc>| {
        rows.iter()
            .filter(|(s, state, deadline)| *s == slot && state.holds_place(*deadline, now))
            .count() as i64
    };
    let mut wrong = Vec::new();
    let mut offices: HashMap<String, (NaiveDate, NaiveDate)> = HashMap::new();
    let mut keys = Vec::new();
    for s in &slots {
        let get = |e: sqlx::Error| e.to_string();
        let id = s.i64("id").map_err(get)?;
        let office = s.text("office_code").map_err(get)?;
        let date = s.date("service_date").map_err(get)?;
        let class = s.text("class").map_err(get)?;
        let key = SlotKey {
            office_code: office.clone(),
            service_date: date,
            session_code: s.text("session_code").map_err(get)?,
            class: ServiceClass::parse(&class).ok_or(format!("unknown class {class}"))?,
        };
        // The kept counter: every booking in a state that can hold a place, deadline or not.
        let active = recount(id, DateTime::<Utc>::MIN_UTC);
        let kept = s.i64("taken").map_err(get)?;
        if kept != active {
            wrong.push(format!(
                "slot {id} ({key:?}): counter {kept}, active bookings {active}"
            ));
        }
        let range = offices.entry(office).or_insert((date, date));
        range.0 = range.0.min(date);
        range.1 = range.1.max(date);
        keys.push((id, key));
    }
    for now in instants {
        let mut shown = HashMap::new();
        for (office, (from, to)) in &offices {
            for u in store
                .slot_usage(office, *from, *to, now)
                .await
                .map_err(|e| e.to_string())?
            {
                shown.insert(u.key, u.taken);
            }
        }
        for (id, key) in &keys {
            let expected = recount(*id, now);
            match shown.get(key) {
                Some(&t) if t == expected => {}
                got => wrong.push(format!(
                    "slot {id} ({key:?}) at {now}: shown {got:?}, recount {expected}"
                )),
            }
        }
    }
    if wrong.is_empty() {
        Ok(())
    } else {
        Err(wrong.join("\n"))
    }
}

// ---------- time ----------

/// The Monday of the week the stories book into (far ahead of any clock they use).
pub fn monday() -> NaiveDate {
    let d = NaiveDate::from_ymd_opt(2030, 1, 7).unwrap();
    assert_eq!(d.weekday(), Weekday::Mon);
    d
}

/// `n` days after `monday()`.
pub fn day(n: u64) -> NaiveDate {
    monday() + chrono::Days::new(n)
}

/// The stories' "now": Wednesday 2 January 2030, 08:00 WIB.
pub fn t0() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2030, 1, 2, 1, 0, 0).unwrap()
}

/// Milliseconds.
pub fn ms(n: i64) -> Duration {
    Duration::milliseconds(n)
}

/// The payment window.
pub fn two_hours() -> Duration {
    Duration::hours(2)
}

// ---------- reference data ----------

pub const REGION: &str = "sumsel";
pub const OFFICE: &str = "palembang";
/// Weekday default capacity the seed sets for every session.
pub const DEFAULT_CAPACITY: i64 = 10;
/// The fee every booking in the stories carries (e-passport, 5 years).
pub const FEE: i64 = 650_000;

fn hm(h: u32, m: u32) -> NaiveTime {
    NaiveTime::from_hms_opt(h, m, 0).unwrap()
}

/// Kanim Palembang: two morning sessions Monday to Friday, rolling release.
pub fn office() -> Office {
    Office {
        code: OFFICE.into(),
        region_code: REGION.into(),
        name: "Kantor Imigrasi Kelas I TPI Palembang".into(),
        time_zone: parse_time_zone("Asia/Jakarta").unwrap(),
        address: Some("Jl. Letnan Jenderal Harun Sohar No. 1".into()),
        city: "Palembang".into(),
        open_weekdays: WeekdaySet::mon_to_fri(),
        sessions: vec![
            SessionWindow {
                code: "s1".into(),
                name: "Sesi 1".into(),
                start: hm(8, 0),
                end: hm(10, 0),
                weekdays: WeekdaySet::mon_to_fri(),
            },
            SessionWindow {
                code: "s2".into(),
                name: "Sesi 2".into(),
                start: hm(10, 0),
                end: hm(12, 0),
                weekdays: WeekdaySet::mon_to_fri(),
            },
        ],
        release: ReleaseRule::Rolling {
            days_ahead: 30,
            at: hm(8, 0),
        },
        booking_horizon_days: 60,
        allocation_policy: Default::default(),
    }
}

pub const WORKDAYS: [Weekday; 5] = [
    Weekday::Mon,
    Weekday::Tue,
    Weekday::Wed,
    Weekday::Thu,
    Weekday::Fri,
];

/// The head of office, who changes quotas and closures.
pub fn head() -> Actor {
    Actor {
        id: Some(Uuid::from_u128(0x4ead)),
        name: "kepala.palembang".into(),
    }
}

/// One region, one office, weekday defaults of `DEFAULT_CAPACITY` for both sessions.
pub async fn seed(store: &SqlStore) -> Office {
    store
        .upsert_region(REGION, "Sumatera Selatan")
        .await
        .unwrap();
    let o = office();
    store.upsert_office(&o).await.unwrap();
    for wd in WORKDAYS {
        for s in ["s1", "s2"] {
            store
                .set_quota_default(
                    OFFICE,
                    wd,
                    s,
                    ServiceClass::Online,
                    DEFAULT_CAPACITY,
                    monday(),
                    &head(),
                    t0(),
                )
                .await
                .unwrap();
        }
    }
    o
}

/// The online slot of a session on a date at the seeded office.
pub fn slot(date: NaiveDate, session: &str) -> SlotKey {
    SlotKey {
        office_code: OFFICE.into(),
        service_date: date,
        session_code: session.into(),
        class: ServiceClass::Online,
    }
}

/// The usage row of one slot, if the slot row exists.
pub async fn usage(store: &SqlStore, key: &SlotKey, now: DateTime<Utc>) -> Option<SlotUsage> {
    store
        .slot_usage(&key.office_code, key.service_date, key.service_date, now)
        .await
        .unwrap()
        .into_iter()
        .find(|u| &u.key == key)
}

/// Gives one slot its own capacity (a date override), as a head of office would.
pub async fn set_capacity(store: &SqlStore, key: &SlotKey, capacity: i64) {
    store
        .set_quota_override(
            &key.office_code,
            key.service_date,
            &key.session_code,
            key.class,
            capacity,
            &head(),
            t0(),
        )
        .await
        .unwrap();
}

/// Places held or paid in a slot (0 if it has no row yet).
pub async fn taken(store: &SqlStore, key: &SlotKey, now: DateTime<Utc>) -> i64 {
    usage(store, key, now).await.map_or(0, |u| u.taken)
}

// ---------- people ----------

static NEXT_PERSON: AtomicU32 = AtomicU32::new(0);

/// A fresh, valid NIK with the birth date and sex it encodes: Palembang (16 71), born
/// 12 May 1990, men and women alternating (women's day field is 12 + 40 = 52).
pub fn fresh_nik() -> (Nik, NaiveDate, Sex) {
    let sex = if NEXT_PERSON.load(Ordering::Relaxed).is_multiple_of(2) {
        Sex::Male
    } else {
        Sex::Female
    };
    fresh_nik_of(sex)
}

/// A fresh, valid NIK of a man or a woman (unique in this test process).
pub fn fresh_nik_of(sex: Sex) -> (Nik, NaiveDate, Sex) {
    let n = NEXT_PERSON.fetch_add(1, Ordering::Relaxed);
    let serial = n % 9999 + 1;
    let district = (n / 9999) % 99 + 1;
    let day_field = if sex == Sex::Female { 12 + 40 } else { 12 };
    let text = format!("1671{district:02}{day_field:02}0590{serial:04}");
    let nik = Nik::parse(&text).unwrap();
    let birth = NaiveDate::from_ymd_opt(1990, 5, 12).unwrap();
    nik.check_against(birth, sex).unwrap();
    (nik, birth, sex)
}

/// Registers an applicant account; returns its id.
pub async fn account(store: &SqlStore) -> Uuid {
    account_with_email(
        store,
        &format!("pemohon-{}@example.test", Uuid::new_v4().simple()),
    )
    .await
}

pub fn new_account(email: &str) -> NewAccount {
    NewAccount {
        email: email.to_owned(),
        password_hash: "$argon2id$v=19$m=19456,t=2,p=1$c2FsdHNhbHQ$aGFzaGhhc2hoYXNo".into(),
        full_name: "Siti Rahmawati".into(),
        birth_date: NaiveDate::from_ymd_opt(1990, 5, 12).unwrap(),
        sex: Sex::Female,
        phone: "+6281234567890".into(),
        locale: "id".into(),
    }
}

pub async fn account_with_email(store: &SqlStore, email: &str) -> Uuid {
    store
        .create_account(&new_account(email), t0())
        .await
        .unwrap()
}

/// An applicant with a fresh NIK, not yet stored.
pub fn new_applicant(account: Uuid) -> Applicant {
    let (nik, birth_date, sex) = fresh_nik();
    Applicant {
        id: Uuid::now_v7(),
        account_id: account,
        nik,
        full_name: "Budi Santoso".into(),
        birth_date,
        sex,
        married: false,
    }
}

/// Adds an applicant with a fresh NIK to an account.
pub async fn applicant(store: &SqlStore, account: Uuid) -> Applicant {
    let a = new_applicant(account);
    store.add_applicant(&a, t0()).await.unwrap();
    a
}

/// A new account with one applicant.
pub async fn person(store: &SqlStore) -> Applicant {
    let acc = account(store).await;
    applicant(store, acc).await
}

/// `n` applicants with distinct NIKs, five to an account, created concurrently.
pub async fn people(store: &SqlStore, n: usize) -> Vec<Applicant> {
    let mut tasks = tokio::task::JoinSet::new();
    for chunk in 0..n.div_ceil(5) {
        let store = store.clone();
        let size = 5.min(n - chunk * 5);
        tasks.spawn(async move {
            let acc = account(&store).await;
            let mut v = Vec::with_capacity(size);
            for _ in 0..size {
                v.push(applicant(&store, acc).await);
            }
            (chunk, v)
        });
    }
    let mut chunks: Vec<_> = tasks.join_all().await;
    chunks.sort_by_key(|(i, _)| *i);
    chunks.into_iter().flat_map(|(_, v)| v).collect()
}

// ---------- bookings and payments ----------

pub fn random_u64() -> u64 {
    Uuid::new_v4().as_u64_pair().0
}

pub fn service() -> ServiceRequest {
    ServiceRequest {
        kind: ApplicationKind::New,
        passport_type: PassportType::Electronic,
        validity: Validity::FiveYears,
        processing: Processing::Regular,
        force_majeure: false,
    }
}

/// A booking request for `a` in `key` made at `now`, with a deadline two hours on.
pub fn request(a: &Applicant, key: &SlotKey, now: DateTime<Utc>) -> AllocationRequest {
    AllocationRequest {
        policy: loket_domain::booking::AllocationPolicy::default(),
        booking_id: Uuid::now_v7(),
        account_id: a.account_id,
        applicant_id: a.id,
        nik: a.nik.clone(),
        slot: key.clone(),
        billing_code: BillingCode::from_random(random_u64()),
        payment_deadline: now + two_hours(),
        service: service(),
        travel_purpose: TravelPurpose::Tourism,
        fee_table_code: "pp-45-2024".into(),
        fee_lines: vec![FeeLine {
            item: "electronic_5y".into(),
            amount: FEE,
        }],
        fee_total: FEE,
        idempotency_key: None,
        request_fingerprint: None,
        now,
    }
}

/// Books `a` into `key` at `now`; the booking must succeed.
pub async fn book(store: &SqlStore, a: &Applicant, key: &SlotKey, now: DateTime<Utc>) -> Booking {
    store.allocate(request(a, key, now)).await.unwrap()
}

/// A bank notice paying a booking's full fee, with a fresh notification id.
pub fn notice(b: &Booking, status: &str, paid_at: DateTime<Utc>) -> PaymentNotice {
    PaymentNotice {
        notification_id: format!("ntf-{}", Uuid::new_v4().simple()),
        billing_code: b.billing_code.as_str().to_owned(),
        amount: b.fee_total,
        status: status.to_owned(),
        paid_at,
    }
}

/// Re-reads a booking.
pub async fn reload(store: &SqlStore, b: &Booking) -> Booking {
    store
        .get_booking(b.id)
        .await
        .unwrap()
        .expect("booking exists")
}

// ---------- races ----------

/// Starts `n` attempts on their own tasks and releases them together from one barrier;
/// returns their results in attempt order.
pub async fn stampede<T, F, Fut>(n: usize, attempt: F) -> Vec<T>
where
    F: Fn(usize) -> Fut,
    Fut: Future<Output = T> + Send + 'static,
    T: Send + 'static,
{
    let start = Arc::new(Barrier::new(n));
    let handles: Vec<_> = (0..n)
        .map(|i| {
            let fut = attempt(i);
            let start = start.clone();
            tokio::spawn(async move {
                start.wait().await;
                fut.await
            })
        })
        .collect();
    let mut out = Vec::with_capacity(n);
    for h in handles {
        out.push(h.await.expect("attempt task panicked"));
    }
    out
}

/// Asserts that an expression is an `Err` matching a pattern, showing what it was if not.
#[macro_export]
macro_rules! assert_err {
    ($e:expr, $p:pat) => {{
        let r = $e;
        assert!(
            matches!(r, Err($p)),
            "expected Err({}), got {:?}",
            stringify!($p),
            r
        );
    }};
}
