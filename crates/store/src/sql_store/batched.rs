//! PostgreSQL: reads by key that arrive together, answered together. In a rush every
//! attempt reads its token's principal, its applicant and (a page hold) its Idempotency-Key
//! before anything else; one round trip each costs PostgreSQL more in protocol and network
//! than in the read itself (measured: about two thirds of its CPU in the all-succeed run
//! went to round trips, not to executing statements). Here the lookups of one kind that
//! arrive while a query of that kind is in flight wait for the next, which answers all of
//! them in one statement. A lookup is a read of committed rows either way: answering it a
//! query later changes nothing it could see. SQLite reads by key on the calling thread
//! (`lite`) and needs none of this.

use std::collections::HashMap;
use std::future::Future;
use std::hash::Hash;
use std::sync::{Arc, Mutex};

use chrono::{DateTime, Utc};
use tokio::sync::oneshot;
use uuid::Uuid;

use crate::args;
use crate::db::{Pool, Row};
use crate::error::{StoreError, StoreResult};
use crate::rows::{account_from_row, applicant_from_row, principal_from_row};
use crate::sql::{ACCOUNTS_BY_IDS, APPLICANTS_BY_IDS, PRINCIPALS_BY_TOKENS};
use crate::types::{Account, Applicant, Booking, Principal};

/// Most lookups one query answers.
const MAX_BATCH: usize = 256;

/// Lookups, in this process, answered by a query that answered others too, for tests: if
/// this stops growing under concurrent load, every lookup is taking a query of its own.
pub(crate) static ANSWERED_TOGETHER: std::sync::atomic::AtomicU64 =
    std::sync::atomic::AtomicU64::new(0);

/// One kind of read by key, with the statement that answers many keys at once.
pub(crate) trait Lookup: Send + Sync + 'static {
    /// What is looked up.
    type Key: Clone + Eq + Hash + Send + 'static;
    /// What is found.
    type Value: Clone + Send + 'static;
    /// The name the lookups' poisoned lock is reported under.
    const NAME: &'static str;
    /// The values of `keys` that exist, in one statement.
    fn many(
        pool: &Pool,
        keys: &[Self::Key],
    ) -> impl Future<Output = StoreResult<HashMap<Self::Key, Self::Value>>> + Send;
}

type Reply<L> = oneshot::Sender<StoreResult<Option<<L as Lookup>::Value>>>;

/// The lookups of one kind waiting for the next query; `running` while a query task is
/// at work.
pub(crate) struct Batched<L: Lookup> {
    state: Mutex<Waiting<L>>,
}

struct Waiting<L: Lookup> {
    running: bool,
    jobs: Vec<(L::Key, Reply<L>)>,
}

impl<L: Lookup> Default for Batched<L> {
    fn default() -> Self {
        Self {
            state: Mutex::new(Waiting {
                running: false,
                jobs: Vec::new(),
            }),
        }
    }
}

impl<L: Lookup> std::fmt::Debug for Batched<L> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Batched").field("kind", &L::NAME).finish()
    }
}

impl<L: Lookup> Batched<L> {
    /// The value of `key`, if any. The query runs in a task of its own, so a caller that
    /// goes away does not cancel the lookups of others.
    pub(crate) async fn lookup(
        self: &Arc<Self>,
        pool: &Pool,
        key: L::Key,
    ) -> StoreResult<Option<L::Value>> {
        let (reply, answer) = oneshot::channel();
        let start = {
            let mut w = self
                .state
                .lock()
                .map_err(|_| StoreError::Corrupt(format!("{} lookups poisoned", L::NAME)))?;
            w.jobs.push((key, reply));
            !std::mem::replace(&mut w.running, true)
        };
        if start {
            let (me, pool) = (self.clone(), pool.clone());
            tokio::spawn(async move { me.drain(pool).await });
        }
        answer
            .await
            .map_err(|_| StoreError::Corrupt(format!("{} lookup dropped", L::NAME)))?
    }

