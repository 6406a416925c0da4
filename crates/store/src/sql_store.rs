//! `SqlStore`: the Store on SQLite or PostgreSQL. Each method is one transaction; methods
//! that take or move a place lock the slot row first (SQLite: the write lock taken by
//! `BEGIN IMMEDIATE`; PostgreSQL: `SELECT ... FOR UPDATE`), then booking rows, always in
//! that order so that two transactions never wait on each other in a cycle.

use std::str::FromStr;
use std::time::Duration;

use async_trait::async_trait;
use chrono::{DateTime, Datelike, NaiveDate, NaiveTime, Utc, Weekday};
use loket_domain::booking::{BookingState, PaymentDecision, TransitionError, decide_payment};
use loket_domain::calendar::{ExceptionKind, Holiday, HolidayKind, OfficeException, WeekdaySet};
use loket_domain::catalogue::{FeeLine, FeeTable, ServiceRequest, TravelPurpose};
use loket_domain::office::parse_time_zone;
use loket_domain::quota::{QuotaAdjustment, QuotaPlan, ServiceClass};
use loket_domain::release::ReleaseRule;
use loket_domain::{BillingCode, Nik, Office, SessionWindow, Sex};
use sqlx::ConnectOptions;
use sqlx::postgres::{PgConnectOptions, PgPoolOptions};
use sqlx::sqlite::{SqliteConnectOptions, SqliteJournalMode, SqlitePoolOptions, SqliteSynchronous};
use uuid::Uuid;

use crate::Store;
use crate::args;
use crate::db::{Arg, Backend, Pool, Row, Tx, is_unique_violation};
use crate::error::{StoreError, StoreResult};
use crate::sql::{self, *};
use crate::types::*;

/// Connection settings.
#[derive(Clone, Debug)]
pub struct StoreOptions {
    /// Pool size.
    pub max_connections: u32,
    /// How long SQLite waits for the write lock before giving up.
    pub busy_timeout: Duration,
    /// When a SQLite commit reaches the disk (every writer connection). PostgreSQL's own
    /// `synchronous_commit` is the server's to set.
    pub sqlite_synchronous: SqliteDurability,
}

impl Default for StoreOptions {
    fn default() -> Self {
        Self {
            max_connections: 16,
            busy_timeout: Duration::from_secs(10),
            sqlite_synchronous: SqliteDurability::Full,
        }
    }
}

/// SQLite's `synchronous` setting on a WAL database.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum SqliteDurability {
    /// `FULL`: the WAL is synced at every commit, so a commit that was acknowledged
    /// survives a power cut or an operating-system crash (group commit makes it one sync
    /// per batch of allocations).
    #[default]
    Full,
    /// `NORMAL`: the WAL is synced only at checkpoints. A killed process loses nothing,
    /// but a power cut or OS crash can lose the last commits, acknowledged payments
    /// included.
    Normal,
}

impl SqliteDurability {
    /// The pragma's value.
    pub fn as_pragma(self) -> &'static str {
        match self {
            Self::Full => "FULL",
            Self::Normal => "NORMAL",
        }
    }
}

/// The Store on a SQL database.
#[derive(Clone, Debug)]
pub struct SqlStore {
    pool: Pool,
    /// Where write transactions run. SQLite allows one writer at a time, and a connection
    /// that finds the write lock taken sleeps and retries with growing pauses; so on SQLite
    /// writes go through a pool of one connection, whose queue is fair and never sleeps.
    /// On PostgreSQL it is the same pool: rows are locked, not the database.
    writer: Pool,
    /// SQLite's allocator task (group commit); None on PostgreSQL and inside the allocator.
    allocator: Option<tokio::sync::mpsc::Sender<crate::group_commit::Job>>,
    /// SQLite reads by key on the calling thread (see `lite`); None on PostgreSQL and for
    /// an in-memory database.
    readers: Option<std::sync::Arc<crate::lite::Readers>>,
    /// PostgreSQL's allocations waiting per slot (group commit); None on SQLite.
    slot_queues: Option<std::sync::Arc<crate::slot_batch::SlotQueues>>,
}

fn pick(backend: Backend, stmt: (&'static str, &'static str)) -> &'static str {
    match backend {
        Backend::Sqlite => stmt.0,
        Backend::Postgres => stmt.1,
    }
}

fn corrupt(what: &str) -> StoreError {
    StoreError::Corrupt(what.to_owned())
}

impl SqlStore {
    /// Reads at most one row by a unique key: on a SQLite file on the calling thread (see
    /// `lite`), otherwise through the pool.
    async fn fetch_by_key(&self, sql: &'static str, args: Vec<Arg>) -> StoreResult<Option<Row>> {
        match &self.readers {
            Some(r) => Ok(r.fetch_optional(sql, args)?.map(Row::Lite)),
            None => Ok(self.pool.fetch_optional(sql, args).await?),
        }
    }

    /// Connects to `sqlite://path` or `postgres://...`, without migrating.
    pub async fn connect(url: &str, opts: &StoreOptions) -> StoreResult<Self> {
        if url.starts_with("sqlite:") {
            let o = SqliteConnectOptions::from_str(url)?
                .create_if_missing(true)
                .journal_mode(SqliteJournalMode::Wal)
                .synchronous(match opts.sqlite_synchronous {
                    SqliteDurability::Full => SqliteSynchronous::Full,
                    SqliteDurability::Normal => SqliteSynchronous::Normal,
                })
                .busy_timeout(opts.busy_timeout)
                .foreign_keys(true)
                .disable_statement_logging();
            let writer = SqlitePoolOptions::new()
                .max_connections(1)
                .connect_with(o.clone())
                .await?;
            let readers = SqlitePoolOptions::new()
                .max_connections(opts.max_connections.clamp(1, 64))
                .connect_with(o.clone())
                .await?;
            let mut store = Self {
                pool: Pool::Sqlite(readers),
                writer: Pool::Sqlite(writer),
                allocator: None,
                readers: None,
                slot_queues: None,
            };
            // An in-memory database cannot be shared with a second connection: it keeps
            // the transactional path for every allocation.
            let file = o.get_filename().to_path_buf();
            if !file.as_os_str().is_empty() && !file.to_string_lossy().contains(":memory:") {
                store.readers = Some(std::sync::Arc::new(crate::lite::Readers::new(
                    file.clone(),
                    opts.busy_timeout,
                )));
                store.allocator = Some(
                    crate::group_commit::spawn(file, opts, store.clone())
                        .map_err(|e| StoreError::Corrupt(format!("allocator: {e}")))?,
                );
            }
            Ok(store)
        } else if url.starts_with("postgres:") || url.starts_with("postgresql:") {
            let o = PgConnectOptions::from_str(url)?.disable_statement_logging();
            let pool = Pool::Postgres(
                PgPoolOptions::new()
                    .max_connections(opts.max_connections.clamp(1, 256))
                    .connect_with(o)
                    .await?,
            );
            Ok(Self {
                writer: pool.clone(),
                pool,
                allocator: None,
                readers: None,
                slot_queues: Some(Default::default()),
            })
        } else {
            Err(StoreError::Database(sqlx::Error::Configuration(
                "unsupported database URL scheme (use sqlite:// or postgres://)".into(),
            )))
        }
    }

    /// Starts a write transaction (on SQLite, behind this process's other writers).
    pub(crate) async fn begin_write(&self) -> StoreResult<Tx> {
        Ok(self.writer.begin_write().await?)
    }

