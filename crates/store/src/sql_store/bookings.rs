//! Bookings after allocation: reads, availability counts, cancel and reschedule (the
//! domain's checks applied under the lock), payments and the expiry and no-show sweeps.

use async_trait::async_trait;
use chrono::{DateTime, NaiveDate, Utc};
use loket_domain::booking::{
    AllocationPolicy, BookingState, PaymentDecision, RescheduleKind, TransitionError, check_cancel,
    check_reschedule, check_special_reschedule, decide_payment,
};
use loket_domain::office::parse_time_zone;
use loket_domain::release::local_date;
use uuid::Uuid;

use super::SqlStore;
use crate::BookingStore;
use crate::allocation::*;
use crate::args;
use crate::db::pick;
use crate::db::{Backend, Tx, is_unique_violation};
use crate::error::corrupt;
use crate::error::{StoreError, StoreResult};
use crate::history::*;
use crate::rows::*;
use crate::sql::*;
use crate::types::*;

/// Today in an office's zone, read inside the transaction that applies a rule to it.
pub(crate) async fn office_today(
    tx: &mut Tx,
    office: &str,
    now: DateTime<Utc>,
) -> StoreResult<NaiveDate> {
    let row = tx
        .fetch_optional(OFFICE_ZONE, args![office])
        .await?
        .ok_or(StoreError::NotFound)?;
    let tz = parse_time_zone(&row.text("time_zone")?).ok_or_else(|| corrupt("office time zone"))?;
    Ok(local_date(now, tz))
}

/// Locks a booking row and reads it fresh (slot lock must already be held where needed).
pub(crate) async fn lock_booking(tx: &mut Tx, id: Uuid) -> StoreResult<Booking> {
    let lock = pick(tx.backend(), LOCK_BOOKING);
    tx.fetch_optional(lock, args![id])
        .await?
        .ok_or(StoreError::NotFound)?;
    let row = tx
        .fetch_optional(GET_BOOKING, args![id])
        .await?
        .ok_or(StoreError::NotFound)?;
    booking_from_row(&row)
}

#[async_trait]
impl BookingStore for SqlStore {
    #[tracing::instrument(level = "debug", name = "store.slot_usage", skip_all)]
    async fn slot_usage(
        &self,
        office: &str,
        from: NaiveDate,
        to: NaiveDate,
        now: DateTime<Utc>,
    ) -> StoreResult<Vec<SlotUsage>> {
        self.pool
            .fetch_all(SLOT_USAGE, args![office, from, to, now])
            .await?
            .iter()
            .map(|r| {
                Ok(SlotUsage {
                    key: SlotKey {
                        office_code: office.to_owned(),
                        service_date: r.date("service_date")?,
                        session_code: r.text("session_code")?,
                        class: class_of(r, "class")?,
                    },
                    capacity: r.i64("capacity")?,
                    taken: r.i64("taken")?,
                })
            })
            .collect()
    }

    #[tracing::instrument(level = "debug", name = "store.allocate", skip_all)]
    async fn allocate(&self, req: AllocationRequest) -> StoreResult<Booking> {
        // The allocation seam: each policy is its own way of handing out the place; a fair
        // draw or a waiting list adds a variant and its path here.
        match req.policy {
            AllocationPolicy::FirstComeFirstServed => match self.backend() {
                Backend::Sqlite => self.allocate_sqlite(req).await,
                Backend::Postgres => match &self.slot_queues {
                    Some(q) => q.allocate(&self.writer, req).await,
                    None => in_transaction(&self.writer, req).await,
                },
            },
        }
    }

    #[tracing::instrument(level = "debug", name = "store.booking_by_idempotency_key", skip_all)]
    async fn booking_by_idempotency_key(
        &self,
        account: Uuid,
        key: &str,
    ) -> StoreResult<Option<Booking>> {
        // PostgreSQL answers concurrent lookups in one query (`batched`).
        if let Some(b) = &self.batched {
            return b.keys.lookup(&self.pool, (account, key.to_owned())).await;
        }
        let row = self
            .fetch_by_key(BOOKING_BY_IDEMPOTENCY, args![account, key])
            .await?;
        row.map(|r| booking_from_row(&r)).transpose()
    }

    #[tracing::instrument(level = "debug", name = "store.idempotency_keys_in_slot", skip_all)]
    async fn idempotency_keys_in_slot(&self, slot: &SlotKey) -> StoreResult<Vec<(Uuid, String)>> {
        self.pool
            .fetch_all(SLOT_IDEMPOTENCY_KEYS, slot_key_args(slot))
            .await?
            .iter()
            .map(|r| Ok((r.uuid("account_id")?, r.text("idempotency_key")?)))
            .collect()
    }

