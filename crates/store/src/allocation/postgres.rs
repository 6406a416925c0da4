//! Group commit per slot on PostgreSQL. Allocations of one slot serialise on its row lock
//! (`FOR UPDATE`), and one transaction per booking holds that lock across seven round trips
//! and a WAL flush. Here the allocations of a slot waiting in this process queue up behind
//! the one transaction in flight for that slot, and the next transaction takes them all:
//! one statement that locks and counts (`LOCK_SLOT_COUNTED`), one multi-row insert that
//! checks each NIK and counts what it inserted (a JSON array of rows,
//! `INSERT_BOOKINGS_IF_NIK_FREE`), and one commit. An allocation with an Idempotency-Key
//! is looked up first (after inserting those that arrived before it), then joins the
//! insert unless it is a replay.
//!
//! Several instances stay correct for the same reason a single booking is: every place is
//! counted and taken under the slot's row lock, whichever instance holds it. An insert that
//! meets a unique index (the NIK booked in another slot by a transaction not yet committed,
//! a racing Idempotency-Key) is skipped with `ON CONFLICT DO NOTHING`, so it cannot abort
//! the batch, and that allocation goes to the one-transaction path after the commit. If
//! the batch fails as a whole (a deadlock, a lost connection), each of its allocations
//! takes that path.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use chrono::SecondsFormat;
use tokio::sync::oneshot;

use super::{
    booked, booking_args, in_transaction, lock_slot, nik_hold_overdue, replayed, slot_key_args,
    taken,
};
use crate::args;
use crate::db::Pool;
use crate::db::{Arg, Tx};
use crate::error::{StoreError, StoreResult};
use crate::rows::booking_from_row;
use crate::sql::{
    BOOKING_BY_IDEMPOTENCY, INSERT_BOOKINGS_IF_NIK_FREE, LOCK_SLOT_COUNTED, NIK_HOLD,
};
use crate::types::{AllocationRequest, Booking, SlotKey};

/// Most allocations one transaction takes.
const MAX_BATCH: usize = 128;

/// Allocations settled in a transaction shared with others, for tests: if this stops
/// growing under concurrent load, every booking is taking a transaction of its own.
pub(crate) static SETTLED_TOGETHER: std::sync::atomic::AtomicU64 =
    std::sync::atomic::AtomicU64::new(0);

/// One allocation waiting for its slot's transaction.
pub(crate) struct Job {
    req: AllocationRequest,
    reply: oneshot::Sender<StoreResult<Booking>>,
}

/// The allocations waiting, per slot; a slot is in the map while a transaction of it runs.
#[derive(Debug, Default)]
pub(crate) struct SlotQueues {
    waiting: Mutex<HashMap<SlotKey, Vec<Job>>>,
}

impl std::fmt::Debug for Job {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Job")
            .field("booking", &self.req.booking_id)
            .finish()
    }
}

/// What one allocation came to inside the batch.
enum Outcome {
    /// Booked in this slot.
    Booked(i64),
    /// A replayed Idempotency-Key: the booking it made.
    Replayed(Box<Booking>),
    /// Refused.
    Refused(StoreError),
    /// Settled after the commit by the one-transaction path.
    Deferred,
}

impl SlotQueues {
    /// Queues `req` behind its slot's transaction in flight, or starts one, and waits for
    /// the answer. The transaction runs in a task of its own, so a caller that goes away
    /// does not cancel the allocations of others (nor its own).
    pub(crate) async fn allocate(
        self: &Arc<Self>,
        writer: &Pool,
        req: AllocationRequest,
    ) -> StoreResult<Booking> {
        let (reply, answer) = oneshot::channel();
        let slot = req.slot.clone();
        let start = {
            let mut waiting = self
                .waiting
                .lock()
                .map_err(|_| StoreError::Corrupt("slot queue poisoned".into()))?;
            match waiting.get_mut(&slot) {
                Some(q) => {
                    q.push(Job { req, reply });
                    false
                }
                None => {
                    waiting.insert(slot.clone(), vec![Job { req, reply }]);
                    true
                }
            }
        };
        if start {
            let (queues, writer) = (self.clone(), writer.clone());
            tokio::spawn(async move { queues.drain(writer, slot).await });
        }
        answer
            .await
            .map_err(|_| StoreError::Corrupt("allocation dropped".into()))?
    }

    /// Runs the slot's transactions until nobody waits for it.
    async fn drain(&self, writer: Pool, slot: SlotKey) {
        let _unwinding = ForgetOnPanic {
            queues: self,
            slot: &slot,
        };
        loop {
            let batch = {
                let Ok(mut waiting) = self.waiting.lock() else {
                    return;
                };
                let Some(q) = waiting.get_mut(&slot) else {
                    return;
                };
                if q.is_empty() {
                    waiting.remove(&slot);
                    return;
                }
                let n = q.len().min(MAX_BATCH);
                q.drain(..n).collect::<Vec<_>>()
            };
            settle(&writer, batch).await;
        }
    }
}

