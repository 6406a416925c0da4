//! Priority walk-ins at the front desk, within today's priority quota, and the desk's day.

use chrono::NaiveDate;
use loket_domain::Office;
use loket_domain::availability::{DayStatus, Unbookable, closed_to_visitors};
use loket_domain::calendar::ClosedReason;
use loket_domain::floor::PriorityBasis;
use loket_domain::quota::ServiceClass;
use loket_domain::release::local_date;
use loket_store::{Actor, NewWalkIn, Ticket};

use crate::planning::OfficePlan;
use crate::state::AppState;
use crate::usecases::fields::{Fields, checked};
use crate::usecases::{Refusal, UseCaseResult};

/// A priority walk-in as the front desk registers it.
pub struct WalkIn {
    /// Why the person is served as a priority.
    pub basis: PriorityBasis,
    /// The birth date on the ID card.
    pub birth_date: NaiveDate,
}

impl WalkIn {
    /// Reads a walk-in as typed (the API's body or the desk's form), on `today`: every
    /// mistake listed against its field.
    pub fn read(basis: &str, birth_date: &str, today: NaiveDate) -> UseCaseResult<Self> {
        let mut f = Fields::default();
        let basis = PriorityBasis::parse(basis.trim());
        if basis.is_none() {
            f.push(
                "basis",
                "invalid_choice",
                "one of elderly, small_child, pregnant, disability, sick",
            );
        }
        let birth_date = f.birth_date("birth_date", birth_date, today);
        f.finish()?;
        Ok(Self {
            basis: checked(basis)?,
            birth_date: checked(birth_date)?,
        })
    }
}

/// Today's priority walk-in quota at `office`: the sum over today's sessions of the
/// office's priority places; None when the office is closed today.
async fn priority_quota(
    state: &AppState,
    office: Office,
    today: NaiveDate,
) -> UseCaseResult<Result<(Office, i64), Refusal>> {
    let plan = OfficePlan::load(state, office, today, today).await?;
    if let Some(reason) = closed_reason(&plan, today) {
        return Ok(Err(closed(&plan.office, reason)));
    }
    let quota = plan.day_capacity(today, ServiceClass::PriorityWalkIn);
    Ok(Ok((plan.office, quota)))
}

/// Why the office of `plan` gives out no queue numbers today (the domain's rule).
fn closed_reason(plan: &OfficePlan, today: NaiveDate) -> Option<ClosedReason> {
    closed_to_visitors(&plan.office, &plan.calendar, today)
}

/// The refusal the desk and the API show for a day `office` is closed.
fn closed(office: &Office, reason: ClosedReason) -> Refusal {
    Refusal::Unbookable {
        why: Unbookable::Day(DayStatus::Closed(reason)),
        horizon_days: office.booking_horizon_days,
    }
}

/// Why `office` gives out no queue numbers today, as a refusal; None when it is open.
pub(crate) async fn closed_today(
    state: &AppState,
    office: &Office,
    today: NaiveDate,
) -> UseCaseResult<Option<Refusal>> {
    let plan = OfficePlan::load(state, office.clone(), today, today).await?;
    Ok(closed_reason(&plan, today).map(|r| closed(office, r)))
}

/// The front desk's day at an office: today's tickets and the priority quota's standing.
pub struct DeskDay {
    /// Today at the office.
    pub today: NaiveDate,
    /// Today's tickets, in the order issued.
    pub tickets: Vec<Ticket>,
    /// Today's priority quota; None when the office is closed today.
    pub priority_quota: Option<i64>,
    /// Priority tickets issued today.
    pub priority_issued: i64,
    /// Whether the office runs in outage mode today.
    pub outage: bool,
}

