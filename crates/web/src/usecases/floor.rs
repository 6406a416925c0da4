//! The office floor: check-in and priority walk-ins now; counters and calls as they land.

use chrono::NaiveDate;
use loket_domain::availability::{DayStatus, Unbookable};
use loket_domain::floor::{
    CheckInRefusal, CounterAction, Outcome, PriorityBasis, RejectReason, Stage, Visit,
};
use loket_domain::quota::ServiceClass;
use loket_domain::release::{local_date, local_instant};
use loket_domain::{Office, Presented};
use loket_store::{
    Actor, Applicant, Booking, NewCall, NewCheckIn, NewWalkIn, Ticket, TicketAction,
};

use super::fields::{Fields, checked};
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
    if let Some(reason) = plan.calendar.closed_reason(today) {
        return Ok(Err(Refusal::Unbookable {
            why: Unbookable::Day(DayStatus::Closed(reason)),
            horizon_days: plan.office.booking_horizon_days,
        }));
    }
    let quota = plan.day_capacity(today, ServiceClass::PriorityWalkIn);
    Ok(Ok((plan.office, quota)))
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
    Ok(DeskDay {
        today,
        tickets,
        priority_quota: quota,
        priority_issued: i64::try_from(priority_issued).unwrap_or(i64::MAX),
    })
}

