//! Synchronous SQLite access with rusqlite (the same bundled SQLite as sqlx): the
//! allocator's connection and the single-row reads by key.
//!
//! sqlx runs each SQLite connection on a thread of its own and hands every statement and
//! every row across a channel; for a read by key the two thread wake-ups cost ten times
//! the read itself (measured in docs/PERFORMANCE.md). A read by key on a WAL database
//! never waits for the writer and touches a handful of cached pages, so [`Readers`] runs
//! it on the calling thread instead. Only reads that return at most one row through a
//! unique key go here; scans and lists stay on sqlx.

use std::path::{Path, PathBuf};
use std::sync::Mutex;
use std::time::Duration;

use chrono::{DateTime, NaiveDate, NaiveDateTime, Utc};
use rusqlite::types::Value;
use rusqlite::{Connection, OpenFlags};
use uuid::Uuid;

use crate::options::StoreOptions;
use crate::values::{Arg, sqlite_time};

/// Parameter names `$1`, `$2`, ...: SQLite numbers `$N` parameters in order of first
/// appearance in the text, not by N, so they are bound by name, never by position.
const NAMES: [&str; 32] = [
    "$1", "$2", "$3", "$4", "$5", "$6", "$7", "$8", "$9", "$10", "$11", "$12", "$13", "$14", "$15",
    "$16", "$17", "$18", "$19", "$20", "$21", "$22", "$23", "$24", "$25", "$26", "$27", "$28",
    "$29", "$30", "$31", "$32",
];

/// The value sqlx would bind for an argument, so rows written here read back the same.
pub(crate) fn value(a: Arg) -> Value {
    match a {
        Arg::I64(v) => Value::Integer(v),
        Arg::Text(v) => Value::Text(v),
        Arg::OptText(v) => v.map_or(Value::Null, Value::Text),
        Arg::Bool(v) => Value::Integer(i64::from(v)),
        Arg::Uuid(v) => Value::Blob(v.as_bytes().to_vec()),
        Arg::OptUuid(v) => v.map_or(Value::Null, |u| Value::Blob(u.as_bytes().to_vec())),
        Arg::Time(v) => Value::Text(sqlite_time(v)),
        Arg::OptTime(v) => v.map_or(Value::Null, |t| Value::Text(sqlite_time(t))),
        Arg::OptI64(v) => v.map_or(Value::Null, Value::Integer),
        Arg::Date(v) => Value::Text(v.format("%F").to_string()),
    }
}

/// Binds `args` to `stmt` as `$1`, `$2`, ...
fn bind(stmt: &mut rusqlite::CachedStatement<'_>, args: Vec<Arg>) -> rusqlite::Result<()> {
    if args.len() > NAMES.len() {
        return Err(rusqlite::Error::InvalidParameterCount(
            args.len(),
            NAMES.len(),
        ));
    }
    for (name, a) in NAMES.iter().zip(args) {
        if let Some(i) = stmt.parameter_index(name)? {
            stmt.raw_bind_parameter(i, value(a))?;
        }
    }
    Ok(())
}

