//! Notices: the recorded changes not yet noticed, the holds and the reminders due, and the
//! one transaction that claims notices and queues their mail (see `NoticeStore`).

use async_trait::async_trait;
use chrono::{DateTime, NaiveDate, Utc};
use loket_domain::notice::{NoticeKind, reminder_date};
use loket_domain::office::parse_time_zone;
use uuid::Uuid;

use super::SqlStore;
use crate::NoticeStore;
use crate::args;
use crate::error::StoreResult;
use crate::rows::*;
use crate::sql::*;
use crate::types::*;

/// The order claims are taken in, the same on every instance (recorded changes by id, then
/// bookings by id), so that two instances recording overlapping batches never wait on each
/// other in a cycle.
fn claim_order(key: &NoticeKey) -> (u8, i64, Uuid, Option<NaiveDate>) {
    match key {
        NoticeKey::Event(id) => (0, *id, Uuid::nil(), None),
        NoticeKey::Held(b) => (1, 0, *b, None),
        NoticeKey::Reminder(b, d) => (2, 0, *b, Some(*d)),
    }
}

/// A booking's own notice (not a recorded change's, claimed by its id) as its claim row:
/// booking, kind, about.
fn own_notice(key: &NoticeKey) -> Option<(Uuid, &'static str, String)> {
    match key {
        NoticeKey::Held(b) => Some((*b, NoticeKind::Held.as_str(), String::new())),
        NoticeKey::Reminder(b, date) => Some((*b, NoticeKind::Reminder.as_str(), date.to_string())),
        NoticeKey::Event(_) => None,
    }
}

#[async_trait]
impl NoticeStore for SqlStore {
    #[tracing::instrument(level = "debug", name = "store.unnoticed_events", skip_all)]
    async fn unnoticed_events(&self, limit: i64) -> StoreResult<Vec<BookingEvent>> {
        self.pool
            .fetch_all(UNNOTICED_EVENTS, args![limit])
            .await?
            .iter()
            .map(event_from_row)
            .collect()
    }

    #[tracing::instrument(level = "debug", name = "store.running_holds", skip_all)]
    async fn running_holds(
        &self,
        after: DateTime<Utc>,
        after_id: Option<Uuid>,
        limit: i64,
    ) -> StoreResult<Vec<Booking>> {
        self.pool
            .fetch_all(RUNNING_HOLDS, args![after, limit, after_id])
            .await?
            .iter()
            .map(booking_from_row)
            .collect()
    }

    #[tracing::instrument(level = "debug", name = "store.reminders_due", skip_all)]
    async fn reminders_due(&self, now: DateTime<Utc>, limit: i64) -> StoreResult<Vec<Booking>> {
        let mut due = Vec::new();
        // Tomorrow is a different date in each zone: one range of the paid bookings' index
        // per zone (a handful).
        for z in self.pool.fetch_all(OFFICE_ZONES, args![]).await? {
            let zone = z.text("time_zone")?;
            let left = limit - due.len() as i64;
            let (Some(tz), true) = (parse_time_zone(&zone), left > 0) else {
                continue;
            };
            // At night there (`REMINDER_HOURS`) nothing is due.
            let Some(tomorrow) = reminder_date(now.with_timezone(&tz).naive_local()) else {
                continue;
            };
            let rows = self
                .pool
                .fetch_all(
                    REMINDERS_DUE,
                    args![
                        tomorrow,
                        zone,
                        NoticeKind::Reminder.as_str(),
                        tomorrow.to_string(),
                        left
                    ],
                )
                .await?;
            for r in &rows {
                due.push(booking_from_row(r)?);
            }
        }
        Ok(due)
    }

    #[tracing::instrument(level = "debug", name = "store.record_notices", skip_all, fields(notices = notices.len()))]
    async fn record_notices(&self, notices: &[Notice], now: DateTime<Utc>) -> StoreResult<u64> {
        if notices.is_empty() {
            return Ok(0);
        }
        let mut ordered: Vec<&Notice> = notices.iter().collect();
        ordered.sort_by_key(|n| claim_order(&n.key));
        ordered.dedup_by_key(|n| claim_order(&n.key));
        let mut tx = self.begin_write().await?;
        let mut queued = 0;
        let mut own = Vec::new();
        for n in ordered {
            let claimed = match (&n.key, own_notice(&n.key)) {
                (NoticeKey::Event(id), _) => {
                    tx.execute(MARK_EVENT_NOTICED, args![*id, now]).await?
                }
                // PostgreSQL claims a booking's own notices of the batch in one statement.
                (_, Some(claim)) if self.batched.is_some() => {
                    own.push((n, claim));
                    continue;
                }
                (_, Some((booking, kind, about))) => {
                    tx.execute(INSERT_BOOKING_NOTICE, args![booking, kind, about, now])
                        .await?
                }
                // Only a recorded change has no claim row of its own.
                (_, None) => 0,
            } == 1;
            if let (true, Some(m)) = (claimed, &n.mail) {
                tx.execute(
                    INSERT_MAIL,
                    args![
                        Uuid::now_v7(),
                        m.to.as_str(),
                        m.subject.as_str(),
                        m.body.as_str(),
                        now
                    ],
                )
                .await?;
                queued += 1;
            }
        }
        if !own.is_empty() {
            let rows: Vec<serde_json::Value> = own
                .iter()
                .enumerate()
                .map(|(o, (n, (booking, kind, about)))| {
                    let m = n.mail.as_ref();
                    serde_json::json!({
                        "o": o, "b": booking, "k": kind, "a": about,
                        "m": m.map(|_| Uuid::now_v7()),
                        "t": m.map(|m| m.to.as_str()),
                        "s": m.map(|m| m.subject.as_str()),
                        "x": m.map(|m| m.body.as_str()),
                    })
                })
                .collect();
            let json = serde_json::Value::Array(rows).to_string();
            if let Some(row) = tx
                .fetch_optional(RECORD_BOOKING_NOTICES, args![json, now])
                .await?
            {
                queued += u64::try_from(row.i64("n")?).unwrap_or(0);
            }
        }
        tx.commit().await?;
        Ok(queued)
    }
}