    /// The allocation as one transaction: lock the slot row (creating it if needed), count,
    /// check the NIK, insert. PostgreSQL's path, and SQLite's for a slot's first booking.
    pub(crate) async fn allocate_in_transaction(
        &self,
        req: AllocationRequest,
    ) -> StoreResult<Booking> {
        let mut tx = self.begin_write().await?;
        let (slot_id, capacity) = lock_slot(&mut tx, &req.slot).await?;
        // Looked up under the slot lock: identical retries racing each other queue on that
        // lock, so each later one finds the booking the first one made.
        if let Some(key) = &req.idempotency_key
            && let Some(row) = tx
                .fetch_optional(BOOKING_BY_IDEMPOTENCY, args![req.account_id, key.clone()])
                .await?
        {
            return replayed(booking_from_row(&row)?, &req);
        }
        if taken(&mut tx, slot_id, req.now).await? >= capacity {
            return Err(StoreError::QuotaFull);
        }
        if nik_is_busy(&mut tx, &req.nik, req.now).await? {
            return Err(StoreError::NikHasActiveBooking);
        }
        let inserted = tx
            .execute(INSERT_BOOKING, {
                let mut a = booking_args(&req);
                a.push(Arg::I64(slot_id));
                a
            })
            .await;
        if let Err(e) = inserted {
            return Err(if is_unique_violation(&e, "nik") {
                StoreError::NikHasActiveBooking
            } else if is_unique_violation(&e, "idempotency_key") {
                StoreError::IdempotencyMismatch
            } else {
                e.into()
            });
        }
        places_taken(&mut tx, slot_id, 1).await?;
        // Creation is recorded by the row itself (created_at); events record transitions.
        tx.commit().await?;
        Ok(booked(req, slot_id))
    }

    /// SQLite's allocation: handed to the allocator thread, which commits waiting
    /// allocations together (and hands a replayed Idempotency-Key to the transactional path,
    /// which looks it up under the slot lock).
    async fn allocate_sqlite(&self, req: AllocationRequest) -> StoreResult<Booking> {
        let Some(allocator) = &self.allocator else {
            return self.allocate_in_transaction(req).await;
        };
        let (reply, answer) = tokio::sync::oneshot::channel();
        allocator
            .send(crate::group_commit::Job { req, reply })
            .await
            .map_err(|_| StoreError::Corrupt("allocator stopped".into()))?;
        answer
            .await
            .map_err(|_| StoreError::Corrupt("allocator dropped an allocation".into()))?
    }

    /// Applies the embedded migrations of this engine.
    pub async fn migrate(&self) -> StoreResult<()> {
        match &self.writer {
            Pool::Sqlite(p) => sqlx::migrate!("./migrations/sqlite").run(p).await?,
            Pool::Postgres(p) => sqlx::migrate!("./migrations/postgres").run(p).await?,
        }
        Ok(())
    }

    /// How many allocations, in this process, were settled in a batch (the fast path):
    /// inside SQLite's allocator, or in a PostgreSQL transaction shared with others of
    /// the same slot.
    pub fn batch_settled_allocations() -> u64 {
        use std::sync::atomic::Ordering::Relaxed;
        crate::group_commit::SETTLED_IN_BATCH.load(Relaxed)
            + crate::slot_batch::SETTLED_TOGETHER.load(Relaxed)
    }

    /// The pool (for tests that prepare statements).
    pub fn pool(&self) -> &Pool {
        &self.pool
    }

    /// Every statement this store may run on its engine, for the prepare test.
    pub fn statements(&self) -> Vec<&'static str> {
        let backend = self.pool.backend();
        let mut all: Vec<&'static str> = sql::SHARED.to_vec();
        all.extend(sql::PER_ENGINE.iter().map(|s| pick(backend, *s)));
        if backend == Backend::Postgres {
            all.extend(sql::POSTGRES_ONLY);
        }
        all
    }

    /// Prepares one statement without running it; fails on an unknown column or table.
    pub async fn prepare(&self, stmt: &'static str) -> StoreResult<()> {
        use sqlx::{Executor, SqlSafeStr};
        match &self.pool {
            Pool::Sqlite(p) => {
                p.prepare(stmt.into_sql_str()).await?;
            }
            Pool::Postgres(p) => {
                p.prepare(stmt.into_sql_str()).await?;
            }
        }
        Ok(())
    }

    fn backend(&self) -> Backend {
        self.pool.backend()
    }
}

// ---------- row mapping ----------

fn weekday_from_index(i: i64) -> Option<Weekday> {
    u8::try_from(i).ok().and_then(|i| Weekday::try_from(i).ok())
}

fn session_from_row(r: &Row) -> StoreResult<(String, SessionWindow)> {
    let parse_t =
        |s: String| NaiveTime::parse_from_str(&s, "%H:%M").map_err(|_| corrupt("session time"));
    let bits = u8::try_from(r.i64("weekdays")?).map_err(|_| corrupt("session weekdays"))?;
    Ok((
        r.text("office_code")?,
        SessionWindow {
            code: r.text("code")?,
            name: r.text("name")?,
            start: parse_t(r.text("start_time")?)?,
            end: parse_t(r.text("end_time")?)?,
            weekdays: WeekdaySet::from_bits(bits),
        },
    ))
}

fn office_from_row(r: &Row, sessions: Vec<SessionWindow>) -> StoreResult<Office> {
    let tz = parse_time_zone(&r.text("time_zone")?).ok_or_else(|| corrupt("office time zone"))?;
    let release: ReleaseRule =
        serde_json::from_str(&r.text("release_rule")?).map_err(|_| corrupt("release rule"))?;
    let bits = u8::try_from(r.i64("open_weekdays")?).map_err(|_| corrupt("open weekdays"))?;
    Ok(Office {
        code: r.text("code")?,
        region_code: r.text("region_code")?,
        name: r.text("name")?,
        time_zone: tz,
        address: r.opt_text("address")?,
        city: r.text("city")?,
        open_weekdays: WeekdaySet::from_bits(bits),
        sessions,
        release,
        booking_horizon_days: u32::try_from(r.i64("booking_horizon_days")?).unwrap_or(0),
    })
}

fn class_of(r: &Row, col: &str) -> StoreResult<ServiceClass> {
    ServiceClass::parse(&r.text(col)?).ok_or_else(|| corrupt("service class"))
}

pub(crate) fn booking_from_row(r: &Row) -> StoreResult<Booking> {
    let service: ServiceRequest =
        serde_json::from_str(&r.text("service")?).map_err(|_| corrupt("booking service"))?;
    let fee_lines: Vec<FeeLine> =
        serde_json::from_str(&r.text("fee_lines")?).map_err(|_| corrupt("fee lines"))?;
    Ok(Booking {
        id: r.uuid("id")?,
        account_id: r.uuid("account_id")?,
        applicant_id: r.uuid("applicant_id")?,
        nik: Nik::parse(&r.text("nik")?).map_err(|_| corrupt("booking nik"))?,
        slot_id: r.i64("slot_id")?,
        slot: SlotKey {
            office_code: r.text("office_code")?,
            service_date: r.date("service_date")?,
            session_code: r.text("session_code")?,
            class: class_of(r, "class")?,
        },
        state: BookingState::parse(&r.text("state")?).ok_or_else(|| corrupt("booking state"))?,
        billing_code: BillingCode::parse(&r.text("billing_code")?)
            .map_err(|_| corrupt("billing code"))?,
        payment_deadline: r.time("payment_deadline")?,
        service,
        travel_purpose: TravelPurpose::parse(&r.text("travel_purpose")?)
            .ok_or_else(|| corrupt("travel purpose"))?,
        fee_table_code: r.text("fee_table_code")?,
        fee_lines,
        fee_total: r.i64("fee_total")?,
        reschedules_used: r.i64("reschedules_used")?,
        created_at: r.time("created_at")?,
        updated_at: r.time("updated_at")?,
        paid_at: r.opt_time("paid_at")?,
        request_fingerprint: r.opt_text("request_fingerprint")?,
    })
}

fn applicant_from_row(r: &Row) -> StoreResult<Applicant> {
    Ok(Applicant {
        id: r.uuid("id")?,
        account_id: r.uuid("account_id")?,
        nik: Nik::parse(&r.text("nik")?).map_err(|_| corrupt("applicant nik"))?,
        full_name: r.text("full_name")?,
        birth_date: r.date("birth_date")?,
        sex: Sex::parse(&r.text("sex")?).ok_or_else(|| corrupt("applicant sex"))?,
        married: r.bool("married")?,
    })
}

