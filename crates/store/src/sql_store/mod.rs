//! `SqlStore`: the Store on SQLite or PostgreSQL. Each method is one transaction; methods
//! that take or move a place lock the slot row first (SQLite: the write lock taken by
//! `BEGIN IMMEDIATE`; PostgreSQL: `SELECT ... FOR UPDATE`), then booking rows, always in
//! that order so that two transactions never wait on each other in a cycle.

mod accounts;
mod assisted;
mod batched;
mod bookings;
mod close_out;
mod counters;
mod floor;
pub mod floor_events;
mod notices;
mod outbox;
mod quotas;
mod reference;

use std::str::FromStr;

use async_trait::async_trait;
use sqlx::ConnectOptions;
use sqlx::postgres::{PgConnectOptions, PgPoolOptions};
use sqlx::sqlite::{SqliteConnectOptions, SqliteJournalMode, SqlitePoolOptions, SqliteSynchronous};

use crate::Store;
use crate::db::{Arg, Backend, Pool, Row, Tx, pick};
use crate::error::{StoreError, StoreResult};
use crate::options::{SqliteDurability, StoreOptions};
use crate::sql::{self, PING};
use crate::types::{AllocationRequest, Booking};

/// PostgreSQL's reads by key that are answered together (`batched`), shared by the clones
/// of one store.
#[derive(Clone, Debug, Default)]
struct BatchedReads {
    keys: std::sync::Arc<batched::Batched<batched::IdempotencyKeys>>,
    applicants: std::sync::Arc<batched::Batched<batched::Applicants>>,
    principals: std::sync::Arc<batched::Batched<batched::Principals>>,
    accounts: std::sync::Arc<batched::Batched<batched::Accounts>>,
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
    allocator: Option<tokio::sync::mpsc::Sender<crate::allocation::sqlite::Job>>,
    /// SQLite reads by key on the calling thread (see `lite`); None on PostgreSQL and for
    /// an in-memory database.
    readers: Option<std::sync::Arc<crate::lite::Readers>>,
    /// PostgreSQL's allocations waiting per slot (group commit); None on SQLite.
    slot_queues: Option<std::sync::Arc<crate::allocation::postgres::SlotQueues>>,
    /// PostgreSQL's reads by key waiting for one query each; None on SQLite.
    batched: Option<BatchedReads>,
}

/// A pooled PostgreSQL connection idle for this long is pinged before it is handed out.
const PING_AFTER_IDLE: std::time::Duration = std::time::Duration::from_secs(1);

/// Pings a PostgreSQL connection before it is handed out only if it sat idle for
/// `PING_AFTER_IDLE`: a connection in steady use has just answered, and a ping on every
/// acquire (sqlx's default) is one more round trip before every statement and transaction,
/// the slot batches' included. A connection that broke within that second fails its
/// statement with an I/O error, which is answered `Unavailable` as a failed ping would be.
fn ping_if_idle(
    conn: &mut sqlx::PgConnection,
    meta: sqlx::pool::PoolConnectionMetadata,
) -> std::pin::Pin<Box<dyn Future<Output = Result<bool, sqlx::Error>> + Send + '_>> {
    Box::pin(async move {
        if meta.idle_for >= PING_AFTER_IDLE {
            sqlx::Connection::ping(conn).await?;
        }
        Ok(true)
    })
}

impl SqlStore {
    /// Reads at most one row by a unique key: on a SQLite file on the calling thread (see
    /// `lite`), otherwise through the pool.
    pub(crate) async fn fetch_by_key(
        &self,
        sql: &'static str,
        args: Vec<Arg>,
    ) -> StoreResult<Option<Row>> {
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
                batched: None,
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
                    crate::allocation::sqlite::spawn(file, opts, store.writer.clone())
                        .map_err(|e| StoreError::Corrupt(format!("allocator: {e}")))?,
                );
            }
            Ok(store)
        } else if url.starts_with("postgres:") || url.starts_with("postgresql:") {
            let o = PgConnectOptions::from_str(url)?.disable_statement_logging();
            let pool = Pool::Postgres(
                PgPoolOptions::new()
                    .max_connections(opts.max_connections.clamp(1, 256))
                    .acquire_timeout(opts.acquire_timeout)
                    .test_before_acquire(false)
                    .before_acquire(ping_if_idle)
                    .connect_with(o)
                    .await?,
            );
            Ok(Self {
                writer: pool.clone(),
                pool,
                allocator: None,
                readers: None,
                slot_queues: Some(Default::default()),
                batched: Some(Default::default()),
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
    /// SQLite's allocation: handed to the allocator thread, which commits waiting
    /// allocations together (and hands a replayed Idempotency-Key to the transactional path,
    /// which looks it up under the slot lock).
    async fn allocate_sqlite(&self, req: AllocationRequest) -> StoreResult<Booking> {
        let Some(allocator) = &self.allocator else {
            return crate::allocation::in_transaction(&self.writer, req).await;
        };
        let (reply, answer) = tokio::sync::oneshot::channel();
        allocator
            .send(crate::allocation::sqlite::Job { req, reply })
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
        crate::allocation::sqlite::SETTLED_IN_BATCH.load(Relaxed)
            + crate::allocation::postgres::SETTLED_TOGETHER.load(Relaxed)
    }

    /// How many reads by key (principals, applicants, Idempotency-Keys), in this process,
    /// PostgreSQL answered in a query shared with others (`batched`).
    pub fn reads_answered_together() -> u64 {
        batched::ANSWERED_TOGETHER.load(std::sync::atomic::Ordering::Relaxed)
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

    pub(crate) fn backend(&self) -> Backend {
        self.pool.backend()
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
}
