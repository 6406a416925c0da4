//! The counters' side of `FloorStore`: calling the next ticket and acting on a called one.

use loket_domain::BookingState;
use loket_domain::booking::documents_due;
use loket_domain::floor::counter::apply;
use loket_domain::floor::{
    CounterAction, FloorEventKind, Outcome, RejectReason, Series, TicketState, next_to_call,
};

use super::SqlStore;
use super::floor_events::{take_floor_seq, write_floor_event};
use crate::args;
use crate::db::is_unique_violation;
use crate::error::{StoreError, StoreResult};
use crate::history::{audit, event};
use crate::rows::ticket_from_row;
use crate::sql::*;
use crate::types::*;

/// How often a call or an action is tried again when another counter changed the queue
/// between its read and its write.
const CALL_ATTEMPTS: usize = 8;

/// `FloorStore::call_next`.
pub(super) async fn call_next(store: &SqlStore, c: &NewCall) -> StoreResult<Option<Ticket>> {
    // The office's floor row, taken first, makes the office's calls take turns (on
    // PostgreSQL; SQLite's writes take turns anyway). Should the chosen ticket still be
    // called by someone else meanwhile, the conditional update finds it called and the
    // choice is made again from what is left.
    for _ in 0..CALL_ATTEMPTS {
        let mut tx = store.begin_write().await?;
        let seq = take_floor_seq(&mut tx, &c.office_code).await?;
        let day = args![c.office_code.clone(), c.service_date];
        let mut busy = day.clone();
        busy.push(i64::from(c.counter).into());
        if let Some(row) = tx.fetch_optional(COUNTER_TICKET, busy).await? {
            let t = ticket_from_row(&row)?;
            return Err(StoreError::CounterBusy {
                number: t.number.to_string(),
            });
        }
        let mut at_stage = day.clone();
        at_stage.push(c.stage.as_str().into());
        let waiting: Vec<Ticket> = tx
            .fetch_all(WAITING_TICKETS, at_stage.clone())
            .await?
            .iter()
            .map(ticket_from_row)
            .collect::<StoreResult<_>>()?;
        let mut recent = at_stage;
        recent.push(i64::from(c.policy.priority_streak).into());
        let mut in_a_row = 0;
        for r in tx.fetch_all(RECENT_FIRST_CALLS, recent).await? {
            if r.text("series")? != Series::Priority.as_str() {
                break;
            }
            in_a_row += 1;
        }
        let views: Vec<_> = waiting.iter().map(Ticket::waiting).collect();
        let Some(i) = next_to_call(&views, c.policy, in_a_row, c.now) else {
            return Ok(None);
        };
        let chosen = &waiting[i];
        let called = tx
            .fetch_optional(CALL_TICKET, args![chosen.id, i64::from(c.counter), c.now])
            .await;
        match called {
            Ok(Some(_)) => {}
            // Called by another counter meanwhile: choose again.
            Ok(None) => continue,
            Err(e) if is_unique_violation(&e, "counter") => {
                return Err(StoreError::CounterBusy {
                    number: String::new(),
                });
            }
            Err(e) => return Err(e.into()),
        }
        let ticket = Ticket {
            state: TicketState::Called,
            counter: Some(c.counter),
            calls: 1,
            called_at: Some(c.now),
            ..chosen.clone()
        };
        write_floor_event(&mut tx, seq, c.now, FloorEventKind::Called, &ticket).await?;
        audit(
            &mut tx,
            c.now,
            &c.actor,
            Some(&c.office_code),
            "floor.call",
            &format!("{}/{}", c.service_date, ticket.number),
            Some(TicketState::Waiting.as_str().to_owned()),
            Some(format!("called counter {} {}", c.counter, c.stage.as_str())),
        )
        .await?;
        tx.commit().await?;
        return Ok(Some(ticket));
    }
    Err(StoreError::Unavailable(
        "the queue changed under every call attempt".into(),
    ))
}

