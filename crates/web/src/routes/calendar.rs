//! The calendar: national holidays and collective leave (system admins), and each office's
//! own closures and extra opening days (heads of office, regional admins).

use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use chrono::{Datelike, NaiveDate};
use loket_domain::calendar::{ExceptionKind, Holiday, HolidayKind, OfficeException};
use loket_store::StaffRole;
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use super::quotas::{actor, managed_office};
use super::schemas::{ExceptionKindSchema, HolidayKindSchema};
use crate::error::{ApiError, ApiResult};
use crate::extract::{ApiJson, ApiPath, ApiQuery, CurrentStaff};
use crate::planning;
use crate::problems::problem_responses;
use crate::state::AppState;
use crate::usecases::fields::Fields;
use crate::usecases::reference;

problem_responses!(ListHolidaysProblems: &[VALIDATION_FAILED]);
problem_responses!(PutHolidayProblems: STAFF, JSON_BODY);
problem_responses!(DeleteHolidayProblems: STAFF, &[VALIDATION_FAILED, NOT_FOUND]);
problem_responses!(ListClosuresProblems: &[NOT_FOUND, VALIDATION_FAILED]);
problem_responses!(PutClosureProblems: STAFF, JSON_BODY, &[NOT_FOUND]);
problem_responses!(DeleteClosureProblems: STAFF, &[NOT_FOUND, VALIDATION_FAILED]);

/// Routes of this module.
pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(list_holidays))
        .routes(routes!(put_holiday, delete_holiday))
        .routes(routes!(list_closures))
        .routes(routes!(put_closure, delete_closure))
}

/// A holiday.
#[derive(Serialize, ToSchema)]
pub struct HolidayView {
    /// Date.
    pub date: NaiveDate,
    /// Holiday or collective leave.
    #[schema(value_type = HolidayKindSchema)]
    pub kind: String,
    /// Indonesian name.
    pub name_id: String,
    /// English name.
    pub name_en: String,
}

impl From<&Holiday> for HolidayView {
    fn from(h: &Holiday) -> Self {
        Self {
            date: h.date,
            kind: h.kind.as_str().to_owned(),
            name_id: h.name_id.clone(),
            name_en: h.name_en.clone(),
        }
    }
}

/// Year query.
#[derive(Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct YearQuery {
    /// Year (default: this year).
    #[param(minimum = 1900, maximum = 9999)]
    pub year: Option<i32>,
}

/// National holidays and collective leave of a year.
#[utoipa::path(get, path = "/api/v1/holidays", tag = "calendar", params(YearQuery),
    responses((status = 200, description = "holidays and collective leave of the year", body = [HolidayView]), ListHolidaysProblems))]
async fn list_holidays(
    State(state): State<AppState>,
    ApiQuery(q): ApiQuery<YearQuery>,
) -> ApiResult<Json<Vec<HolidayView>>> {
    let year = q.year.unwrap_or_else(|| state.now().year());
    if !planning::YEARS.contains(&year) {
        return Err(ApiError::field("year", "out_of_range", "use 1900 to 9999"));
    }
    let (Some(from), Some(to)) = (
        NaiveDate::from_ymd_opt(year, 1, 1),
        NaiveDate::from_ymd_opt(year, 12, 31),
    ) else {
        return Err(ApiError::field("year", "invalid", "not a year"));
    };
    let list = state.store.list_holidays(from, to).await?;
    Ok(Json(list.iter().map(HolidayView::from).collect()))
}

/// A holiday to set.
#[derive(Deserialize, ToSchema)]
pub struct HolidayBody {
    /// Holiday or collective leave.
    #[schema(value_type = HolidayKindSchema)]
    pub kind: Option<String>,
    /// Indonesian name.
    #[schema(value_type = String, min_length = 1, max_length = 200)]
    pub name_id: Option<String>,
    /// English name.
    #[schema(value_type = String, min_length = 1, max_length = 200)]
    pub name_en: Option<String>,
}

fn require_system_admin(staff: &CurrentStaff) -> ApiResult<()> {
    if staff.0.role == StaffRole::SystemAdmin {
        Ok(())
    } else {
        Err(ApiError::forbidden().detail("national holidays are set by system admins"))
    }
}

/// Adds or changes a national holiday (system admins; audited).
#[utoipa::path(put, path = "/api/v1/holidays/{date}", tag = "calendar", security(("bearer" = [])),
    params(("date" = NaiveDate, Path)), request_body = HolidayBody,
    responses((status = 200, description = "the holiday as set", body = HolidayView), PutHolidayProblems))]
async fn put_holiday(
    State(state): State<AppState>,
    staff: CurrentStaff,
    ApiPath(date): ApiPath<String>,
    ApiJson(b): ApiJson<HolidayBody>,
) -> ApiResult<Json<HolidayView>> {
    require_system_admin(&staff)?;
    let date = planning::parse_date("date", &date)?;
    let mut f = Fields::default();
    let kind_s = f.text("kind", b.kind.as_deref().unwrap_or_default(), 32);
    let kind = HolidayKind::parse(&kind_s);
    if !kind_s.is_empty() && kind.is_none() {
        f.push("kind", "invalid", "use holiday or collective_leave");
    }
    let name_id = f.text("name_id", b.name_id.as_deref().unwrap_or_default(), 200);
    let name_en = f.text("name_en", b.name_en.as_deref().unwrap_or_default(), 200);
    f.finish()?;
    let h = Holiday {
        date,
        kind: kind.ok_or_else(|| ApiError::internal("validated fields missing"))?,
        name_id,
        name_en,
    };
    reference::put_holiday(&state, &actor(&staff), &h).await?;
    Ok(Json(HolidayView::from(&h)))
}