/// A ticket of `office`, by its id.
pub async fn ticket(state: &AppState, office: &Office, id: uuid::Uuid) -> UseCaseResult<Ticket> {
    state
        .store
        .get_ticket(id)
        .await?
        .filter(|t| t.office_code == office.code)
        .ok_or(Refusal::NotFound("ticket"))
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

/// A booking the front desk found, and whether it may be checked in now.
pub struct Arrival {
    /// The booking.
    pub booking: Booking,
    /// Who it is for (name and NIK to compare with the ID card).
    pub applicant: Option<Applicant>,
    /// Its session's name and local times.
    pub session: Option<loket_domain::office::SessionWindow>,
    /// Whether it may be checked in now, and if not why.
    pub admit: Result<(), CheckInRefusal>,
    /// Its ticket, once checked in.
    pub ticket: Option<Ticket>,
}

/// Finds the booking the desk was shown at `office`: a scanned QR code (any of the
/// office's bookings) or a typed booking code (looked up among the office's bookings of
/// today). A booking of another office is refused without a word about it, since staff
/// see only their own office.
pub async fn find_arrival(
    state: &AppState,
    office: &Office,
    presented: &str,
) -> UseCaseResult<Arrival> {
    let now = state.now();
    let today = local_date(now, office.time_zone);
    let id = match Presented::parse(presented) {
        None => {
            return Err(Refusal::Field {
                field: "code",
                code: "unreadable_code",
                message: "scan the receipt's QR code or type its booking code, e.g. 7K3M-Q9XD"
                    .into(),
            });
        }
        Some(Presented::Id(id)) => id,
        Some(Presented::Code(code)) => state
            .store
            .booking_ids_of_day(&office.code, today)
            .await?
            .into_iter()
            .find(|id| code.matches(*id))
            .ok_or(Refusal::NotFound("booking"))?,
    };
    let booking = state
        .store
        .get_booking(id)
        .await?
        .ok_or(Refusal::NotFound("booking"))?;
    if booking.slot.office_code != office.code {
        return Err(Refusal::CheckIn(CheckInRefusal::OtherOffice));
    }
    let session = office.session(&booking.slot.session_code).cloned();
    let applicant = state
        .store
        .get_applicant(booking.account_id, booking.applicant_id)
        .await?;
    let admit = match &session {
        Some(s) => state.settings.check_in_window().admit(
            &Visit {
                at_this_office: true,
                state: booking.state,
                deadline: booking.payment_deadline,
                date: booking.slot.service_date,
                session: (s.start, s.end),
            },
            now,
            now.with_timezone(&office.time_zone).naive_local(),
        ),
        // A session the office no longer runs: the booking cannot be placed in the queue.
        None => Err(CheckInRefusal::OtherDay {
            date: booking.slot.service_date,
        }),
    };
    let ticket = state.store.ticket_of_booking(booking.id).await?;
    Ok(Arrival {
        booking,
        applicant,
        session,
        admit,
        ticket,
    })
}

/// Checks in the booking the desk was shown: admitted by the domain's rule, then moved
/// and numbered by the store in one transaction (which checks again that it is still
/// paid). Returns the arrival as it now stands, with its ticket.
pub async fn check_in(
    state: &AppState,
    actor: &Actor,
    office: &Office,
    presented: &str,
) -> UseCaseResult<Arrival> {
    let mut arrival = find_arrival(state, office, presented).await?;
    arrival.admit.map_err(Refusal::CheckIn)?;
    let Some(session) = &arrival.session else {
        return Err(Refusal::Internal(
            "an admitted booking has no session".into(),
        ));
    };
    let b = &arrival.booking;
    let ticket = state
        .store
        .check_in(&NewCheckIn {
            booking_id: b.id,
            office_code: office.code.clone(),
            service_date: b.slot.service_date,
            session_start: local_instant(b.slot.service_date, session.start, office.time_zone),
            actor: actor.clone(),
            now: state.now(),
        })
        .await?;
    state.floor_hub.changed(&office.code);
    arrival.booking.state = loket_domain::BookingState::CheckedIn;
    arrival.admit = Err(CheckInRefusal::AlreadyCheckedIn);
    arrival.ticket = Some(ticket);
    Ok(arrival)
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

/// A counter's place on the floor: its number and the stage it serves.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Counter {
    /// Its number, from 1.
    pub number: u32,
    /// What it serves.
    pub stage: Stage,
}

/// The highest counter number an office may have.
pub const MAX_COUNTER: u32 = 99;

impl Counter {
    /// Reads a counter as typed (a number from 1 to `MAX_COUNTER`) and its stage.
    pub fn read(number: &str, stage: &str) -> UseCaseResult<Self> {
        let mut f = Fields::default();
        let number = number
            .trim()
            .parse::<u32>()
            .ok()
            .filter(|n| (1..=MAX_COUNTER).contains(n));
        if number.is_none() {
            f.push(
                "counter",
                "invalid_counter",
                format!("a counter number from 1 to {MAX_COUNTER}"),
            );
        }
        let stage = Stage::parse(stage.trim());
        if stage.is_none() {
            f.push("stage", "invalid_choice", "documents or pickup");
        }
        f.finish()?;
        Ok(Self {
            number: checked(number)?,
            stage: checked(stage)?,
        })
    }
}

/// Calls the next ticket to `counter` at `office` (today), by the configured call policy;
/// None when nobody waits at its stage.
pub async fn call_next(
    state: &AppState,
    actor: &Actor,
    office: &Office,
    counter: Counter,
) -> UseCaseResult<Option<Ticket>> {
    let now = state.now();
    let called = state
        .store
        .call_next(&NewCall {
            office_code: office.code.clone(),
            service_date: local_date(now, office.time_zone),
            counter: counter.number,
            stage: counter.stage,
            policy: state.settings.call_policy(),
            actor: actor.clone(),
            now,
        })
        .await?;
    if called.is_some() {
        state.floor_hub.changed(&office.code);
    }
    Ok(called)
}

/// What a counter does with a ticket, as typed.
pub struct Act {
    /// recall, absent, put_back, transfer, finish.
    pub action: String,
    /// For a transfer, the stage.
    pub stage: Option<String>,
    /// For a finish, the outcome.
    pub outcome: Option<String>,
    /// For a rejection, why.
    pub reason: Option<String>,
}

impl Act {
    /// The action it names, every mistake listed against its field.
    fn read(&self) -> UseCaseResult<(CounterAction, Option<RejectReason>)> {
        let mut f = Fields::default();
        let opt = |v: &Option<String>| v.as_deref().unwrap_or_default().trim().to_owned();
        let action = match self.action.trim() {
            "recall" => Some(CounterAction::Recall),
            "absent" => Some(CounterAction::Absent),
            "put_back" => Some(CounterAction::PutBack),
            "transfer" => match Stage::parse(&opt(&self.stage)) {
                Some(s) => Some(CounterAction::Transfer(s)),
                None => {
                    f.push("stage", "invalid_choice", "documents or pickup");
                    None
                }
            },
            "finish" => match Outcome::parse(&opt(&self.outcome)) {
                Some(o) => Some(CounterAction::Finish(o)),
                None => {
                    f.push(
                        "outcome",
                        "invalid_choice",
                        "accepted, documents_missing, rejected or collected",
                    );
                    None
                }
            },
            _ => {
                f.push(
                    "action",
                    "invalid_choice",
                    "recall, absent, put_back, transfer or finish",
                );
                None
            }
        };
        let reason = match (action, opt(&self.reason).as_str()) {
            (Some(CounterAction::Finish(Outcome::Rejected)), "") => {
                f.push("reason", "required", "say why the application is rejected");
                None
            }
            (Some(CounterAction::Finish(Outcome::Rejected)), r) => {
                let parsed = RejectReason::parse(r);
                if parsed.is_none() {
                    f.push(
                        "reason",
                        "invalid_choice",
                        "identity_mismatch, invalid_documents, not_eligible or other",
                    );
                }
                parsed
            }
            _ => None,
        };
        f.finish()?;
        Ok((checked(action)?, reason))
    }
}

/// A counter's action on a ticket of `office`.
pub async fn act(
    state: &AppState,
    actor: &Actor,
    office: &Office,
    counter: u32,
    ticket_id: uuid::Uuid,
    act: &Act,
) -> UseCaseResult<Ticket> {
    let (action, reason) = act.read()?;
    let ticket = state
        .store
        .act_on_ticket(&TicketAction {
            ticket_id,
            office_code: office.code.clone(),
            counter,
            action,
            reason,
            missed_after_calls: state.settings.missed_after_calls,
            actor: actor.clone(),
            now: state.now(),
        })
        .await?;
    state.floor_hub.changed(&office.code);
    Ok(ticket)
}

/// What a counter sees of its day: the ticket it has called (with whom it is for), how
/// many wait at each stage, and the missed tickets that may be put back.
pub struct CounterDay {
    /// The ticket this counter has called.
    pub current: Option<Ticket>,
    /// For a booked current ticket, its applicant.
    pub applicant: Option<Applicant>,
    /// For a booked current ticket, its booking.
    pub booking: Option<Booking>,
    /// Tickets waiting at this counter's stage.
    pub waiting: usize,
    /// Missed tickets of the day.
    pub missed: Vec<Ticket>,
}

/// The day as `counter` at `office` sees it.
pub async fn counter_day(
    state: &AppState,
    office: &Office,
    counter: Counter,
) -> UseCaseResult<CounterDay> {
    let today = local_date(state.now(), office.time_zone);
    let tickets = state.store.tickets_of_day(&office.code, today).await?;
    let current = tickets
        .iter()
        .find(|t| {
            t.state == loket_domain::floor::TicketState::Called && t.counter == Some(counter.number)
        })
        .cloned();
    let waiting = tickets
        .iter()
        .filter(|t| {
            t.state == loket_domain::floor::TicketState::Waiting && t.stage == counter.stage
        })
        .count();
    let missed = tickets
        .iter()
        .filter(|t| t.state == loket_domain::floor::TicketState::Missed)
        .cloned()
        .collect();
    let booking = match current.as_ref().and_then(|t| t.booking_id) {
        Some(id) => state.store.get_booking(id).await?,
        None => None,
    };
    let applicant = match &booking {
        Some(b) => {
            state
                .store
                .get_applicant(b.account_id, b.applicant_id)
                .await?
        }
        None => None,
    };
    Ok(CounterDay {
        current,
        applicant,
        booking,
        waiting,
        missed,
    })
}

/// A ticket by its id, whatever its office (the phone page's key is the id itself).
pub async fn ticket_by_id(state: &AppState, id: uuid::Uuid) -> UseCaseResult<Ticket> {
    state
        .store
        .get_ticket(id)
        .await?
        .ok_or(Refusal::NotFound("ticket"))
}
