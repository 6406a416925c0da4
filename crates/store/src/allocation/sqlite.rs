//! Group commit for SQLite allocations. SQLite has one writer, and two costs dominate a
//! booking made one transaction at a time: the commit (WAL pages written per transaction)
//! and, with sqlx, a hand-off to the connection's thread for every statement and row.
//! The allocator is a thread of its own with a synchronous connection to the same file: it
//! takes every allocation waiting (up to `MAX_BATCH`) into one `BEGIN IMMEDIATE`
//! transaction and answers them only after the commit. Each insert checks the NIK first
//! (`NIK_HOLD`) and sees the inserts before it on the same connection. A slot's first
//! booking creates the slot's row inside the batch. Rare cases (a replayed
//! Idempotency-Key, a lapsed hold of the same NIK still in the unique index, an unknown
//! office) are handed to the async transactional path after the commit.
//!
//! Counting a slot's places means reading every booking of the slot, so the allocator
//! counts a slot once and then keeps the count as it inserts, across batches (`Counts`).
//! A kept count is used only while it is exact:
//! - no other connection has committed since (`PRAGMA data_version`, read under the write
//!   lock at the start of every batch; a payment, cancellation, expiry, quota change or
//!   deferred allocation on another connection therefore drops every kept count);
//! - the request's instant lies where no unpaid hold of the slot lapses (`Known::covers`):
//!   places come back by the clock alone, without a write;
//! - the batch that made it committed (a failed batch drops every kept count).

use std::collections::HashMap;
use std::path::PathBuf;
use std::time::Duration;

use rusqlite::{Connection, TransactionBehavior};
use tokio::runtime::Handle;
use tokio::sync::{mpsc, oneshot};

use super::{
    booked, booking_args, in_transaction, insert_slot_args, nik_hold_overdue, slot_key_args,
};
use crate::args;
use crate::db::Pool;
use crate::db::{Arg, sqlite_time};
use crate::error::{StoreError, StoreResult};
use crate::lite::{execute, query_row};
use crate::options::StoreOptions;
use crate::sql::{
    ADD_TAKEN, DELETE_SLOT, INSERT_BOOKING, INSERT_SLOT, LOCK_OFFICE_SHARE, NIK_HOLD, SLOT_PLACES,
};
use crate::types::{AllocationRequest, Booking, SlotKey};
use chrono::NaiveDate;

/// Most allocations committed together.
const MAX_BATCH: usize = 256;

/// Allocations settled inside a batch (booked or refused) rather than deferred, for tests:
/// if this stops growing, every booking is silently taking the slow path.
pub(crate) static SETTLED_IN_BATCH: std::sync::atomic::AtomicU64 =
    std::sync::atomic::AtomicU64::new(0);

/// One allocation waiting for the allocator.
pub(crate) struct Job {
    pub req: AllocationRequest,
    pub reply: oneshot::Sender<StoreResult<Booking>>,
}

/// What one allocation came to inside the batch.
enum Outcome {
    Booked(i64),
    Refused(StoreError),
    /// Settled after the commit by the async transactional path.
    Deferred,
}

/// Starts the allocator thread for the SQLite file at `path`; it ends when every sender is
/// dropped. `writer` serves the deferred cases (the transactional path).
pub(crate) fn spawn(
    path: PathBuf,
    opts: &StoreOptions,
    writer: Pool,
) -> std::io::Result<mpsc::Sender<Job>> {
    // Its commits acknowledge bookings: as durable as every other writer's (`synchronous`).
    let conn = crate::lite::open(&path, opts).map_err(std::io::Error::other)?;
    // Checkpoints (copying the WAL back into the database file, with an fsync) would
    // otherwise run inside the allocator's commits and stall every booking waiting;
    // a thread of their own runs them instead (`checkpointer`).
    conn.pragma_update(None, "wal_autocheckpoint", 0)
        .map_err(std::io::Error::other)?;
    let handle = Handle::current();
    let checkpoints = crate::lite::open(&path, opts).map_err(std::io::Error::other)?;
    let (tx, rx) = mpsc::channel::<Job>(4096);
    let (stop, stopped) = std::sync::mpsc::channel::<()>();
    std::thread::Builder::new()
        .name("loket-allocator".into())
        .spawn(move || {
            run(conn, rx, writer, handle);
            drop(stop);
        })?;
    std::thread::Builder::new()
        .name("loket-checkpoint".into())
        .spawn(move || checkpointer(checkpoints, stopped))?;
    Ok(tx)
}

