//! What the head of office sees of the floor: waiting per class and stage, the longest
//! wait, the counters open, served today, and the priority quota's standing.

use chrono::Duration;
use loket_domain::Office;
use loket_domain::floor::{Stage, TicketState};

use super::desk_day;
use crate::state::AppState;
use crate::usecases::UseCaseResult;
use crate::usecases::board::snapshot;

/// The floor's figures now.
pub struct FloorView {
    /// The number of the office's latest floor event (the page's stream goes on from it).
    pub seq: i64,
    /// Priority tickets waiting at the documents stage.
    pub waiting_priority: i64,
    /// Regular (booked and outage) tickets waiting at the documents stage.
    pub waiting_regular: i64,
    /// Tickets waiting at pickup.
    pub waiting_pickup: i64,
    /// The longest wait of a ticket waiting now, in minutes.
    pub longest_wait_minutes: i64,
    /// Counters that called in the last hour.
    pub counters_open: i64,
    /// Tickets being served now.
    pub serving: i64,
    /// Tickets finished today.
    pub served: i64,
    /// Today's priority quota (None when closed) and the priority tickets issued.
    pub priority_quota: Option<i64>,
    /// Priority tickets issued today.
    pub priority_issued: i64,
}

/// The floor of `office` now.
pub async fn floor_view(state: &AppState, office: &Office) -> UseCaseResult<FloorView> {
    let seq = state.store.last_floor_seq(&office.code).await?;
    let day = desk_day(state, office).await?;
    let now = state.now();
    let count = |f: &dyn Fn(&loket_store::Ticket) -> bool| {
        i64::try_from(day.tickets.iter().filter(|t| f(t)).count()).unwrap_or(i64::MAX)
    };
    let waiting = |t: &loket_store::Ticket| t.state == TicketState::Waiting;
    let longest = day
        .tickets
        .iter()
        .filter(|t| waiting(t))
        .map(|t| {
            now - t
                .waiting()
                .arrived_at
                .max(t.session_start.unwrap_or(t.waiting_since))
        })
        .max()
        .unwrap_or_else(Duration::zero)
        .num_minutes()
        .max(0);
    let board = snapshot(&day.tickets, state.settings.call_policy(), now);
    Ok(FloorView {
        seq,
        waiting_priority: count(&|t| {
            waiting(t) && t.stage == Stage::Documents && t.number.series.is_priority()
        }),
        waiting_regular: count(&|t| {
            waiting(t) && t.stage == Stage::Documents && !t.number.series.is_priority()
        }),
        waiting_pickup: count(&|t| waiting(t) && t.stage == Stage::Pickup),
        longest_wait_minutes: longest,
        counters_open: i64::try_from(board.counters_open).unwrap_or(i64::MAX),
        serving: count(&|t| t.state == TicketState::Called),
        served: count(&|t| t.state == TicketState::Done),
        priority_quota: day.priority_quota,
        priority_issued: day.priority_issued,
    })
}
