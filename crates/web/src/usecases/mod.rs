//! The use cases between the handlers and the store: what an applicant or a staff member
//! asks Loket to do, with the rules applied in order and the store called once for what
//! must be atomic. Each returns a typed outcome or a typed [`Refusal`]; the JSON API renders
//! a refusal as problem+json (`error.rs`), a page renders the same value as a translated
//! message beside the form. Handlers only parse input and render.

pub mod availability;
pub mod bookings;
pub mod reference;
mod refusal;

pub use refusal::{Refusal, UseCaseResult};
