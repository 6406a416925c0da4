//! The office floor's tickets (see `FloorStore`).

use async_trait::async_trait;
use chrono::{DateTime, NaiveDate, Utc};
use loket_domain::BookingState;
use loket_domain::floor::{
    CheckInRefusal, FloorEventKind, Series, TicketNumber, TicketState, check_in,
};
use uuid::Uuid;

use super::SqlStore;
use super::floor_events::record_floor_event;
use crate::FloorStore;
use crate::args;
use crate::db::{Tx, is_unique_violation};
use crate::error::{StoreError, StoreResult, corrupt};
use crate::history::{audit, event};
use crate::rows::{booking_from_row, floor_event_from_row, ticket_from_row};
use crate::sql::*;
use crate::types::*;

/// Takes the next number of `series` on the office's day, while fewer than `limit` were
/// issued; None when the limit is reached.
async fn next_number(
    tx: &mut Tx,
    office: &str,
    date: NaiveDate,
    series: Series,
    limit: i64,
) -> StoreResult<Option<TicketNumber>> {
    let Some(row) = tx
        .fetch_optional(
            NEXT_TICKET_NUMBER,
            args![office.to_owned(), date, series.as_str(), limit],
        )
        .await?
    else {
        return Ok(None);
    };
    let number = u32::try_from(row.i64("issued")?).map_err(|_| corrupt("ticket number"))?;
    Ok(Some(TicketNumber { series, number }))
}

/// Writes a new ticket.
async fn insert_ticket(tx: &mut Tx, t: &Ticket) -> StoreResult<()> {
    tx.execute(
        INSERT_TICKET,
        args![
            t.id,
            t.office_code.clone(),
            t.service_date,
            t.number.series.as_str(),
            i64::from(t.number.number),
            t.booking_id,
            t.priority_basis.map(|b| b.as_str().to_owned()),
            t.state.as_str(),
            t.issued_at,
            t.issued_by.clone(),
            t.session_start
        ],
    )
    .await?;
    Ok(())
}

/// Whether the office runs in outage mode on `date`, read in the transaction.
async fn outage_in(tx: &mut Tx, office: &str, date: NaiveDate) -> StoreResult<bool> {
    Ok(tx
        .fetch_optional(OUTAGE_ON, args![office.to_owned(), date])
        .await?
        .map(|r| r.bool("outage"))
        .transpose()?
        .unwrap_or(false))
}

/// Why a check-in found nothing to move: the booking as it stands now.
async fn check_in_refusal(
    tx: &mut Tx,
    c: &NewCheckIn,
    now: DateTime<Utc>,
) -> StoreResult<StoreError> {
    let Some(row) = tx.fetch_optional(GET_BOOKING, args![c.booking_id]).await? else {
        return Ok(StoreError::NotFound);
    };
    let b = booking_from_row(&row)?;
    if b.slot.office_code != c.office_code {
        return Ok(CheckInRefusal::OtherOffice.into());
    }
    if let VisitKind::Return { .. } = c.visit {
        return Ok(match b.state {
            BookingState::DocumentsMissing => {
                match check_in::return_visit(b.slot.service_date, c.service_date) {
                    Err(refusal) => refusal.into(),
                    // Still due, of this office, yet not written: as for a paid booking.
                    Ok(()) => corrupt("check-in found a return it could not take"),
                }
            }
            BookingState::CheckedIn => CheckInRefusal::AlreadyCheckedIn.into(),
            state => CheckInRefusal::Ended { state }.into(),
        });
    }
    if b.slot.service_date != c.service_date {
        return Ok(CheckInRefusal::OtherDay {
            date: b.slot.service_date,
        }
        .into());
    }
    Ok(match check_in::standing(b.state, b.payment_deadline, now) {
        Err(refusal) => refusal.into(),
        // Paid, of this office and day, yet not moved: cannot happen within the
        // transaction; say it changed rather than claim success.
        Ok(()) => corrupt("check-in found a paid booking it could not move"),
    })
}

