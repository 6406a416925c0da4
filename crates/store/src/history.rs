//! The audit trail of staff changes and the event history of bookings.

use chrono::{DateTime, Utc};
use loket_domain::booking::BookingState;
use uuid::Uuid;

use crate::args;
use crate::db::Tx;
use crate::error::StoreResult;
use crate::sql::*;
use crate::types::*;

pub(crate) async fn audit(
    tx: &mut Tx,
    now: DateTime<Utc>,
    actor: &Actor,
    office: Option<&str>,
    action: &str,
    subject: &str,
    before: Option<String>,
    after: Option<String>,
) -> StoreResult<()> {
    tx.execute(
        INSERT_AUDIT,
        args![
            now,
            actor.id,
            actor.name.clone(),
            office.map(str::to_owned),
            action,
            subject,
            before,
            after
        ],
    )
    .await?;
    Ok(())
}

pub(crate) async fn event(
    tx: &mut Tx,
    booking: Uuid,
    now: DateTime<Utc>,
    from: Option<BookingState>,
    to: BookingState,
    actor: &str,
    detail: &str,
) -> StoreResult<()> {
    tx.execute(
        INSERT_EVENT,
        args![
            booking,
            now,
            from.map(|s| s.as_str().to_owned()),
            to.as_str(),
            actor,
            detail
        ],
    )
    .await?;
    Ok(())
}
