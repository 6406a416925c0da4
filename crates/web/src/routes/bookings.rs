//! Bookings: take a place (with an Idempotency-Key), read, list, cancel and reschedule.
//! Handlers parse and check the rules; the place itself is taken by one Store call.

use axum::Json;
use axum::extract::State;
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use chrono::{DateTime, Datelike, Duration, NaiveDate, Utc};
use loket_domain::BillingCode;
use loket_domain::booking::{
    MAX_RESCHEDULES, PaymentStatus, RescheduleKind, check_cancel, check_reschedule,
    payment_deadline, refund_owed,
};
use loket_domain::catalogue::{
    ApplicationKind, FeeLine, PassportType, Processing, ServiceRequest, TravelPurpose, Validity,
    check_validity,
};
use loket_domain::quota::ServiceClass;
use loket_domain::release::local_date;
use loket_store::{AllocationRequest, Booking, StoreError};
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use utoipa::ToSchema;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;
use uuid::Uuid;

use super::accounts::Fields;
use super::schemas::{
    ApplicationKindSchema, BookingStateSchema, PassportTypeSchema, ProcessingSchema,
    ServiceClassSchema, TravelPurposeSchema, ValiditySchema,
};
use crate::auth::random_u64;
use crate::error::{ApiError, ApiResult};
use crate::extract::{ApiJson, ApiPath, CurrentAccount};
use crate::planning::{self, OfficePlan};
use crate::problems::problem_responses;
use crate::state::AppState;

problem_responses!(CreateBookingProblems: APPLICANT, JSON_BODY, &[NOT_FOUND, IDEMPOTENCY_KEY_REUSED, QUOTA_FULL, NOT_YET_RELEASED, OFFICE_CLOSED, NIK_ACTIVE_BOOKING]);
problem_responses!(ListBookingsProblems: APPLICANT);
problem_responses!(GetBookingProblems: APPLICANT, &[NOT_FOUND]);
problem_responses!(CancelBookingProblems: APPLICANT, &[NOT_FOUND, CANCEL_NOT_ALLOWED, PAYMENT_DEADLINE_PASSED]);
problem_responses!(RescheduleBookingProblems: APPLICANT, JSON_BODY, &[NOT_FOUND, RESCHEDULE_NOT_ALLOWED, PAYMENT_DEADLINE_PASSED, QUOTA_FULL, NOT_YET_RELEASED, OFFICE_CLOSED]);

/// Routes of this module.
pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(create_booking, list_bookings))
        .routes(routes!(get_booking))
        .routes(routes!(cancel_booking))
        .routes(routes!(reschedule_booking))
}

/// A booking as its owner sees it.
#[derive(Serialize, ToSchema)]
pub struct BookingView {
    /// Booking id.
    pub id: Uuid,
    /// State as of now.
    #[schema(value_type = BookingStateSchema)]
    pub state: String,
    /// Office code.
    pub office: String,
    /// Service date (office-local).
    pub date: NaiveDate,
    /// Session code.
    pub session: String,
    /// Quota class the place is drawn from (online or express).
    #[schema(value_type = ServiceClassSchema)]
    pub class: String,
    /// Applicant id.
    pub applicant_id: Uuid,
    /// Applicant NIK, masked.
    pub nik_masked: String,
    /// 15-digit billing code to pay.
    #[schema(pattern = "^[0-9]{15}$")]
    pub billing_code: String,
    /// Pay before this instant, or the place goes back to the quota.
    pub payment_deadline: DateTime<Utc>,
    /// Amount due in rupiah.
    pub amount: i64,
    /// Fee table (regulation) used.
    pub fee_table: String,
    /// Fee lines.
    #[schema(value_type = Vec<FeeLineView>)]
    pub fee_lines: Vec<FeeLine>,
    /// Application kind.
    #[schema(value_type = ApplicationKindSchema)]
    pub kind: String,
    /// Passport type.
    #[schema(value_type = PassportTypeSchema)]
    pub passport_type: String,
    /// Validity.
    #[schema(value_type = ValiditySchema)]
    pub validity: String,
    /// Processing.
    #[schema(value_type = ProcessingSchema)]
    pub processing: String,
    /// Travel purpose.
    #[schema(value_type = TravelPurposeSchema)]
    pub travel_purpose: String,
    /// Reschedules the applicant has left.
    pub reschedules_left: i64,
    /// Created.
    pub created_at: DateTime<Utc>,
    /// When the money arrived (kept when the booking is later cancelled or owed back).
    pub paid_at: Option<DateTime<Utc>>,
    /// unpaid | confirming (the bank is confirming) | received.
    pub payment: String,
    /// none | due: whether the fee is owed back (paid, then cancelled or paid too late).
    pub refund: String,
}