/// If a drain task panicked, its slot would stay marked as running with nobody draining
/// it, and every later allocation of the slot would wait forever; this drops the queue
/// instead (its callers get an error). Only when unwinding: a normal end has already
/// removed the entry, and a new drain of the same slot may own it by now.
struct ForgetOnPanic<'a> {
    queues: &'a SlotQueues,
    slot: &'a SlotKey,
}

impl Drop for ForgetOnPanic<'_> {
    fn drop(&mut self) {
        if std::thread::panicking()
            && let Ok(mut waiting) = self.queues.waiting.lock()
        {
            waiting.remove(self.slot);
        }
    }
}

async fn settle(writer: &Pool, batch: Vec<Job>) {
    let reqs: Vec<&AllocationRequest> = batch.iter().map(|j| &j.req).collect();
    let outcomes = batch_transaction(writer, &reqs).await;
    if let Err(e) = &outcomes {
        // Nothing of this batch was kept: each allocation takes the one-transaction path.
        tracing::warn!(error = %e, "allocation batch failed; retrying one by one");
    }
    if let Ok(o) = &outcomes
        && o.len() > 1
    {
        let settled = o.iter().filter(|o| !matches!(o, Outcome::Deferred)).count();
        SETTLED_TOGETHER.fetch_add(settled as u64, std::sync::atomic::Ordering::Relaxed);
    }
    let mut outcomes = outcomes.map(Vec::into_iter).ok();
    for job in batch {
        let answer = match outcomes.as_mut().and_then(Iterator::next) {
            Some(Outcome::Booked(slot_id)) => Ok(booked(job.req, slot_id)),
            Some(Outcome::Replayed(b)) => Ok(*b),
            Some(Outcome::Refused(e)) => Err(e),
            Some(Outcome::Deferred) | None => in_transaction(writer, job.req).await,
        };
        let _ = job.reply.send(answer);
    }
}

/// One transaction for allocations of the same slot.
async fn batch_transaction(
    writer: &Pool,
    reqs: &[&AllocationRequest],
) -> StoreResult<Vec<Outcome>> {
    let Some(first) = reqs.first() else {
        return Ok(Vec::new());
    };
    let mut tx = writer.begin_write().await?;
    let (slot_id, left) = lock_slot_counted(&mut tx, first).await?;
    let mut batch = Places {
        reqs,
        slot_id,
        left,
        pending: Vec::new(),
        outcomes: (0..reqs.len()).map(|_| None).collect(),
    };
    for (i, req) in reqs.iter().enumerate() {
        if let Some(key) = &req.idempotency_key {
            // Its lookup must see the bookings of the allocations before it.
            batch.insert_pending(&mut tx).await?;
            // A replayed key finds its booking: identical retries queue on the slot lock.
            if let Some(row) = tx
                .fetch_optional(BOOKING_BY_IDEMPOTENCY, args![req.account_id, key.clone()])
                .await?
            {
                batch.outcomes[i] = Some(match replayed(booking_from_row(&row)?, req) {
                    Ok(b) => Outcome::Replayed(Box::new(b)),
                    Err(e) => Outcome::Refused(e),
                });
                continue;
            }
        }
        batch.pending.push(i);
    }
    batch.insert_pending(&mut tx).await?;
    let outcomes: Vec<Outcome> = batch
        .outcomes
        .into_iter()
        .map(|o| o.unwrap_or(Outcome::Deferred))
        .collect();
    // Nothing booked: roll back, as a single refused allocation does (no slot row left
    // behind by a date without quota, no sweep kept without its booking).
    if outcomes.iter().any(|o| matches!(o, Outcome::Booked(_))) {
        tx.commit().await?;
    }
    Ok(outcomes)
}

/// Locks the slot of `req` (creating it if needed) and counts its places left under that
/// lock: (slot id, places left). One statement when no hold in the slot may have lapsed.
async fn lock_slot_counted(tx: &mut Tx, req: &AllocationRequest) -> StoreResult<(i64, i64)> {
    let mut key_args = slot_key_args(&req.slot);
    key_args.push(Arg::Time(req.now));
    if let Some(row) = tx.fetch_optional(LOCK_SLOT_COUNTED, key_args).await?
        && !row.bool("maybe_lapsed")?
    {
        return Ok((row.i64("id")?, row.i64("capacity")? - row.i64("taken")?));
    }
    // A new slot, or lapsed holds to subtract: counted again under the lock now held.
    let (slot_id, capacity) = lock_slot(tx, &req.slot).await?;
    Ok((slot_id, capacity - taken(tx, slot_id, req.now).await?))
}

