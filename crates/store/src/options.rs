//! How the store connects: pool sizes, waits, and how durable a SQLite commit is.

use std::time::Duration;

/// Connection settings.
#[derive(Clone, Debug)]
pub struct StoreOptions {
    /// Pool size.
    pub max_connections: u32,
    /// How long SQLite waits for the write lock before giving up.
    pub busy_timeout: Duration,
    /// When a SQLite commit reaches the disk (every writer connection). PostgreSQL's own
    /// `synchronous_commit` is the server's to set.
    pub sqlite_synchronous: SqliteDurability,
    /// How long a call waits for a PostgreSQL connection (including making one) before
    /// answering `Unavailable`: while the database is down, requests fail in this time
    /// instead of hanging.
    pub acquire_timeout: Duration,
}

impl Default for StoreOptions {
    fn default() -> Self {
        Self {
            max_connections: 16,
            busy_timeout: Duration::from_secs(10),
            sqlite_synchronous: SqliteDurability::Full,
            acquire_timeout: Duration::from_secs(3),
        }
    }
}

/// SQLite's `synchronous` setting on a WAL database.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum SqliteDurability {
    /// `FULL`: the WAL is synced at every commit, so a commit that was acknowledged
    /// survives a power cut or an operating-system crash (group commit makes it one sync
    /// per batch of allocations).
    #[default]
    Full,
    /// `NORMAL`: the WAL is synced only at checkpoints. A killed process loses nothing,
    /// but a power cut or OS crash can lose the last commits, acknowledged payments
    /// included.
    Normal,
}

impl SqliteDurability {
    /// The pragma's value.
    pub fn as_pragma(self) -> &'static str {
        match self {
            Self::Full => "FULL",
            Self::Normal => "NORMAL",
        }
    }
}