/// One line of a fee quote.
#[derive(ToSchema)]
#[schema(as = FeeLine)]
pub struct FeeLineView {
    /// Item code, e.g. "electronic_5y", "express", "lost_surcharge".
    pub item: String,
    /// Amount in rupiah.
    pub amount: i64,
}

impl BookingView {
    /// The owner's view of a booking at `now`.
    pub fn new(b: &Booking, now: DateTime<Utc>) -> Self {
        Self {
            id: b.id,
            state: b.effective_state(now).as_str().to_owned(),
            office: b.slot.office_code.clone(),
            date: b.slot.service_date,
            session: b.slot.session_code.clone(),
            class: b.slot.class.as_str().to_owned(),
            applicant_id: b.applicant_id,
            nik_masked: b.nik.masked(),
            billing_code: b.billing_code.to_string(),
            payment_deadline: b.payment_deadline,
            amount: b.fee_total,
            fee_table: b.fee_table_code.clone(),
            fee_lines: b.fee_lines.clone(),
            kind: b.service.kind.as_str().to_owned(),
            passport_type: b.service.passport_type.as_str().to_owned(),
            validity: b.service.validity.as_str().to_owned(),
            processing: b.service.processing.as_str().to_owned(),
            travel_purpose: b.travel_purpose.as_str().to_owned(),
            reschedules_left: (i64::from(MAX_RESCHEDULES) - b.reschedules_used).max(0),
            created_at: b.created_at,
            paid_at: b.paid_at,
            payment: PaymentStatus::of(b.state, b.paid_at.is_some())
                .as_str()
                .to_owned(),
            refund: if refund_owed(b.state, b.paid_at.is_some()) {
                "due"
            } else {
                "none"
            }
            .to_owned(),
        }
    }
}

/// A booking request. Fields are taken as strings so that every mistake is reported per
/// field; the document declares what each must be.
#[derive(Deserialize, Serialize, ToSchema)]
pub struct CreateBookingBody {
    /// Applicant id (from POST /api/v1/applicants).
    #[schema(value_type = Uuid)]
    pub applicant_id: Option<String>,
    /// Office code.
    #[schema(value_type = String, max_length = 64, example = "palembang")]
    pub office: Option<String>,
    /// Service date (office-local), from tomorrow on.
    #[schema(value_type = NaiveDate)]
    pub date: Option<String>,
    /// Session code of the office, e.g. "s1".
    #[schema(value_type = String, max_length = 32, example = "s1")]
    pub session: Option<String>,
    /// Why the passport is applied for.
    #[schema(value_type = ApplicationKindSchema)]
    pub kind: Option<String>,
    /// Passport type.
    #[schema(value_type = PassportTypeSchema)]
    pub passport_type: Option<String>,
    /// Validity.
    #[schema(value_type = ValiditySchema)]
    pub validity: Option<String>,
    /// Processing (express draws from the express quota).
    #[schema(value_type = ProcessingSchema)]
    pub processing: Option<String>,
    /// Lost or damaged by force majeure (waives the surcharge; checked at the office).
    pub force_majeure: Option<bool>,
    /// Purpose of travel.
    #[schema(value_type = TravelPurposeSchema)]
    pub travel_purpose: Option<String>,
}

fn pick<T>(
    f: &mut Fields,
    field: &str,
    v: &Option<String>,
    parse: fn(&str) -> Option<T>,
    allowed: &str,
) -> Option<T> {
    let s = f.text(field, v, 40);
    if s.is_empty() {
        return None;
    }
    let parsed = parse(&s);
    if parsed.is_none() {
        f.push(field, "invalid", format!("use one of: {allowed}"));
    }
    parsed
}

fn list_of<T: Copy>(all: &[T], code: fn(&T) -> &'static str) -> String {
    all.iter().map(code).collect::<Vec<_>>().join(", ")
}

