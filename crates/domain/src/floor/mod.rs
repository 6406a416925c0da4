//! The office floor: queue tickets and how they are read out, who may be served as a
//! priority walk-in, when a booking may be checked in, and the order counters call in.
//! Rules only; the store numbers tickets and keeps the queue.

pub mod board;
pub mod call;
pub mod check_in;
pub mod counter;
pub mod priority;
pub mod ticket;

pub use board::FloorEventKind;
pub use call::{CallPolicy, Waiting, estimated_wait_minutes, next_to_call, predicted_order};
pub use check_in::{CheckInRefusal, CheckInWindow, Visit};
pub use counter::{CounterAction, Outcome, RejectReason, Stage, TicketRefusal};
pub use priority::{PriorityBasis, PriorityRefusal, PriorityRules};
pub use ticket::{Series, TicketNumber, TicketState};