/// What the front desk sees of its day.
pub async fn desk_day(state: &AppState, office: &Office) -> UseCaseResult<DeskDay> {
    let today = local_date(state.now(), office.time_zone);
    let tickets = state.store.tickets_of_day(&office.code, today).await?;
    let quota = priority_quota(state, office.clone(), today)
        .await?
        .ok()
        .map(|(_, q)| q);
    let priority_issued = tickets
        .iter()
        .filter(|t| t.number.series.is_priority())
        .count();
    let outage = state.store.outage_on(&office.code, today).await?;
    Ok(DeskDay {
        outage,
        today,
        tickets,
        priority_quota: quota,
        priority_issued: i64::try_from(priority_issued).unwrap_or(i64::MAX),
    })
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
    let today = local_date(now, office.time_zone);
    state
        .settings
        .priority_rules()
        .check(w.basis, w.birth_date, today)
        .map_err(|e| Refusal::Field {
            field: "birth_date",
            code: e.code(),
            message: e.to_string(),
        })?;
    let (office, quota) = priority_quota(state, office, today).await??;
    let ticket = state
        .store
        .issue_walk_in(&NewWalkIn {
            office_code: office.code.clone(),
            service_date: today,
            basis: w.basis,
            quota,
            actor: actor.clone(),
            now,
        })
        .await?;
    state.floor_hub.changed(&office.code);
    Ok(ticket)
}

/// The most priority places the head of office adds at once.
pub const MAX_RAISE: i64 = 100;

/// Raises today's priority quota at `office` by the places typed (1 to `MAX_RAISE`), on
/// the day's last session, which counts for the whole day: an audited quota change, as
/// any. Returns the places added.
pub async fn raise_priority_quota(
    state: &AppState,
    actor: &Actor,
    office: &Office,
    places: &str,
) -> UseCaseResult<i64> {
    let mut f = Fields::default();
    let by = places
        .trim()
        .parse::<i64>()
        .ok()
        .filter(|n| (1..=MAX_RAISE).contains(n));
    if by.is_none() {
        f.push(
            "places",
            "invalid_count",
            format!("a number from 1 to {MAX_RAISE}"),
        );
    }
    f.finish()?;
    let by = checked(by)?;
    let today = local_date(state.now(), office.time_zone);
    let plan = OfficePlan::load(state, office.clone(), today, today).await?;
    if let Some(reason) = closed_reason(&plan, today) {
        return Err(closed(office, reason));
    }
    let Some(last) = plan.office.sessions_on(today).last() else {
        return Err(closed(office, ClosedReason::Weekend));
    };
    let now = plan.planned_capacity(today, &last.code, ServiceClass::PriorityWalkIn);
    crate::usecases::reference::set_quota_override(
        state,
        actor,
        office,
        today,
        &last.code,
        ServiceClass::PriorityWalkIn,
        now + by,
    )
    .await?;
    Ok(by)
}

/// Switches `office`'s outage mode for today on or off (audited). It cannot be switched
/// on while the office is closed today: nobody is served then, with or without a booking.
pub async fn set_outage(
    state: &AppState,
    actor: &Actor,
    office: &Office,
    on: bool,
) -> UseCaseResult<()> {
    let now = state.now();
    let today = local_date(now, office.time_zone);
    if on && let Some(closed) = closed_today(state, office, today).await? {
        return Err(closed);
    }
    state
        .store
        .set_outage(&office.code, today, on, actor, now)
        .await?;
    Ok(())
}

/// Registers a walk-in without a booking while `office` runs in outage mode today: a B
/// ticket, called with the regular ones by arrival. Refused on a day the office is closed
/// (outage mode switched on before the day was closed).
pub async fn register_outage_walk_in(
    state: &AppState,
    actor: &Actor,
    office: &Office,
) -> UseCaseResult<Ticket> {
    let now = state.now();
    let today = local_date(now, office.time_zone);
    if let Some(closed) = closed_today(state, office, today).await? {
        return Err(closed);
    }
    let ticket = state
        .store
        .issue_outage_walk_in(&office.code, today, actor, now)
        .await?;
    state.floor_hub.changed(&office.code);
    Ok(ticket)
}
