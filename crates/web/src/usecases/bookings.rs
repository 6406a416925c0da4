//! Booking use cases: hold a place, read one's own bookings, cancel, reschedule. The rules
//! come from the domain in this order (the slot is bookable, the applicant is the
//! account's, the validity suits them, a fee table applies); the place is taken by one
//! store call, which applies the quota and one-booking-per-NIK rules atomically.

use chrono::{Duration, NaiveDate};
use loket_domain::BillingCode;
use loket_domain::booking::{RescheduleKind, check_cancel, check_reschedule, payment_deadline};
use loket_domain::catalogue::{ServiceRequest, TravelPurpose, check_validity};
use loket_domain::quota::ServiceClass;
use loket_store::{AllocationRequest, Applicant, Booking, SlotKey, StoreError};
use uuid::Uuid;

use super::{Refusal, UseCaseResult};
use crate::auth::random_u64;
use crate::planning::{self, OfficePlan};
use crate::state::AppState;

/// Draws of a fresh billing code before giving up (a collision is about one in two
/// thousand over a million bookings; three in a row do not happen).
const BILLING_CODE_DRAWS: usize = 3;

/// What an applicant asks to book, parsed.
#[derive(Clone, Debug)]
pub struct NewBooking {
    /// The account booking.
    pub account_id: Uuid,
    /// The person on the account it is for.
    pub applicant_id: Uuid,
    /// Office code.
    pub office: String,
    /// Service date, office-local.
    pub date: NaiveDate,
    /// Session code.
    pub session: String,
    /// The service asked for.
    pub service: ServiceRequest,
    /// Why the applicant travels.
    pub travel_purpose: TravelPurpose,
    /// The client's Idempotency-Key, if any.
    pub idempotency_key: Option<String>,
    /// A fingerprint of the request, to tell a replay from a reused key.
    pub fingerprint: String,
}

/// A booking made, or found again for a replayed Idempotency-Key.
#[derive(Debug)]
pub enum Held {
    /// Made now.
    New(Booking),
    /// Made earlier with the same Idempotency-Key and request.
    Replayed(Booking),
}

/// The slot a booking asks for.
pub fn slot_of(b: &NewBooking) -> SlotKey {
    SlotKey {
        office_code: b.office.clone(),
        service_date: b.date,
        session_code: b.session.clone(),
        class: ServiceClass::for_processing(b.service.processing),
    }
}

/// Holds a place: 2 hours to pay its billing code.
#[tracing::instrument(name = "usecase.bookings.hold", skip_all, fields(office = %b.office, date = %b.date, session = %b.session))]
pub async fn hold(state: &AppState, b: NewBooking) -> UseCaseResult<Held> {
    let slot = slot_of(&b);
    // A session the database just called full is answered here, without a transaction,
    // and without looking the key up unless it made a booking in this session (a double
    // tap after the place was taken finds that booking).
    let full = state.store.recently_full(&slot);
    if full {
        let replay = match &b.idempotency_key {
            Some(key) => {
                state
                    .store
                    .booked_in_slot_with_key(&slot, b.account_id, key)
                    .await?
            }
            None => false,
        };
        if !replay {
            return Err(quota_full());
        }
    }
    if let Some(key) = &b.idempotency_key
        && let Some(existing) = state
            .store
            .booking_by_idempotency_key(b.account_id, key)
            .await?
    {
        if existing.request_fingerprint.as_deref() != Some(b.fingerprint.as_str()) {
            return Err(StoreError::IdempotencyMismatch.into());
        }
        return Ok(Held::Replayed(existing));
    }
    if full {
        return Err(quota_full());
    }
    let plan = bookable(state, &b, &slot).await?;
    let applicant = state
        .store
        .get_applicant(b.account_id, b.applicant_id)
        .await?
        .ok_or_else(|| Refusal::Field {
            field: "applicant_id",
            code: "unknown_applicant",
            message: "add this person to your account first".into(),
        })?;
    let req = allocation(state, &plan, b, slot, &applicant).await?;
    take_place(req, |req| state.store.allocate(req)).await
}

/// The office's plan for the day `b` asks for, once its slot is found bookable (the first
/// of the booking rules).
pub async fn bookable(
    state: &AppState,
    b: &NewBooking,
    slot: &SlotKey,
) -> UseCaseResult<OfficePlan> {
    let office = planning::office(state, &b.office).await?;
    let plan = OfficePlan::load(state, office, b.date, b.date).await?;
    plan.check_bookable(b.date, &b.session, slot.class)?;
    Ok(plan)
}

