//! The store's one error type: business outcomes the caller must handle, and opaque
//! database failures that become a 500 logged once.

use loket_domain::booking::TransitionError;
use loket_domain::floor::{CheckInRefusal, TicketRefusal};

/// What can go wrong in a store call.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    /// The thing asked for does not exist (or is not the caller's).
    #[error("not found")]
    NotFound,
    /// Every place in the slot is held or paid.
    #[error("quota full")]
    QuotaFull,
    /// The day's priority walk-in quota is used up.
    #[error("priority quota full")]
    PriorityQuotaFull,
    /// The NIK already holds an active booking.
    #[error("this NIK already has an active booking")]
    NikHasActiveBooking,
    /// The account already has the maximum number of applicants.
    #[error("applicant limit reached")]
    ApplicantLimitReached,
    /// The account already lists an applicant with this NIK.
    #[error("applicant already registered")]
    ApplicantExists,
    /// The email address is already registered.
    #[error("email already registered")]
    EmailTaken,
    /// The username is already taken.
    #[error("username already taken")]
    UsernameTaken,
    /// The verification code is wrong, used up or expired.
    #[error("verification code invalid")]
    VerificationFailed,
    /// A capacity would fall below the places already taken.
    #[error("capacity below taken places ({taken})")]
    CapacityBelowTaken {
        /// Places currently held or paid.
        taken: i64,
    },
    /// The new booking's random billing code is already in use (about once in two thousand
    /// over a million bookings): the caller draws another and tries again.
    #[error("billing code already in use")]
    BillingCodeTaken,
    /// The same idempotency key was used for a different request.
    #[error("idempotency key reused for a different request")]
    IdempotencyMismatch,
    /// The booking's state does not allow the change.
    #[error(transparent)]
    Transition(#[from] TransitionError),
    /// The booking cannot be checked in (it changed since the desk looked it up).
    #[error(transparent)]
    CheckIn(#[from] CheckInRefusal),
    /// The counter's action does not fit the ticket as it stands.
    #[error(transparent)]
    Ticket(#[from] TicketRefusal),
    /// The office does not run in outage mode today: people come with bookings.
    #[error("the office is not in outage mode")]
    OutageModeOff,
    /// The counter still has a ticket called: finish, send on or mark it absent first.
    #[error("counter still serving {number}")]
    CounterBusy {
        /// The ticket it has called.
        number: String,
    },
    /// A stored value could not be read back (a bug or a hand-edited row).
    #[error("corrupt row: {0}")]
    Corrupt(String),
    /// The database refused a value as malformed (e.g. a NUL character on PostgreSQL):
    /// bad input that slipped past the edge, not an outage.
    #[error("invalid input value")]
    InvalidInput,
    /// The database cannot be reached right now (connection refused or lost, no free
    /// connection within the acquire timeout, server shutting down). Nothing was changed;
    /// the caller may retry, and service resumes by itself when the database is back.
    #[error("database unavailable: {0}")]
    Unavailable(String),
    /// The database failed.
    #[error("database error: {0}")]
    Database(sqlx::Error),
    /// The database failed, on a synchronous SQLite connection.
    #[error("database error: {0}")]
    Sqlite(#[from] rusqlite::Error),
    /// Migrations failed.
    #[error("migration error: {0}")]
    Migrate(#[from] sqlx::migrate::MigrateError),
}

impl From<sqlx::Error> for StoreError {
    fn from(e: sqlx::Error) -> Self {
        // SQLSTATE class 22 is "data exception": the value, not the database, is at fault.
        let data_exception = matches!(&e, sqlx::Error::Database(db)
            if db.code().is_some_and(|c| c.starts_with("22")));
        if data_exception {
            return StoreError::InvalidInput;
        }
        if is_unavailable(&e) {
            return StoreError::Unavailable(e.to_string());
        }
        StoreError::Database(e)
    }
}

/// Whether an error says the database is out of reach rather than that a statement failed.
fn is_unavailable(e: &sqlx::Error) -> bool {
    match e {
        sqlx::Error::Io(_)
        | sqlx::Error::Tls(_)
        | sqlx::Error::PoolTimedOut
        | sqlx::Error::PoolClosed
        | sqlx::Error::WorkerCrashed => true,
        // SQLSTATE class 08: connection exception; 57P01-57P03: the server is shutting
        // down, crashed, or cannot take connections yet.
        sqlx::Error::Database(db) => db.code().is_some_and(|c| {
            c.starts_with("08") || matches!(c.as_ref(), "57P01" | "57P02" | "57P03")
        }),
        _ => false,
    }
}

/// A stored value that cannot be read back.
pub(crate) fn corrupt(what: &str) -> StoreError {
    StoreError::Corrupt(what.to_owned())
}

/// Store result.
pub type StoreResult<T> = Result<T, StoreError>;
