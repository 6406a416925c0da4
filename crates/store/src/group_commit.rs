//! Group commit for SQLite allocations. SQLite has one writer, and two costs dominate a
//! booking made one transaction at a time: the commit (WAL pages written per transaction)
//! and, with sqlx, a hand-off to the connection's thread for every statement and row.
//! The allocator is a thread of its own with a synchronous connection to the same file: it
//! takes every allocation waiting (up to `MAX_BATCH`) into one `BEGIN IMMEDIATE`
//! transaction and answers them only after the commit. Holding SQLite's only write lock,
//! it counts each slot's places once per batch and keeps the count as it inserts, so the
//! capacity check costs no scan per booking; each insert checks the NIK first (`NIK_HOLD`)
//! and sees the inserts before it on the same connection. Rare cases (a slot's first booking, a replayed Idempotency-Key, a
//! lapsed hold of the same NIK still in the unique index) are handed to the async
//! transactional path after the commit.

use std::collections::HashMap;
use std::path::PathBuf;
use std::time::Duration;

use rusqlite::{Connection, TransactionBehavior};
use tokio::runtime::Handle;
use tokio::sync::{mpsc, oneshot};

use crate::args;
use crate::db::Arg;
use crate::error::{StoreError, StoreResult};
use crate::lite::{execute, query_row};
use crate::sql::{ALLOCATION_DIAGNOSIS, INSERT_BOOKING, NIK_HOLD};
use crate::sql_store::{SqlStore, booked, booking_args};
use crate::types::{AllocationRequest, Booking, SlotKey};

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
/// dropped. `store` serves the deferred cases.
pub(crate) fn spawn(
    path: PathBuf,
    busy_timeout: Duration,
    store: SqlStore,
) -> std::io::Result<mpsc::Sender<Job>> {
    let conn = crate::lite::open(&path, busy_timeout).map_err(std::io::Error::other)?;
    // Checkpoints (copying the WAL back into the database file, with an fsync) would
    // otherwise run inside the allocator's commits and stall every booking waiting;
    // a thread of their own runs them instead (`checkpointer`).
    conn.pragma_update(None, "wal_autocheckpoint", 0)
        .map_err(std::io::Error::other)?;
    let handle = Handle::current();
    let checkpoints = crate::lite::open(&path, busy_timeout).map_err(std::io::Error::other)?;
    let (tx, rx) = mpsc::channel::<Job>(4096);
    let (stop, stopped) = std::sync::mpsc::channel::<()>();
    std::thread::Builder::new()
        .name("loket-allocator".into())
        .spawn(move || {
            run(conn, rx, store, handle);
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

fn run(mut conn: Connection, mut rx: mpsc::Receiver<Job>, store: SqlStore, handle: Handle) {
    while let Some(first) = rx.blocking_recv() {
        let mut batch = vec![first];
        while batch.len() < MAX_BATCH {
            match rx.try_recv() {
                Ok(j) => batch.push(j),
                Err(_) => break,
            }
        }
        match run_batch(&mut conn, &batch) {
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
                            let store = store.clone();
                            handle.spawn(async move {
                                let r = store.allocate_in_transaction(job.req).await;
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
                    let store = store.clone();
                    handle.spawn(async move {
                        let r = store.allocate_in_transaction(job.req).await;
                        let _ = job.reply.send(r);
                    });
                }
            }
        }
    }
}

fn run_batch(conn: &mut Connection, batch: &[Job]) -> rusqlite::Result<Vec<Outcome>> {
    let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
    // Per slot: (row id, places left), read once; None when the slot has no row yet.
    let mut slots: HashMap<SlotKey, Option<(i64, i64)>> = HashMap::new();
    let mut outcomes = Vec::with_capacity(batch.len());
    for job in batch {
        let req = &job.req;
        let slot = match slots.get(&req.slot) {
            Some(s) => *s,
            None => {
                let s = slot_state(&tx, req)?;
                slots.insert(req.slot.clone(), s);
                s
            }
        };
        let outcome = match slot {
            None => Outcome::Deferred,
            // A replayed Idempotency-Key must find its booking even on a full slot.
            Some((_, left)) if left <= 0 && req.idempotency_key.is_some() => Outcome::Deferred,
            Some((_, left)) if left <= 0 => Outcome::Refused(StoreError::QuotaFull),
            Some((slot_id, left)) => {
                let o = insert(&tx, req, slot_id)?;
                if matches!(o, Outcome::Booked(_)) {
                    slots.insert(req.slot.clone(), Some((slot_id, left - 1)));
                }
                o
            }
        };
        outcomes.push(outcome);
    }
    tx.commit()?;
    Ok(outcomes)
}

/// The slot's row id and places left, under the write lock; None if it has no row.
fn slot_state(
    tx: &rusqlite::Transaction<'_>,
    req: &AllocationRequest,
) -> rusqlite::Result<Option<(i64, i64)>> {
    let k = &req.slot;
    let args = args![
        k.office_code.clone(),
        k.service_date,
        k.session_code.clone(),
        k.class.as_str(),
        req.nik.as_str(),
        req.now
    ];
    let mut q = tx.prepare_cached(ALLOCATION_DIAGNOSIS)?;
    query_row(&mut q, args, |r| {
        let id: i64 = r.get("id")?;
        let capacity: i64 = r.get("capacity")?;
        let taken: i64 = r.get("taken")?;
        Ok((id, capacity - taken))
    })
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
        r.get::<_, bool>(0)
    })?;
    match hold {
        None => {}
        // A lapsed hold not yet swept: the transactional path expires it first.
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