/// A batch transaction's allocations while it books them.
struct Places<'a> {
    reqs: &'a [&'a AllocationRequest],
    slot_id: i64,
    /// Places left in the slot.
    left: i64,
    /// Allocations waiting for the next multi-row insert (indexes into `reqs`, in arrival
    /// order).
    pending: Vec<usize>,
    /// What each allocation came to, once settled.
    outcomes: Vec<Option<Outcome>>,
}

impl Places<'_> {
    /// Books the pending allocations while places are left, a multi-row insert per round
    /// (one round trip for up to `left` bookings); the rest are refused as full.
    async fn insert_pending(&mut self, tx: &mut Tx) -> StoreResult<()> {
        let mut queue = std::collections::VecDeque::from(std::mem::take(&mut self.pending));
        while !queue.is_empty() {
            if self.left <= 0 {
                for i in queue.drain(..) {
                    self.outcomes[i] = Some(Outcome::Refused(StoreError::QuotaFull));
                }
                break;
            }
            let take = usize::try_from(self.left)
                .unwrap_or(usize::MAX)
                .min(queue.len());
            let round: Vec<usize> = queue.drain(..take).collect();
            let rows: Vec<serde_json::Value> =
                round.iter().map(|&i| json_row(i, self.reqs[i])).collect();
            let json = serde_json::Value::Array(rows).to_string();
            let inserted: std::collections::HashSet<uuid::Uuid> = tx
                .fetch_all(INSERT_BOOKINGS_IF_NIK_FREE, args![json, self.slot_id])
                .await?
                .iter()
                .map(|r| r.uuid("id"))
                .collect::<Result<_, _>>()?;
            for i in round {
                let req = self.reqs[i];
                self.outcomes[i] = Some(if inserted.contains(&req.booking_id) {
                    self.left -= 1;
                    Outcome::Booked(self.slot_id)
                } else {
                    not_inserted(tx, req).await?
                });
            }
        }
        Ok(())
    }
}

/// Why an insert that checks the NIK inserted nothing: the NIK is busy, or a unique index
/// said no.
async fn not_inserted(tx: &mut Tx, req: &AllocationRequest) -> StoreResult<Outcome> {
    let hold = tx
        .fetch_optional(NIK_HOLD, args![req.nik.as_str(), req.now])
        .await?;
    let overdue = match &hold {
        Some(r) => nik_hold_overdue(
            r.bool("lapsed")?,
            &r.text("state")?,
            r.date("service_date")?,
            &r.text("time_zone")?,
            req.now,
        ),
        None => false,
    };
    Ok(match hold {
        Some(_) if !overdue && req.idempotency_key.is_none() => {
            Outcome::Refused(StoreError::NikHasActiveBooking)
        }
        // An out-of-date booking to move on first (a lapsed hold, a no-show), a possible
        // replay, or another unique index:
        // the one-transaction path sorts each out.
        _ => Outcome::Deferred,
    })
}

/// One allocation as a row of `INSERT_BOOKINGS_IF_NIK_FREE`'s JSON: the values
/// `booking_args` binds, keyed a1-a18, and its position as a0.
fn json_row(position: usize, req: &AllocationRequest) -> serde_json::Value {
    use serde_json::Value;
    let mut row = serde_json::Map::with_capacity(19);
    row.insert("a0".into(), Value::from(position));
    for (n, arg) in booking_args(req).into_iter().enumerate() {
        let v = match arg {
            Arg::I64(v) => Value::from(v),
            Arg::OptI64(v) => v.map_or(Value::Null, Value::from),
            Arg::Text(v) => Value::from(v),
            Arg::OptText(v) => v.map_or(Value::Null, Value::from),
            Arg::Bool(v) => Value::from(v),
            Arg::Uuid(v) => Value::from(v.to_string()),
            Arg::OptUuid(v) => v.map_or(Value::Null, |u| Value::from(u.to_string())),
            // Microseconds, cut as sqlx cuts them when it binds an instant.
            Arg::Time(t) => Value::from(t.to_rfc3339_opts(SecondsFormat::Micros, true)),
            Arg::OptTime(t) => t.map_or(Value::Null, |t| {
                Value::from(t.to_rfc3339_opts(SecondsFormat::Micros, true))
            }),
            Arg::Date(d) => Value::from(d.format("%F").to_string()),
        };
        row.insert(format!("a{}", n + 1), v);
    }
    Value::Object(row)
}
