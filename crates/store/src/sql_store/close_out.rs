//! The day's close-out, part of the expiry sweep: once an office's day is over, its tickets
//! still on the floor are closed, a checked-in booking whose ticket was never finished
//! becomes unserved (its NIK is free again, and the desk may give it a new day), and
//! documents missing past their deadline lapse. Each change is made once whichever
//! instance sweeps, with its booking event, from which the applicant's mail is derived.

use chrono::{DateTime, NaiveDate, Utc};
use loket_domain::BookingState;
use loket_domain::booking::documents_due_from;

use crate::allocation::record_documents_lapsed;
use crate::args;
use crate::db::{Backend, Tx};
use crate::error::{StoreResult, corrupt};
use crate::history::event;
use crate::rows::ticket_from_row;
use crate::sql::*;

/// Closes the days before `today` of the offices in `zone`, at most `limit` tickets and
/// `limit` lapsed bookings; returns how many bookings and tickets it changed.
pub(super) async fn close_out_zone(
    tx: &mut Tx,
    zone: &str,
    today: NaiveDate,
    now: DateTime<Utc>,
    limit: i64,
) -> StoreResult<u64> {
    let closed = tx
        .fetch_all(CLOSE_OPEN_TICKETS, args![now, today, zone, limit])
        .await?;
    let mut unfinished = Vec::new();
    for r in &closed {
        let t = ticket_from_row(r)?;
        if let Some(booking) = t.booking_id {
            unfinished.push((booking, format!("{}/{}", t.service_date, t.number)));
        }
    }
    if tx.backend() == Backend::Postgres && !unfinished.is_empty() {
        let ids: Vec<String> = unfinished.iter().map(|(id, _)| id.to_string()).collect();
        let ids = serde_json::to_string(&ids).map_err(|_| corrupt("booking ids"))?;
        tx.fetch_all(LOCK_UNSERVED_SLOTS, args![ids]).await?;
    }
    let mut moved = closed.len() as u64;
    for (booking, ticket) in unfinished {
        // A return visit's booking (still missing documents) stays as it is.
        if tx
            .fetch_optional(SET_BOOKING_UNSERVED, args![booking, now])
            .await?
            .is_some()
        {
            moved += 1;
            let detail = format!("{ticket}: the day ended before the ticket was served");
            event(
                tx,
                booking,
                now,
                Some(BookingState::CheckedIn),
                BookingState::Unserved,
                "system",
                &detail,
            )
            .await?;
        }
    }
    let due_from = documents_due_from(today);
    if tx.backend() == Backend::Postgres {
        tx.fetch_all(LOCK_DOCUMENTS_LAPSED_SLOTS, args![due_from, zone, limit])
            .await?;
    }
    let lapsed = tx
        .fetch_all(SWEEP_DOCUMENTS_LAPSED, args![now, due_from, zone, limit])
        .await?;
    for r in &lapsed {
        record_documents_lapsed(tx, r.uuid("id")?, now).await?;
    }
    moved += lapsed.len() as u64;
    Ok(moved)
}