fn holiday_from_row(r: &Row) -> StoreResult<Holiday> {
    Ok(Holiday {
        date: r.date("holiday_date")?,
        kind: HolidayKind::parse(&r.text("kind")?).ok_or_else(|| corrupt("holiday kind"))?,
        name_id: r.text("name_id")?,
        name_en: r.text("name_en")?,
    })
}

fn exception_from_row(r: &Row) -> StoreResult<OfficeException> {
    Ok(OfficeException {
        date: r.date("exception_date")?,
        kind: ExceptionKind::parse(&r.text("kind")?).ok_or_else(|| corrupt("exception kind"))?,
        reason: r.text("reason")?,
    })
}

fn mail_from_row(r: &Row) -> StoreResult<Mail> {
    Ok(Mail {
        id: r.uuid("id")?,
        to: r.text("to_address")?,
        subject: r.text("subject")?,
        body: r.text("body")?,
        created_at: r.time("created_at")?,
        sent_at: r.opt_time("sent_at")?,
    })
}

pub(crate) fn to_json<T: serde::Serialize>(v: &T) -> String {
    // Serializing our own plain structs cannot fail; an empty object keeps the row readable.
    serde_json::to_string(v).unwrap_or_else(|_| "{}".to_owned())
}

fn weekday_index(w: Weekday) -> i64 {
    i64::from(w.num_days_from_monday())
}

async fn audit(
    tx: &mut Tx,
    now: DateTime<Utc>,
    actor: &Actor,
    office: Option<&str>,
    action: &str,
    subject: &str,
    before: Option<String>,
    after: Option<String>,
) -> StoreResult<()> {
    tx.execute(
        INSERT_AUDIT,
        args![
            now,
            actor.id,
            actor.name.clone(),
            office.map(str::to_owned),
            action,
            subject,
            before,
            after
        ],
    )
    .await?;
    Ok(())
}

async fn event(
    tx: &mut Tx,
    booking: Uuid,
    now: DateTime<Utc>,
    from: Option<BookingState>,
    to: BookingState,
    actor: &str,
    detail: &str,
) -> StoreResult<()> {
    tx.execute(
        INSERT_EVENT,
        args![
            booking,
            now,
            from.map(|s| s.as_str().to_owned()),
            to.as_str(),
            actor,
            detail
        ],
    )
    .await?;
    Ok(())
}

/// `$1`-`$4` of the statements that find a slot by its key.
pub(crate) fn slot_key_args(key: &SlotKey) -> Vec<Arg> {
    args![
        key.office_code.clone(),
        key.service_date,
        key.session_code.clone(),
        key.class.as_str()
    ]
}

/// The parameters of `INSERT_SLOT`: the key, and its weekday as $5 (0 = Monday).
pub(crate) fn insert_slot_args(key: &SlotKey) -> Vec<Arg> {
    let mut a = slot_key_args(key);
    a.push(Arg::I64(weekday_index(key.service_date.weekday())));
    a
}

/// Creates the slot row if needed and locks it; returns (slot id, capacity).
pub(crate) async fn lock_slot(tx: &mut Tx, key: &SlotKey) -> StoreResult<(i64, i64)> {
    let lock = pick(tx.backend(), LOCK_SLOT);
    let mut row = tx.fetch_optional(lock, slot_key_args(key)).await?;
    if row.is_none() {
        let backend = tx.backend();
        tx.fetch_optional(
            pick(backend, LOCK_OFFICE_SHARE),
            args![key.office_code.clone()],
        )
        .await?
        .ok_or(StoreError::NotFound)?;
        tx.execute(INSERT_SLOT, insert_slot_args(key)).await?;
        row = tx.fetch_optional(lock, slot_key_args(key)).await?;
    }
    let row = row.ok_or(StoreError::NotFound)?;
    Ok((row.i64("id")?, row.i64("capacity")?))
}

async fn lock_slot_by_id(tx: &mut Tx, slot_id: i64) -> StoreResult<i64> {
    let lock = pick(tx.backend(), LOCK_SLOT_BY_ID);
    let row = tx
        .fetch_optional(lock, args![slot_id])
        .await?
        .ok_or(StoreError::NotFound)?;
    Ok(row.i64("capacity")?)
}

/// Locks the slot a booking is in, before the booking is locked: freeing or moving its
/// place changes that slot's count (a trigger updates the slot row), and slots are always
/// locked before bookings, so that two writers never wait on each other in a cycle.
async fn lock_slot_of_booking(tx: &mut Tx, id: Uuid) -> StoreResult<i64> {
    let row = tx
        .fetch_optional(BOOKING_SLOT, args![id])
        .await?
        .ok_or(StoreError::NotFound)?;
    let slot_id = row.i64("slot_id")?;
    lock_slot_by_id(tx, slot_id).await?;
    Ok(slot_id)
}

/// Locks a booking's current slot and the slot it moves to (creating that one if needed),
/// lower id first; returns (target id, target capacity). A slot made here gets the highest
/// id yet, so it comes last.
async fn lock_both_slots(tx: &mut Tx, id: Uuid, to: &SlotKey) -> StoreResult<(i64, i64)> {
    let current = tx
        .fetch_optional(BOOKING_SLOT, args![id])
        .await?
        .ok_or(StoreError::NotFound)?
        .i64("slot_id")?;
    let target = tx.fetch_optional(SLOT_ID, slot_key_args(to)).await?;
    match target.map(|r| r.i64("id")).transpose()? {
        Some(t) if t < current => {
            let locked = lock_slot(tx, to).await?;
            lock_slot_by_id(tx, current).await?;
            Ok(locked)
        }
        _ => {
            lock_slot_by_id(tx, current).await?;
            lock_slot(tx, to).await
        }
    }
}

/// Counts `n` bookings just inserted into a slot, in the inserting transaction. Every
/// insert of a booking calls it; any other change of a booking's state or slot is counted
/// by the database's triggers.
pub(crate) async fn places_taken(tx: &mut Tx, slot_id: i64, n: i64) -> StoreResult<()> {
    if n > 0 {
        tx.execute(ADD_TAKEN, args![slot_id, n]).await?;
    }
    Ok(())
}

pub(crate) async fn taken(tx: &mut Tx, slot_id: i64, now: DateTime<Utc>) -> StoreResult<i64> {
    let row = tx
        .fetch_optional(COUNT_TAKEN, args![slot_id, now])
        .await?
        .ok_or_else(|| corrupt("count"))?;
    Ok(row.i64("taken")?)
}

/// Locks a booking row and reads it fresh (slot lock must already be held where needed).
async fn lock_booking(tx: &mut Tx, id: Uuid) -> StoreResult<Booking> {
    let lock = pick(tx.backend(), LOCK_BOOKING);
    tx.fetch_optional(lock, args![id])
        .await?
        .ok_or(StoreError::NotFound)?;
    let row = tx
        .fetch_optional(GET_BOOKING, args![id])
        .await?
        .ok_or(StoreError::NotFound)?;
    booking_from_row(&row)
}

/// Records the expiry event of each booking a sweep returned (`RETURNING id`).
async fn record_expired(tx: &mut Tx, swept: &[Row], now: DateTime<Utc>) -> StoreResult<()> {
    for r in swept {
        let id = r.uuid("id")?;
        event(
            tx,
            id,
            now,
            Some(BookingState::AwaitingPayment),
            BookingState::Expired,
            "system",
            "payment deadline passed",
        )
        .await?;
    }
    Ok(())
}