#[async_trait]
impl FloorStore for SqlStore {
    #[tracing::instrument(level = "debug", name = "store.issue_walk_in", skip_all)]
    async fn issue_walk_in(&self, w: &NewWalkIn) -> StoreResult<Ticket> {
        let mut tx = self.begin_write().await?;
        let Some(number) = next_number(
            &mut tx,
            &w.office_code,
            w.service_date,
            Series::Priority,
            w.quota,
        )
        .await?
        else {
            // Nothing was written: the transaction ends without a change.
            return Err(StoreError::PriorityQuotaFull);
        };
        let ticket = Ticket {
            id: Uuid::now_v7(),
            office_code: w.office_code.clone(),
            service_date: w.service_date,
            number,
            booking_id: None,
            priority_basis: Some(w.basis),
            state: TicketState::Waiting,
            issued_at: w.now,
            issued_by: w.actor.name.clone(),
            ..Ticket::fresh(w.now)
        };
        insert_ticket(&mut tx, &ticket).await?;
        record_floor_event(&mut tx, w.now, FloorEventKind::Issued, &ticket).await?;
        audit(
            &mut tx,
            w.now,
            &w.actor,
            Some(&w.office_code),
            "floor.walk_in",
            &format!("{}/{}", w.service_date, ticket.number),
            None,
            Some(w.basis.as_str().to_owned()),
        )
        .await?;
        tx.commit().await?;
        Ok(ticket)
    }

    #[tracing::instrument(level = "debug", name = "store.check_in", skip_all)]
    async fn check_in(&self, c: &NewCheckIn) -> StoreResult<Ticket> {
        let mut tx = self.begin_write().await?;
        // The booking's move (or, for a return, the write that makes two desks take turns),
        // the ticket's place in the queue, the booking's state before and after, the audit.
        let (statement, day, session_start, before, after, action) = match c.visit {
            VisitKind::Booked { session_start } => (
                CHECK_IN_BOOKING,
                c.service_date,
                Some(session_start),
                BookingState::Paid,
                BookingState::CheckedIn,
                "floor.check_in",
            ),
            VisitKind::Return { due_from } => (
                CHECK_IN_RETURN,
                due_from,
                None,
                BookingState::DocumentsMissing,
                BookingState::DocumentsMissing,
                "floor.check_in_return",
            ),
        };
        let moved = tx
            .fetch_optional(
                statement,
                args![c.booking_id, c.now, c.office_code.clone(), day],
            )
            .await?;
        if moved.is_none() {
            let refusal = check_in_refusal(&mut tx, c, c.now).await?;
            return Err(refusal);
        }
        // Booked tickets have no limit: every paid booking of the day may come.
        let Some(number) = next_number(
            &mut tx,
            &c.office_code,
            c.service_date,
            Series::Booked,
            i64::MAX,
        )
        .await?
        else {
            return Err(corrupt("booked ticket numbers ran out"));
        };
        let ticket = Ticket {
            id: Uuid::now_v7(),
            office_code: c.office_code.clone(),
            service_date: c.service_date,
            number,
            booking_id: Some(c.booking_id),
            priority_basis: None,
            state: TicketState::Waiting,
            issued_at: c.now,
            issued_by: c.actor.name.clone(),
            session_start,
            ..Ticket::fresh(c.now)
        };
        match insert_ticket(&mut tx, &ticket).await {
            // A return visit already on the floor (another desk was quicker).
            // (SQLite names the index's column, PostgreSQL the index.)
            Err(StoreError::Database(e))
                if is_unique_violation(&e, "tickets_open_booking")
                    || is_unique_violation(&e, "tickets.booking_id") =>
            {
                return Err(CheckInRefusal::AlreadyCheckedIn.into());
            }
            r => r?,
        }
        record_floor_event(&mut tx, c.now, FloorEventKind::Issued, &ticket).await?;
        let subject = format!("{}/{}", c.service_date, ticket.number);
        // A return keeps its state until the outcome: its history there is the ticket's.
        if before != after {
            event(
                &mut tx,
                c.booking_id,
                c.now,
                Some(before),
                after,
                &c.actor.name,
                &subject,
            )
            .await?;
        }
        audit(
            &mut tx,
            c.now,
            &c.actor,
            Some(&c.office_code),
            action,
            &subject,
            Some(before.as_str().to_owned()),
            Some(format!("{} {}", after.as_str(), c.booking_id)),
        )
        .await?;
        tx.commit().await?;
        Ok(ticket)
    }

    #[tracing::instrument(level = "debug", name = "store.booking_ids_of_days", skip_all)]
    async fn booking_ids_of_days(
        &self,
        office: &str,
        from: NaiveDate,
        to: NaiveDate,
    ) -> StoreResult<Vec<Uuid>> {
        self.pool
            .fetch_all(BOOKING_IDS_OF_DAYS, args![office.to_owned(), from, to])
            .await?
            .iter()
            .map(|r| Ok(r.uuid("id")?))
            .collect()
    }

    #[tracing::instrument(level = "debug", name = "store.ticket_of_booking", skip_all)]
    async fn ticket_of_booking(&self, booking: Uuid) -> StoreResult<Option<Ticket>> {
        self.pool
            .fetch_optional(TICKET_OF_BOOKING, args![booking])
            .await?
            .as_ref()
            .map(ticket_from_row)
            .transpose()
    }

