//! Bookings: take a place (with an Idempotency-Key), read, list, cancel and reschedule.
//! Handlers parse and check the rules; the place itself is taken by one Store call.

use axum::Json;
use axum::extract::State;
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use chrono::{DateTime, NaiveDate, Utc};
use loket_domain::booking::{MAX_RESCHEDULES, PaymentStatus, refund_owed};
use loket_domain::catalogue::{FeeLine, ServiceRequest, TravelPurpose};
use loket_store::Booking;
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use utoipa::ToSchema;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;
use uuid::Uuid;

use super::schemas::{
    ApplicationKindSchema, BookingStateSchema, PassportTypeSchema, ProcessingSchema,
    ServiceClassSchema, TravelPurposeSchema, ValiditySchema,
};
use crate::error::{ApiError, ApiResult};
use crate::extract::{ApiJson, ApiPath, CurrentAccount};
use crate::planning;
use crate::problems::problem_responses;
use crate::state::AppState;
use crate::usecases::bookings::{self, Held, NewBooking};
use crate::usecases::fields::{Fields, ServiceInput};

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
    /// The code on the receipt that the front desk reads or types, e.g. `7K3M-Q9XD`
    /// (Crockford base32 of the id's last 40 bits).
    #[schema(pattern = "^[0-9A-HJKMNP-TV-Z]{4}-[0-9A-HJKMNP-TV-Z]{4}$")]
    pub booking_code: String,
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
            booking_code: loket_domain::BookingCode::of(b.id).to_string(),
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

impl CreateBookingBody {
    /// The service fields as the rules read them.
    pub(crate) fn service_input(&self) -> ServiceInput {
        let s = |v: &Option<String>| v.clone().unwrap_or_default();
        ServiceInput {
            kind: s(&self.kind),
            passport_type: s(&self.passport_type),
            validity: s(&self.validity),
            processing: s(&self.processing),
            force_majeure: self.force_majeure.unwrap_or(false),
            travel_purpose: s(&self.travel_purpose),
        }
    }
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
    let applicant = f.text(
        "applicant_id",
        b.applicant_id.as_deref().unwrap_or_default(),
        64,
    );
    let applicant_id = if applicant.is_empty() {
        None
    } else {
        let id = Uuid::parse_str(&applicant).ok();
        if id.is_none() {
            f.push("applicant_id", "invalid", "not an applicant id");
        }
        id
    };
    let office = f.text("office", b.office.as_deref().unwrap_or_default(), 64);
    let date = f.service_date("date", b.date.as_deref().unwrap_or_default());
    let session = f.text("session", b.session.as_deref().unwrap_or_default(), 32);
    let service = f.service(&b.service_input());
    f.finish()?;
    match (applicant_id, date, service) {
        (Some(applicant_id), Some(date), Some((service, travel_purpose))) => Ok(ParsedBooking {
            applicant_id,
            office,
            date,
            session,
            service,
            travel_purpose,
        }),
        _ => Err(ApiError::internal("validated fields missing")),
    }
}

pub(crate) fn idempotency_key(headers: &HeaderMap) -> ApiResult<Option<String>> {
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
    let idempotency_key = idempotency_key(&headers)?;
    let fingerprint = fingerprint(&body);
    // Parsing is pure, so a replayed body parses as it did the first time.
    let p = parse_booking(&body)?;
    let held = bookings::hold(
        &state,
        NewBooking {
            account_id: account.id,
            applicant_id: p.applicant_id,
            office: p.office,
            date: p.date,
            session: p.session,
            service: p.service,
            travel_purpose: p.travel_purpose,
            idempotency_key,
            fingerprint,
        },
    )
    .await?;
    Ok(match held {
        Held::New(b) => created(&b, state.now(), StatusCode::CREATED),
        Held::Replayed(b) => created(&b, state.now(), StatusCode::OK),
    })
}

/// The caller's bookings, newest first.
#[utoipa::path(get, path = "/api/v1/bookings", tag = "bookings", security(("bearer" = [])),
    responses((status = 200, description = "the caller's bookings, newest first", body = [BookingView]), ListBookingsProblems))]
async fn list_bookings(
    State(state): State<AppState>,
    account: CurrentAccount,
) -> ApiResult<Json<Vec<BookingView>>> {
    let list = bookings::list(&state, account.id).await?;
    let now = state.now();
    Ok(Json(
        list.iter().map(|b| BookingView::new(b, now)).collect(),
    ))
}

/// A booking id from the path; anything else names no booking.
fn booking_id(id: &str) -> ApiResult<Uuid> {
    Uuid::parse_str(id).map_err(|_| ApiError::not_found("booking"))
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
    let b = bookings::own(&state, account.id, booking_id(&id)?).await?;
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
    let b = bookings::cancel(&state, account.id, booking_id(&id)?).await?;
    Ok(Json(BookingView::new(&b, state.now())))
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
    let id = booking_id(&id)?;
    let mut f = Fields::default();
    let date_s = f.text("date", body.date.as_deref().unwrap_or_default(), 10);
    let session = f.text("session", body.session.as_deref().unwrap_or_default(), 32);
    f.finish()?;
    let date = planning::parse_date("date", &date_s)?;
    let moved = bookings::reschedule(&state, account.id, id, date, &session).await?;
    Ok(Json(BookingView::new(&moved, state.now())))
}
