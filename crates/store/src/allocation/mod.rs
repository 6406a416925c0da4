//! Taking a place. Every allocation path applies the same checks in the same order under
//! the slot's lock (capacity, then the NIK), and each is given what it needs, never the
//! whole store: the transactional path here (one booking, one transaction), SQLite's
//! allocator thread (`sqlite`, group commit on its own connection) and PostgreSQL's slot
//! batches (`postgres`, one transaction per slot for the allocations waiting).

pub(crate) mod postgres;
pub(crate) mod sqlite;

use chrono::{DateTime, Datelike, NaiveDate, Utc};
use loket_domain::Nik;
use loket_domain::booking::BookingState;
use loket_domain::office::parse_time_zone;
use loket_domain::release::local_date;
use loket_domain::weekday::index as weekday_index;
use uuid::Uuid;

use crate::args;
use crate::db::pick;
use crate::db::{Arg, Pool, Row, Tx, is_unique_violation};
use crate::error::corrupt;
use crate::error::{StoreError, StoreResult};
use crate::history::event;
use crate::rows::{booking_from_row, to_json};
use crate::sql::*;
use crate::types::*;

/// `$1`-`$4` of the statements that find a slot by its key.
pub(crate) fn slot_key_args(key: &SlotKey) -> Vec<Arg> {
    args![
        key.office_code.clone(),
        key.service_date,
        key.session_code.clone(),
        key.class.as_str()
    ]
}

/// The parameters of `INSERT_SLOT`: the key, and its weekday as $5 (0 = Monday).
pub(crate) fn insert_slot_args(key: &SlotKey) -> Vec<Arg> {
    let mut a = slot_key_args(key);
    a.push(Arg::I64(weekday_index(key.service_date.weekday())));
    a
}

/// Creates the slot row if needed and locks it; returns (slot id, capacity).
pub(crate) async fn lock_slot(tx: &mut Tx, key: &SlotKey) -> StoreResult<(i64, i64)> {
    let lock = pick(tx.backend(), LOCK_SLOT);
    let mut row = tx.fetch_optional(lock, slot_key_args(key)).await?;
    if row.is_none() {
        let backend = tx.backend();
        tx.fetch_optional(
            pick(backend, LOCK_OFFICE_SHARE),
            args![key.office_code.clone()],
        )
        .await?
        .ok_or(StoreError::NotFound)?;
        tx.execute(INSERT_SLOT, insert_slot_args(key)).await?;
        row = tx.fetch_optional(lock, slot_key_args(key)).await?;
    }
    let row = row.ok_or(StoreError::NotFound)?;
    Ok((row.i64("id")?, row.i64("capacity")?))
}

pub(crate) async fn lock_slot_by_id(tx: &mut Tx, slot_id: i64) -> StoreResult<i64> {
    let lock = pick(tx.backend(), LOCK_SLOT_BY_ID);
    let row = tx
        .fetch_optional(lock, args![slot_id])
        .await?
        .ok_or(StoreError::NotFound)?;
    Ok(row.i64("capacity")?)
}

/// Locks the slot a booking is in, before the booking is locked: freeing or moving its
/// place changes that slot's count (a trigger updates the slot row), and slots are always
/// locked before bookings, so that two writers never wait on each other in a cycle.
pub(crate) async fn lock_slot_of_booking(tx: &mut Tx, id: Uuid) -> StoreResult<i64> {
    let row = tx
        .fetch_optional(BOOKING_SLOT, args![id])
        .await?
        .ok_or(StoreError::NotFound)?;
    let slot_id = row.i64("slot_id")?;
    lock_slot_by_id(tx, slot_id).await?;
    Ok(slot_id)
}

/// Locks a booking's current slot and the slot it moves to (creating that one if needed),
/// lower id first; returns (target id, target capacity). A slot made here gets the highest
/// id yet, so it comes last.
pub(crate) async fn lock_both_slots(
    tx: &mut Tx,
    id: Uuid,
    to: &SlotKey,
) -> StoreResult<(i64, i64)> {
    let current = tx
        .fetch_optional(BOOKING_SLOT, args![id])
        .await?
        .ok_or(StoreError::NotFound)?
        .i64("slot_id")?;
    let target = tx.fetch_optional(SLOT_ID, slot_key_args(to)).await?;
    match target.map(|r| r.i64("id")).transpose()? {
        Some(t) if t < current => {
            let locked = lock_slot(tx, to).await?;
            lock_slot_by_id(tx, current).await?;
            Ok(locked)
        }
        _ => {
            lock_slot_by_id(tx, current).await?;
            lock_slot(tx, to).await
        }
    }
}

