//! Group commit for SQLite allocations. SQLite has one writer, and each committed
//! transaction writes its pages to the WAL; one transaction per booking makes the commit,
//! not the booking, the cost. The allocator task takes whatever allocations are waiting
//! (up to `MAX_BATCH`), runs each as one atomic statement inside a single transaction, and
//! answers them only after the commit. Within the batch the statements run one after
//! another on the one writer connection, so each sees the ones before it: the capacity and
//! one-booking-per-NIK checks hold exactly as without batching.

use tokio::sync::{mpsc, oneshot};

use crate::args;
use crate::db::{Tx, is_unique_violation};
use crate::error::{StoreError, StoreResult};
use crate::sql::{ALLOCATE_ONE, ALLOCATION_DIAGNOSIS, BOOKING_BY_IDEMPOTENCY};
use crate::sql_store::{SqlStore, booked, booking_args, booking_from_row, nik_is_busy, replayed};
use crate::types::{AllocationRequest, Booking};

/// Most allocations committed together.
const MAX_BATCH: usize = 256;

/// One allocation waiting for the allocator.
pub(crate) struct Job {
    pub req: AllocationRequest,
    pub reply: oneshot::Sender<StoreResult<Booking>>,
}

/// What one allocation came to inside the batch.
enum Outcome {
    Booked(i64),
    Replay(Box<Booking>),
    Refused(StoreError),
    /// The slot has no row yet: allocated after the batch, in a transaction of its own.
    NeedsSlot,
}

/// Starts the allocator for a SQLite store; it ends when every sender is dropped.
pub(crate) fn spawn(store: SqlStore) -> mpsc::Sender<Job> {
    let (tx, mut rx) = mpsc::channel::<Job>(4096);
    tokio::spawn(async move {
        while let Some(first) = rx.recv().await {
            let mut batch = vec![first];
            while batch.len() < MAX_BATCH {
                match rx.try_recv() {
                    Ok(j) => batch.push(j),
                    Err(_) => break,
                }
            }
            run_batch(&store, batch).await;
        }
    });
    tx
}

async fn run_batch(store: &SqlStore, batch: Vec<Job>) {
    let mut tx = match store.begin_write_tx().await {
        Ok(t) => t,
        Err(e) => return fail_all(batch, &e),
    };
    let mut outcomes = Vec::with_capacity(batch.len());
    for job in &batch {
        match allocate_one(&mut tx, &job.req).await {
            Ok(o) => outcomes.push(o),
            Err(e) => {
                // An unexpected database error: nothing of this batch is kept.
                drop(tx);
                return fail_all(batch, &e);
            }
        }
    }
    if let Err(e) = tx.commit().await {
        return fail_all(batch, &StoreError::from(e));
    }
    for (job, outcome) in batch.into_iter().zip(outcomes) {
        let result = match outcome {
            Outcome::Booked(slot_id) => Ok(booked(job.req, slot_id)),
            Outcome::Replay(b) => Ok(*b),
            Outcome::Refused(e) => Err(e),
            Outcome::NeedsSlot => store.allocate_in_transaction(job.req).await,
        };
        let _ = job.reply.send(result);
    }
}

fn fail_all(batch: Vec<Job>, e: &StoreError) {
    tracing::error!(error = %e, "allocation batch failed");
    for job in batch {
        let _ = job.reply.send(Err(StoreError::Corrupt(format!(
            "allocation batch failed: {e}"
        ))));
    }
}

async fn replay(tx: &mut Tx, req: &AllocationRequest) -> StoreResult<Option<Outcome>> {
    let Some(key) = &req.idempotency_key else {
        return Ok(None);
    };
    let Some(row) = tx
        .fetch_optional(BOOKING_BY_IDEMPOTENCY, args![req.account_id, key.clone()])
        .await?
    else {
        return Ok(None);
    };
    Ok(Some(match replayed(booking_from_row(&row)?, req) {
        Ok(b) => Outcome::Replay(Box::new(b)),
        Err(e) => Outcome::Refused(e),
    }))
}

async fn allocate_one(tx: &mut Tx, req: &AllocationRequest) -> StoreResult<Outcome> {
    let k = &req.slot;
    for _ in 0..2 {
        let inserted = tx.fetch_optional(ALLOCATE_ONE, booking_args(req)).await;
        match inserted {
            Ok(Some(row)) => return Ok(Outcome::Booked(row.i64("slot_id")?)),
            Ok(None) => {
                // An identical retry finds the booking the first one made.
                if let Some(o) = replay(tx, req).await? {
                    return Ok(o);
                }
                let diag = tx
                    .fetch_optional(
                        ALLOCATION_DIAGNOSIS,
                        args![
                            k.office_code.clone(),
                            k.service_date,
                            k.session_code.clone(),
                            k.class.as_str(),
                            req.nik.as_str(),
                            req.now
                        ],
                    )
                    .await?;
                return Ok(match diag {
                    None => Outcome::NeedsSlot,
                    Some(d) if d.i64("nik_active")? > 0 => {
                        Outcome::Refused(StoreError::NikHasActiveBooking)
                    }
                    Some(_) => Outcome::Refused(StoreError::QuotaFull),
                });
            }
            Err(e) if is_unique_violation(&e, "idempotency_key") => {
                return Ok(replay(tx, req)
                    .await?
                    .unwrap_or(Outcome::Refused(StoreError::IdempotencyMismatch)));
            }
            Err(e) if is_unique_violation(&e, "nik") => {
                // A lapsed hold of this NIK, not yet swept, still sits in the unique index.
                // SQLite undid only the failed statement; sweep and try once more.
                nik_is_busy(tx, &req.nik, req.now).await?;
            }
            Err(e) => return Err(e.into()),
        }
    }
    Ok(Outcome::Refused(StoreError::NikHasActiveBooking))
}
