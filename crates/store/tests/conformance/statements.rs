//! The SQL itself: every statement the store may run prepares on a freshly migrated database
//! of each engine, and the two migration folders describe the same schema. This is what the
//! compile-time `query!` macros would check, on both engines instead of one.

use std::collections::BTreeSet;
use std::path::Path;

use loket_store::db::Pool;

use crate::helpers::{Ctx, Engine, TestDb};

conformance!(
    every_statement_prepares_on_a_freshly_migrated_database,
    the_applied_migrations_are_the_files_in_this_engines_folder,
);

async fn every_statement_prepares_on_a_freshly_migrated_database(db: Ctx) {
    let statements = db.store.statements();
    assert!(
        statements.len() > 60,
        "only {} statements listed",
        statements.len()
    );
    let mut failures = Vec::new();
    for sql in statements {
        if let Err(e) = db.store.prepare(sql).await {
            failures.push(format!("{e}\n    in: {sql}"));
        }
    }
    assert!(
        failures.is_empty(),
        "{} statements do not prepare on {:?}:\n{}",
        failures.len(),
        db.engine,
        failures.join("\n")
    );
}

fn migration_files(engine: &str) -> BTreeSet<String> {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("migrations")
        .join(engine);
    std::fs::read_dir(&dir)
        .unwrap_or_else(|e| panic!("read {}: {e}", dir.display()))
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .filter(|n| n.ends_with(".sql"))
        .collect()
}

fn version_of(file: &str) -> i64 {
    file.split('_').next().unwrap().parse().unwrap()
}

/// The names of `pub const NAME: <ty> =` items in `source` whose type is `ty`.
fn constants_of_type(source: &str, ty: &str) -> Vec<String> {
    source
        .lines()
        .filter_map(|l| l.strip_prefix("pub const "))
        .filter_map(|l| l.split_once(':'))
        .filter(|(_, rest)| rest.trim_start().starts_with(&format!("{ty} =")))
        .map(|(name, _)| name.trim().to_owned())
        .collect()
}

/// The names listed in `pub const LIST: ... = &[ ... ];`.
fn listed_in(source: &str, list: &str) -> Vec<String> {
    let start = source
        .find(&format!("pub const {list}:"))
        .unwrap_or_else(|| panic!("{list} not found in src/sql/"));
    let body = &source[start..];
    let open = body.find("= &[").unwrap() + 4;
    let close = body[open..].find("];").unwrap() + open;
    body[open..close]
        .split(',')
        .map(|n| n.trim().to_owned())
        .filter(|n| !n.is_empty())
        .collect()
}

// A statement missing from `SHARED` or `PER_ENGINE` is never prepared by the test above,
// so a typo in it would first show up in production.
#[test]
fn every_statement_constant_is_listed_for_the_prepare_test() {
    // The statements, by concept, in the files of src/sql/.
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("src/sql");
    let mut files: Vec<_> = std::fs::read_dir(&dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|x| x == "rs"))
        .collect();
    files.sort();
    assert!(files.len() > 1, "{files:?}");
    let source: String = files
        .iter()
        .map(|f| std::fs::read_to_string(f).unwrap())
        .collect();
    let mut shared = listed_in(&source, "SHARED");
    shared.extend(listed_in(&source, "POSTGRES_ONLY"));
    let per_engine = listed_in(&source, "PER_ENGINE");
    let missing: Vec<String> = constants_of_type(&source, "&str")
        .into_iter()
        .filter(|n| !shared.contains(n))
        .chain(
            constants_of_type(&source, "(&str, &str)")
                .into_iter()
                .filter(|n| !per_engine.contains(n)),
        )
        .collect();
    assert!(
        missing.is_empty(),
        "not in SHARED/PER_ENGINE/POSTGRES_ONLY: {missing:?}"
    );
    assert!(shared.len() > 60);
}

#[test]
fn both_migration_folders_list_the_same_files() {
    let sqlite = migration_files("sqlite");
    let postgres = migration_files("postgres");
    assert!(!sqlite.is_empty());
    assert_eq!(
        sqlite, postgres,
        "migrations/sqlite and migrations/postgres differ"
    );
}

async fn the_applied_migrations_are_the_files_in_this_engines_folder(db: Ctx) {
    let folder = match db.engine {
        Engine::Sqlite => "sqlite",
        Engine::Postgres => "postgres",
    };
    let expected: Vec<i64> = migration_files(folder)
        .iter()
        .map(|f| version_of(f))
        .collect();
    // Running them again is a no-op, as at every start-up.
    db.store.migrate().await.unwrap();
    let applied: Vec<i64> = db
        .store
        .pool()
        .fetch_all(
            "SELECT version FROM _sqlx_migrations WHERE success = TRUE ORDER BY version",
            vec![],
        )
        .await
        .unwrap()
        .iter()
        .map(|r| r.i64("version").unwrap())
        .collect();
    assert_eq!(applied, expected);
}

