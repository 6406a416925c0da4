//! The use cases between the handlers and the store: what an applicant or a staff member
//! asks Loket to do, with the rules applied in order and the store called once for what
//! must be atomic. Each takes plain parsed input (never an HTTP extractor) and returns a
//! typed outcome or a typed [`Refusal`]; the JSON API renders a refusal as problem+json
//! (`error.rs`), a page renders the same value as a translated message beside the form.
//! Handlers only parse input, call one of these, and render.

pub mod accounts;
pub mod applicants;
pub mod availability;
pub mod board;
pub mod bookings;
pub mod fields;
pub mod floor;
pub mod notices;
pub mod payments;
pub mod reference;
mod refusal;
#[cfg(test)]
mod testing;

pub use refusal::{Attempts, FieldProblem, Login, Refusal, UseCaseResult};
