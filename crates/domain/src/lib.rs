//! Loket's domain: the types and rules of passport appointments, free of I/O and async.
//! Everything a handler or a store needs to decide (is this NIK valid, is the office open,
//! has the quota been released, may this booking be rescheduled) is answered here.

pub mod availability;
pub mod booking;
pub mod booking_code;
pub mod calendar;
pub mod catalogue;
pub mod floor;
pub mod nik;
pub mod notice;
pub mod office;
pub mod quota;
pub mod release;
pub mod staff;
pub mod weekday;

pub use booking::{BillingCode, BookingState, MAX_APPLICANTS_PER_ACCOUNT};
pub use booking_code::{BookingCode, Presented};
pub use nik::{Nik, Sex};
pub use office::{Office, SessionWindow};
pub use quota::ServiceClass;