/// `FloorStore::act_on_ticket`.
pub(super) async fn act_on_ticket(store: &SqlStore, a: &TicketAction) -> StoreResult<Ticket> {
    for _ in 0..CALL_ATTEMPTS {
        let mut tx = store.begin_write().await?;
        let seq = take_floor_seq(&mut tx, &a.office_code).await?;
        let Some(row) = tx.fetch_optional(GET_TICKET, args![a.ticket_id]).await? else {
            return Err(StoreError::NotFound);
        };
        let before = ticket_from_row(&row)?;
        if before.office_code != a.office_code {
            return Err(StoreError::NotFound);
        }
        let change = apply(before.standing(), a.action, a.counter, a.missed_after_calls)?;
        let after = Ticket {
            state: change.state,
            stage: change.stage,
            calls: change.calls,
            // The last counter is kept as history; a ticket waiting again has none.
            counter: if change.state == TicketState::Waiting {
                None
            } else {
                before.counter
            },
            called_at: match a.action {
                CounterAction::Recall => Some(a.now),
                _ if change.state == TicketState::Waiting => None,
                _ => before.called_at,
            },
            waiting_since: if change.waits_from_now {
                a.now
            } else {
                before.waiting_since
            },
            finished_at: change.outcome.map(|_| a.now),
            outcome: change.outcome,
            outcome_reason: change
                .outcome
                .filter(|o| *o == Outcome::Rejected)
                .map(|_| a.reason.unwrap_or(RejectReason::Other)),
            ..before.clone()
        };
        let set = tx
            .fetch_optional(
                SET_TICKET,
                args![
                    after.id,
                    after.state.as_str(),
                    after.stage.as_str(),
                    i64::from(after.calls),
                    after.counter.map(i64::from),
                    after.called_at,
                    after.waiting_since,
                    after.finished_at,
                    after.outcome.map(|o| o.as_str().to_owned()),
                    before.state.as_str(),
                    i64::from(before.calls),
                    after.outcome_reason.map(|r| r.as_str().to_owned()),
                    change.waits_from_now
                ],
            )
            .await?;
        if set.is_none() {
            // Changed since it was read (another action on it): read it again.
            continue;
        }
        let subject = format!("{}/{}", before.service_date, before.number);
        if let (Some(outcome), Some(booking)) = (after.outcome, before.booking_id)
            && let Some(state) = outcome.booking_state()
        {
            let from = tx
                .fetch_optional(BOOKING_STATE, args![booking])
                .await?
                .map(|r| r.text("state"))
                .transpose()?
                .and_then(|s| BookingState::parse(&s))
                .filter(BookingState::awaits_outcome);
            if let Some(from) = from
                && let Some(row) = tx
                    .fetch_optional(
                        SET_BOOKING_OUTCOME,
                        args![booking, state.as_str(), a.now, from.as_str()],
                    )
                    .await?
            {
                let detail = match outcome {
                    Outcome::DocumentsMissing => format!(
                        "{subject}: documents due {}",
                        documents_due(row.date("service_date")?)
                    ),
                    Outcome::Rejected => format!(
                        "{subject}: {}",
                        after.outcome_reason.unwrap_or(RejectReason::Other).as_str()
                    ),
                    _ => subject.clone(),
                };
                event(
                    &mut tx,
                    booking,
                    a.now,
                    Some(from),
                    state,
                    &a.actor.name,
                    &detail,
                )
                .await?;
            }
        }
        let describe = |t: &Ticket| {
            let mut d = format!(
                "{} {} calls {}",
                t.state.as_str(),
                t.stage.as_str(),
                t.calls
            );
            if let Some(o) = t.outcome {
                d.push_str(&format!(" {}", o.as_str()));
            }
            if let Some(r) = t.outcome_reason {
                d.push_str(&format!(" {}", r.as_str()));
            }
            d
        };
        write_floor_event(&mut tx, seq, a.now, FloorEventKind::of(a.action), &after).await?;
        audit(
            &mut tx,
            a.now,
            &a.actor,
            Some(&a.office_code),
            &format!("floor.{}", a.action.as_str()),
            &subject,
            Some(describe(&before)),
            Some(format!("{} at counter {}", describe(&after), a.counter)),
        )
        .await?;
        tx.commit().await?;
        return Ok(after);
    }
    Err(StoreError::Unavailable(
        "the ticket changed under every attempt".into(),
    ))
}
