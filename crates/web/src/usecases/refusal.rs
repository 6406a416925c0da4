//! Why a use case said no: one value per business reason, carrying what a reader needs
//! (which field, when a date opens, how many places are taken), never an HTTP status or a
//! sentence in one language. `From<Refusal> for ApiError` is the API's one rendering.

use chrono::{DateTime, Utc};
use loket_domain::availability::Unbookable;
use loket_domain::booking::TransitionError;
use loket_domain::floor::CheckInRefusal;
use loket_domain::nik::NikError;
use loket_store::StoreError;

/// A use case's refusal.
#[derive(Debug)]
pub enum Refusal {
    /// A value names nothing the caller may use: `what` is "office", "booking", ...
    NotFound(&'static str),
    /// Some typed fields break their rules, each listed (a form shows each beside its
    /// field).
    Invalid(Vec<FieldProblem>),
    /// A field breaks a rule; `code` is stable (e.g. "unknown_applicant"), `message` the
    /// English explanation the API sends.
    Field {
        /// The field.
        field: &'static str,
        /// Stable code, a translation key for pages.
        code: &'static str,
        /// English text.
        message: String,
    },
    /// The date, session or class cannot be booked online now; `horizon_days` is the
    /// office's booking horizon, for the message.
    Unbookable {
        /// Why.
        why: Unbookable,
        /// The office's booking horizon in days.
        horizon_days: u32,
    },
    /// A move to the slot the booking already has.
    SameSlot,
    /// The booking's state or date does not allow the change.
    Transition(TransitionError),
    /// The booking cannot be checked in (now, here).
    CheckIn(CheckInRefusal),
    /// The NIK is malformed or does not match the birth date and sex.
    InvalidNik(NikError),
    /// The login and password do not match an account (or a staff member).
    InvalidCredentials(Login),
    /// The account's email address is not verified yet.
    EmailNotVerified,
    /// Too many attempts of one kind (see [`Attempts`]): refused, whatever they carry,
    /// until the limit's window ends.
    TooManyAttempts {
        /// What was tried too often.
        what: Attempts,
        /// Seconds until the next try is taken.
        retry_after_seconds: i64,
    },
    /// The session's account no longer exists.
    NotLoggedIn,
    /// A bank notification whose signature does not match its body.
    InvalidSignature,
    /// Something failed on our side; the cause is logged, never shown.
    Internal(String),
    /// A store outcome the caller must hear (quota full, NIK busy, key reused, ...), or a
    /// failure of the store itself.
    Store(StoreError),
}

/// Which kind of login was refused, for the message.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Login {
    /// An applicant's email address.
    Email,
    /// A staff member's username.
    Username,
}

/// What a [`Refusal::TooManyAttempts`] counted (`crate::limits::Limits` has one limiter
/// each).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Attempts {
    /// Failed logins of one email address or staff username.
    Logins,
    /// Wrong one-time codes entered for one email address.
    Codes,
    /// Codes mailed to one email address.
    Mails,
    /// Registrations and code requests from one client address.
    Requests,
}

impl Refusal {
    /// Refused for `what` until `until` (at least a second from `now`).
    pub fn too_many(what: Attempts, until: DateTime<Utc>, now: DateTime<Utc>) -> Self {
        Refusal::TooManyAttempts {
            what,
            retry_after_seconds: (until - now).num_seconds().max(1),
        }
    }
}

/// One field's problem: which field, a stable code (a translation key for pages), and the
/// English text the API sends.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct FieldProblem {
    /// The field, e.g. "birth_date".
    pub field: String,
    /// Stable snake_case code, e.g. "in_future".
    pub code: String,
    /// English explanation.
    pub message: String,
}

/// A use case's result.
pub type UseCaseResult<T> = Result<T, Refusal>;

impl From<StoreError> for Refusal {
    fn from(e: StoreError) -> Self {
        match e {
            StoreError::NotFound => Refusal::NotFound("resource"),
            StoreError::Transition(t) => Refusal::Transition(t),
            StoreError::CheckIn(c) => Refusal::CheckIn(c),
            e => Refusal::Store(e),
        }
    }
}

impl From<TransitionError> for Refusal {
    fn from(t: TransitionError) -> Self {
        Refusal::Transition(t)
    }
}
