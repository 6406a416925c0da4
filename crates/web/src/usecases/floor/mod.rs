//! The office floor: check-in and priority walk-ins at the front desk, the counters, and
//! what the head of office sees of the day. Each module is one concept; the names are
//! handed on here.

mod assisted;
mod check_in;
mod counters;
mod view;
mod walk_in;

use chrono::NaiveDate;
use loket_domain::Office;
use loket_store::Ticket;

pub use assisted::{AssistedInput, assisted, book_assisted};
pub use check_in::{Arrival, check_in, find_arrival, special_reschedule};
pub use counters::{Act, Counter, CounterDay, MAX_COUNTER, act, call_next, counter_day};
pub use view::{FloorView, floor_view};
pub use walk_in::{
    DeskDay, WalkIn, desk_day, raise_priority_quota, register_outage_walk_in, register_walk_in,
    set_outage,
};

use super::{Refusal, UseCaseResult};
use crate::state::AppState;

/// A ticket of `office`, by its id.
pub async fn ticket(state: &AppState, office: &Office, id: uuid::Uuid) -> UseCaseResult<Ticket> {
    state
        .store
        .get_ticket(id)
        .await?
        .filter(|t| t.office_code == office.code)
        .ok_or(Refusal::NotFound("ticket"))
}

/// The office's tickets of `date`, in the order issued.
pub async fn tickets(
    state: &AppState,
    office_code: &str,
    date: NaiveDate,
) -> UseCaseResult<Vec<Ticket>> {
    Ok(state.store.tickets_of_day(office_code, date).await?)
}

/// The ticket a booking was checked in with, if it was.
pub async fn ticket_of(state: &AppState, booking: uuid::Uuid) -> UseCaseResult<Option<Ticket>> {
    Ok(state.store.ticket_of_booking(booking).await?)
}

/// A ticket by its id, whatever its office (the phone page's key is the id itself).
pub async fn ticket_by_id(state: &AppState, id: uuid::Uuid) -> UseCaseResult<Ticket> {
    state
        .store
        .get_ticket(id)
        .await?
        .ok_or(Refusal::NotFound("ticket"))
}