    #[tracing::instrument(level = "debug", name = "store.get_booking", skip_all)]
    async fn get_booking(&self, id: Uuid) -> StoreResult<Option<Booking>> {
        let row = self.fetch_by_key(GET_BOOKING, args![id]).await?;
        row.map(|r| booking_from_row(&r)).transpose()
    }

    #[tracing::instrument(level = "debug", name = "store.booking_events", skip_all)]
    async fn booking_events(&self, id: Uuid) -> StoreResult<Vec<BookingEvent>> {
        self.pool
            .fetch_all(BOOKING_EVENTS, args![id])
            .await?
            .iter()
            .map(event_from_row)
            .collect()
    }

    #[tracing::instrument(level = "debug", name = "store.booking_by_billing_code", skip_all)]
    async fn booking_by_billing_code(&self, code: &str) -> StoreResult<Option<Booking>> {
        let row = self
            .fetch_by_key(BOOKING_BY_BILLING_CODE, args![code])
            .await?;
        row.map(|r| booking_from_row(&r)).transpose()
    }

    #[tracing::instrument(level = "debug", name = "store.list_bookings", skip_all)]
    async fn list_bookings(&self, account: Uuid) -> StoreResult<Vec<Booking>> {
        self.pool
            .fetch_all(LIST_BOOKINGS, args![account])
            .await?
            .iter()
            .map(booking_from_row)
            .collect()
    }

    #[tracing::instrument(level = "debug", name = "store.cancel_booking", skip_all)]
    async fn cancel_booking(&self, id: Uuid, now: DateTime<Utc>) -> StoreResult<Booking> {
        let mut tx = self.begin_write().await?;
        lock_slot_of_booking(&mut tx, id).await?;
        let mut b = lock_booking(&mut tx, id).await?;
        // The domain's rule, on the row as it is under the lock.
        let today = office_today(&mut tx, &b.slot.office_code, now).await?;
        check_cancel(b.state, b.payment_deadline, b.slot.service_date, today, now)?;
        let from = b.effective_state(now);
        tx.execute(
            SET_BOOKING_STATE,
            args![id, BookingState::Cancelled.as_str(), now],
        )
        .await?;
        event(
            &mut tx,
            id,
            now,
            Some(from),
            BookingState::Cancelled,
            "applicant",
            "cancelled",
        )
        .await?;
        tx.commit().await?;
        b.state = BookingState::Cancelled;
        b.updated_at = now;
        Ok(b)
    }

    #[tracing::instrument(level = "debug", name = "store.reschedule_booking", skip_all)]
    async fn reschedule_booking(
        &self,
        id: Uuid,
        to: SlotKey,
        counts_as_reschedule: bool,
        now: DateTime<Utc>,
    ) -> StoreResult<Booking> {
        let mut tx = self.begin_write().await?;
        let (slot_id, capacity) = lock_both_slots(&mut tx, id, &to).await?;
        let mut b = lock_booking(&mut tx, id).await?;
        let from = b.effective_state(now);
        // The domain's rule, on the row as it is under the lock: the kind of move it allows
        // must be the kind the caller asked for.
        let today = office_today(&mut tx, &b.slot.office_code, now).await?;
        let used = u32::try_from(b.reschedules_used).unwrap_or(u32::MAX);
        let kind = check_reschedule(
            b.state,
            b.payment_deadline,
            used,
            b.slot.service_date,
            today,
            now,
        )?;
        if (kind == RescheduleKind::Applicant) != counts_as_reschedule {
            return Err(TransitionError::RescheduleNotAllowed.into());
        }
        if slot_id == b.slot_id {
            return Err(TransitionError::RescheduleNotAllowed.into());
        }
        if taken(&mut tx, slot_id, now).await? >= capacity {
            return Err(StoreError::QuotaFull);
        }
        let new_state = if from == BookingState::RefundDue {
            if nik_is_busy(&mut tx, &b.nik, now).await? {
                return Err(StoreError::NikHasActiveBooking);
            }
            BookingState::Paid
        } else {
            from
        };
        let bump: i64 = i64::from(counts_as_reschedule);
        move_booking(
            &mut tx,
            &mut b,
            slot_id,
            to,
            (from, new_state),
            bump,
            "applicant",
            now,
        )
        .await?;
        tx.commit().await?;
        Ok(b)
    }