struct ParsedBooking {
    applicant_id: Uuid,
    office: String,
    date: NaiveDate,
    session: String,
    service: ServiceRequest,
    travel_purpose: TravelPurpose,
}

fn parse_booking(b: &CreateBookingBody) -> ApiResult<ParsedBooking> {
    let mut f = Fields::default();
    let applicant = f.text("applicant_id", &b.applicant_id, 64);
    let applicant_id = if applicant.is_empty() {
        None
    } else {
        let id = Uuid::parse_str(&applicant).ok();
        if id.is_none() {
            f.push("applicant_id", "invalid", "not an applicant id");
        }
        id
    };
    let office = f.text("office", &b.office, 64);
    let date_s = f.text("date", &b.date, 10);
    let date = if date_s.is_empty() {
        None
    } else {
        let d = planning::iso_date(&date_s).filter(|d| planning::YEARS.contains(&d.year()));
        if d.is_none() {
            f.push("date", "invalid_date", "use the form YYYY-MM-DD");
        }
        d
    };
    let session = f.text("session", &b.session, 32);
    let kind = pick(
        &mut f,
        "kind",
        &b.kind,
        ApplicationKind::parse,
        &list_of(&ApplicationKind::ALL, ApplicationKind::as_str),
    );
    let passport_type = pick(
        &mut f,
        "passport_type",
        &b.passport_type,
        PassportType::parse,
        &list_of(&PassportType::ALL, PassportType::as_str),
    );
    let validity = pick(
        &mut f,
        "validity",
        &b.validity,
        Validity::parse,
        &list_of(&Validity::ALL, Validity::as_str),
    );
    let processing = pick(
        &mut f,
        "processing",
        &b.processing,
        Processing::parse,
        &list_of(&Processing::ALL, Processing::as_str),
    );
    let travel_purpose = pick(
        &mut f,
        "travel_purpose",
        &b.travel_purpose,
        TravelPurpose::parse,
        &list_of(&TravelPurpose::ALL, TravelPurpose::as_str),
    );
    f.finish()?;
    match (
        applicant_id,
        date,
        kind,
        passport_type,
        validity,
        processing,
        travel_purpose,
    ) {
        (
            Some(applicant_id),
            Some(date),
            Some(kind),
            Some(passport_type),
            Some(validity),
            Some(processing),
            Some(travel_purpose),
        ) => Ok(ParsedBooking {
            applicant_id,
            office,
            date,
            session,
            service: ServiceRequest {
                kind,
                passport_type,
                validity,
                processing,
                force_majeure: b.force_majeure.unwrap_or(false),
            },
            travel_purpose,
        }),
        _ => Err(ApiError::internal("validated fields missing")),
    }
}

fn idempotency_key(headers: &HeaderMap) -> ApiResult<Option<String>> {
    let Some(v) = headers.get("idempotency-key") else {
        return Ok(None);
    };
    let s = v.to_str().unwrap_or("").trim();
    if s.is_empty() || s.len() > 100 || !s.bytes().all(|b| b.is_ascii_graphic()) {
        return Err(ApiError::field(
            "Idempotency-Key",
            "invalid",
            "use 1-100 visible ASCII characters, e.g. a UUID",
        ));
    }
    Ok(Some(s.to_owned()))
}

fn fingerprint(b: &CreateBookingBody) -> String {
    hex::encode(Sha256::digest(serde_json::to_vec(b).unwrap_or_default()))
}

fn created(b: &Booking, now: DateTime<Utc>, status: StatusCode) -> Response {
    let mut res = (status, Json(BookingView::new(b, now))).into_response();
    if let Ok(v) = HeaderValue::from_str(&format!("/api/v1/bookings/{}", b.id)) {
        res.headers_mut().insert(header::LOCATION, v);
    }
    res
}

fn quota_full(state: &AppState, key: &loket_store::SlotKey) -> ApiError {
    state.full_slots.mark_full(key);
    metrics::counter!("loket_booking_attempts_total", "outcome" => "quota_full").increment(1);
    StoreError::QuotaFull.into()
}