/// Runs `stmt` with `args` bound as `$1`, `$2`, ... and maps its first row, if any.
pub(crate) fn query_row<T>(
    stmt: &mut rusqlite::CachedStatement<'_>,
    args: Vec<Arg>,
    f: impl FnOnce(&rusqlite::Row<'_>) -> rusqlite::Result<T>,
) -> rusqlite::Result<Option<T>> {
    bind(stmt, args)?;
    let mut rows = stmt.raw_query();
    rows.next()?.map(f).transpose()
}

/// Runs `stmt` with `args` bound as `$1`, `$2`, ..., returning the rows it changed.
pub(crate) fn execute(
    stmt: &mut rusqlite::CachedStatement<'_>,
    args: Vec<Arg>,
) -> rusqlite::Result<usize> {
    bind(stmt, args)?;
    stmt.raw_execute()
}

/// Opens a connection to the Loket database at `path` as every Loket connection that
/// writes is set up (sqlx's writer pool gets the same pragmas in `SqlStore::connect`).
pub(crate) fn open(path: &Path, opts: &StoreOptions) -> rusqlite::Result<Connection> {
    let conn = Connection::open(path)?;
    conn.busy_timeout(opts.busy_timeout)?;
    conn.pragma_update(None, "journal_mode", "WAL")?;
    conn.pragma_update(None, "synchronous", opts.sqlite_synchronous.as_pragma())?;
    conn.pragma_update(None, "foreign_keys", "ON")?;
    conn.set_prepared_statement_cache_capacity(64);
    Ok(conn)
}

/// A row read by rusqlite: its columns by name, decoded on demand as sqlx decodes them.
#[derive(Debug)]
pub struct LiteRow {
    columns: Vec<(String, Value)>,
}

/// Why a column could not be read.
fn decode_error(col: &str, what: &str) -> sqlx::Error {
    sqlx::Error::Decode(format!("column {col}: {what}").into())
}

impl LiteRow {
    fn from_row(row: &rusqlite::Row<'_>) -> rusqlite::Result<Self> {
        let stmt = row.as_ref();
        let mut columns = Vec::with_capacity(stmt.column_count());
        for i in 0..stmt.column_count() {
            columns.push((stmt.column_name(i)?.to_owned(), row.get::<_, Value>(i)?));
        }
        Ok(Self { columns })
    }

    fn get(&self, col: &str) -> Result<&Value, sqlx::Error> {
        self.columns
            .iter()
            .find(|(n, _)| n == col)
            .map(|(_, v)| v)
            .ok_or_else(|| sqlx::Error::ColumnNotFound(col.to_owned()))
    }

    pub(crate) fn i64(&self, col: &str) -> Result<i64, sqlx::Error> {
        match self.get(col)? {
            Value::Integer(v) => Ok(*v),
            _ => Err(decode_error(col, "not an integer")),
        }
    }

    pub(crate) fn opt_i64(&self, col: &str) -> Result<Option<i64>, sqlx::Error> {
        match self.get(col)? {
            Value::Null => Ok(None),
            Value::Integer(v) => Ok(Some(*v)),
            _ => Err(decode_error(col, "not an integer")),
        }
    }

    pub(crate) fn opt_text(&self, col: &str) -> Result<Option<String>, sqlx::Error> {
        match self.get(col)? {
            Value::Null => Ok(None),
            Value::Text(s) => Ok(Some(s.clone())),
            _ => Err(decode_error(col, "not text")),
        }
    }

    pub(crate) fn text(&self, col: &str) -> Result<String, sqlx::Error> {
        self.opt_text(col)?
            .ok_or_else(|| decode_error(col, "unexpected NULL"))
    }

    pub(crate) fn bool(&self, col: &str) -> Result<bool, sqlx::Error> {
        Ok(self.i64(col)? != 0)
    }

    pub(crate) fn opt_uuid(&self, col: &str) -> Result<Option<Uuid>, sqlx::Error> {
        match self.get(col)? {
            Value::Null => Ok(None),
            Value::Blob(b) => Uuid::from_slice(b)
                .map(Some)
                .map_err(|e| decode_error(col, &e.to_string())),
            _ => Err(decode_error(col, "not a UUID blob")),
        }
    }

    pub(crate) fn uuid(&self, col: &str) -> Result<Uuid, sqlx::Error> {
        self.opt_uuid(col)?
            .ok_or_else(|| decode_error(col, "unexpected NULL"))
    }

    pub(crate) fn opt_time(&self, col: &str) -> Result<Option<DateTime<Utc>>, sqlx::Error> {
        let Some(s) = self.opt_text(col)? else {
            return Ok(None);
        };
        // What sqlx writes (RFC 3339), or SQLite's own CURRENT_TIMESTAMP form.
        DateTime::parse_from_rfc3339(&s)
            .map(|t| t.with_timezone(&Utc))
            .or_else(|_| NaiveDateTime::parse_from_str(&s, "%F %T%.f").map(|t| t.and_utc()))
            .map(Some)
            .map_err(|e| decode_error(col, &e.to_string()))
    }

    pub(crate) fn time(&self, col: &str) -> Result<DateTime<Utc>, sqlx::Error> {
        self.opt_time(col)?
            .ok_or_else(|| decode_error(col, "unexpected NULL"))
    }

    pub(crate) fn date(&self, col: &str) -> Result<NaiveDate, sqlx::Error> {
        NaiveDate::parse_from_str(&self.text(col)?, "%F")
            .map_err(|e| decode_error(col, &e.to_string()))
    }
}

/// Connections for reads by key, used on the calling thread. A connection is taken for
/// one synchronous read and put back, so there are never more than the threads reading
/// at once (the runtime's workers).
#[derive(Debug)]
pub struct Readers {
    path: PathBuf,
    busy_timeout: Duration,
    idle: Mutex<Vec<Connection>>,
}

impl Readers {
    /// Readers of the SQLite file at `path` (which must exist).
    pub(crate) fn new(path: PathBuf, busy_timeout: Duration) -> Self {
        Self {
            path,
            busy_timeout,
            idle: Mutex::new(Vec::new()),
        }
    }

    fn take(&self) -> rusqlite::Result<Connection> {
        let idle = self.idle.lock().ok().and_then(|mut v| v.pop());
        match idle {
            Some(c) => Ok(c),
            None => {
                let c = Connection::open_with_flags(
                    &self.path,
                    OpenFlags::SQLITE_OPEN_READ_ONLY | OpenFlags::SQLITE_OPEN_NO_MUTEX,
                )?;
                c.busy_timeout(self.busy_timeout)?;
                c.set_prepared_statement_cache_capacity(64);
                Ok(c)
            }
        }
    }

    fn give_back(&self, c: Connection) {
        if let Ok(mut v) = self.idle.lock() {
            v.push(c);
        }
    }

    /// Reads at most one row of `sql` (a read by key) with `args` bound as `$1`, `$2`, ...
    pub(crate) fn fetch_optional(
        &self,
        sql: &str,
        args: Vec<Arg>,
    ) -> rusqlite::Result<Option<LiteRow>> {
        let conn = self.take()?;
        let row = {
            let mut stmt = conn.prepare_cached(sql)?;
            query_row(&mut stmt, args, LiteRow::from_row)
        };
        // A connection that failed is dropped rather than reused.
        if row.is_ok() {
            self.give_back(conn);
        }
        row
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;
    use crate::db::{Pool, Row};
    use chrono::TimeZone;

    /// The allocator's and the checkpointer's connections sync every commit unless told
    /// otherwise: an acknowledged booking survives a power cut.
    #[test]
    fn writer_connections_sync_every_commit_by_default() {
        let dir = std::env::temp_dir().join(format!("loket-lite-{}", Uuid::now_v7()));
        std::fs::create_dir_all(&dir).unwrap();
        let level = |opts: &StoreOptions| -> i64 {
            let conn = open(&dir.join("s.db"), opts).unwrap();
            conn.query_row("PRAGMA synchronous", [], |r| r.get(0))
                .unwrap()
        };
        // 2 is FULL, 1 is NORMAL.
        assert_eq!(level(&StoreOptions::default()), 2);
        let relaxed = StoreOptions {
            sqlite_synchronous: crate::SqliteDurability::Normal,
            ..StoreOptions::default()
        };
        assert_eq!(level(&relaxed), 1);
        let _ = std::fs::remove_dir_all(&dir);
    }

    /// Every getter reads a row written by sqlx exactly as sqlx itself reads it back.
    #[tokio::test]
    async fn rows_read_here_decode_like_sqlx() {
        let dir = std::env::temp_dir().join(format!("loket-lite-{}", Uuid::now_v7()));
        std::fs::create_dir_all(&dir).unwrap();
        let path = dir.join("t.db");
        let pool = sqlx::sqlite::SqlitePoolOptions::new()
            .connect_with(
                sqlx::sqlite::SqliteConnectOptions::new()
                    .filename(&path)
                    .create_if_missing(true)
                    .journal_mode(sqlx::sqlite::SqliteJournalMode::Wal),
            )
            .await
            .unwrap();
        let pool = Pool::Sqlite(pool);
        pool.execute(
            "CREATE TABLE t (k TEXT PRIMARY KEY, i BIGINT, s TEXT, ns TEXT, b INTEGER, u BLOB, \
             nu BLOB, t TEXT, nt TEXT, d TEXT, ts TEXT DEFAULT CURRENT_TIMESTAMP)",
            vec![],
        )
        .await
        .unwrap();
        let at = Utc.with_ymd_and_hms(2026, 11, 24, 1, 2, 3).unwrap()
            + chrono::Duration::microseconds(456_789);
        for (k, at) in [
            ("a", at),
            ("b", at - chrono::Duration::microseconds(456_789)),
        ] {
            pool.execute(
                "INSERT INTO t (k, i, s, ns, b, u, nu, t, nt, d) \
                 VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)",
                crate::args![
                    k,
                    -42_i64,
                    "Palembang — ñ",
                    None::<String>,
                    true,
                    Uuid::now_v7(),
                    None::<Uuid>,
                    at,
                    None::<DateTime<Utc>>,
                    NaiveDate::from_ymd_opt(2027, 1, 31).unwrap()
                ],
            )
            .await
            .unwrap();
            let sql = "SELECT * FROM t WHERE k = $1";
            let a = pool
                .fetch_optional(sql, crate::args![k])
                .await
                .unwrap()
                .unwrap();
            let readers = Readers::new(path.clone(), Duration::from_secs(1));
            let b = Row::Lite(
                readers
                    .fetch_optional(sql, crate::args![k])
                    .unwrap()
                    .unwrap(),
            );
            assert!(matches!(a, Row::Sqlite(_)));
            assert_eq!(a.i64("i").unwrap(), b.i64("i").unwrap());
            assert_eq!(a.text("s").unwrap(), b.text("s").unwrap());
            assert_eq!(a.opt_text("ns").unwrap(), b.opt_text("ns").unwrap());
            assert_eq!(a.bool("b").unwrap(), b.bool("b").unwrap());
            assert_eq!(a.uuid("u").unwrap(), b.uuid("u").unwrap());
            assert_eq!(a.opt_uuid("nu").unwrap(), b.opt_uuid("nu").unwrap());
            assert_eq!(a.time("t").unwrap(), at);
            assert_eq!(b.time("t").unwrap(), at);
            assert_eq!(a.opt_time("nt").unwrap(), b.opt_time("nt").unwrap());
            assert_eq!(a.date("d").unwrap(), b.date("d").unwrap());
            assert_eq!(a.time("ts").unwrap(), b.time("ts").unwrap());
            // A missing column is an error, not a panic, on both.
            assert!(a.i64("missing").is_err() && b.i64("missing").is_err());
            assert!(b.text("i").is_err());
        }
        // A key that matches nothing is None.
        let readers = Readers::new(path.clone(), Duration::from_secs(1));
        assert!(
            readers
                .fetch_optional("SELECT * FROM t WHERE k = $1", crate::args!["zz"])
                .unwrap()
                .is_none()
        );
        let _ = std::fs::remove_dir_all(&dir);
    }

    /// `$N` binds by name: a statement that names its parameters out of order still
    /// gets each value in its place.
    #[test]
    fn parameters_bind_by_name_not_position() {
        let conn = Connection::open_in_memory().unwrap();
        let mut stmt = conn.prepare_cached("SELECT $2 || '-' || $1").unwrap();
        let got = query_row(&mut stmt, crate::args!["one", "two"], |r| {
            r.get::<_, String>(0)
        })
        .unwrap()
        .unwrap();
        assert_eq!(got, "two-one");
    }
}