    #[tracing::instrument(level = "debug", name = "store.special_reschedule", skip_all)]
    async fn special_reschedule(&self, m: &SpecialMove) -> StoreResult<Booking> {
        let mut tx = self.begin_write().await?;
        let (slot_id, capacity) = lock_both_slots(&mut tx, m.booking_id, &m.to).await?;
        let mut b = lock_booking(&mut tx, m.booking_id).await?;
        if b.slot.office_code != m.office_code {
            return Err(StoreError::NotFound);
        }
        let from = b.effective_state(m.now);
        check_special_reschedule(b.state, b.payment_deadline, m.now)?;
        if slot_id == b.slot_id {
            return Err(TransitionError::RescheduleNotAllowed.into());
        }
        if taken(&mut tx, slot_id, m.now).await? >= capacity {
            return Err(StoreError::QuotaFull);
        }
        // A booking out of the one-active-per-NIK index (a no-show, an unserved day) freed
        // its NIK: it may have been booked again.
        if !BookingState::ACTIVE.contains(&from) && nik_is_busy(&mut tx, &b.nik, m.now).await? {
            return Err(StoreError::NikHasActiveBooking);
        }
        let before = format!(
            "{}/{} {}",
            b.slot.service_date,
            b.slot.session_code,
            from.as_str()
        );
        move_booking(
            &mut tx,
            &mut b,
            slot_id,
            m.to.clone(),
            (from, BookingState::Paid),
            0,
            &m.actor.name,
            m.now,
        )
        .await?;
        audit(
            &mut tx,
            m.now,
            &m.actor,
            Some(&m.office_code),
            "booking.special_reschedule",
            &m.booking_id.to_string(),
            Some(before),
            Some(format!(
                "{}/{} paid {}",
                m.to.service_date,
                m.to.session_code,
                m.reason.as_str()
            )),
        )
        .await?;
        tx.commit().await?;
        Ok(b)
    }

    #[tracing::instrument(level = "debug", name = "store.book_assisted", skip_all)]
    async fn book_assisted(&self, a: AssistedBooking) -> StoreResult<Booking> {
        super::assisted::book(self.begin_write().await?, a).await
    }

    #[tracing::instrument(level = "debug", name = "store.record_payment", skip_all)]
    async fn record_payment(
        &self,
        n: &PaymentNotice,
        now: DateTime<Utc>,
    ) -> StoreResult<PaymentOutcome> {
        let mut tx = self.begin_write().await?;
        if tx
            .fetch_optional(GET_NOTIFICATION, args![n.notification_id.clone()])
            .await?
            .is_some()
        {
            // A repeat: the bank retries until it hears back.
            return Ok(PaymentOutcome::Duplicate);
        }
        let found = tx
            .fetch_optional(BOOKING_BY_BILLING_CODE, args![n.billing_code.clone()])
            .await?
            .map(|r| booking_from_row(&r))
            .transpose()?;
        let (outcome, booking_id) = match found {
            None => (PaymentOutcome::UnknownBillingCode, None),
            Some(b) if b.fee_total != n.amount => (PaymentOutcome::AmountMismatch, Some(b.id)),
            Some(b) => {
                let capacity = lock_slot_by_id(&mut tx, b.slot_id).await?;
                let b = lock_booking(&mut tx, b.id).await?;
                let pending = n.status == "pending";
                let decision = decide_payment(b.state, b.payment_deadline, now);
                let (outcome, to) = match decision {
                    PaymentDecision::MarkPaid if pending => {
                        if b.state == BookingState::PaymentPending {
                            (PaymentOutcome::Duplicate, None)
                        } else {
                            (PaymentOutcome::Pending, Some(BookingState::PaymentPending))
                        }
                    }
                    PaymentDecision::MarkPaid => (PaymentOutcome::Paid, Some(BookingState::Paid)),
                    PaymentDecision::AlreadyPaid | PaymentDecision::AlreadyRefundDue => {
                        (PaymentOutcome::Duplicate, None)
                    }
                    PaymentDecision::Refund => {
                        (PaymentOutcome::RefundDue, Some(BookingState::RefundDue))
                    }
                    PaymentDecision::Reconcile => {
                        // The hold lapsed. Its place may still be free: restore it, else
                        // the money is owed back and the applicant may pick another slot.
                        let free = taken(&mut tx, b.slot_id, now).await? < capacity;
                        if free && !nik_is_busy(&mut tx, &b.nik, now).await? {
                            let to = if pending {
                                BookingState::PaymentPending
                            } else {
                                BookingState::Paid
                            };
                            (PaymentOutcome::Restored, Some(to))
                        } else {
                            (PaymentOutcome::RefundDue, Some(BookingState::RefundDue))
                        }
                    }
                };
                if let Some(to) = to {
                    // Money that arrived is recorded as such even when it is owed back,
                    // so the applicant sees it was received.
                    let money_in =
                        !pending && matches!(to, BookingState::Paid | BookingState::RefundDue);
                    if money_in {
                        tx.execute(
                            SET_BOOKING_PAID_AS,
                            args![b.id, to.as_str(), n.paid_at, now],
                        )
                        .await?;
                    } else {
                        tx.execute(SET_BOOKING_STATE, args![b.id, to.as_str(), now])
                            .await?;
                    }
                    let detail = format!(
                        "payment notice {} ({})",
                        n.notification_id,
                        outcome.as_str()
                    );
                    // From the state as of now: a lapsed hold is expired (and the sweep in
                    // `nik_is_busy` may just have recorded it so).
                    let from = b.effective_state(now);
                    event(&mut tx, b.id, now, Some(from), to, "bank", &detail).await?;
                }
                (outcome, Some(b.id))
            }
        };
        let inserted = tx
            .execute(
                INSERT_NOTIFICATION,
                args![
                    n.notification_id.clone(),
                    n.billing_code.clone(),
                    n.amount,
                    n.status.clone(),
                    n.paid_at,
                    now,
                    outcome.as_str(),
                    booking_id
                ],
            )
            .await;
        match inserted {
            Ok(_) => {}
            // Two deliveries of one notice raced; the other one settled it.
            Err(e) if is_unique_violation(&e, "") => return Ok(PaymentOutcome::Duplicate),
            Err(e) => return Err(e.into()),
        }
        tx.commit().await?;
        Ok(outcome)
    }

