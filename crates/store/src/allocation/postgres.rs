//! Group commit per slot on PostgreSQL. Allocations of one slot serialise on its row lock
//! (`FOR UPDATE`), and one transaction per booking holds that lock across seven round trips
//! and a WAL flush. Here the allocations of a slot waiting in this process queue up behind
//! the one batch in flight for that slot, and the next batch takes them all.
//!
//! A batch is one statement, so one round trip and a transaction of its own
//! (`BOOK_INTO_SLOT`): it locks the slot, inserts as many of the batch's rows as places are
//! left, in arrival order, checking each NIK, and counts what it inserted. Rows it skipped
//! (a busy NIK, a replayed Idempotency-Key, another unique index) leave their places to the
//! later rows in another such statement; a replayed key is answered by the
//! one-transaction path after the batch, and a key told "full" is looked up first, so that
//! a replay finds its booking even at a full session. Where the statement cannot count the
//! places by itself (the slot's first booking, which makes its row, or a hold in it that
//! may have lapsed), the batch is a transaction instead: one statement that locks and
//! counts (`LOCK_SLOT_COUNTED`, counted again if needed), multi-row inserts
//! (`INSERT_BOOKINGS_IF_NIK_FREE`), a lookup per key, one commit.
//!
//! Several instances stay correct for the same reason a single booking is: every place is
//! counted and taken under the slot's row lock, whichever instance holds it. An insert that
//! meets a unique index (the NIK booked in another slot by a transaction not yet committed,
//! a racing Idempotency-Key) is skipped with `ON CONFLICT DO NOTHING`, so it cannot abort
//! the batch, and that allocation goes to the one-transaction path after the commit. If
//! the batch fails before anything of it was kept (a deadlock, a lost connection), each of
//! its allocations takes that path, after checking that its booking was not committed with
//! only the answer lost; once a statement of it has booked, a later failure hands on only
//! what is not settled yet.

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
    BOOK_INTO_SLOT, BOOKING_BY_IDEMPOTENCY, BOOKINGS_BY_IDEMPOTENCY_KEYS, GET_BOOKING,
    INSERT_BOOKINGS_IF_NIK_FREE, LOCK_SLOT_COUNTED, NIK_HOLD,
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
    /// Not known: a statement that may have booked it failed (its commit may have gone
    /// through with only the answer lost). Its own booking id is looked for first.
    Unknown,
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
        let settled = o
            .iter()
            .filter(|o| !matches!(o, Outcome::Deferred | Outcome::Unknown))
            .count();
        SETTLED_TOGETHER.fetch_add(settled as u64, std::sync::atomic::Ordering::Relaxed);
    }
    // A batch that failed as a whole leaves every allocation of it unknown.
    let mut outcomes = outcomes.map(Vec::into_iter).ok();
    for job in batch {
        let outcome = outcomes.as_mut().and_then(Iterator::next);
        let answer = match outcome.unwrap_or(Outcome::Unknown) {
            Outcome::Booked(slot_id) => Ok(booked(job.req, slot_id)),
            Outcome::Replayed(b) => Ok(*b),
            Outcome::Refused(e) => Err(e),
            Outcome::Deferred => in_transaction(writer, job.req).await,
            // Its commit may have gone through with only the answer lost: a booking made
            // under this allocation's own id is its answer.
            Outcome::Unknown => match made_already(writer, &job.req).await {
                Some(b) => Ok(b),
                None => in_transaction(writer, job.req).await,
            },
        };
        let _ = job.reply.send(answer);
    }
}

/// The booking with the allocation's own id, if one was committed (`None` also when the
/// lookup fails: the one-transaction path then answers).
async fn made_already(writer: &Pool, req: &AllocationRequest) -> Option<Booking> {
    let row = writer
        .fetch_optional(GET_BOOKING, args![req.booking_id])
        .await
        .ok()??;
    booking_from_row(&row).ok()
}