/// The allocation `b` asks for in `slot` (found [`bookable`] in `plan`), for `applicant`,
/// by the rest of the booking rules in their order: the validity suits the applicant, a fee
/// table applies. An online hold and the front desk's assisted booking both come through
/// here.
pub async fn allocation(
    state: &AppState,
    plan: &OfficePlan,
    b: NewBooking,
    slot: SlotKey,
    applicant: &Applicant,
) -> UseCaseResult<AllocationRequest> {
    check_validity(
        b.service.validity,
        applicant.birth_date,
        applicant.married,
        b.date,
    )
    .map_err(|e| Refusal::Field {
        field: "validity",
        code: e.code(),
        message: "a 10-year passport needs the applicant to be 17 or married".into(),
    })?;
    let quote = planning::fees(state)
        .await?
        .quote(&b.service, plan.today)
        .map_err(|e| Refusal::Field {
            field: "validity",
            code: e.code(),
            message: e.to_string(),
        })?;
    let now = plan.now;
    Ok(AllocationRequest {
        booking_id: Uuid::now_v7(),
        account_id: b.account_id,
        applicant_id: applicant.id,
        nik: applicant.nik.clone(),
        slot,
        billing_code: BillingCode::from_random(random_u64()),
        policy: plan.office.allocation_policy,
        payment_deadline: payment_deadline(
            now,
            Duration::minutes(state.settings.payment_window_minutes),
        ),
        service: b.service,
        travel_purpose: b.travel_purpose,
        fee_table_code: quote.table_code,
        fee_lines: quote.lines,
        fee_total: quote.total,
        idempotency_key: b.idempotency_key,
        request_fingerprint: Some(b.fingerprint),
        now,
    })
}

/// Takes the place `req` asks for with `take` (the store's allocation, or its assisted
/// booking), with a fresh billing code while the one drawn is taken.
pub async fn take_place<F, Fut>(mut req: AllocationRequest, take: F) -> UseCaseResult<Held>
where
    F: Fn(AllocationRequest) -> Fut,
    Fut: std::future::Future<Output = Result<Booking, StoreError>>,
{
    let now = req.now;
    // Identical retries racing each other are settled by the store: each later one finds
    // the booking the first one made, under the same lock that guards the places.
    for _ in 1..BILLING_CODE_DRAWS {
        match take(req.clone()).await {
            Err(StoreError::BillingCodeTaken) => {
                req.billing_code = BillingCode::from_random(random_u64());
            }
            result => return settle(result, now),
        }
    }
    let result = take(req).await;
    settle(result, now)
}

fn settle(
    result: Result<Booking, StoreError>,
    now: chrono::DateTime<chrono::Utc>,
) -> UseCaseResult<Held> {
    match result {
        Ok(b) => {
            metrics::counter!("loket_booking_attempts_total", "outcome" => "booked").increment(1);
            Ok(if b.created_at == now {
                Held::New(b)
            } else {
                Held::Replayed(b)
            })
        }
        Err(StoreError::QuotaFull) => Err(quota_full()),
        Err(e) => Err(e.into()),
    }
}

fn quota_full() -> Refusal {
    metrics::counter!("loket_booking_attempts_total", "outcome" => "quota_full").increment(1);
    Refusal::Store(StoreError::QuotaFull)
}

/// One of the account's bookings. Another account's booking is "not found": its
/// existence is not the caller's business.
pub async fn own(state: &AppState, account_id: Uuid, id: Uuid) -> UseCaseResult<Booking> {
    match state.store.get_booking(id).await? {
        Some(b) if b.account_id == account_id => Ok(b),
        _ => Err(Refusal::NotFound("booking")),
    }
}

/// The account's bookings, newest first.
pub async fn list(state: &AppState, account_id: Uuid) -> UseCaseResult<Vec<Booking>> {
    Ok(state.store.list_bookings(account_id).await?)
}

/// Cancels one of the account's bookings: held or paid, before its day. The store checks
/// the same rule again under its lock.
#[tracing::instrument(name = "usecase.bookings.cancel", skip_all)]
pub async fn cancel(state: &AppState, account_id: Uuid, id: Uuid) -> UseCaseResult<Booking> {
    let b = own(state, account_id, id).await?;
    let office = planning::office(state, &b.slot.office_code).await?;
    let now = state.now();
    let today = loket_domain::release::local_date(now, office.time_zone);
    check_cancel(b.state, b.payment_deadline, b.slot.service_date, today, now)?;
    Ok(state.store.cancel_booking(b.id, now).await?)
}

/// Moves one of the account's bookings to another date or session of its office: the
/// applicant's one move up to the day before, or a refund's move to any free slot.
#[tracing::instrument(name = "usecase.bookings.reschedule", skip_all, fields(date = %date, session = %session))]
pub async fn reschedule(
    state: &AppState,
    account_id: Uuid,
    id: Uuid,
    date: NaiveDate,
    session: &str,
) -> UseCaseResult<Booking> {
    let b = own(state, account_id, id).await?;
    let office = planning::office(state, &b.slot.office_code).await?;
    let plan = OfficePlan::load(state, office, date, date).await?;
    let kind = check_reschedule(
        b.state,
        b.payment_deadline,
        u32::try_from(b.reschedules_used).unwrap_or(u32::MAX),
        b.slot.service_date,
        plan.today,
        plan.now,
    )?;
    if date == b.slot.service_date && session == b.slot.session_code {
        return Err(Refusal::SameSlot);
    }
    plan.check_bookable(date, session, b.slot.class)?;
    let to = plan.slot(date, session, b.slot.class);
    Ok(state
        .store
        .reschedule_booking(b.id, to, kind == RescheduleKind::Applicant, plan.now)
        .await?)
}
