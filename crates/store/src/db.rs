//! A thin, typed bridge over the two sqlx drivers, so each store method is written once.
//! Statements are `&'static str` constants with `$n` placeholders, which both drivers accept;
//! where the dialects must differ (locking), the caller branches on `Backend`.

use chrono::{DateTime, NaiveDate, Utc};
use sqlx::postgres::{PgPool, PgRow};
use sqlx::sqlite::{SqlitePool, SqliteRow};
use sqlx::{Postgres, Row as _, Sqlite, Transaction};
use uuid::Uuid;

/// Which database engine a pool talks to.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Backend {
    /// Embedded, one file, one instance.
    Sqlite,
    /// Server, many instances.
    Postgres,
}

/// A connection pool of either engine.
#[derive(Clone, Debug)]
pub enum Pool {
    /// SQLite pool.
    Sqlite(SqlitePool),
    /// PostgreSQL pool.
    Postgres(PgPool),
}

pub use crate::values::{Arg, sqlite_time};

/// Builds a `Vec<Arg>` from values of mixed types.
#[macro_export]
macro_rules! args {
    ($($x:expr),* $(,)?) => { vec![$($crate::db::Arg::from($x)),*] };
}

type SqliteQuery<'q> = sqlx::query::Query<'q, Sqlite, <Sqlite as sqlx::Database>::Arguments>;
type PgQuery<'q> = sqlx::query::Query<'q, Postgres, <Postgres as sqlx::Database>::Arguments>;