/// (table, column) pairs and the explicitly named indexes, outside sqlx's own table.
async fn schema(pool: &Pool) -> (BTreeSet<(String, String)>, BTreeSet<String>) {
    let (columns_sql, indexes_sql) = match pool {
        Pool::Sqlite(_) => (
            "SELECT m.name AS t, p.name AS c FROM sqlite_master m, pragma_table_info(m.name) p \
             WHERE m.type = 'table' AND m.name NOT LIKE 'sqlite_%' AND m.name <> '_sqlx_migrations'",
            // Indexes with SQL text are the ones a CREATE INDEX made (not PK/UNIQUE ones).
            "SELECT name AS i FROM sqlite_master WHERE type = 'index' AND sql IS NOT NULL",
        ),
        Pool::Postgres(_) => (
            "SELECT CAST(table_name AS TEXT) AS t, CAST(column_name AS TEXT) AS c \
             FROM information_schema.columns \
             WHERE table_schema = 'public' AND table_name <> '_sqlx_migrations'",
            "SELECT CAST(indexname AS TEXT) AS i FROM pg_indexes WHERE schemaname = 'public' \
             AND indexname NOT IN (SELECT conname FROM pg_constraint)",
        ),
    };
    let columns = pool
        .fetch_all(columns_sql, vec![])
        .await
        .unwrap()
        .iter()
        .map(|r| (r.text("t").unwrap(), r.text("c").unwrap()))
        .collect();
    let indexes = pool
        .fetch_all(indexes_sql, vec![])
        .await
        .unwrap()
        .iter()
        .map(|r| r.text("i").unwrap())
        .collect();
    (columns, indexes)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn both_engines_end_up_with_the_same_tables_columns_and_indexes() {
    let sqlite = TestDb::create(Engine::Sqlite).await;
    let postgres = TestDb::create(Engine::Postgres).await;
    let (sqlite_columns, sqlite_indexes) = schema(sqlite.ctx().store.pool()).await;
    let (pg_columns, pg_indexes) = schema(postgres.ctx().store.pool()).await;
    sqlite.destroy().await;
    postgres.destroy().await;
    assert!(sqlite_columns.len() > 100, "{sqlite_columns:?}");
    let only_sqlite: Vec<_> = sqlite_columns.difference(&pg_columns).collect();
    let only_pg: Vec<_> = pg_columns.difference(&sqlite_columns).collect();
    assert!(
        only_sqlite.is_empty() && only_pg.is_empty(),
        "columns only on SQLite: {only_sqlite:?}; only on PostgreSQL: {only_pg:?}"
    );
    assert!(sqlite_indexes.contains("bookings_one_active_per_nik"));
    assert_eq!(sqlite_indexes, pg_indexes);
}

/// Tables that grow with every booking (or account) and must never be read in full on a
/// request's path: a lookup, count or sweep on them goes through an index.
/// The statements' aliases count too (`bookings b`, `auth_tokens t`, `accounts a`).
const GROWING_TABLES: [&str; 10] = [
    "bookings",
    "applicants",
    "accounts",
    "auth_tokens",
    "booking_events",
    "booking_notices",
    "b",
    "t",
    "a",
    "n",
];

/// Partial indexes that hold only the rows a worker has still to handle: handling a row
/// takes it out (the notices worker marks each event it notices), so a scan of one reads
/// the backlog, never the table.
const BACKLOG_INDEXES: [&str; 1] = ["booking_events_unnoticed"];

/// The SQLite plans of every statement: a full scan of a growing table is a bug that only
/// shows under load. This guards the 0003 migration, which dropped indexes that the
/// partial one-active-per-NIK index serves only if a query repeats its condition verbatim.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn no_statement_reads_a_growing_table_in_full_on_sqlite() {
    let db = TestDb::create(Engine::Sqlite).await;
    let ctx = db.ctx();
    let path = ctx.url.trim_start_matches("sqlite://").to_owned();
    let statements = ctx.store.statements();
    let conn = rusqlite::Connection::open(&path).unwrap();
    let mut scans = Vec::new();
    let mut searched = 0;
    for sql in statements {
        let mut stmt = conn.prepare(&format!("EXPLAIN QUERY PLAN {sql}")).unwrap();
        // Parameters stay unbound (NULL): the plan does not depend on their values.
        let mut rows = stmt.raw_query();
        let mut details = Vec::new();
        while let Some(r) = rows.next().unwrap() {
            details.push(r.get::<_, String>(3).unwrap());
        }
        for d in details {
            let mut words = d.split_whitespace();
            let (verb, table) = (words.next(), words.next());
            let table = table.unwrap_or("");
            if verb == Some("SEARCH") && (table == "bookings" || table == "b") {
                searched += 1;
            }
            let backlog = BACKLOG_INDEXES
                .iter()
                .any(|i| d.ends_with(&format!("USING INDEX {i}")));
            if verb == Some("SCAN") && GROWING_TABLES.contains(&table) && !backlog {
                scans.push(format!("{d}\n    in: {sql}"));
            }
        }
    }
    drop(conn);
    db.destroy().await;
    // The check itself works: the NIK and account lookups were seen using an index.
    assert!(searched >= 8, "only {searched} index searches of bookings");
    assert!(scans.is_empty(), "full scans:\n{}", scans.join("\n"));
}
