//! The values Loket binds to statements, shared by the sqlx bridge (`db`) and the
//! synchronous SQLite connections (`lite`, the allocator).

use chrono::{DateTime, NaiveDate, Utc};
use uuid::Uuid;

/// A bound parameter. Only the types Loket stores, each mapped to the native column type.
#[derive(Clone, Debug)]
pub enum Arg {
    /// BIGINT.
    I64(i64),
    /// Nullable BIGINT.
    OptI64(Option<i64>),
    /// TEXT.
    Text(String),
    /// Nullable TEXT.
    OptText(Option<String>),
    /// BOOLEAN (INTEGER on SQLite).
    Bool(bool),
    /// UUID (BLOB on SQLite).
    Uuid(Uuid),
    /// Nullable UUID.
    OptUuid(Option<Uuid>),
    /// TIMESTAMPTZ (TEXT on SQLite); always UTC.
    Time(DateTime<Utc>),
    /// Nullable TIMESTAMPTZ.
    OptTime(Option<DateTime<Utc>>),
    /// DATE (TEXT on SQLite).
    Date(NaiveDate),
}

macro_rules! arg_from {
    ($t:ty, $v:ident) => {
        impl From<$t> for Arg {
            fn from(x: $t) -> Self {
                Arg::$v(x)
            }
        }
    };
}
arg_from!(i64, I64);
arg_from!(Option<i64>, OptI64);
arg_from!(String, Text);
arg_from!(Option<String>, OptText);
arg_from!(bool, Bool);
arg_from!(Uuid, Uuid);
arg_from!(Option<Uuid>, OptUuid);
arg_from!(DateTime<Utc>, Time);
arg_from!(Option<DateTime<Utc>>, OptTime);
arg_from!(NaiveDate, Date);

impl From<&str> for Arg {
    fn from(x: &str) -> Self {
        Arg::Text(x.to_owned())
    }
}

impl From<&String> for Arg {
    fn from(x: &String) -> Self {
        Arg::Text(x.clone())
    }
}

impl From<u32> for Arg {
    fn from(x: u32) -> Self {
        Arg::I64(i64::from(x))
    }
}

/// An instant as sqlx writes it to SQLite (RFC 3339, "+00:00", only the fraction digits
/// needed), for code that writes the same columns without sqlx.
pub fn sqlite_time(t: DateTime<Utc>) -> String {
    t.to_rfc3339_opts(chrono::SecondsFormat::AutoSi, false)
}