/// Copies the WAL back into the database file every `CHECKPOINT_EVERY` while the allocator
/// runs. PASSIVE: it never waits for or blocks the writer or readers; what it cannot copy
/// yet is copied next time.
fn checkpointer(conn: Connection, stopped: std::sync::mpsc::Receiver<()>) {
    while let Err(std::sync::mpsc::RecvTimeoutError::Timeout) =
        stopped.recv_timeout(CHECKPOINT_EVERY)
    {
        if let Err(e) = conn.query_row("PRAGMA wal_checkpoint(PASSIVE)", [], |_| Ok(())) {
            tracing::warn!(error = %e, "WAL checkpoint failed");
        }
    }
}

/// How often the checkpointer runs.
const CHECKPOINT_EVERY: Duration = Duration::from_millis(250);

fn run(mut conn: Connection, mut rx: mpsc::Receiver<Job>, writer: Pool, handle: Handle) {
    let mut counts = Counts::default();
    while let Some(first) = rx.blocking_recv() {
        let mut batch = vec![first];
        while batch.len() < MAX_BATCH {
            match rx.try_recv() {
                Ok(j) => batch.push(j),
                Err(_) => break,
            }
        }
        match run_batch(&mut conn, &batch, &mut counts) {
            Ok(outcomes) => {
                for (job, outcome) in batch.into_iter().zip(outcomes) {
                    match outcome {
                        Outcome::Booked(slot_id) => {
                            SETTLED_IN_BATCH.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
                            let _ = job.reply.send(Ok(booked(job.req, slot_id)));
                        }
                        Outcome::Refused(e) => {
                            SETTLED_IN_BATCH.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
                            let _ = job.reply.send(Err(e));
                        }
                        Outcome::Deferred => {
                            let writer = writer.clone();
                            handle.spawn(async move {
                                let r = in_transaction(&writer, job.req).await;
                                let _ = job.reply.send(r);
                            });
                        }
                    }
                }
            }
            Err(e) => {
                // Nothing of this batch was kept: each allocation takes the async path.
                tracing::warn!(error = %e, "allocation batch failed; retrying one by one");
                for job in batch {
                    let writer = writer.clone();
                    handle.spawn(async move {
                        let r = in_transaction(&writer, job.req).await;
                        let _ = job.reply.send(r);
                    });
                }
            }
        }
    }
}

/// What the allocator knows of a slot from its last count, kept across batches.
#[derive(Debug)]
struct Known {
    /// The slot's row id.
    id: i64,
    capacity: i64,
    /// Places held or paid at any instant in [`from`, `until`).
    taken: i64,
    /// Instants as stored (`sqlite_time`) and compared as SQLite compares them. `from` is
    /// the last deadline of an unpaid hold at or before the counting instant ("" if none);
    /// `until` the first after it (None if none).
    from: String,
    until: Option<String>,
}

impl Known {
    /// Whether `taken` is the count at `now` (as `sqlite_time` text).
    fn covers(&self, now: &str) -> bool {
        self.from.as_str() <= now && self.until.as_deref().is_none_or(|u| now < u)
    }

    /// After inserting a hold that lapses at `deadline`: one more place taken, and the
    /// count changes again when that hold lapses.
    fn took(&mut self, deadline: String) {
        self.taken += 1;
        if self.until.as_ref().is_none_or(|u| deadline < *u) {
            self.until = Some(deadline);
        }
    }
}

/// The counts kept between batches, valid while the database's `data_version` (which moves
/// when another connection commits) is the one they were read at.
#[derive(Default)]
struct Counts {
    data_version: i64,
    slots: HashMap<SlotKey, Known>,
}

fn run_batch(
    conn: &mut Connection,
    batch: &[Job],
    counts: &mut Counts,
) -> rusqlite::Result<Vec<Outcome>> {
    let result = run_batch_in_tx(conn, batch, counts);
    if result.is_err() {
        // The batch rolled back: counts it changed may describe rows that do not exist.
        counts.slots.clear();
    }
    result
}

fn run_batch_in_tx(
    conn: &mut Connection,
    batch: &[Job],
    counts: &mut Counts,
) -> rusqlite::Result<Vec<Outcome>> {
    let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
    let version: i64 = tx.query_row("PRAGMA data_version", [], |r| r.get(0))?;
    if version != counts.data_version {
        counts.slots.clear();
        counts.data_version = version;
    }
    let mut outcomes = Vec::with_capacity(batch.len());
    // Bookings inserted per slot row, counted into `slots.taken` once before the commit.
    let mut inserted: HashMap<i64, i64> = HashMap::new();
    for job in batch {
        let req = &job.req;
        let now = sqlite_time(req.now);
        // Changed in place: if the batch fails, `run_batch` drops every kept count.
        let known = match counts.slots.get_mut(&req.slot) {
            Some(k) if k.covers(&now) => Some(k),
            _ => match slot_places(&tx, req, &now)? {
                Some(k) => Some(
                    counts
                        .slots
                        .entry(req.slot.clone())
                        .insert_entry(k)
                        .into_mut(),
                ),
                None => {
                    counts.slots.remove(&req.slot);
                    None
                }
            },
        };
        let outcome = match known {
            None => Outcome::Deferred,
            // A replayed Idempotency-Key must find its booking even on a full slot.
            Some(k) if k.taken >= k.capacity && req.idempotency_key.is_some() => Outcome::Deferred,
            Some(k) if k.taken >= k.capacity => Outcome::Refused(StoreError::QuotaFull),
            Some(k) => {
                let o = insert(&tx, req, k.id)?;
                if matches!(o, Outcome::Booked(_)) {
                    k.took(sqlite_time(req.payment_deadline));
                    *inserted.entry(k.id).or_default() += 1;
                }
                o
            }
        };
        outcomes.push(outcome);
    }
    let mut add = tx.prepare_cached(ADD_TAKEN)?;
    for (slot_id, n) in inserted {
        execute(&mut add, args![slot_id, n])?;
    }
    drop(add);
    tx.commit()?;
    Ok(outcomes)
}

