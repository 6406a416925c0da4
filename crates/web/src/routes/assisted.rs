//! Assisted booking over the API: the front desk books for a person without a phone (same
//! rules as an online hold; the rules are `usecases::floor::assisted`), and reads such a
//! booking back to print its slip.

use axum::Json;
use axum::extract::State;
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde::Deserialize;
use utoipa::ToSchema;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use super::bookings::{BookingView, idempotency_key};
use super::floor::desk_office;
use super::quotas::actor;
use super::schemas::{
    ApplicationKindSchema, PassportTypeSchema, ProcessingSchema, SexSchema, TravelPurposeSchema,
    ValiditySchema,
};
use crate::error::{ApiError, ApiResult};
use crate::extract::{ApiJson, ApiPath, CurrentStaff};
use crate::problems::problem_responses;
use crate::state::AppState;
use crate::usecases::applicants::NewApplicant;
use crate::usecases::bookings::Held;
use crate::usecases::fields::ServiceInput;
use crate::usecases::floor::{self, AssistedInput};

problem_responses!(AssistedProblems: STAFF, JSON_BODY, &[NOT_FOUND, INVALID_NIK, IDEMPOTENCY_KEY_REUSED, QUOTA_FULL, NOT_YET_RELEASED, OFFICE_CLOSED, NIK_ACTIVE_BOOKING]);
problem_responses!(GetAssistedProblems: STAFF, &[NOT_FOUND]);

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(post_assisted_booking))
        .routes(routes!(get_assisted_booking))
}

/// A booking for a person without a phone, as the front desk takes it down.
#[derive(Deserialize, ToSchema)]
pub struct AssistedBody {
    /// 16-digit NIK from the ID card; it must match the birth date and sex.
    #[schema(value_type = String, pattern = "^[0-9]{16}$", example = "1671014503900001")]
    pub nik: Option<String>,
    /// Name as on the ID card.
    #[schema(value_type = String, min_length = 1, max_length = 100)]
    pub full_name: Option<String>,
    /// Birth date, not in the future.
    #[schema(value_type = NaiveDate)]
    pub birth_date: Option<String>,
    /// Sex.
    #[schema(value_type = SexSchema)]
    pub sex: Option<String>,
    /// Married (a married applicant under 17 may take a 10-year passport).
    pub married: Option<bool>,
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

fn input(b: AssistedBody, idempotency_key: Option<String>) -> AssistedInput {
    let s = |v: Option<String>| v.unwrap_or_default();
    let person = NewApplicant {
        nik: s(b.nik),
        full_name: s(b.full_name),
        birth_date: s(b.birth_date),
        sex: s(b.sex),
        married: b.married.unwrap_or(false),
    };
    AssistedInput {
        service: ServiceInput {
            kind: s(b.kind),
            passport_type: s(b.passport_type),
            validity: s(b.validity),
            processing: s(b.processing),
            force_majeure: b.force_majeure.unwrap_or(false),
            travel_purpose: s(b.travel_purpose),
        },
        person,
        date: s(b.date),
        session: s(b.session),
        idempotency_key,
    }
}

fn located(
    office: &str,
    b: &loket_store::Booking,
    now: chrono::DateTime<chrono::Utc>,
    status: StatusCode,
) -> Response {
    let mut res = (status, Json(BookingView::new(b, now))).into_response();
    let at = format!("/api/v1/offices/{office}/assisted-bookings/{}", b.id);
    if let Ok(v) = HeaderValue::from_str(&at) {
        res.headers_mut().insert(header::LOCATION, v);
    }
    res
}

/// Books for a person without a phone at the office's front desk, by the rules of an online
/// hold (quota, one active booking per NIK, validity, fee, payment deadline); the booking
/// is paid by its billing code. A retry with the same `Idempotency-Key` returns the same
/// booking (200). Recorded in the audit log.
#[utoipa::path(post, path = "/api/v1/offices/{code}/assisted-bookings", tag = "floor", security(("bearer" = [])),
    params(("code" = String, Path, pattern = "^[a-z0-9-]{1,64}$", description = "office code"),
        ("Idempotency-Key" = Option<String>, Header, max_length = 100, description = "makes retries safe: 1-100 visible ASCII characters, e.g. a UUID")),
    request_body = AssistedBody,
    responses((status = 201, description = "booked; `Location` names the booking", body = BookingView),
        (status = 200, description = "replayed: the booking this Idempotency-Key made", body = BookingView),
        AssistedProblems))]
async fn post_assisted_booking(
    State(state): State<AppState>,
    staff: CurrentStaff,
    ApiPath(code): ApiPath<String>,
    headers: HeaderMap,
    ApiJson(body): ApiJson<AssistedBody>,
) -> ApiResult<Response> {
    let office = desk_office(&state, &staff, &code).await?;
    let key = idempotency_key(&headers)?;
    let held = floor::book_assisted(&state, &actor(&staff), &office, input(body, key)).await?;
    let now = state.now();
    Ok(match held {
        Held::New(b) => located(&office.code, &b, now, StatusCode::CREATED),
        Held::Replayed(b) => located(&office.code, &b, now, StatusCode::OK),
    })
}

/// A booking the office's front desk made for someone.
#[utoipa::path(get, path = "/api/v1/offices/{code}/assisted-bookings/{id}", tag = "floor", security(("bearer" = [])),
    params(("code" = String, Path, pattern = "^[a-z0-9-]{1,64}$", description = "office code"),
        ("id" = uuid::Uuid, Path, description = "booking id")),
    responses((status = 200, description = "the booking", body = BookingView), GetAssistedProblems))]
async fn get_assisted_booking(
    State(state): State<AppState>,
    staff: CurrentStaff,
    ApiPath((code, id)): ApiPath<(String, String)>,
) -> ApiResult<Json<BookingView>> {
    let office = desk_office(&state, &staff, &code).await?;
    let id = uuid::Uuid::parse_str(&id).map_err(|_| ApiError::not_found("booking"))?;
    let (b, _) = floor::assisted(&state, &office, id).await?;
    Ok(Json(BookingView::new(&b, state.now())))
}