    #[tracing::instrument(level = "debug", name = "store.expire_overdue", skip_all)]
    async fn expire_overdue(&self, now: DateTime<Utc>, limit: i64) -> StoreResult<u64> {
        let mut tx = self.begin_write().await?;
        if tx.backend() == Backend::Postgres {
            // The slots' counts change with the bookings (a trigger): lock the slots first,
            // in id order, as every other writer does, rather than after the bookings.
            tx.fetch_all(LOCK_LAPSED_SLOTS, args![now, limit]).await?;
        }
        let rows = tx.fetch_all(EXPIRE_OVERDUE, args![now, limit]).await?;
        record_expired(&mut tx, &rows, now).await?;
        let mut moved = rows.len() as u64;
        for z in tx.fetch_all(OFFICE_ZONES, args![]).await? {
            let zone = z.text("time_zone")?;
            let Some(tz) = parse_time_zone(&zone) else {
                continue;
            };
            let today = local_date(now, tz);
            if tx.backend() == Backend::Postgres {
                tx.fetch_all(LOCK_NO_SHOW_SLOTS, args![today, zone.clone(), limit])
                    .await?;
            }
            let swept = tx
                .fetch_all(SWEEP_NO_SHOWS, args![now, today, zone.clone(), limit])
                .await?;
            for r in &swept {
                record_no_show(&mut tx, r.uuid("id")?, now).await?;
            }
            moved += swept.len() as u64;
            moved += super::close_out::close_out_zone(&mut tx, &zone, today, now, limit).await?;
        }
        tx.commit().await?;
        Ok(moved)
    }
}

/// Moves a locked booking to `slot_id` (`to`), from state `states.0` to `states.1`, adding
/// `bump` to its reschedules, with its event by `actor`.
#[allow(clippy::too_many_arguments)]
async fn move_booking(
    tx: &mut Tx,
    b: &mut Booking,
    slot_id: i64,
    to: SlotKey,
    states: (BookingState, BookingState),
    bump: i64,
    actor: &str,
    now: DateTime<Utc>,
) -> StoreResult<()> {
    let (from, new_state) = states;
    tx.execute(
        MOVE_BOOKING,
        args![
            b.id,
            slot_id,
            to.office_code.clone(),
            to.service_date,
            to.session_code.clone(),
            to.class.as_str(),
            bump,
            new_state.as_str(),
            now
        ],
    )
    .await?;
    let detail = format!(
        "moved from {}/{} to {}/{}",
        b.slot.service_date, b.slot.session_code, to.service_date, to.session_code
    );
    event(tx, b.id, now, Some(from), new_state, actor, &detail).await?;
    b.slot_id = slot_id;
    b.slot = to;
    b.state = new_state;
    b.reschedules_used += bump;
    b.updated_at = now;
    Ok(())
}