/// The slot's places at `now`, under the write lock. A slot without a row gets one here
/// (its capacity from the quota tables, as `lock_slot` makes it); None if the office does
/// not exist or the new slot has no places, which the transactional path reports.
fn slot_places(
    tx: &rusqlite::Transaction<'_>,
    req: &AllocationRequest,
    now: &str,
) -> rusqlite::Result<Option<Known>> {
    let k = &req.slot;
    let read = || {
        let mut args = slot_key_args(k);
        args.push(Arg::Text(now.to_owned()));
        let mut q = tx.prepare_cached(SLOT_PLACES)?;
        query_row(&mut q, args, |r| {
            Ok(Known {
                id: r.get("id")?,
                capacity: r.get("capacity")?,
                taken: r.get("taken")?,
                from: r
                    .get::<_, Option<String>>("lapsed_last")?
                    .unwrap_or_default(),
                until: r.get("lapses_next")?,
            })
        })
    };
    if let Some(known) = read()? {
        return Ok(Some(known));
    }
    let mut office = tx.prepare_cached(LOCK_OFFICE_SHARE.0)?;
    if query_row(&mut office, args![k.office_code.clone()], |_| Ok(()))?.is_none() {
        return Ok(None);
    }
    let mut insert_slot = tx.prepare_cached(INSERT_SLOT)?;
    execute(&mut insert_slot, insert_slot_args(k))?;
    match read()? {
        // A session without places keeps no row (as on the transactional path, which
        // rolls back); that path refuses the booking.
        Some(k) if k.capacity == 0 => {
            let mut delete = tx.prepare_cached(DELETE_SLOT)?;
            execute(&mut delete, args![k.id])?;
            Ok(None)
        }
        made => Ok(made),
    }
}

fn insert(
    tx: &rusqlite::Transaction<'_>,
    req: &AllocationRequest,
    slot_id: i64,
) -> rusqlite::Result<Outcome> {
    // Under the write lock, the NIK check and the insert cannot be raced; a plain insert
    // (rather than INSERT ... SELECT, which copies its source into a temporary table when
    // it reads the table it inserts into) keeps the batch cheap.
    let mut check = tx.prepare_cached(NIK_HOLD)?;
    let hold = query_row(&mut check, args![req.nik.as_str(), req.now], |r| {
        Ok((
            r.get::<_, bool>(0)?,
            r.get::<_, String>(1)?,
            r.get::<_, String>(2)?,
            r.get::<_, String>(3)?,
        ))
    })?;
    let overdue = |(lapsed, state, date, zone): &(bool, String, String, String)| {
        // A date that does not parse is left to the transactional path, which reports it.
        NaiveDate::parse_from_str(date, "%Y-%m-%d")
            .map_or(true, |d| nik_hold_overdue(*lapsed, state, d, zone, req.now))
    };
    match hold.as_ref().map(overdue) {
        None => {}
        // A lapsed hold or a no-show not yet swept: the transactional path moves it on first.
        Some(true) => return Ok(Outcome::Deferred),
        // The NIK is busy, or this is a replay of a booking already made with this key.
        Some(false) if req.idempotency_key.is_some() => return Ok(Outcome::Deferred),
        Some(false) => return Ok(Outcome::Refused(StoreError::NikHasActiveBooking)),
    }
    let mut insert = tx.prepare_cached(INSERT_BOOKING)?;
    let mut args = booking_args(req);
    args.push(Arg::I64(slot_id));
    match execute(&mut insert, args) {
        Ok(_) => Ok(Outcome::Booked(slot_id)),
        // A unique index refused the row (a replayed key racing): SQLite undid only this
        // statement; the transactional path sorts it out.
        Err(rusqlite::Error::SqliteFailure(e, _))
            if e.code == rusqlite::ErrorCode::ConstraintViolation =>
        {
            Ok(Outcome::Deferred)
        }
        Err(e) => Err(e),
    }
}
