//! Check-in at the front desk: finding the booking shown, checking it in, or moving it
//! with a special reschedule.

use chrono::NaiveDate;
use loket_domain::BookingState;
use loket_domain::booking::{SpecialReason, documents_due_from};
use loket_domain::floor::{CheckInRefusal, TicketState, Visit};
use loket_domain::release::{local_date, local_instant};
use loket_domain::{Office, Presented};
use loket_store::{Actor, Applicant, Booking, NewCheckIn, SpecialMove, Ticket, VisitKind};

use crate::planning::OfficePlan;

use crate::state::AppState;
use crate::usecases::{Refusal, UseCaseResult};

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
    /// A return with missing documents on a day the office is closed: the refusal a
    /// check-in would meet (no queue number that day), although `admit` lets it in.
    pub closed: Option<Refusal>,
}

impl Arrival {
    /// Whether the desk may check it in now.
    pub fn can_check_in(&self) -> bool {
        self.admit.is_ok() && self.closed.is_none()
    }
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
        // Today's bookings, and those whose missing documents may still be brought.
        Some(Presented::Code(code)) => state
            .store
            .booking_ids_of_days(&office.code, documents_due_from(today), today)
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
    // Only a booking checked in has a ticket: a check-in's own lookup is spared.
    let ticket = if booking.state.checked_in() {
        state.store.ticket_of_booking(booking.id).await?
    } else {
        None
    };
    // Back with the missing documents, and already on the floor again.
    let admit = match &ticket {
        Some(t) if admit.is_ok() && TicketState::OPEN.contains(&t.state) => {
            Err(CheckInRefusal::AlreadyCheckedIn)
        }
        _ => admit,
    };
    // A return is numbered on the day it comes back, which must be a working day.
    let closed = if admit.is_ok() && booking.state == BookingState::DocumentsMissing {
        super::walk_in::closed_today(state, office, today).await?
    } else {
        None
    };
    Ok(Arrival {
        booking,
        applicant,
        session,
        admit,
        ticket,
        closed,
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
    if let Some(closed) = arrival.closed.take() {
        return Err(closed);
    }
    let Some(session) = &arrival.session else {
        return Err(Refusal::Internal(
            "an admitted booking has no session".into(),
        ));
    };
    let b = &arrival.booking;
    let now = state.now();
    let today = local_date(now, office.time_zone);
    let visit = match b.state {
        BookingState::DocumentsMissing => VisitKind::Return {
            due_from: documents_due_from(today),
        },
        _ => VisitKind::Booked {
            session_start: local_instant(b.slot.service_date, session.start, office.time_zone),
        },
    };
    let ticket = state
        .store
        .check_in(&NewCheckIn {
            booking_id: b.id,
            office_code: office.code.clone(),
            service_date: today,
            visit,
            actor: actor.clone(),
            now,
        })
        .await?;
    state.floor_hub.changed(&office.code);
    if let VisitKind::Booked { .. } = visit {
        arrival.booking.state = BookingState::CheckedIn;
    }
    arrival.admit = Err(CheckInRefusal::AlreadyCheckedIn);
    arrival.ticket = Some(ticket);
    Ok(arrival)
}

/// A special reschedule at the front desk of `office`: the booking shown (a scanned or typed
/// code, as for a check-in) moves to `date` and `session` for `reason`, after the
/// applicant's own reschedule has closed. The new date follows the online rules (open,
/// released, a place in the booking's class).
pub async fn special_reschedule(
    state: &AppState,
    actor: &Actor,
    office: &Office,
    presented: &str,
    to: (NaiveDate, &str),
    reason: SpecialReason,
) -> UseCaseResult<Booking> {
    let arrival = find_arrival(state, office, presented).await?;
    let b = arrival.booking;
    let (date, session) = to;
    let plan = OfficePlan::load(state, office.clone(), date, date).await?;
    if date == b.slot.service_date && session == b.slot.session_code {
        return Err(Refusal::SameSlot);
    }
    plan.check_bookable(date, session, b.slot.class)?;
    let moved = state
        .store
        .special_reschedule(&SpecialMove {
            booking_id: b.id,
            office_code: office.code.clone(),
            to: plan.slot(date, session, b.slot.class),
            reason,
            actor: actor.clone(),
            now: plan.now,
        })
        .await?;
    Ok(moved)
}