/// Removes a national holiday (system admins; audited).
#[utoipa::path(delete, path = "/api/v1/holidays/{date}", tag = "calendar", security(("bearer" = [])),
    params(("date" = NaiveDate, Path)),
    responses((status = 204, description = "removed"), DeleteHolidayProblems))]
async fn delete_holiday(
    State(state): State<AppState>,
    staff: CurrentStaff,
    ApiPath(date): ApiPath<String>,
) -> ApiResult<StatusCode> {
    require_system_admin(&staff)?;
    let date = planning::parse_date("date", &date)?;
    reference::delete_holiday(&state, &actor(&staff), date).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// An office's closure or extra opening.
#[derive(Serialize, ToSchema)]
pub struct ClosureView {
    /// Date.
    pub date: NaiveDate,
    /// Closed on a working day, or open on a day it would be closed.
    #[schema(value_type = ExceptionKindSchema)]
    pub kind: String,
    /// Why.
    pub reason: String,
}

impl From<&OfficeException> for ClosureView {
    fn from(e: &OfficeException) -> Self {
        Self {
            date: e.date,
            kind: e.kind.as_str().to_owned(),
            reason: e.reason.clone(),
        }
    }
}

/// Period query.
#[derive(Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct ClosureQuery {
    /// First date (default: today).
    #[param(value_type = Option<NaiveDate>)]
    pub from: Option<String>,
    /// Last date (default: from + 61 days; at most 62 days after from).
    #[param(value_type = Option<NaiveDate>)]
    pub to: Option<String>,
}

/// An office's closures and extra openings in a period (public: applicants see why a day is closed).
#[utoipa::path(get, path = "/api/v1/offices/{code}/closures", tag = "calendar",
    params(("code" = String, Path, pattern = "^[a-z0-9-]{1,64}$", description = "office code"), ClosureQuery),
    responses((status = 200, description = "closures and extra openings in the period", body = [ClosureView]), ListClosuresProblems))]
async fn list_closures(
    State(state): State<AppState>,
    ApiPath(code): ApiPath<String>,
    ApiQuery(q): ApiQuery<ClosureQuery>,
) -> ApiResult<Json<Vec<ClosureView>>> {
    let office = planning::office(&state, &code).await?;
    let today = loket_domain::release::local_date(state.now(), office.time_zone);
    let from = q.from.unwrap_or_else(|| today.to_string());
    let f = planning::parse_date("from", &from)?;
    let to =
        q.to.unwrap_or_else(|| (f + chrono::Days::new(61)).to_string());
    let (from, to) = planning::parse_range(&from, &to)?;
    let inputs = state.store.calendar_inputs(&office.code, from, to).await?;
    Ok(Json(
        inputs.exceptions.iter().map(ClosureView::from).collect(),
    ))
}

/// A closure or opening to set.
#[derive(Deserialize, ToSchema)]
pub struct ClosureBody {
    /// Closed on a working day, or open on a day it would be closed.
    #[schema(value_type = ExceptionKindSchema)]
    pub kind: Option<String>,
    /// Why (shown to applicants).
    #[schema(value_type = String, min_length = 1, max_length = 300)]
    pub reason: Option<String>,
}

/// Closes the office on a date, or opens it on a weekend or collective-leave day (audited).
/// Bookings already made for a newly closed day are kept; the office must contact them.
#[utoipa::path(put, path = "/api/v1/offices/{code}/closures/{date}", tag = "calendar", security(("bearer" = [])),
    params(("code" = String, Path, pattern = "^[a-z0-9-]{1,64}$", description = "office code"), ("date" = NaiveDate, Path)), request_body = ClosureBody,
    responses((status = 200, description = "the closure or opening as set", body = ClosureView), PutClosureProblems))]
async fn put_closure(
    State(state): State<AppState>,
    staff: CurrentStaff,
    ApiPath((code, date)): ApiPath<(String, String)>,
    ApiJson(b): ApiJson<ClosureBody>,
) -> ApiResult<Json<ClosureView>> {
    let office = managed_office(&state, &staff, &code).await?;
    let date = planning::parse_date("date", &date)?;
    let mut f = Fields::default();
    let kind_s = f.text("kind", b.kind.as_deref().unwrap_or_default(), 16);
    let kind = ExceptionKind::parse(&kind_s);
    if !kind_s.is_empty() && kind.is_none() {
        f.push("kind", "invalid", "use closed or open");
    }
    let reason = f.text("reason", b.reason.as_deref().unwrap_or_default(), 300);
    f.finish()?;
    let e = OfficeException {
        date,
        kind: kind.ok_or_else(|| ApiError::internal("validated fields missing"))?,
        reason,
    };
    reference::set_closure(&state, &actor(&staff), &office, &e).await?;
    Ok(Json(ClosureView::from(&e)))
}

/// Removes an office's closure or opening (audited).
#[utoipa::path(delete, path = "/api/v1/offices/{code}/closures/{date}", tag = "calendar", security(("bearer" = [])),
    params(("code" = String, Path, pattern = "^[a-z0-9-]{1,64}$", description = "office code"), ("date" = NaiveDate, Path)),
    responses((status = 204, description = "removed"), DeleteClosureProblems))]
async fn delete_closure(
    State(state): State<AppState>,
    staff: CurrentStaff,
    ApiPath((code, date)): ApiPath<(String, String)>,
) -> ApiResult<StatusCode> {
    let office = managed_office(&state, &staff, &code).await?;
    let date = planning::parse_date("date", &date)?;
    reference::delete_closure(&state, &actor(&staff), &office, date).await?;
    Ok(StatusCode::NO_CONTENT)
}
