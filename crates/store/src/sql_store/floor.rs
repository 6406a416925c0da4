//! The office floor's tickets (see `FloorStore`).

use async_trait::async_trait;
use chrono::NaiveDate;
use loket_domain::floor::{Series, TicketNumber, TicketState};
use uuid::Uuid;

use super::SqlStore;
use crate::FloorStore;
use crate::args;
use crate::error::{StoreError, StoreResult, corrupt};
use crate::history::audit;
use crate::rows::ticket_from_row;
use crate::sql::*;
use crate::types::*;

#[async_trait]
impl FloorStore for SqlStore {
    #[tracing::instrument(level = "debug", name = "store.issue_walk_in", skip_all)]
    async fn issue_walk_in(&self, w: &NewWalkIn) -> StoreResult<Ticket> {
        let series = Series::Priority;
        let mut tx = self.begin_write().await?;
        let Some(row) = tx
            .fetch_optional(
                NEXT_TICKET_NUMBER,
                args![
                    w.office_code.clone(),
                    w.service_date,
                    series.as_str(),
                    w.quota
                ],
            )
            .await?
        else {
            // Nothing was written: the transaction ends without a change.
            return Err(StoreError::PriorityQuotaFull);
        };
        let number = u32::try_from(row.i64("issued")?).map_err(|_| corrupt("ticket number"))?;
        let ticket = Ticket {
            id: Uuid::now_v7(),
            office_code: w.office_code.clone(),
            service_date: w.service_date,
            number: TicketNumber { series, number },
            booking_id: None,
            priority_basis: Some(w.basis),
            state: TicketState::Waiting,
            issued_at: w.now,
            issued_by: w.actor.name.clone(),
        };
        tx.execute(
            INSERT_TICKET,
            args![
                ticket.id,
                ticket.office_code.clone(),
                ticket.service_date,
                series.as_str(),
                i64::from(number),
                None::<Uuid>,
                Some(w.basis.as_str().to_owned()),
                TicketState::Waiting.as_str(),
                w.now,
                w.actor.name.clone()
            ],
        )
        .await?;
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