    #[tracing::instrument(level = "debug", name = "store.call_next", skip_all)]
    async fn call_next(&self, c: &NewCall) -> StoreResult<Option<Ticket>> {
        super::counters::call_next(self, c).await
    }

    #[tracing::instrument(level = "debug", name = "store.act_on_ticket", skip_all)]
    async fn act_on_ticket(&self, a: &TicketAction) -> StoreResult<Ticket> {
        super::counters::act_on_ticket(self, a).await
    }

    #[tracing::instrument(level = "debug", name = "store.floor_events_since", skip_all)]
    async fn floor_events_since(
        &self,
        office: &str,
        after: i64,
        limit: i64,
    ) -> StoreResult<Vec<FloorEvent>> {
        self.pool
            .fetch_all(FLOOR_EVENTS_SINCE, args![office.to_owned(), after, limit])
            .await?
            .iter()
            .map(floor_event_from_row)
            .collect()
    }

    #[tracing::instrument(level = "debug", name = "store.last_floor_seq", skip_all)]
    async fn last_floor_seq(&self, office: &str) -> StoreResult<i64> {
        Ok(self
            .pool
            .fetch_optional(LAST_FLOOR_SEQ, args![office.to_owned()])
            .await?
            .map(|r| r.i64("last_seq"))
            .transpose()?
            .unwrap_or(0))
    }

    #[tracing::instrument(level = "debug", name = "store.set_outage", skip_all)]
    async fn set_outage(
        &self,
        office: &str,
        date: NaiveDate,
        on: bool,
        actor: &Actor,
        now: DateTime<Utc>,
    ) -> StoreResult<()> {
        let mut tx = self.begin_write().await?;
        let before = outage_in(&mut tx, office, date).await?;
        tx.execute(
            SET_OUTAGE,
            args![office.to_owned(), date, on, actor.name.clone(), now],
        )
        .await?;
        let word = |b: bool| if b { "on" } else { "off" }.to_owned();
        audit(
            &mut tx,
            now,
            actor,
            Some(office),
            "floor.outage",
            &date.to_string(),
            Some(word(before)),
            Some(word(on)),
        )
        .await?;
        tx.commit().await?;
        Ok(())
    }

    #[tracing::instrument(level = "debug", name = "store.outage_on", skip_all)]
    async fn outage_on(&self, office: &str, date: NaiveDate) -> StoreResult<bool> {
        Ok(self
            .pool
            .fetch_optional(OUTAGE_ON, args![office.to_owned(), date])
            .await?
            .map(|r| r.bool("outage"))
            .transpose()?
            .unwrap_or(false))
    }

    #[tracing::instrument(level = "debug", name = "store.issue_outage_walk_in", skip_all)]
    async fn issue_outage_walk_in(
        &self,
        office: &str,
        date: NaiveDate,
        actor: &Actor,
        now: DateTime<Utc>,
    ) -> StoreResult<Ticket> {
        let mut tx = self.begin_write().await?;
        let on = outage_in(&mut tx, office, date).await?;
        if !on {
            return Err(StoreError::OutageModeOff);
        }
        let Some(number) = next_number(&mut tx, office, date, Series::Outage, i64::MAX).await?
        else {
            return Err(corrupt("outage ticket numbers ran out"));
        };
        let ticket = Ticket {
            id: Uuid::now_v7(),
            office_code: office.to_owned(),
            service_date: date,
            number,
            issued_by: actor.name.clone(),
            ..Ticket::fresh(now)
        };
        insert_ticket(&mut tx, &ticket).await?;
        record_floor_event(&mut tx, now, FloorEventKind::Issued, &ticket).await?;
        audit(
            &mut tx,
            now,
            actor,
            Some(office),
            "floor.outage_walk_in",
            &format!("{date}/{}", ticket.number),
            None,
            Some("outage".to_owned()),
        )
        .await?;
        tx.commit().await?;
        Ok(ticket)
    }

    #[tracing::instrument(level = "debug", name = "store.get_ticket", skip_all)]
    async fn get_ticket(&self, id: Uuid) -> StoreResult<Option<Ticket>> {
        self.pool
            .fetch_optional(GET_TICKET, args![id])
            .await?
            .as_ref()
            .map(ticket_from_row)
            .transpose()
    }

    #[tracing::instrument(level = "debug", name = "store.tickets_of_day", skip_all)]
    async fn tickets_of_day(&self, office: &str, date: NaiveDate) -> StoreResult<Vec<Ticket>> {
        self.pool
            .fetch_all(TICKETS_OF_DAY, args![office.to_owned(), date])
            .await?
            .iter()
            .map(ticket_from_row)
            .collect()
    }
}