/// Whether the NIK holds another active booking, after sweeping its lapsed holds.
pub(crate) async fn nik_is_busy(tx: &mut Tx, nik: &Nik, now: DateTime<Utc>) -> StoreResult<bool> {
    let lapsed = tx
        .fetch_all(EXPIRE_NIK_LAPSED, args![nik.as_str(), now])
        .await?;
    record_expired(tx, &lapsed, now).await?;
    Ok(tx
        .fetch_optional(ACTIVE_BOOKING_FOR_NIK, args![nik.as_str()])
        .await?
        .is_some())
}

/// Applies a new capacity to an existing slot (if any), never below its taken places.
/// Returns the capacity actually set and whether it was clamped.
async fn apply_slot_capacity(
    tx: &mut Tx,
    office: &str,
    date: NaiveDate,
    session: &str,
    class: ServiceClass,
    wanted: i64,
    clamp: bool,
    now: DateTime<Utc>,
) -> StoreResult<(i64, bool)> {
    let lock = pick(tx.backend(), LOCK_SLOT);
    let Some(row) = tx
        .fetch_optional(lock, args![office, date, session, class.as_str()])
        .await?
    else {
        return Ok((wanted, false));
    };
    let slot_id = row.i64("id")?;
    let t = taken(tx, slot_id, now).await?;
    let (cap, clamped) = if wanted < t {
        if !clamp {
            return Err(StoreError::CapacityBelowTaken { taken: t });
        }
        (t, true)
    } else {
        (wanted, false)
    };
    tx.execute(SET_SLOT_CAPACITY, args![slot_id, cap]).await?;
    Ok((cap, clamped))
}

/// The parameters a new booking is inserted with ($1-$18 of `INSERT_BOOKING`).
pub(crate) fn booking_args(req: &AllocationRequest) -> Vec<Arg> {
    let k = &req.slot;
    args![
        req.booking_id,
        req.account_id,
        req.applicant_id,
        req.nik.as_str(),
        k.office_code.clone(),
        k.service_date,
        k.session_code.clone(),
        k.class.as_str(),
        req.billing_code.as_str(),
        req.payment_deadline,
        to_json(&req.service),
        req.travel_purpose.as_str(),
        req.fee_table_code.clone(),
        req.fee_total,
        to_json(&req.fee_lines),
        req.idempotency_key.clone(),
        req.request_fingerprint.clone(),
        req.now
    ]
}

/// A booking found under the request's idempotency key: the same request replays it, another
/// request with the same key is refused.
pub(crate) fn replayed(existing: Booking, req: &AllocationRequest) -> StoreResult<Booking> {
    if existing.request_fingerprint == req.request_fingerprint {
        Ok(existing)
    } else {
        Err(StoreError::IdempotencyMismatch)
    }
}

/// The booking `allocate` just made, without reading it back.
pub(crate) fn booked(req: AllocationRequest, slot_id: i64) -> Booking {
    Booking {
        id: req.booking_id,
        account_id: req.account_id,
        applicant_id: req.applicant_id,
        nik: req.nik,
        slot_id,
        slot: req.slot,
        state: BookingState::AwaitingPayment,
        billing_code: req.billing_code,
        payment_deadline: req.payment_deadline,
        service: req.service,
        travel_purpose: req.travel_purpose,
        fee_table_code: req.fee_table_code,
        fee_lines: req.fee_lines,
        fee_total: req.fee_total,
        reschedules_used: 0,
        created_at: req.now,
        updated_at: req.now,
        paid_at: None,
        request_fingerprint: req.request_fingerprint,
    }
}