fn bind_sqlite(sql: &'static str, args: Vec<Arg>) -> SqliteQuery<'static> {
    let mut q = sqlx::query::<Sqlite>(sql);
    for a in args {
        q = match a {
            Arg::I64(v) => q.bind(v),
            Arg::Text(v) => q.bind(v),
            Arg::OptText(v) => q.bind(v),
            Arg::Bool(v) => q.bind(v),
            Arg::Uuid(v) => q.bind(v),
            Arg::OptUuid(v) => q.bind(v),
            Arg::Time(v) => q.bind(v),
            Arg::OptTime(v) => q.bind(v),
            Arg::OptI64(v) => q.bind(v),
            Arg::Date(v) => q.bind(v),
        };
    }
    q
}

fn bind_pg(sql: &'static str, args: Vec<Arg>) -> PgQuery<'static> {
    let mut q = sqlx::query::<Postgres>(sql);
    for a in args {
        q = match a {
            Arg::I64(v) => q.bind(v),
            Arg::Text(v) => q.bind(v),
            Arg::OptText(v) => q.bind(v),
            Arg::Bool(v) => q.bind(v),
            Arg::Uuid(v) => q.bind(v),
            Arg::OptUuid(v) => q.bind(v),
            Arg::Time(v) => q.bind(v),
            Arg::OptTime(v) => q.bind(v),
            Arg::OptI64(v) => q.bind(v),
            Arg::Date(v) => q.bind(v),
        };
    }
    q
}

/// A result row of either engine, read by column name.
pub enum Row {
    /// SQLite row.
    Sqlite(SqliteRow),
    /// PostgreSQL row.
    Postgres(PgRow),
    /// SQLite row read by key on the calling thread (see `lite`).
    Lite(crate::lite::LiteRow),
}

macro_rules! getter {
    ($name:ident, $t:ty) => {
        /// Reads a column of this type.
        pub fn $name(&self, col: &str) -> Result<$t, sqlx::Error> {
            match self {
                Row::Sqlite(r) => r.try_get::<$t, _>(col),
                Row::Postgres(r) => r.try_get::<$t, _>(col),
                Row::Lite(r) => r.$name(col),
            }
        }
    };
}

impl Row {
    getter!(i64, i64);
    getter!(opt_i64, Option<i64>);
    getter!(text, String);
    getter!(opt_text, Option<String>);
    getter!(bool, bool);
    getter!(uuid, Uuid);
    getter!(opt_uuid, Option<Uuid>);
    getter!(time, DateTime<Utc>);
    getter!(opt_time, Option<DateTime<Utc>>);
    getter!(date, NaiveDate);
}

impl Pool {
    /// Which engine this is.
    pub fn backend(&self) -> Backend {
        match self {
            Pool::Sqlite(_) => Backend::Sqlite,
            Pool::Postgres(_) => Backend::Postgres,
        }
    }

    /// Starts a transaction that will write. On SQLite it takes the write lock up front
    /// (`BEGIN IMMEDIATE`): a deferred transaction that reads then writes fails with
    /// "database is locked" under contention whatever the busy timeout.
    pub async fn begin_write(&self) -> Result<Tx, sqlx::Error> {
        let inner = match self {
            Pool::Sqlite(p) => TxInner::Sqlite(p.begin_with("BEGIN IMMEDIATE").await?),
            Pool::Postgres(p) => TxInner::Postgres(p.begin().await?),
        };
        Ok(Tx { inner })
    }

    /// Runs a statement, returning the number of rows it changed.
    pub async fn execute(&self, sql: &'static str, args: Vec<Arg>) -> Result<u64, sqlx::Error> {
        match self {
            Pool::Sqlite(p) => bind_sqlite(sql, args)
                .execute(p)
                .await
                .map(|r| r.rows_affected()),
            Pool::Postgres(p) => bind_pg(sql, args)
                .execute(p)
                .await
                .map(|r| r.rows_affected()),
        }
    }

    /// Fetches at most one row.
    pub async fn fetch_optional(
        &self,
        sql: &'static str,
        args: Vec<Arg>,
    ) -> Result<Option<Row>, sqlx::Error> {
        Ok(match self {
            Pool::Sqlite(p) => bind_sqlite(sql, args)
                .fetch_optional(p)
                .await?
                .map(Row::Sqlite),
            Pool::Postgres(p) => bind_pg(sql, args)
                .fetch_optional(p)
                .await?
                .map(Row::Postgres),
        })
    }

    /// Fetches every row.
    pub async fn fetch_all(
        &self,
        sql: &'static str,
        args: Vec<Arg>,
    ) -> Result<Vec<Row>, sqlx::Error> {
        Ok(match self {
            Pool::Sqlite(p) => bind_sqlite(sql, args)
                .fetch_all(p)
                .await?
                .into_iter()
                .map(Row::Sqlite)
                .collect(),
            Pool::Postgres(p) => bind_pg(sql, args)
                .fetch_all(p)
                .await?
                .into_iter()
                .map(Row::Postgres)
                .collect(),
        })
    }
}

/// An open transaction of either engine. Dropped without `commit`, it rolls back.
pub struct Tx {
    inner: TxInner,
}

enum TxInner {
    Sqlite(Transaction<'static, Sqlite>),
    Postgres(Transaction<'static, Postgres>),
}

impl Tx {
    /// Which engine this is.
    pub fn backend(&self) -> Backend {
        match self.inner {
            TxInner::Sqlite(_) => Backend::Sqlite,
            TxInner::Postgres(_) => Backend::Postgres,
        }
    }

    /// Runs a statement, returning the number of rows it changed.
    pub async fn execute(&mut self, sql: &'static str, args: Vec<Arg>) -> Result<u64, sqlx::Error> {
        match &mut self.inner {
            TxInner::Sqlite(t) => bind_sqlite(sql, args)
                .execute(&mut **t)
                .await
                .map(|r| r.rows_affected()),
            TxInner::Postgres(t) => bind_pg(sql, args)
                .execute(&mut **t)
                .await
                .map(|r| r.rows_affected()),
        }
    }

    /// Fetches at most one row.
    pub async fn fetch_optional(
        &mut self,
        sql: &'static str,
        args: Vec<Arg>,
    ) -> Result<Option<Row>, sqlx::Error> {
        Ok(match &mut self.inner {
            TxInner::Sqlite(t) => bind_sqlite(sql, args)
                .fetch_optional(&mut **t)
                .await?
                .map(Row::Sqlite),
            TxInner::Postgres(t) => bind_pg(sql, args)
                .fetch_optional(&mut **t)
                .await?
                .map(Row::Postgres),
        })
    }

    /// Fetches every row.
    pub async fn fetch_all(
        &mut self,
        sql: &'static str,
        args: Vec<Arg>,
    ) -> Result<Vec<Row>, sqlx::Error> {
        Ok(match &mut self.inner {
            TxInner::Sqlite(t) => bind_sqlite(sql, args)
                .fetch_all(&mut **t)
                .await?
                .into_iter()
                .map(Row::Sqlite)
                .collect(),
            TxInner::Postgres(t) => bind_pg(sql, args)
                .fetch_all(&mut **t)
                .await?
                .into_iter()
                .map(Row::Postgres)
                .collect(),
        })
    }

    /// Commits.
    pub async fn commit(self) -> Result<(), sqlx::Error> {
        match self.inner {
            TxInner::Sqlite(t) => t.commit().await,
            TxInner::Postgres(t) => t.commit().await,
        }
    }
}

/// Whether an error is a unique-constraint violation (optionally on a named constraint or
/// index; SQLite names the columns instead, so `hint` is matched against the message too).
pub fn is_unique_violation(e: &sqlx::Error, hint: &str) -> bool {
    match e {
        sqlx::Error::Database(db) if db.is_unique_violation() => {
            hint.is_empty()
                || db.constraint().is_some_and(|c| c.contains(hint))
                || db.message().contains(hint)
        }
        _ => false,
    }
}

/// The text of a statement written per engine, (sqlite, postgres), for this engine.
pub(crate) fn pick(backend: Backend, stmt: (&'static str, &'static str)) -> &'static str {
    match backend {
        Backend::Sqlite => stmt.0,
        Backend::Postgres => stmt.1,
    }
}