/// Counts `n` bookings just inserted into a slot, in the inserting transaction. Every
/// insert of a booking calls it; any other change of a booking's state or slot is counted
/// by the database's triggers.
pub(crate) async fn places_taken(tx: &mut Tx, slot_id: i64, n: i64) -> StoreResult<()> {
    if n > 0 {
        tx.execute(ADD_TAKEN, args![slot_id, n]).await?;
    }
    Ok(())
}

pub(crate) async fn taken(tx: &mut Tx, slot_id: i64, now: DateTime<Utc>) -> StoreResult<i64> {
    let row = tx
        .fetch_optional(COUNT_TAKEN, args![slot_id, now])
        .await?
        .ok_or_else(|| corrupt("count"))?;
    Ok(row.i64("taken")?)
}

/// Records the expiry event of each booking a sweep returned (`RETURNING id`).
pub(crate) async fn record_expired(
    tx: &mut Tx,
    swept: &[Row],
    now: DateTime<Utc>,
) -> StoreResult<()> {
    for r in swept {
        let id = r.uuid("id")?;
        event(
            tx,
            id,
            now,
            Some(BookingState::AwaitingPayment),
            BookingState::Expired,
            "system",
            "payment deadline passed",
        )
        .await?;
    }
    Ok(())
}

/// Whether a NIK's booking found by `NIK_HOLD` is out of date and must be moved on (by the
/// transactional path) before the NIK is judged: a lapsed hold, or a booking whose day or
/// deadline is over in its office's zone (`BookingState::overdue_by_day` in the domain).
pub(crate) fn nik_hold_overdue(
    lapsed: bool,
    state: &str,
    service_date: NaiveDate,
    time_zone: &str,
    now: DateTime<Utc>,
) -> bool {
    let (Some(state), Some(tz)) = (BookingState::parse(state), parse_time_zone(time_zone)) else {
        return lapsed;
    };
    lapsed
        || state
            .overdue_by_day(service_date, local_date(now, tz))
            .is_some()
}

/// Moves a NIK's bookings whose day or deadline has passed on (paid to no-show, missing
/// documents to lapsed), with their events.
pub(crate) async fn sweep_nik_overdue(
    tx: &mut Tx,
    nik: &Nik,
    now: DateTime<Utc>,
) -> StoreResult<()> {
    for r in tx
        .fetch_all(NIK_DATED_BOOKINGS, args![nik.as_str()])
        .await?
    {
        let zone = r.text("time_zone")?;
        let tz = parse_time_zone(&zone).ok_or_else(|| corrupt("office time zone"))?;
        let state = BookingState::parse(&r.text("state")?).ok_or_else(|| corrupt("state"))?;
        let Some(to) = state.overdue_by_day(r.date("service_date")?, local_date(now, tz)) else {
            continue;
        };
        let id = r.uuid("id")?;
        tx.execute(SET_BOOKING_STATE, args![id, to.as_str(), now])
            .await?;
        match to {
            BookingState::NoShow => record_no_show(tx, id, now).await?,
            _ => record_documents_lapsed(tx, id, now).await?,
        }
    }
    Ok(())
}

/// Records that missing documents were not brought by their deadline.
pub(crate) async fn record_documents_lapsed(
    tx: &mut Tx,
    id: Uuid,
    now: DateTime<Utc>,
) -> StoreResult<()> {
    event(
        tx,
        id,
        now,
        Some(BookingState::DocumentsMissing),
        BookingState::DocumentsLapsed,
        "system",
        "the missing documents were not brought by their deadline",
    )
    .await
}

pub(crate) async fn record_no_show(tx: &mut Tx, id: Uuid, now: DateTime<Utc>) -> StoreResult<()> {
    event(
        tx,
        id,
        now,
        Some(BookingState::Paid),
        BookingState::NoShow,
        "system",
        "service day ended without check-in",
    )
    .await
}

/// Whether the NIK holds another active booking, after moving its out-of-date ones on
/// (lapsed holds expire, paid bookings whose day ended become no-shows).
pub(crate) async fn nik_is_busy(tx: &mut Tx, nik: &Nik, now: DateTime<Utc>) -> StoreResult<bool> {
    let lapsed = tx
        .fetch_all(EXPIRE_NIK_LAPSED, args![nik.as_str(), now])
        .await?;
    record_expired(tx, &lapsed, now).await?;
    sweep_nik_overdue(tx, nik, now).await?;
    Ok(tx
        .fetch_optional(ACTIVE_BOOKING_FOR_NIK, args![nik.as_str()])
        .await?
        .is_some())
}

