//! Why a use case said no: one value per business reason, carrying what a reader needs
//! (which field, when a date opens, how many places are taken), never an HTTP status or a
//! sentence in one language. `From<Refusal> for ApiError` is the API's one rendering.

use loket_domain::availability::Unbookable;
use loket_domain::booking::TransitionError;
use loket_store::StoreError;

/// A use case's refusal.
#[derive(Debug)]
pub enum Refusal {
    /// A value names nothing the caller may use: `what` is "office", "booking", ...
    NotFound(&'static str),
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
    /// A store outcome the caller must hear (quota full, NIK busy, key reused, ...), or a
    /// failure of the store itself.
    Store(StoreError),
}

/// A use case's result.
pub type UseCaseResult<T> = Result<T, Refusal>;

impl From<StoreError> for Refusal {
    fn from(e: StoreError) -> Self {
        match e {
            StoreError::NotFound => Refusal::NotFound("resource"),
            StoreError::Transition(t) => Refusal::Transition(t),
            e => Refusal::Store(e),
        }
    }
}

impl From<TransitionError> for Refusal {
    fn from(t: TransitionError) -> Self {
        Refusal::Transition(t)
    }
}