#[async_trait]
impl Store for SqlStore {
    fn backend_name(&self) -> &'static str {
        match self.backend() {
            Backend::Sqlite => "sqlite",
            Backend::Postgres => "postgres",
        }
    }

    async fn ping(&self) -> StoreResult<()> {
        self.pool.fetch_optional(PING, vec![]).await?;
        Ok(())
    }

    async fn upsert_region(&self, code: &str, name: &str) -> StoreResult<()> {
        self.pool.execute(UPSERT_REGION, args![code, name]).await?;
        Ok(())
    }

    async fn upsert_office(&self, o: &Office) -> StoreResult<()> {
        let mut tx = self.begin_write().await?;
        tx.execute(
            UPSERT_OFFICE,
            args![
                o.code.clone(),
                o.region_code.clone(),
                o.name.clone(),
                o.time_zone.name(),
                o.address.clone(),
                o.city.clone(),
                i64::from(o.open_weekdays.bits()),
                to_json(&o.release),
                i64::from(o.booking_horizon_days)
            ],
        )
        .await?;
        tx.execute(DELETE_OFFICE_SESSIONS, args![o.code.clone()])
            .await?;
        for (i, s) in o.sessions.iter().enumerate() {
            tx.execute(
                INSERT_OFFICE_SESSION,
                args![
                    o.code.clone(),
                    s.code.clone(),
                    s.name.clone(),
                    s.start.format("%H:%M").to_string(),
                    s.end.format("%H:%M").to_string(),
                    i64::from(s.weekdays.bits()),
                    i64::try_from(i).unwrap_or(i64::MAX)
                ],
            )
            .await?;
        }
        tx.commit().await?;
        Ok(())
    }

    async fn list_offices(&self) -> StoreResult<Vec<Office>> {
        let sessions = self.pool.fetch_all(LIST_ALL_SESSIONS, vec![]).await?;
        let mut by_office: std::collections::HashMap<String, Vec<SessionWindow>> =
            std::collections::HashMap::new();
        for r in &sessions {
            let (office, s) = session_from_row(r)?;
            by_office.entry(office).or_default().push(s);
        }
        let rows = self.pool.fetch_all(LIST_OFFICES, vec![]).await?;
        rows.iter()
            .map(|r| {
                let code = r.text("code")?;
                office_from_row(r, by_office.remove(&code).unwrap_or_default())
            })
            .collect()
    }

    async fn get_office(&self, code: &str) -> StoreResult<Option<Office>> {
        let Some(row) = self.fetch_by_key(GET_OFFICE, args![code]).await? else {
            return Ok(None);
        };
        let sessions = self
            .pool
            .fetch_all(LIST_OFFICE_SESSIONS, args![code])
            .await?
            .iter()
            .map(|r| session_from_row(r).map(|(_, s)| s))
            .collect::<StoreResult<Vec<_>>>()?;
        office_from_row(&row, sessions).map(Some)
    }

    async fn region_name(&self, code: &str) -> StoreResult<Option<String>> {
        let row = self.fetch_by_key(REGION_NAME, args![code]).await?;
        Ok(row.map(|r| r.text("name")).transpose()?)
    }

    async fn upsert_holidays(&self, holidays: &[Holiday], actor: &Actor) -> StoreResult<()> {
        let now = Utc::now();
        let mut tx = self.begin_write().await?;
        for h in holidays {
            let before = tx.fetch_optional(GET_HOLIDAY, args![h.date]).await?;
            let before = before.map(|r| holiday_from_row(&r)).transpose()?;
            tx.execute(
                UPSERT_HOLIDAY,
                args![
                    h.date,
                    h.kind.as_str(),
                    h.name_id.clone(),
                    h.name_en.clone()
                ],
            )
            .await?;
            if before.as_ref() != Some(h) {
                audit(
                    &mut tx,
                    now,
                    actor,
                    None,
                    "holiday.put",
                    &h.date.to_string(),
                    before.as_ref().map(to_json),
                    Some(to_json(h)),
                )
                .await?;
            }
        }
        tx.commit().await?;
        Ok(())
    }

    async fn delete_holiday(&self, date: NaiveDate, actor: &Actor) -> StoreResult<bool> {
        let mut tx = self.begin_write().await?;
        let before = tx.fetch_optional(GET_HOLIDAY, args![date]).await?;
        let Some(before) = before.map(|r| holiday_from_row(&r)).transpose()? else {
            return Ok(false);
        };
        tx.execute(DELETE_HOLIDAY, args![date]).await?;
        let subject = date.to_string();
        audit(
            &mut tx,
            Utc::now(),
            actor,
            None,
            "holiday.delete",
            &subject,
            Some(to_json(&before)),
            None,
        )
        .await?;
        tx.commit().await?;
        Ok(true)
    }

    async fn list_holidays(&self, from: NaiveDate, to: NaiveDate) -> StoreResult<Vec<Holiday>> {
        self.pool
            .fetch_all(LIST_HOLIDAYS, args![from, to])
            .await?
            .iter()
            .map(holiday_from_row)
            .collect()
    }

    async fn set_office_exception(
        &self,
        office: &str,
        e: &OfficeException,
        actor: &Actor,
    ) -> StoreResult<()> {
        let mut tx = self.begin_write().await?;
        let before = tx
            .fetch_optional(GET_EXCEPTION, args![office, e.date])
            .await?;
        let before = before.map(|r| exception_from_row(&r)).transpose()?;
        tx.execute(
            UPSERT_EXCEPTION,
            args![office, e.date, e.kind.as_str(), e.reason.clone()],
        )
        .await?;
        let subject = e.date.to_string();
        audit(
            &mut tx,
            Utc::now(),
            actor,
            Some(office),
            "calendar.exception.put",
            &subject,
            before.as_ref().map(to_json),
            Some(to_json(e)),
        )
        .await?;
        tx.commit().await?;
        Ok(())
    }

    async fn delete_office_exception(
        &self,
        office: &str,
        date: NaiveDate,
        actor: &Actor,
    ) -> StoreResult<bool> {
        let mut tx = self.begin_write().await?;
        let before = tx
            .fetch_optional(GET_EXCEPTION, args![office, date])
            .await?;
        let Some(before) = before.map(|r| exception_from_row(&r)).transpose()? else {
            return Ok(false);
        };
        tx.execute(DELETE_EXCEPTION, args![office, date]).await?;
        let subject = date.to_string();
        audit(
            &mut tx,
            Utc::now(),
            actor,
            Some(office),
            "calendar.exception.delete",
            &subject,
            Some(to_json(&before)),
            None,
        )
        .await?;
        tx.commit().await?;
        Ok(true)
    }

    async fn calendar_inputs(
        &self,
        office: &str,
        from: NaiveDate,
        to: NaiveDate,
    ) -> StoreResult<CalendarInputs> {
        let holidays = self.list_holidays(from, to).await?;
        let exceptions = self
            .pool
            .fetch_all(LIST_EXCEPTIONS, args![office, from, to])
            .await?
            .iter()
            .map(exception_from_row)
            .collect::<StoreResult<Vec<_>>>()?;
        Ok(CalendarInputs {
            holidays,
            exceptions,
        })
    }

    async fn put_fee_tables(&self, tables: &[FeeTable]) -> StoreResult<()> {
        let mut tx = self.begin_write().await?;
        tx.execute(DELETE_FEE_TABLES, vec![]).await?;
        for t in tables {
            tx.execute(
                INSERT_FEE_TABLE,
                args![t.code.clone(), t.effective_from, to_json(t)],
            )
            .await?;
        }
        tx.commit().await?;
        Ok(())
    }

    async fn fee_tables(&self) -> StoreResult<Vec<FeeTable>> {
        self.pool
            .fetch_all(LIST_FEE_TABLES, vec![])
            .await?
            .iter()
            .map(|r| serde_json::from_str(&r.text("body")?).map_err(|_| corrupt("fee table")))
            .collect()
    }

    async fn quota_plan(
        &self,
        office: &str,
        from: NaiveDate,
        to: NaiveDate,
    ) -> StoreResult<QuotaPlan> {
        let mut plan = QuotaPlan::new();
        for d in self.quota_defaults(office).await? {
            plan.set_default(
                d.weekday,
                &d.session_code,
                d.class,
                u32::try_from(d.capacity).unwrap_or(0),
            );
        }
        for o in self.quota_overrides(office, from, to).await? {
            plan.set_override(
                o.service_date,
                &o.session_code,
                o.class,
                u32::try_from(o.capacity).unwrap_or(0),
            );
        }
        Ok(plan)
    }

    async fn quota_defaults(&self, office: &str) -> StoreResult<Vec<QuotaDefaultRow>> {
        self.pool
            .fetch_all(LIST_QUOTA_DEFAULTS, args![office])
            .await?
            .iter()
            .map(|r| {
                Ok(QuotaDefaultRow {
                    weekday: weekday_from_index(r.i64("weekday")?)
                        .ok_or_else(|| corrupt("weekday"))?,
                    session_code: r.text("session_code")?,
                    class: class_of(r, "class")?,
                    capacity: r.i64("capacity")?,
                })
            })
            .collect()
    }

    async fn quota_overrides(
        &self,
        office: &str,
        from: NaiveDate,
        to: NaiveDate,
    ) -> StoreResult<Vec<QuotaOverrideRow>> {
        self.pool
            .fetch_all(LIST_QUOTA_OVERRIDES, args![office, from, to])
            .await?
            .iter()
            .map(|r| {
                Ok(QuotaOverrideRow {
                    service_date: r.date("service_date")?,
                    session_code: r.text("session_code")?,
                    class: class_of(r, "class")?,
                    capacity: r.i64("capacity")?,
                })
            })
            .collect()
    }

    async fn set_quota_default(
        &self,
        office: &str,
        weekday: Weekday,
        session: &str,
        class: ServiceClass,
        capacity: i64,
        from_date: NaiveDate,
        actor: &Actor,
        now: DateTime<Utc>,
    ) -> StoreResult<Vec<CapacityChange>> {
        let mut tx = self.begin_write().await?;
        let lock = pick(tx.backend(), LOCK_OFFICE);
        tx.fetch_optional(lock, args![office])
            .await?
            .ok_or(StoreError::NotFound)?;
        let wd = weekday_index(weekday);
        let before = tx
            .fetch_optional(
                GET_QUOTA_DEFAULT,
                args![office, wd, session, class.as_str()],
            )
            .await?
            .map(|r| r.i64("capacity"))
            .transpose()?
            .unwrap_or(0);
        tx.execute(
            UPSERT_QUOTA_DEFAULT,
            args![office, wd, session, class.as_str(), capacity],
        )
        .await?;
        let subject = format!("{}/{session}/{}", weekday_code(weekday), class.as_str());
        audit(
            &mut tx,
            now,
            actor,
            Some(office),
            "quota.default",
            &subject,
            Some(before.to_string()),
            Some(capacity.to_string()),
        )
        .await?;
        let mut changes = vec![CapacityChange {
            service_date: None,
            weekday: Some(weekday_code(weekday).to_owned()),
            session_code: session.to_owned(),
            class,
            before,
            after: capacity,
            clamped: false,
        }];
        // Slots already created follow the default, unless taken places forbid it: those
        // keep their taken count as an explicit override, so nobody loses a place.
        let following = tx
            .fetch_all(
                SLOTS_FOLLOWING_DEFAULT,
                args![office, session, class.as_str(), from_date],
            )
            .await?;
        for r in following {
            let date = r.date("service_date")?;
            if date.weekday() != weekday {
                continue;
            }
            let slot_id = r.i64("id")?;
            let old = lock_slot_by_id(&mut tx, slot_id).await?;
            let t = taken(&mut tx, slot_id, now).await?;
            let (cap, clamped) = if capacity < t {
                (t, true)
            } else {
                (capacity, false)
            };
            tx.execute(SET_SLOT_CAPACITY, args![slot_id, cap]).await?;
            if clamped {
                tx.execute(
                    UPSERT_QUOTA_OVERRIDE,
                    args![office, date, session, class.as_str(), cap],
                )
                .await?;
                let subject = format!("{date}/{session}/{}", class.as_str());
                audit(
                    &mut tx,
                    now,
                    actor,
                    Some(office),
                    "quota.override.clamped",
                    &subject,
                    Some(old.to_string()),
                    Some(cap.to_string()),
                )
                .await?;
                changes.push(CapacityChange {
                    service_date: Some(date),
                    weekday: None,
                    session_code: session.to_owned(),
                    class,
                    before: old,
                    after: cap,
                    clamped,
                });
            }
        }
        tx.commit().await?;
        Ok(changes)
    }

    async fn set_quota_override(
        &self,
        office: &str,
        date: NaiveDate,
        session: &str,
        class: ServiceClass,
        capacity: i64,
        actor: &Actor,
        now: DateTime<Utc>,
    ) -> StoreResult<CapacityChange> {
        let mut tx = self.begin_write().await?;
        let lock = pick(tx.backend(), LOCK_OFFICE);
        tx.fetch_optional(lock, args![office])
            .await?
            .ok_or(StoreError::NotFound)?;
        let before = match tx
            .fetch_optional(
                GET_QUOTA_OVERRIDE,
                args![office, date, session, class.as_str()],
            )
            .await?
        {
            Some(r) => r.i64("capacity")?,
            None => tx
                .fetch_optional(
                    GET_QUOTA_DEFAULT,
                    args![
                        office,
                        weekday_index(date.weekday()),
                        session,
                        class.as_str()
                    ],
                )
                .await?
                .map(|r| r.i64("capacity"))
                .transpose()?
                .unwrap_or(0),
        };
        let (cap, _) =
            apply_slot_capacity(&mut tx, office, date, session, class, capacity, false, now)
                .await?;
        tx.execute(
            UPSERT_QUOTA_OVERRIDE,
            args![office, date, session, class.as_str(), cap],
        )
        .await?;
        let subject = format!("{date}/{session}/{}", class.as_str());
        audit(
            &mut tx,
            now,
            actor,
            Some(office),
            "quota.override",
            &subject,
            Some(before.to_string()),
            Some(cap.to_string()),
        )
        .await?;
        tx.commit().await?;
        Ok(CapacityChange {
            service_date: Some(date),
            weekday: None,
            session_code: session.to_owned(),
            class,
            before,
            after: cap,
            clamped: false,
        })
    }

    async fn bulk_adjust_quota(
        &self,
        office: &str,
        targets: &[(NaiveDate, String, ServiceClass, i64)],
        adjustment: QuotaAdjustment,
        actor: &Actor,
        now: DateTime<Utc>,
    ) -> StoreResult<Vec<CapacityChange>> {
        let mut tx = self.begin_write().await?;
        let lock = pick(tx.backend(), LOCK_OFFICE);
        tx.fetch_optional(lock, args![office])
            .await?
            .ok_or(StoreError::NotFound)?;
        let mut changes = Vec::with_capacity(targets.len());
        for (date, session, class, current) in targets {
            let current_u = u32::try_from(*current).unwrap_or(0);
            let wanted = i64::from(adjustment.apply(current_u, 0).capacity);
            let (cap, clamped) =
                apply_slot_capacity(&mut tx, office, *date, session, *class, wanted, true, now)
                    .await?;
            tx.execute(
                UPSERT_QUOTA_OVERRIDE,
                args![office, *date, session.clone(), class.as_str(), cap],
            )
            .await?;
            let subject = format!("{date}/{session}/{}", class.as_str());
            audit(
                &mut tx,
                now,
                actor,
                Some(office),
                if clamped {
                    "quota.bulk.clamped"
                } else {
                    "quota.bulk"
                },
                &subject,
                Some(current.to_string()),
                Some(cap.to_string()),
            )
            .await?;
            changes.push(CapacityChange {
                service_date: Some(*date),
                weekday: None,
                session_code: session.clone(),
                class: *class,
                before: *current,
                after: cap,
                clamped,
            });
        }
        tx.commit().await?;
        Ok(changes)
    }

    async fn audit_log(&self, office: Option<&str>, limit: i64) -> StoreResult<Vec<AuditEntry>> {
        let rows = match office {
            Some(o) => {
                self.pool
                    .fetch_all(LIST_AUDIT_OFFICE, args![o, limit])
                    .await?
            }
            None => self.pool.fetch_all(LIST_AUDIT_ALL, args![limit]).await?,
        };
        rows.iter()
            .map(|r| {
                Ok(AuditEntry {
                    id: r.i64("id")?,
                    at: r.time("at")?,
                    actor: r.text("actor_name")?,
                    office_code: r.opt_text("office_code")?,
                    action: r.text("action")?,
                    subject: r.text("subject")?,
                    before: r.opt_text("before_value")?,
                    after: r.opt_text("after_value")?,
                })
            })
            .collect()
    }

    async fn slot_usage(
        &self,
        office: &str,
        from: NaiveDate,
        to: NaiveDate,
        now: DateTime<Utc>,
    ) -> StoreResult<Vec<SlotUsage>> {
        self.pool
            .fetch_all(SLOT_USAGE, args![office, from, to, now])
            .await?
            .iter()
            .map(|r| {
                Ok(SlotUsage {
                    key: SlotKey {
                        office_code: office.to_owned(),
                        service_date: r.date("service_date")?,
                        session_code: r.text("session_code")?,
                        class: class_of(r, "class")?,
                    },
                    capacity: r.i64("capacity")?,
                    taken: r.i64("taken")?,
                })
            })
            .collect()
    }

    async fn allocate(&self, req: AllocationRequest) -> StoreResult<Booking> {
        match self.backend() {
            Backend::Sqlite => self.allocate_sqlite(req).await,
            Backend::Postgres => match &self.slot_queues {
                Some(q) => q.allocate(self, req).await,
                None => self.allocate_in_transaction(req).await,
            },
        }
    }

    async fn booking_by_idempotency_key(
        &self,
        account: Uuid,
        key: &str,
    ) -> StoreResult<Option<Booking>> {
        let row = self
            .fetch_by_key(BOOKING_BY_IDEMPOTENCY, args![account, key])
            .await?;
        row.map(|r| booking_from_row(&r)).transpose()
    }

    async fn get_booking(&self, id: Uuid) -> StoreResult<Option<Booking>> {
        let row = self.fetch_by_key(GET_BOOKING, args![id]).await?;
        row.map(|r| booking_from_row(&r)).transpose()
    }

    async fn booking_by_billing_code(&self, code: &str) -> StoreResult<Option<Booking>> {
        let row = self
            .fetch_by_key(BOOKING_BY_BILLING_CODE, args![code])
            .await?;
        row.map(|r| booking_from_row(&r)).transpose()
    }

    async fn list_bookings(&self, account: Uuid) -> StoreResult<Vec<Booking>> {
        self.pool
            .fetch_all(LIST_BOOKINGS, args![account])
            .await?
            .iter()
            .map(booking_from_row)
            .collect()
    }

    async fn cancel_booking(&self, id: Uuid, now: DateTime<Utc>) -> StoreResult<Booking> {
        let mut tx = self.begin_write().await?;
        lock_slot_of_booking(&mut tx, id).await?;
        let mut b = lock_booking(&mut tx, id).await?;
        let from = b.effective_state(now);
        match from {
            BookingState::AwaitingPayment | BookingState::Paid => {}
            BookingState::Expired => return Err(TransitionError::DeadlinePassed.into()),
            _ => return Err(TransitionError::CancelNotAllowed.into()),
        }
        tx.execute(
            SET_BOOKING_STATE,
            args![id, BookingState::Cancelled.as_str(), now],
        )
        .await?;
        event(
            &mut tx,
            id,
            now,
            Some(from),
            BookingState::Cancelled,
            "applicant",
            "cancelled",
        )
        .await?;
        tx.commit().await?;
        b.state = BookingState::Cancelled;
        b.updated_at = now;
        Ok(b)
    }

    async fn reschedule_booking(
        &self,
        id: Uuid,
        to: SlotKey,
        counts_as_reschedule: bool,
        now: DateTime<Utc>,
    ) -> StoreResult<Booking> {
        let mut tx = self.begin_write().await?;
        let (slot_id, capacity) = lock_both_slots(&mut tx, id, &to).await?;
        let mut b = lock_booking(&mut tx, id).await?;
        let from = b.effective_state(now);
        let allowed = match from {
            BookingState::RefundDue => !counts_as_reschedule,
            BookingState::AwaitingPayment | BookingState::Paid => {
                counts_as_reschedule
                    && b.reschedules_used < i64::from(loket_domain::booking::MAX_RESCHEDULES)
            }
            _ => false,
        };
        if !allowed {
            return Err(TransitionError::RescheduleNotAllowed.into());
        }
        if slot_id == b.slot_id {
            return Err(TransitionError::RescheduleNotAllowed.into());
        }
        if taken(&mut tx, slot_id, now).await? >= capacity {
            return Err(StoreError::QuotaFull);
        }
        let new_state = if from == BookingState::RefundDue {
            if nik_is_busy(&mut tx, &b.nik, now).await? {
                return Err(StoreError::NikHasActiveBooking);
            }
            BookingState::Paid
        } else {
            from
        };
        let bump: i64 = i64::from(counts_as_reschedule);
        tx.execute(
            MOVE_BOOKING,
            args![
                id,
                slot_id,
                to.office_code.clone(),
                to.service_date,
                to.session_code.clone(),
                to.class.as_str(),
                bump,
                new_state.as_str(),
                now
            ],
        )
        .await?;
        let detail = format!(
            "moved from {}/{} to {}/{}",
            b.slot.service_date, b.slot.session_code, to.service_date, to.session_code
        );
        event(
            &mut tx,
            id,
            now,
            Some(from),
            new_state,
            "applicant",
            &detail,
        )
        .await?;
        tx.commit().await?;
        b.slot_id = slot_id;
        b.slot = to;
        b.state = new_state;
        b.reschedules_used += bump;
        b.updated_at = now;
        Ok(b)
    }

    async fn record_payment(
        &self,
        n: &PaymentNotice,
        now: DateTime<Utc>,
    ) -> StoreResult<PaymentOutcome> {
        let mut tx = self.begin_write().await?;
        if tx
            .fetch_optional(GET_NOTIFICATION, args![n.notification_id.clone()])
            .await?
            .is_some()
        {
            // A repeat: the bank retries until it hears back.
            return Ok(PaymentOutcome::Duplicate);
        }
        let found = tx
            .fetch_optional(BOOKING_BY_BILLING_CODE, args![n.billing_code.clone()])
            .await?
            .map(|r| booking_from_row(&r))
            .transpose()?;
        let (outcome, booking_id) = match found {
            None => (PaymentOutcome::UnknownBillingCode, None),
            Some(b) if b.fee_total != n.amount => (PaymentOutcome::AmountMismatch, Some(b.id)),
            Some(b) => {
                let capacity = lock_slot_by_id(&mut tx, b.slot_id).await?;
                let b = lock_booking(&mut tx, b.id).await?;
                let pending = n.status == "pending";
                let decision = decide_payment(b.state, b.payment_deadline, now);
                let (outcome, to) = match decision {
                    PaymentDecision::MarkPaid if pending => {
                        if b.state == BookingState::PaymentPending {
                            (PaymentOutcome::Duplicate, None)
                        } else {
                            (PaymentOutcome::Pending, Some(BookingState::PaymentPending))
                        }
                    }
                    PaymentDecision::MarkPaid => (PaymentOutcome::Paid, Some(BookingState::Paid)),
                    PaymentDecision::AlreadyPaid | PaymentDecision::AlreadyRefundDue => {
                        (PaymentOutcome::Duplicate, None)
                    }
                    PaymentDecision::Refund => {
                        (PaymentOutcome::RefundDue, Some(BookingState::RefundDue))
                    }
                    PaymentDecision::Reconcile => {
                        // The hold lapsed. Its place may still be free: restore it, else
                        // the money is owed back and the applicant may pick another slot.
                        let free = taken(&mut tx, b.slot_id, now).await? < capacity;
                        if free && !nik_is_busy(&mut tx, &b.nik, now).await? {
                            let to = if pending {
                                BookingState::PaymentPending
                            } else {
                                BookingState::Paid
                            };
                            (PaymentOutcome::Restored, Some(to))
                        } else {
                            (PaymentOutcome::RefundDue, Some(BookingState::RefundDue))
                        }
                    }
                };
                if let Some(to) = to {
                    if to == BookingState::Paid {
                        tx.execute(SET_BOOKING_PAID, args![b.id, n.paid_at, now])
                            .await?;
                    } else {
                        tx.execute(SET_BOOKING_STATE, args![b.id, to.as_str(), now])
                            .await?;
                    }
                    let detail = format!(
                        "payment notice {} ({})",
                        n.notification_id,
                        outcome.as_str()
                    );
                    event(&mut tx, b.id, now, Some(b.state), to, "bank", &detail).await?;
                }
                (outcome, Some(b.id))
            }
        };
        let inserted = tx
            .execute(
                INSERT_NOTIFICATION,
                args![
                    n.notification_id.clone(),
                    n.billing_code.clone(),
                    n.amount,
                    n.status.clone(),
                    n.paid_at,
                    now,
                    outcome.as_str(),
                    booking_id
                ],
            )
            .await;
        match inserted {
            Ok(_) => {}
            // Two deliveries of one notice raced; the other one settled it.
            Err(e) if is_unique_violation(&e, "") => return Ok(PaymentOutcome::Duplicate),
            Err(e) => return Err(e.into()),
        }
        tx.commit().await?;
        Ok(outcome)
    }

    async fn expire_overdue(&self, now: DateTime<Utc>, limit: i64) -> StoreResult<u64> {
        let mut tx = self.begin_write().await?;
        if tx.backend() == Backend::Postgres {
            // The slots' counts change with the bookings (a trigger): lock the slots first,
            // in id order, as every other writer does, rather than after the bookings.
            tx.fetch_all(LOCK_LAPSED_SLOTS, args![now, limit]).await?;
        }
        let rows = tx.fetch_all(EXPIRE_OVERDUE, args![now, limit]).await?;
        record_expired(&mut tx, &rows, now).await?;
        tx.commit().await?;
        Ok(rows.len() as u64)
    }

    async fn create_account(&self, a: &NewAccount, now: DateTime<Utc>) -> StoreResult<Uuid> {
        let id = Uuid::now_v7();
        let r = self
            .pool
            .execute(
                INSERT_ACCOUNT,
                args![
                    id,
                    a.email.clone(),
                    a.password_hash.clone(),
                    a.full_name.clone(),
                    a.birth_date,
                    a.sex.as_str(),
                    a.phone.clone(),
                    a.locale.clone(),
                    now
                ],
            )
            .await;
        match r {
            Ok(_) => Ok(id),
            Err(e) if is_unique_violation(&e, "email") => Err(StoreError::EmailTaken),
            Err(e) => Err(e.into()),
        }
    }

    async fn account_auth(&self, email: &str) -> StoreResult<Option<AccountAuth>> {
        let row = self.fetch_by_key(ACCOUNT_AUTH, args![email]).await?;
        row.map(|r| {
            Ok(AccountAuth {
                id: r.uuid("id")?,
                password_hash: r.text("password_hash")?,
                verified: r.opt_time("email_verified_at")?.is_some(),
            })
        })
        .transpose()
    }

    async fn get_account(&self, id: Uuid) -> StoreResult<Option<Account>> {
        let row = self.fetch_by_key(GET_ACCOUNT, args![id]).await?;
        row.map(|r| {
            Ok(Account {
                id: r.uuid("id")?,
                email: r.text("email")?,
                full_name: r.text("full_name")?,
                locale: r.text("locale")?,
                verified: r.opt_time("email_verified_at")?.is_some(),
            })
        })
        .transpose()
    }

    async fn put_verification(
        &self,
        account: Uuid,
        code_hash: &str,
        expires_at: DateTime<Utc>,
    ) -> StoreResult<()> {
        self.pool
            .execute(UPSERT_VERIFICATION, args![account, code_hash, expires_at])
            .await?;
        Ok(())
    }

    async fn verify_email(
        &self,
        account: Uuid,
        code_hash: &str,
        now: DateTime<Utc>,
    ) -> StoreResult<()> {
        let mut tx = self.begin_write().await?;
        let row = tx
            .fetch_optional(GET_VERIFICATION, args![account])
            .await?
            .ok_or(StoreError::VerificationFailed)?;
        let ok = row.text("code_hash")? == code_hash
            && row.time("expires_at")? > now
            && row.i64("attempts")? < 5;
        if !ok {
            tx.execute(BUMP_VERIFICATION, args![account]).await?;
            tx.commit().await?;
            return Err(StoreError::VerificationFailed);
        }
        tx.execute(MARK_VERIFIED, args![account, now]).await?;
        tx.execute(DELETE_VERIFICATION, args![account]).await?;
        tx.commit().await?;
        Ok(())
    }

    async fn create_staff(
        &self,
        s: &Staff,
        password_hash: &str,
        now: DateTime<Utc>,
    ) -> StoreResult<()> {
        let r = self
            .pool
            .execute(
                INSERT_STAFF,
                args![
                    s.id,
                    s.username.clone(),
                    password_hash,
                    s.full_name.clone(),
                    s.role.as_str(),
                    s.office_code.clone(),
                    s.region_code.clone(),
                    now
                ],
            )
            .await;
        match r {
            Ok(_) => Ok(()),
            Err(e) if is_unique_violation(&e, "username") => Err(StoreError::UsernameTaken),
            Err(e) => Err(e.into()),
        }
    }

    async fn staff_auth(&self, username: &str) -> StoreResult<Option<StaffAuth>> {
        let row = self.fetch_by_key(STAFF_AUTH, args![username]).await?;
        row.map(|r| {
            Ok(StaffAuth {
                staff: Staff {
                    id: r.uuid("id")?,
                    username: r.text("username")?,
                    full_name: r.text("full_name")?,
                    role: StaffRole::parse(&r.text("role")?)
                        .ok_or_else(|| corrupt("staff role"))?,
                    office_code: r.opt_text("office_code")?,
                    region_code: r.opt_text("region_code")?,
                },
                password_hash: r.text("password_hash")?,
            })
        })
        .transpose()
    }

    async fn create_token(
        &self,
        token_hash: &str,
        principal: &Principal,
        now: DateTime<Utc>,
        expires_at: DateTime<Utc>,
    ) -> StoreResult<()> {
        let (account, staff) = match principal {
            Principal::Account { id, .. } => (Some(*id), None),
            Principal::Staff(s) => (None, Some(s.id)),
        };
        self.pool
            .execute(
                INSERT_TOKEN,
                args![token_hash, account, staff, now, expires_at],
            )
            .await?;
        Ok(())
    }

    async fn principal(
        &self,
        token_hash: &str,
        now: DateTime<Utc>,
    ) -> StoreResult<Option<(Principal, DateTime<Utc>)>> {
        let Some(r) = self
            .fetch_by_key(TOKEN_PRINCIPAL, args![token_hash, now])
            .await?
        else {
            return Ok(None);
        };
        let expires_at = r.time("expires_at")?;
        if let Some(id) = r.opt_uuid("account_id")? {
            let p = Principal::Account {
                id,
                verified: r.opt_time("email_verified_at")?.is_some(),
            };
            return Ok(Some((p, expires_at)));
        }
        let Some(id) = r.opt_uuid("staff_id")? else {
            return Ok(None);
        };
        let p = Principal::Staff(Staff {
            id,
            username: r.text("username")?,
            full_name: r.text("full_name")?,
            role: StaffRole::parse(&r.text("role")?).ok_or_else(|| corrupt("staff role"))?,
            office_code: r.opt_text("office_code")?,
            region_code: r.opt_text("region_code")?,
        });
        Ok(Some((p, expires_at)))
    }

    async fn delete_token(&self, token_hash: &str) -> StoreResult<()> {
        self.pool.execute(DELETE_TOKEN, args![token_hash]).await?;
        Ok(())
    }

    async fn add_applicant(&self, a: &Applicant, now: DateTime<Utc>) -> StoreResult<()> {
        let mut tx = self.begin_write().await?;
        // Lock the account so two concurrent additions cannot both see four applicants.
        tx.fetch_optional(pick(tx.backend(), LOCK_ACCOUNT), args![a.account_id])
            .await?
            .ok_or(StoreError::NotFound)?;
        if tx
            .fetch_optional(APPLICANT_NIK_EXISTS, args![a.account_id, a.nik.as_str()])
            .await?
            .is_some()
        {
            return Err(StoreError::ApplicantExists);
        }
        let n = tx
            .fetch_optional(COUNT_APPLICANTS, args![a.account_id])
            .await?
            .ok_or_else(|| corrupt("count"))?
            .i64("n")?;
        if n >= loket_domain::MAX_APPLICANTS_PER_ACCOUNT as i64 {
            return Err(StoreError::ApplicantLimitReached);
        }
        tx.execute(
            INSERT_APPLICANT,
            args![
                a.id,
                a.account_id,
                a.nik.as_str(),
                a.full_name.clone(),
                a.birth_date,
                a.sex.as_str(),
                a.married,
                now
            ],
        )
        .await?;
        tx.commit().await?;
        Ok(())
    }

    async fn list_applicants(&self, account: Uuid) -> StoreResult<Vec<Applicant>> {
        self.pool
            .fetch_all(LIST_APPLICANTS, args![account])
            .await?
            .iter()
            .map(applicant_from_row)
            .collect()
    }

    async fn get_applicant(&self, account: Uuid, id: Uuid) -> StoreResult<Option<Applicant>> {
        let row = self.fetch_by_key(GET_APPLICANT, args![account, id]).await?;
        row.map(|r| applicant_from_row(&r)).transpose()
    }

    async fn enqueue_mail(
        &self,
        to: &str,
        subject: &str,
        body: &str,
        now: DateTime<Utc>,
    ) -> StoreResult<()> {
        self.pool
            .execute(INSERT_MAIL, args![Uuid::now_v7(), to, subject, body, now])
            .await?;
        Ok(())
    }

    async fn unsent_mail(&self, limit: i64) -> StoreResult<Vec<Mail>> {
        self.pool
            .fetch_all(UNSENT_MAIL, args![limit])
            .await?
            .iter()
            .map(mail_from_row)
            .collect()
    }

    async fn claim_mail(
        &self,
        now: DateTime<Utc>,
        lease_until: DateTime<Utc>,
        limit: i64,
    ) -> StoreResult<Vec<Mail>> {
        let mut tx = self.begin_write().await?;
        let rows = tx
            .fetch_all(CLAIM_MAIL, args![now, lease_until, limit])
            .await?;
        tx.commit().await?;
        rows.iter().map(mail_from_row).collect()
    }

    async fn mark_mail(&self, id: Uuid, result: Result<DateTime<Utc>, String>) -> StoreResult<()> {
        match result {
            Ok(at) => self.pool.execute(MARK_MAIL_SENT, args![id, at]).await?,
            Err(e) => self.pool.execute(MARK_MAIL_FAILED, args![id, e]).await?,
        };
        Ok(())
    }

    async fn recent_mail(&self, to: Option<&str>, limit: i64) -> StoreResult<Vec<Mail>> {
        let rows = match to {
            Some(t) => self.pool.fetch_all(RECENT_MAIL_TO, args![t, limit]).await?,
            None => self.pool.fetch_all(RECENT_MAIL, args![limit]).await?,
        };
        rows.iter().map(mail_from_row).collect()
    }
}
