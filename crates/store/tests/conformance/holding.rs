//! Tools to put several allocations into one batch, in a known order, without a hook in
//! the store: hold the lock every allocation of a slot needs (SQLite: the database's write
//! lock; PostgreSQL: the slot's row lock), hand the store a first allocation, which then
//! waits for that lock with its batch in flight, queue the allocations of the story behind
//! it, and let go. The batch allocators take everything waiting when the one in flight
//! ends, so the queued allocations share the next batch, in the order they were queued.
//! Also: a poisoned booking, whose insert fails with an error no unique index explains,
//! so that the batch it is in fails as a whole.

use std::future::Future;
use std::pin::Pin;
use std::task::Poll;

use loket_store::db::{Backend, Tx};
use loket_store::prelude::*;
use loket_store::{AllocationRequest, Booking, SlotKey, SqlStore, StoreResult};

use crate::helpers::{Ctx, Engine};

/// Locks a slot's row in a transaction of its own (PostgreSQL).
const LOCK_SLOT_ROW: &str = "SELECT id FROM slots WHERE office_code = $1 AND service_date = $2 \
    AND session_code = $3 AND class = $4 FOR UPDATE";

/// An allocation handed to the store (its first poll queues it) and awaited later.
pub struct Queued {
    future: Pin<Box<dyn Future<Output = StoreResult<Booking>> + Send>>,
    early: Option<StoreResult<Booking>>,
}

impl Queued {
    /// The store's answer.
    pub async fn answer(self) -> StoreResult<Booking> {
        match self.early {
            Some(r) => r,
            None => self.future.await,
        }
    }
}

/// Hands `req` to the store and returns as soon as it is queued: neither batch allocator
/// waits for anything before queuing (SQLite's sends to its allocator thread, which has
/// room; PostgreSQL's pushes onto its slot's queue), so one poll does it.
pub async fn queue(store: &SqlStore, req: AllocationRequest) -> Queued {
    let store = store.clone();
    let mut future: Pin<Box<dyn Future<Output = StoreResult<Booking>> + Send>> =
        Box::pin(async move { store.allocate(req).await });
    let early = std::future::poll_fn(|cx| {
        Poll::Ready(match future.as_mut().poll(cx) {
            Poll::Ready(r) => Some(r),
            Poll::Pending => None,
        })
    })
    .await;
    Queued { future, early }
}

/// The lock every allocation of a slot waits for, held by the test.
pub struct Held {
    tx: Tx,
}

impl Held {
    /// Takes the lock of `key`'s allocations: on SQLite the write lock (`BEGIN IMMEDIATE`
    /// on a connection of the test's), on PostgreSQL the slot's row (which must exist).
    pub async fn hold(db: &Ctx, key: &SlotKey) -> Held {
        let mut tx = db.store.pool().begin_write().await.unwrap();
        if tx.backend() == Backend::Postgres {
            let row = tx
                .fetch_optional(
                    LOCK_SLOT_ROW,
                    loket_store::args![
                        key.office_code.clone(),
                        key.service_date,
                        key.session_code.clone(),
                        key.class.as_str()
                    ],
                )
                .await
                .unwrap();
            assert!(row.is_some(), "the slot to hold has no row yet");
        }
        Held { tx }
    }

    /// Lets the allocations waiting for the lock go on.
    pub async fn release(self) {
        // Nothing was written: committing only ends the transaction and its locks.
        self.tx.commit().await.unwrap();
    }
}

/// Holds `key`'s allocations, starts `blocker` (which takes the lock next, with a batch of
/// its own in flight), queues `reqs` behind it in order and lets go. Returns the blocker's
/// answer and then the answers of `reqs`, in order. The allocations of `reqs` share one
/// batch; on SQLite the blocker may share it too if the allocator thread had not taken it
/// when the others arrived (the stories allow for either).
pub async fn in_one_batch(
    db: &Ctx,
    key: &SlotKey,
    blocker: AllocationRequest,
    reqs: Vec<AllocationRequest>,
) -> (StoreResult<Booking>, Vec<StoreResult<Booking>>) {
    let held = Held::hold(db, key).await;
    let first = queue(&db.store, blocker).await;
    // Time for the blocker's batch to start and wait for the lock (not needed for the
    // order, only to keep the blocker out of the batch under test).
    tokio::time::sleep(std::time::Duration::from_millis(200)).await;
    let mut queued = Vec::with_capacity(reqs.len());
    for r in reqs {
        queued.push(queue(&db.store, r).await);
    }
    held.release().await;
    let first = first.answer().await;
    let mut answers = Vec::with_capacity(queued.len());
    for q in queued {
        answers.push(q.answer().await);
    }
    (first, answers)
}

/// The fee table code that marks a poisoned booking (see `poison_bookings`).
pub const POISON: &str = "poison";

const SQLITE_POISON: &str = "CREATE TRIGGER test_poisoned_booking BEFORE INSERT ON bookings \
    WHEN NEW.fee_table_code = 'poison' BEGIN SELECT json('not json'); END";
const POSTGRES_POISON_FUNCTION: &str = "CREATE FUNCTION test_poisoned_booking() RETURNS trigger \
    LANGUAGE plpgsql AS $$ BEGIN RAISE EXCEPTION 'poisoned booking'; END $$";
const POSTGRES_POISON: &str = "CREATE TRIGGER test_poisoned_booking BEFORE INSERT ON bookings \
    FOR EACH ROW WHEN (NEW.fee_table_code = 'poison') EXECUTE FUNCTION test_poisoned_booking()";

/// From now on, inserting a booking whose fee table code is `POISON` fails with a plain
/// error (SQLite: malformed JSON; PostgreSQL: an exception), not a constraint violation: a
/// batch that meets it fails as a whole, as on a deadlock or a lost connection.
pub async fn poison_bookings(db: &Ctx) {
    let pool = db.store.pool();
    match db.engine {
        Engine::Sqlite => {
            pool.execute(SQLITE_POISON, vec![]).await.unwrap();
        }
        Engine::Postgres => {
            pool.execute(POSTGRES_POISON_FUNCTION, vec![])
                .await
                .unwrap();
            pool.execute(POSTGRES_POISON, vec![]).await.unwrap();
        }
    }
}
