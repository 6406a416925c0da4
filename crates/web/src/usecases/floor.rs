//! The office floor: priority walk-ins now; check-in, counters and calls as they land.

use chrono::NaiveDate;
use loket_domain::Office;
use loket_domain::availability::{DayStatus, Unbookable};
use loket_domain::floor::PriorityBasis;
use loket_domain::quota::ServiceClass;
use loket_store::{Actor, NewWalkIn, Ticket};

use super::{Refusal, UseCaseResult};
use crate::planning::OfficePlan;
use crate::state::AppState;

/// A priority walk-in as the front desk registers it.
pub struct WalkIn {
    /// Why the person is served as a priority.
    pub basis: PriorityBasis,
    /// The birth date on the ID card.
    pub birth_date: NaiveDate,
}

/// Registers a priority walk-in at `office` for today (the office's date): checks the
/// basis against the birth date, then issues a P ticket within today's priority quota
/// (the sum over today's sessions of the office's priority walk-in places).
pub async fn register_walk_in(
    state: &AppState,
    actor: &Actor,
    office: Office,
    w: WalkIn,
) -> UseCaseResult<Ticket> {
    let now = state.now();
    let today = loket_domain::release::local_date(now, office.time_zone);
    state
        .settings
        .priority_rules()
        .check(w.basis, w.birth_date, today)
        .map_err(|e| Refusal::Field {
            field: "birth_date",
            code: e.code(),
            message: e.to_string(),
        })?;
    let plan = OfficePlan::load(state, office, today, today).await?;
    if let Some(reason) = plan.calendar.closed_reason(today) {
        return Err(Refusal::Unbookable {
            why: Unbookable::Day(DayStatus::Closed(reason)),
            horizon_days: plan.office.booking_horizon_days,
        });
    }
    let quota = plan.day_capacity(today, ServiceClass::PriorityWalkIn);
    Ok(state
        .store
        .issue_walk_in(&NewWalkIn {
            office_code: plan.office.code.clone(),
            service_date: today,
            basis: w.basis,
            quota,
            actor: actor.clone(),
            now,
        })
        .await?)
}

/// The office's tickets of `date`, in the order issued.
pub async fn tickets(
    state: &AppState,
    office_code: &str,
    date: NaiveDate,
) -> UseCaseResult<Vec<Ticket>> {
    Ok(state.store.tickets_of_day(office_code, date).await?)
}
