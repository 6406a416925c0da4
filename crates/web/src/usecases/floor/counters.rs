//! The counters: calling the next ticket, acting on a called one, and a counter's day.

use loket_domain::Office;
use loket_domain::floor::{CounterAction, Outcome, RejectReason, Stage};
use loket_domain::release::local_date;
use loket_store::{Actor, Applicant, Booking, NewCall, Ticket, TicketAction};

use crate::state::AppState;
use crate::usecases::UseCaseResult;
use crate::usecases::fields::{Fields, checked};

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
