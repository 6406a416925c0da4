//! PostgreSQL: the Idempotency-Key lookups of concurrent holds, answered together. Every
//! page hold carries a key, and the key is looked up before anything else (a double tap
//! whose first tap took the last place must find its booking, also once the session is
//! full), so in a rush each attempt would cost a round trip of its own. Here the lookups
//! that arrive while one query is in flight wait for the next, which answers all of them
//! in one statement (`BOOKINGS_BY_IDEMPOTENCY_KEYS`). A lookup is a read of committed
//! rows either way: answering it a query later changes nothing it could see.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use tokio::sync::oneshot;
use uuid::Uuid;

use crate::db::Pool;
use crate::error::{StoreError, StoreResult};
use crate::rows::booking_from_row;
use crate::sql::{BOOKING_BY_IDEMPOTENCY, BOOKINGS_BY_IDEMPOTENCY_KEYS};
use crate::types::Booking;

/// Most lookups one query answers.
const MAX_BATCH: usize = 256;

type Reply = oneshot::Sender<StoreResult<Option<Booking>>>;

/// The lookups waiting for the next query; `running` while a query task is at work.
#[derive(Default)]
pub(crate) struct KeyLookups {
    state: Mutex<Waiting>,
}

#[derive(Default)]
struct Waiting {
    running: bool,
    jobs: Vec<(Uuid, String, Reply)>,
}

impl std::fmt::Debug for KeyLookups {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("KeyLookups").finish_non_exhaustive()
    }
}

impl KeyLookups {
    /// The booking `account` made with `key`, if any. The query runs in a task of its own,
    /// so a caller that goes away does not cancel the lookups of others.
    pub(crate) async fn lookup(
        self: &Arc<Self>,
        pool: &Pool,
        account: Uuid,
        key: &str,
    ) -> StoreResult<Option<Booking>> {
        let (reply, answer) = oneshot::channel();
        let start = {
            let mut w = self
                .state
                .lock()
                .map_err(|_| StoreError::Corrupt("key lookups poisoned".into()))?;
            w.jobs.push((account, key.to_owned(), reply));
            !std::mem::replace(&mut w.running, true)
        };
        if start {
            let (me, pool) = (self.clone(), pool.clone());
            tokio::spawn(async move { me.drain(pool).await });
        }
        answer
            .await
            .map_err(|_| StoreError::Corrupt("key lookup dropped".into()))?
    }

    /// Answers the waiting lookups, a query at a time, until none waits.
    async fn drain(&self, pool: Pool) {
        loop {
            let batch: Vec<(Uuid, String, Reply)> = {
                let Ok(mut w) = self.state.lock() else {
                    return;
                };
                if w.jobs.is_empty() {
                    w.running = false;
                    return;
                }
                let n = w.jobs.len().min(MAX_BATCH);
                w.jobs.drain(..n).collect()
            };
            match query(&pool, &batch).await {
                Ok(mut found) => {
                    for (account, key, reply) in batch {
                        let _ = reply.send(Ok(found.remove(&(account, key))));
                    }
                }
                // One bad value (a key PostgreSQL will not take) must not fail the others:
                // each is asked on its own.
                Err(_) => {
                    for (account, key, reply) in batch {
                        let _ = reply.send(one(&pool, account, &key).await);
                    }
                }
            }
        }
    }
}

/// One lookup on its own.
async fn one(pool: &Pool, account: Uuid, key: &str) -> StoreResult<Option<Booking>> {
    pool.fetch_optional(BOOKING_BY_IDEMPOTENCY, crate::args![account, key])
        .await?
        .map(|r| booking_from_row(&r))
        .transpose()
}

/// The bookings of `batch`'s (account, key) pairs.
async fn query(
    pool: &Pool,
    batch: &[(Uuid, String, Reply)],
) -> StoreResult<HashMap<(Uuid, String), Booking>> {
    let pairs: Vec<serde_json::Value> = batch
        .iter()
        .map(|(a, k, _)| serde_json::json!({"a": a.to_string(), "k": k}))
        .collect();
    let json = serde_json::Value::Array(pairs).to_string();
    let mut found = HashMap::new();
    for r in pool
        .fetch_all(BOOKINGS_BY_IDEMPOTENCY_KEYS, crate::args![json])
        .await?
    {
        let b = booking_from_row(&r)?;
        found.insert((b.account_id, r.text("idempotency_key")?), b);
    }
    Ok(found)
}