/// Holds a place for an applicant and returns the billing code to pay before the deadline.
/// A retry with the same `Idempotency-Key` returns the same booking (200) instead of a second one.
#[utoipa::path(post, path = "/api/v1/bookings", tag = "bookings", request_body = CreateBookingBody,
    security(("bearer" = [])),
    params(("Idempotency-Key" = Option<String>, Header, max_length = 100, description = "makes retries safe: 1-100 visible ASCII characters, e.g. a UUID")),
    responses((status = 201, description = "booked; `Location` names the booking", body = BookingView),
        (status = 200, description = "replayed: the booking this Idempotency-Key made", body = BookingView),
        CreateBookingProblems))]
async fn create_booking(
    State(state): State<AppState>,
    account: CurrentAccount,
    headers: HeaderMap,
    ApiJson(body): ApiJson<CreateBookingBody>,
) -> ApiResult<Response> {
    let key = idempotency_key(&headers)?;
    let fp = fingerprint(&body);
    if let Some(k) = &key
        && let Some(existing) = state
            .store
            .booking_by_idempotency_key(account.id, k)
            .await?
    {
        if existing.request_fingerprint.as_deref() != Some(fp.as_str()) {
            return Err(StoreError::IdempotencyMismatch.into());
        }
        return Ok(created(&existing, state.now(), StatusCode::OK));
    }
    let p = parse_booking(&body)?;
    let class = ServiceClass::for_processing(p.service.processing);
    let slot = loket_store::SlotKey {
        office_code: p.office.clone(),
        service_date: p.date,
        session_code: p.session.clone(),
        class,
    };
    // A session the database just called full is answered here, without a transaction.
    if state.full_slots.is_full(&slot) {
        return Err(quota_full(&state, &slot));
    }
    let office = planning::office(&state, &p.office).await?;
    let plan = OfficePlan::load(&state, office, p.date, p.date).await?;
    plan.check_bookable(p.date, &p.session, class)?;
    let applicant = state
        .store
        .get_applicant(account.id, p.applicant_id)
        .await?
        .ok_or_else(|| {
            ApiError::field(
                "applicant_id",
                "unknown_applicant",
                "add this person to your account first",
            )
        })?;
    check_validity(
        p.service.validity,
        applicant.birth_date,
        applicant.married,
        p.date,
    )
    .map_err(|e| {
        ApiError::field(
            "validity",
            e.code(),
            "a 10-year passport needs the applicant to be 17 or married",
        )
    })?;
    let today = local_date(plan.now, plan.office.time_zone);
    let fees = planning::fees(&state).await?;
    let quote = fees
        .quote(&p.service, today)
        .map_err(|e| ApiError::field("validity", e.code(), e.to_string()))?;
    let now = plan.now;
    let req = AllocationRequest {
        booking_id: Uuid::now_v7(),
        account_id: account.id,
        applicant_id: applicant.id,
        nik: applicant.nik.clone(),
        slot: slot.clone(),
        billing_code: BillingCode::from_random(random_u64()),
        payment_deadline: payment_deadline(
            now,
            Duration::minutes(state.settings.payment_window_minutes),
        ),
        service: p.service,
        travel_purpose: p.travel_purpose,
        fee_table_code: quote.table_code,
        fee_lines: quote.lines,
        fee_total: quote.total,
        idempotency_key: key.clone(),
        request_fingerprint: Some(fp),
        now,
    };
    // Identical retries racing each other are settled by the store: each later one finds
    // the booking the first one made, under the same lock that guards the places.
    match state.store.allocate(req).await {
        Ok(b) => {
            metrics::counter!("loket_booking_attempts_total", "outcome" => "booked").increment(1);
            let status = if b.created_at == now {
                StatusCode::CREATED
            } else {
                StatusCode::OK
            };
            Ok(created(&b, now, status))
        }
        Err(StoreError::QuotaFull) => Err(quota_full(&state, &slot)),
        Err(e) => Err(e.into()),
    }
}

/// The caller's bookings, newest first.
#[utoipa::path(get, path = "/api/v1/bookings", tag = "bookings", security(("bearer" = [])),
    responses((status = 200, description = "the caller's bookings, newest first", body = [BookingView]), ListBookingsProblems))]
async fn list_bookings(
    State(state): State<AppState>,
    account: CurrentAccount,
) -> ApiResult<Json<Vec<BookingView>>> {
    let now = state.now();
    let list = state.store.list_bookings(account.id).await?;
    Ok(Json(
        list.iter().map(|b| BookingView::new(b, now)).collect(),
    ))
}