    /// Answers the waiting lookups, a query at a time, until none waits.
    async fn drain(&self, pool: Pool) {
        loop {
            let batch: Vec<(L::Key, Reply<L>)> = {
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
            let keys: Vec<L::Key> = batch.iter().map(|(k, _)| k.clone()).collect();
            match L::many(&pool, &keys).await {
                Ok(found) => {
                    if batch.len() > 1 {
                        ANSWERED_TOGETHER
                            .fetch_add(batch.len() as u64, std::sync::atomic::Ordering::Relaxed);
                    }
                    for (key, reply) in batch {
                        let _ = reply.send(Ok(found.get(&key).cloned()));
                    }
                }
                // One bad value (a key PostgreSQL will not take) must not fail the others:
                // each is asked on its own.
                Err(_) => {
                    for (key, reply) in batch {
                        let one = L::many(&pool, std::slice::from_ref(&key)).await;
                        let _ = reply.send(one.map(|mut f| f.remove(&key)));
                    }
                }
            }
        }
    }
}

/// The rows `sql` finds for `keys` (one parameter: a JSON array, each key made an element
/// by `element`), each made a (key, value) by `keyed`; rows it gives none for are left out.
async fn found<K: Eq + Hash, V>(
    pool: &Pool,
    sql: &'static str,
    keys: &[K],
    element: impl Fn(&K) -> serde_json::Value,
    keyed: impl Fn(&Row) -> StoreResult<Option<(K, V)>>,
) -> StoreResult<HashMap<K, V>> {
    let json = serde_json::Value::Array(keys.iter().map(element).collect()).to_string();
    let mut found = HashMap::new();
    for r in pool.fetch_all(sql, args![json]).await? {
        found.extend(keyed(&r)?);
    }
    Ok(found)
}

/// The booking an account made with an Idempotency-Key.
pub(crate) struct IdempotencyKeys;

impl Lookup for IdempotencyKeys {
    type Key = (Uuid, String);
    type Value = Booking;
    const NAME: &'static str = "idempotency key";

    async fn many(pool: &Pool, keys: &[Self::Key]) -> StoreResult<HashMap<Self::Key, Booking>> {
        crate::allocation::postgres::bookings_by_keys(pool, keys).await
    }
}

/// An account's applicant, by (account, applicant id).
pub(crate) struct Applicants;

impl Lookup for Applicants {
    type Key = (Uuid, Uuid);
    type Value = Applicant;
    const NAME: &'static str = "applicant";

    async fn many(pool: &Pool, keys: &[Self::Key]) -> StoreResult<HashMap<Self::Key, Applicant>> {
        found(
            pool,
            APPLICANTS_BY_IDS,
            keys,
            |(a, i)| serde_json::json!({"a": a.to_string(), "i": i.to_string()}),
            |r| {
                let a = applicant_from_row(r)?;
                Ok(Some(((a.account_id, a.id), a)))
            },
        )
        .await
    }
}

/// An account, by its id (the booking mail reads those of a batch of holds together).
pub(crate) struct Accounts;

impl Lookup for Accounts {
    type Key = Uuid;
    type Value = Account;
    const NAME: &'static str = "account";

    async fn many(pool: &Pool, keys: &[Uuid]) -> StoreResult<HashMap<Uuid, Account>> {
        found(
            pool,
            ACCOUNTS_BY_IDS,
            keys,
            |id| serde_json::Value::from(id.to_string()),
            |r| {
                let a = account_from_row(r)?;
                Ok(Some((a.id, a)))
            },
        )
        .await
    }
}

/// A token's principal and its expiry, by the token's hash, whether it has expired or not
/// (each caller compares the expiry with its own now).
pub(crate) struct Principals;

impl Lookup for Principals {
    type Key = String;
    type Value = (Principal, DateTime<Utc>);
    const NAME: &'static str = "principal";

    async fn many(pool: &Pool, keys: &[String]) -> StoreResult<HashMap<String, Self::Value>> {
        found(
            pool,
            PRINCIPALS_BY_TOKENS,
            keys,
            |k| serde_json::Value::from(k.as_str()),
            |r| match principal_from_row(r)? {
                Some(p) => Ok(Some((r.text("token_hash")?, p))),
                None => Ok(None),
            },
        )
        .await
    }
}