/// The parameters a new booking is inserted with ($1-$18 of `INSERT_BOOKING`).
pub(crate) fn booking_args(req: &AllocationRequest) -> Vec<Arg> {
    let k = &req.slot;
    args![
        req.booking_id,
        req.account_id,
        req.applicant_id,
        req.nik.as_str(),
        k.office_code.clone(),
        k.service_date,
        k.session_code.clone(),
        k.class.as_str(),
        req.billing_code.as_str(),
        req.payment_deadline,
        to_json(&req.service),
        req.travel_purpose.as_str(),
        req.fee_table_code.clone(),
        req.fee_total,
        to_json(&req.fee_lines),
        req.idempotency_key.clone(),
        req.request_fingerprint.clone(),
        req.now
    ]
}

/// A booking found under the request's idempotency key: the same request replays it, another
/// request with the same key is refused.
pub(crate) fn replayed(existing: Booking, req: &AllocationRequest) -> StoreResult<Booking> {
    if existing.request_fingerprint == req.request_fingerprint {
        Ok(existing)
    } else {
        Err(StoreError::IdempotencyMismatch)
    }
}

/// The booking `allocate` just made, without reading it back.
pub(crate) fn booked(req: AllocationRequest, slot_id: i64) -> Booking {
    Booking {
        id: req.booking_id,
        account_id: req.account_id,
        applicant_id: req.applicant_id,
        nik: req.nik,
        slot_id,
        slot: req.slot,
        state: BookingState::AwaitingPayment,
        billing_code: req.billing_code,
        payment_deadline: req.payment_deadline,
        service: req.service,
        travel_purpose: req.travel_purpose,
        fee_table_code: req.fee_table_code,
        fee_lines: req.fee_lines,
        fee_total: req.fee_total,
        reschedules_used: 0,
        created_at: req.now,
        updated_at: req.now,
        paid_at: None,
        request_fingerprint: req.request_fingerprint,
    }
}

/// The allocation as one transaction: lock the slot row (creating it if needed), count,
/// check the NIK, insert. PostgreSQL's path, and SQLite's for a slot's first booking.
pub(crate) async fn in_transaction(writer: &Pool, req: AllocationRequest) -> StoreResult<Booking> {
    let mut tx = writer.begin_write().await?;
    let b = allocate_in(&mut tx, req).await?;
    tx.commit().await?;
    Ok(b)
}

/// The allocation within `tx`, which the caller commits (and rolls back on an error): the
/// booking made, or the one found again under the request's idempotency key (its id is
/// not the request's).
pub(crate) async fn allocate_in(tx: &mut Tx, req: AllocationRequest) -> StoreResult<Booking> {
    let (slot_id, capacity) = lock_slot(tx, &req.slot).await?;
    // Looked up under the slot lock: identical retries racing each other queue on that
    // lock, so each later one finds the booking the first one made.
    if let Some(key) = &req.idempotency_key
        && let Some(row) = tx
            .fetch_optional(BOOKING_BY_IDEMPOTENCY, args![req.account_id, key.clone()])
            .await?
    {
        return replayed(booking_from_row(&row)?, &req);
    }
    if taken(tx, slot_id, req.now).await? >= capacity {
        return Err(StoreError::QuotaFull);
    }
    if nik_is_busy(tx, &req.nik, req.now).await? {
        return Err(StoreError::NikHasActiveBooking);
    }
    let inserted = tx
        .execute(INSERT_BOOKING, {
            let mut a = booking_args(&req);
            a.push(Arg::I64(slot_id));
            a
        })
        .await;
    if let Err(e) = inserted {
        return Err(if is_unique_violation(&e, "nik") {
            StoreError::NikHasActiveBooking
        } else if is_unique_violation(&e, "idempotency_key") {
            StoreError::IdempotencyMismatch
        } else if is_unique_violation(&e, "billing_code") {
            StoreError::BillingCodeTaken
        } else {
            e.into()
        });
    }
    places_taken(tx, slot_id, 1).await?;
    // Creation is recorded by the row itself (created_at); events record transitions.
    Ok(booked(req, slot_id))
}