async fn own_booking(state: &AppState, account: &CurrentAccount, id: &str) -> ApiResult<Booking> {
    let id = Uuid::parse_str(id).map_err(|_| ApiError::not_found("booking"))?;
    match state.store.get_booking(id).await? {
        // Someone else's booking is "not found": its existence is not the caller's business.
        Some(b) if b.account_id == account.id => Ok(b),
        _ => Err(ApiError::not_found("booking")),
    }
}

/// One of the caller's bookings.
#[utoipa::path(get, path = "/api/v1/bookings/{id}", tag = "bookings", security(("bearer" = [])),
    params(("id" = Uuid, Path, description = "booking id")),
    responses((status = 200, description = "the booking", body = BookingView), GetBookingProblems))]
async fn get_booking(
    State(state): State<AppState>,
    account: CurrentAccount,
    ApiPath(id): ApiPath<String>,
) -> ApiResult<Json<BookingView>> {
    let b = own_booking(&state, &account, &id).await?;
    Ok(Json(BookingView::new(&b, state.now())))
}

/// Cancels a held or paid booking before its day; the place goes back to the quota.
#[utoipa::path(post, path = "/api/v1/bookings/{id}/cancel", tag = "bookings", security(("bearer" = [])),
    params(("id" = Uuid, Path, description = "booking id")),
    responses((status = 200, description = "the cancelled booking", body = BookingView), CancelBookingProblems))]
async fn cancel_booking(
    State(state): State<AppState>,
    account: CurrentAccount,
    ApiPath(id): ApiPath<String>,
) -> ApiResult<Json<BookingView>> {
    let b = own_booking(&state, &account, &id).await?;
    let office = planning::office(&state, &b.slot.office_code).await?;
    let now = state.now();
    let today = local_date(now, office.time_zone);
    check_cancel(b.state, b.payment_deadline, b.slot.service_date, today, now)?;
    let b = state.store.cancel_booking(b.id, now).await?;
    state.full_slots.forget(&b.slot);
    Ok(Json(BookingView::new(&b, now)))
}

/// A new date and session.
#[derive(Deserialize, ToSchema)]
pub struct RescheduleBody {
    /// New date (office-local).
    #[schema(value_type = NaiveDate)]
    pub date: Option<String>,
    /// New session code.
    #[schema(value_type = String, max_length = 32)]
    pub session: Option<String>,
}

/// Moves a booking to another date or session of the same office: once, up to the day
/// before. A booking owed a refund after a late payment may instead be moved to any free slot.
#[utoipa::path(post, path = "/api/v1/bookings/{id}/reschedule", tag = "bookings", security(("bearer" = [])),
    params(("id" = Uuid, Path, description = "booking id")), request_body = RescheduleBody,
    responses((status = 200, description = "the moved booking", body = BookingView), RescheduleBookingProblems))]
async fn reschedule_booking(
    State(state): State<AppState>,
    account: CurrentAccount,
    ApiPath(id): ApiPath<String>,
    ApiJson(body): ApiJson<RescheduleBody>,
) -> ApiResult<Json<BookingView>> {
    let b = own_booking(&state, &account, &id).await?;
    let mut f = Fields::default();
    let date_s = f.text("date", &body.date, 10);
    let session = f.text("session", &body.session, 32);
    f.finish()?;
    let date = planning::parse_date("date", &date_s)?;
    let office = planning::office(&state, &b.slot.office_code).await?;
    let plan = OfficePlan::load(&state, office, date, date).await?;
    let kind = check_reschedule(
        b.state,
        b.payment_deadline,
        u32::try_from(b.reschedules_used).unwrap_or(u32::MAX),
        b.slot.service_date,
        plan.today,
        plan.now,
    )?;
    if date == b.slot.service_date && session == b.slot.session_code {
        return Err(ApiError::field(
            "date",
            "same_slot",
            "choose a different date or session",
        ));
    }
    plan.check_bookable(date, &session, b.slot.class)?;
    let to = plan.slot(date, &session, b.slot.class);
    let old = b.slot.clone();
    let moved = state
        .store
        .reschedule_booking(b.id, to, kind == RescheduleKind::Applicant, plan.now)
        .await?;
    state.full_slots.forget(&old);
    Ok(Json(BookingView::new(&moved, plan.now)))
}