/// One transaction for allocations of the same slot.
async fn batch_transaction(
    writer: &Pool,
    reqs: &[&AllocationRequest],
) -> StoreResult<Vec<Outcome>> {
    let Some(first) = reqs.first() else {
        return Ok(Vec::new());
    };
    if let Some(outcomes) = in_one_statement(writer, reqs).await? {
        return Ok(outcomes);
    }
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

/// The batch in one statement of its own (`BOOK_INTO_SLOT`): one round trip, where the
/// transaction takes four and a lookup per Idempotency-Key. Only at a slot that exists and
/// has no hold that may have lapsed; `None` otherwise, having changed nothing. When rows it
/// tried were not inserted (the NIK busy, a replayed key, another unique index), the
/// places they leave go to the later rows of the batch in another statement, as the
/// transaction's rounds do. A replayed key whose row was tried meets the key's unique
/// index and is handed on to the one-transaction path, which finds its booking; one told
/// the session is full is looked up first (`replays`), so that a replay finds its booking
/// at a full session too.
async fn in_one_statement(
    writer: &Pool,
    reqs: &[&AllocationRequest],
) -> StoreResult<Option<Vec<Outcome>>> {
    let mut outcomes: Vec<Option<Outcome>> = (0..reqs.len()).map(|_| None).collect();
    let mut pending: Vec<usize> = (0..reqs.len()).collect();
    let mut first_round = true;
    let mut unknown = false;
    while !pending.is_empty() {
        // Once a round has booked, an error must not fail the batch (its bookings are
        // kept): what is not settled yet goes to the one-transaction path.
        let round = match book_round(writer, reqs, &pending).await {
            Ok(Some(round)) => round,
            Ok(None) if first_round => return Ok(None),
            Err(e) if first_round => return Err(e),
            Ok(None) => break,
            Err(e) => {
                tracing::warn!(error = %e, "allocation statement failed; handing the rest on");
                unknown = true;
                break;
            }
        };
        first_round = false;
        let tried: Vec<usize> = pending.drain(..round.left.min(pending.len())).collect();
        for i in tried {
            let req = reqs[i];
            outcomes[i] = Some(if round.inserted.contains(&req.booking_id) {
                Outcome::Booked(round.slot_id)
            } else {
                match writer
                    .fetch_optional(NIK_HOLD, args![req.nik.as_str(), req.now])
                    .await
                {
                    Ok(hold) => nik_busy(hold, req).unwrap_or(Outcome::Deferred),
                    Err(_) => Outcome::Deferred,
                }
            });
        }
        if round.inserted.len() == round.left {
            let full = std::mem::take(&mut pending);
            let Ok(found) = replays(writer, full.iter().map(|&i| reqs[i])).await else {
                break;
            };
            for i in full {
                let req = reqs[i];
                let key = req
                    .idempotency_key
                    .as_ref()
                    .map(|k| (req.account_id, k.clone()));
                outcomes[i] = Some(match key.and_then(|k| found.get(&k)) {
                    Some(b) => match replayed(b.clone(), req) {
                        Ok(b) => Outcome::Replayed(Box::new(b)),
                        Err(e) => Outcome::Refused(e),
                    },
                    None => Outcome::Refused(StoreError::QuotaFull),
                });
            }
        }
    }
    let rest = || {
        if unknown {
            Outcome::Unknown
        } else {
            Outcome::Deferred
        }
    };
    Ok(Some(
        outcomes
            .into_iter()
            .map(|o| o.unwrap_or_else(rest))
            .collect(),
    ))
}

/// What one `BOOK_INTO_SLOT` did.
struct Round {
    slot_id: i64,
    /// Places left before it: its first `left` rows were tried.
    left: usize,
    /// The bookings it inserted.
    inserted: std::collections::HashSet<uuid::Uuid>,
}

/// Runs `BOOK_INTO_SLOT` for the allocations `pending` (indexes into `reqs`, in arrival
/// order); `None` if the slot does not exist yet or a hold in it may have lapsed (nothing
/// inserted).
async fn book_round(
    writer: &Pool,
    reqs: &[&AllocationRequest],
    pending: &[usize],
) -> StoreResult<Option<Round>> {
    let Some(&first) = pending.first().map(|&i| &reqs[i]) else {
        return Ok(None);
    };
    let rows: Vec<serde_json::Value> = pending.iter().map(|&i| json_row(i, reqs[i])).collect();
    let mut params = slot_key_args(&first.slot);
    params.push(Arg::Time(first.now));
    params.push(Arg::Text(serde_json::Value::Array(rows).to_string()));
    let found = writer.fetch_all(BOOK_INTO_SLOT, params).await?;
    let Some(slot) = found.first() else {
        return Ok(None);
    };
    if slot.bool("maybe_lapsed")? {
        return Ok(None);
    }
    let mut inserted = std::collections::HashSet::with_capacity(found.len());
    for row in &found {
        if let Some(id) = row.opt_uuid("booking_id")? {
            inserted.insert(id);
        }
    }
    Ok(Some(Round {
        slot_id: slot.i64("id")?,
        left: usize::try_from(slot.i64("capacity")? - slot.i64("taken")?).unwrap_or(0),
        inserted,
    }))
}

/// The bookings already made under the Idempotency-Keys of `reqs`, by (account, key); none
/// asked when no request has a key.
async fn replays<'a>(
    writer: &Pool,
    reqs: impl Iterator<Item = &'a AllocationRequest>,
) -> StoreResult<HashMap<(uuid::Uuid, String), Booking>> {
    let keys: Vec<(uuid::Uuid, String)> = reqs
        .filter_map(|r| Some((r.account_id, r.idempotency_key.clone()?)))
        .collect();
    if keys.is_empty() {
        return Ok(HashMap::new());
    }
    bookings_by_keys(writer, &keys).await
}

/// The bookings of many (account, Idempotency-Key) pairs, in one query
/// (`BOOKINGS_BY_IDEMPOTENCY_KEYS`): the batch's own lookup and the batched reads'.
pub(crate) async fn bookings_by_keys(
    pool: &Pool,
    keys: &[(uuid::Uuid, String)],
) -> StoreResult<HashMap<(uuid::Uuid, String), Booking>> {
    let json = serde_json::Value::Array(
        keys.iter()
            .map(|(a, k)| serde_json::json!({"a": a.to_string(), "k": k}))
            .collect(),
    )
    .to_string();
    let mut found = HashMap::new();
    for row in pool
        .fetch_all(BOOKINGS_BY_IDEMPOTENCY_KEYS, args![json])
        .await?
    {
        let b = booking_from_row(&row)?;
        found.insert((b.account_id, row.text("idempotency_key")?), b);
    }
    Ok(found)
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
    nik_busy(hold, req)
}

/// What an allocation whose row was not inserted comes to, given the NIK's booking in the
/// one-active-per-NIK index (`NIK_HOLD`), if any.
fn nik_busy(hold: Option<crate::db::Row>, req: &AllocationRequest) -> StoreResult<Outcome> {
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
