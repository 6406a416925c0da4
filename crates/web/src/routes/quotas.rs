//! Quota management for heads of office (and regional and system admins in their scope):
//! weekday defaults, per-date overrides, bulk changes over a period, and the audit trail.
//! No change ever sets a capacity below the places already taken.

use axum::Json;
use axum::extract::State;
use chrono::{Days, NaiveDate, Weekday};
use loket_domain::Office;
use loket_domain::quota::{MAX_CAPACITY, QuotaAdjustment, ServiceClass};
use loket_domain::staff::OFFICE_MANAGERS;
use loket_store::{Actor, AuditEntry, CapacityChange, QuotaDefaultRow, QuotaOverrideRow};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use super::schemas::{QuotaAdjustmentSchema, ServiceClassSchema, WeekdaySchema};
use crate::error::{ApiError, ApiResult};
use crate::extract::{ApiJson, ApiPath, ApiQuery, CurrentStaff};
use crate::planning;
use crate::problems::problem_responses;
use crate::state::AppState;
use crate::usecases::fields::Fields;
use crate::usecases::reference;

problem_responses!(GetQuotasProblems: STAFF, &[NOT_FOUND, VALIDATION_FAILED]);
problem_responses!(PutDefaultProblems: STAFF, JSON_BODY, &[NOT_FOUND]);
problem_responses!(PutOverrideProblems: STAFF, JSON_BODY, &[NOT_FOUND, CAPACITY_BELOW_TAKEN]);
problem_responses!(BulkProblems: STAFF, JSON_BODY, &[NOT_FOUND]);
problem_responses!(AuditProblems: STAFF, &[NOT_FOUND, VALIDATION_FAILED]);

/// Routes of this module.
pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(get_quotas))
        .routes(routes!(put_default))
        .routes(routes!(put_override))
        .routes(routes!(bulk))
        .routes(routes!(audit))
}

/// Loads the office and checks the staff member manages it.
pub async fn managed_office(
    state: &AppState,
    staff: &CurrentStaff,
    code: &str,
) -> ApiResult<Office> {
    let office = planning::office(state, code).await?;
    staff.check_scope(
        &office.code,
        &office.region_code,
        &OFFICE_MANAGERS,
        "manage quotas, the calendar and the audit log",
    )?;
    Ok(office)
}

/// Who is acting, for the audit log.
pub fn actor(staff: &CurrentStaff) -> Actor {
    Actor::staff(&staff.0)
}

/// Quotas of an office.
#[derive(Serialize, ToSchema)]
pub struct QuotasView {
    /// Weekday defaults.
    #[schema(value_type = Vec<QuotaDefaultView>)]
    pub defaults: Vec<QuotaDefaultRow>,
    /// Per-date overrides in the period.
    #[schema(value_type = Vec<QuotaOverrideView>)]
    pub overrides: Vec<QuotaOverrideRow>,
}

/// A weekday default as listed (the document's picture of `QuotaDefaultRow`).
#[derive(ToSchema)]
#[schema(as = QuotaDefault)]
pub struct QuotaDefaultView {
    /// Weekday.
    #[schema(value_type = WeekdaySchema)]
    pub weekday: String,
    /// Session code.
    pub session_code: String,
    /// Quota class.
    #[schema(value_type = ServiceClassSchema)]
    pub class: String,
    /// Places.
    pub capacity: i64,
}

/// A per-date override as listed (the document's picture of `QuotaOverrideRow`).
#[derive(ToSchema)]
#[schema(as = QuotaOverride)]
pub struct QuotaOverrideView {
    /// Date.
    pub service_date: NaiveDate,
    /// Session code.
    pub session_code: String,
    /// Quota class.
    #[schema(value_type = ServiceClassSchema)]
    pub class: String,
    /// Places.
    pub capacity: i64,
}

/// One capacity a change set (the document's picture of `CapacityChange`).
#[derive(ToSchema)]
#[schema(as = CapacityChange)]
pub struct CapacityChangeView {
    /// Date (absent for a weekday default).
    pub service_date: Option<NaiveDate>,
    /// Weekday, for a default.
    #[schema(value_type = Option<WeekdaySchema>)]
    pub weekday: Option<String>,
    /// Session code.
    pub session_code: String,
    /// Quota class.
    #[schema(value_type = ServiceClassSchema)]
    pub class: String,
    /// Places before.
    pub before: i64,
    /// Places after.
    pub after: i64,
    /// Raised to the places already taken.
    pub clamped: bool,
}

/// One audit entry (the document's picture of `AuditEntry`).
#[derive(ToSchema)]
#[schema(as = AuditEntry)]
pub struct AuditEntryView {
    /// Sequence number.
    pub id: i64,
    /// When.
    pub at: chrono::DateTime<chrono::Utc>,
    /// Who (username).
    pub actor: String,
    /// Office concerned.
    pub office_code: Option<String>,
    /// What kind of change, e.g. "quota.default".
    pub action: String,
    /// What was changed, e.g. "2026-12-01/s1/online".
    pub subject: String,
    /// Value before (JSON text).
    pub before: Option<String>,
    /// Value after (JSON text).
    pub after: Option<String>,
}

/// Period query.
#[derive(Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct PeriodQuery {
    /// First date (default: today).
    #[param(value_type = Option<NaiveDate>)]
    pub from: Option<String>,
    /// Last date (default: from + 61 days; at most 62 days after from).
    #[param(value_type = Option<NaiveDate>)]
    pub to: Option<String>,
}

fn period(q: &PeriodQuery, today: NaiveDate) -> ApiResult<(NaiveDate, NaiveDate)> {
    let from = q.from.clone().unwrap_or_else(|| today.to_string());
    let f = planning::parse_date("from", &from)?;
    let to =
        q.to.clone()
            .unwrap_or_else(|| f.checked_add_days(Days::new(61)).unwrap_or(f).to_string());
    Ok(planning::parse_range(&from, &to)?)
}

/// Weekday defaults and per-date overrides of an office.
#[utoipa::path(get, path = "/api/v1/offices/{code}/quotas", tag = "quotas", security(("bearer" = [])),
    params(("code" = String, Path, pattern = "^[a-z0-9-]{1,64}$", description = "office code"), PeriodQuery),
    responses((status = 200, description = "weekday defaults and the overrides in the period", body = QuotasView), GetQuotasProblems))]
async fn get_quotas(
    State(state): State<AppState>,
    staff: CurrentStaff,
    ApiPath(code): ApiPath<String>,
    ApiQuery(q): ApiQuery<PeriodQuery>,
) -> ApiResult<Json<QuotasView>> {
    let office = managed_office(&state, &staff, &code).await?;
    let today = loket_domain::release::local_date(state.now(), office.time_zone);
    let (from, to) = period(&q, today)?;
    Ok(Json(QuotasView {
        defaults: state.store.quota_defaults(&office.code).await?,
        overrides: state.store.quota_overrides(&office.code, from, to).await?,
    }))
}

fn parse_weekday(f: &mut Fields, v: &Option<String>) -> Option<Weekday> {
    let s = f.text("weekday", v.as_deref().unwrap_or_default(), 9);
    if s.is_empty() {
        return None;
    }
    let w = loket_domain::weekday::parse(&s);
    if w.is_none() {
        f.push(
            "weekday",
            "invalid",
            "use mon, tue, wed, thu, fri, sat or sun (or the day's English or Indonesian name)",
        );
    }
    w
}

fn parse_class(f: &mut Fields, field: &str, v: &Option<String>) -> Option<ServiceClass> {
    let s = f.text(field, v.as_deref().unwrap_or_default(), 32);
    if s.is_empty() {
        return None;
    }
    let c = ServiceClass::parse(&s);
    if c.is_none() {
        f.push(field, "invalid", "use online, express or priority_walk_in");
    }
    c
}

fn parse_capacity(f: &mut Fields, v: Option<i64>) -> Option<i64> {
    match v {
        None => {
            f.push("capacity", "required", "this field is required");
            None
        }
        Some(c) if !(0..=i64::from(MAX_CAPACITY)).contains(&c) => {
            f.push(
                "capacity",
                "out_of_range",
                format!("use 0 to {MAX_CAPACITY}"),
            );
            None
        }
        Some(c) => Some(c),
    }
}

fn check_session(f: &mut Fields, office: &Office, session: &str) {
    if !session.is_empty() && office.session(session).is_none() {
        f.push(
            "session",
            "unknown_session",
            "this office has no such session",
        );
    }
}

/// A weekday default.
#[derive(Deserialize, ToSchema)]
pub struct DefaultBody {
    /// Weekday.
    #[schema(value_type = WeekdaySchema)]
    pub weekday: Option<String>,
    /// Session code of the office.
    #[schema(value_type = String, max_length = 32)]
    pub session: Option<String>,
    /// Quota class.
    #[schema(value_type = ServiceClassSchema)]
    pub class: Option<String>,
    /// Places.
    #[schema(value_type = i64, minimum = 0, maximum = 10000)]
    pub capacity: Option<i64>,
}

/// Sets the default capacity of a weekday, session and class. Future dates already booked
/// follow it, except where it is below their taken places: those keep the taken count.
#[utoipa::path(put, path = "/api/v1/offices/{code}/quotas/defaults", tag = "quotas", security(("bearer" = [])),
    params(("code" = String, Path, pattern = "^[a-z0-9-]{1,64}$", description = "office code")), request_body = DefaultBody,
    responses((status = 200, description = "each future capacity that changed", body = [CapacityChangeView]), PutDefaultProblems))]
async fn put_default(
    State(state): State<AppState>,
    staff: CurrentStaff,
    ApiPath(code): ApiPath<String>,
    ApiJson(b): ApiJson<DefaultBody>,
) -> ApiResult<Json<Vec<CapacityChange>>> {
    let office = managed_office(&state, &staff, &code).await?;
    let mut f = Fields::default();
    let weekday = parse_weekday(&mut f, &b.weekday);
    let session = f.text("session", b.session.as_deref().unwrap_or_default(), 32);
    check_session(&mut f, &office, &session);
    let class = parse_class(&mut f, "class", &b.class);
    let capacity = parse_capacity(&mut f, b.capacity);
    f.finish()?;
    let (Some(weekday), Some(class), Some(capacity)) = (weekday, class, capacity) else {
        return Err(ApiError::internal("validated fields missing"));
    };
    let changes = reference::set_quota_default(
        &state,
        &actor(&staff),
        &office,
        weekday,
        &session,
        class,
        capacity,
    )
    .await?;
    Ok(Json(changes))
}

/// One date's capacity.
#[derive(Deserialize, ToSchema)]
pub struct OverrideBody {
    /// Date.
    #[schema(value_type = NaiveDate)]
    pub date: Option<String>,
    /// Session code of the office.
    #[schema(value_type = String, max_length = 32)]
    pub session: Option<String>,
    /// Quota class.
    #[schema(value_type = ServiceClassSchema)]
    pub class: Option<String>,
    /// Places.
    #[schema(value_type = i64, minimum = 0, maximum = 10000)]
    pub capacity: Option<i64>,
}

/// Sets one date's capacity; refused (409 capacity-below-taken) below the places taken.
#[utoipa::path(put, path = "/api/v1/offices/{code}/quotas/overrides", tag = "quotas", security(("bearer" = [])),
    params(("code" = String, Path, pattern = "^[a-z0-9-]{1,64}$", description = "office code")), request_body = OverrideBody,
    responses((status = 200, description = "the capacity before and after", body = CapacityChangeView), PutOverrideProblems))]
async fn put_override(
    State(state): State<AppState>,
    staff: CurrentStaff,
    ApiPath(code): ApiPath<String>,
    ApiJson(b): ApiJson<OverrideBody>,
) -> ApiResult<Json<CapacityChange>> {
    let office = managed_office(&state, &staff, &code).await?;
    let mut f = Fields::default();
    let date_s = f.text("date", b.date.as_deref().unwrap_or_default(), 10);
    let session = f.text("session", b.session.as_deref().unwrap_or_default(), 32);
    check_session(&mut f, &office, &session);
    let class = parse_class(&mut f, "class", &b.class);
    let capacity = parse_capacity(&mut f, b.capacity);
    f.finish()?;
    let date = planning::parse_date("date", &date_s)?;
    let (Some(class), Some(capacity)) = (class, capacity) else {
        return Err(ApiError::internal("validated fields missing"));
    };
    let change = reference::set_quota_override(
        &state,
        &actor(&staff),
        &office,
        date,
        &session,
        class,
        capacity,
    )
    .await?;
    Ok(Json(change))
}

/// A change over a period.
#[derive(Deserialize, ToSchema)]
pub struct BulkBody {
    /// First date.
    #[schema(value_type = NaiveDate)]
    pub from: Option<String>,
    /// Last date (at most 62 days after from).
    #[schema(value_type = NaiveDate)]
    pub to: Option<String>,
    /// Session codes to change (left out: all; an empty list is refused).
    #[schema(min_items = 1)]
    pub sessions: Option<Vec<String>>,
    /// Classes to change (left out: online; an empty list is refused).
    #[schema(value_type = Option<Vec<ServiceClassSchema>>, min_items = 1)]
    pub classes: Option<Vec<String>>,
    /// The change.
    #[schema(value_type = QuotaAdjustmentSchema)]
    pub adjustment: Option<QuotaAdjustment>,
}

/// Result of a bulk change.
#[derive(Serialize, ToSchema)]
pub struct BulkResult {
    /// Each capacity changed.
    #[schema(value_type = Vec<CapacityChangeView>)]
    pub changes: Vec<CapacityChange>,
    /// How many were held at the places already taken.
    pub clamped: usize,
}

/// Changes the capacity of every open date, session and class in a period by a percentage,
/// a number of places, or to a value; each result is kept at or above the places taken.
#[utoipa::path(post, path = "/api/v1/offices/{code}/quotas/bulk", tag = "quotas", security(("bearer" = [])),
    params(("code" = String, Path, pattern = "^[a-z0-9-]{1,64}$", description = "office code")), request_body = BulkBody,
    responses((status = 200, description = "each capacity changed", body = BulkResult), BulkProblems))]
async fn bulk(
    State(state): State<AppState>,
    staff: CurrentStaff,
    ApiPath(code): ApiPath<String>,
    ApiJson(b): ApiJson<BulkBody>,
) -> ApiResult<Json<BulkResult>> {
    let office = managed_office(&state, &staff, &code).await?;
    let mut f = Fields::default();
    let from_s = f.text("from", b.from.as_deref().unwrap_or_default(), 10);
    let to_s = f.text("to", b.to.as_deref().unwrap_or_default(), 10);
    // Left out means every session and the online class; an empty list names nothing,
    // which is refused rather than read as "all" or as "none".
    let sessions: Vec<String> = match &b.sessions {
        Some(list) if list.is_empty() => {
            f.push(
                "sessions",
                "empty",
                "name at least one session, or leave the field out for all sessions",
            );
            Vec::new()
        }
        Some(list) => list.clone(),
        None => office.sessions.iter().map(|s| s.code.clone()).collect(),
    };
    for s in &sessions {
        check_session(&mut f, &office, s);
    }
    let mut classes = Vec::new();
    match &b.classes {
        Some(list) if list.is_empty() => f.push(
            "classes",
            "empty",
            "name at least one class, or leave the field out for online",
        ),
        Some(list) => {
            for c in list {
                if let Some(c) = parse_class(&mut f, "classes", &Some(c.clone())) {
                    classes.push(c);
                }
            }
        }
        None => classes.push(ServiceClass::Online),
    }
    match &b.adjustment {
        None => f.push(
            "adjustment",
            "required",
            "give {\"mode\": \"percent\"|\"delta\"|\"set\", \"value\": n}",
        ),
        Some(a) => {
            if let Err(code) = a.validate() {
                f.push("adjustment", code, "the value is out of range");
            }
        }
    }
    f.finish()?;
    let (from, to) = planning::parse_range(&from_s, &to_s)?;
    let adjustment = b
        .adjustment
        .ok_or_else(|| ApiError::internal("validated fields missing"))?;
    let changes = reference::bulk_adjust_quota(
        &state,
        &actor(&staff),
        office,
        (from, to),
        &sessions,
        &classes,
        adjustment,
    )
    .await?;
    let clamped = changes.iter().filter(|c| c.clamped).count();
    Ok(Json(BulkResult { changes, clamped }))
}

/// The most audit entries one request returns.
pub const MAX_AUDIT_LIMIT: i64 = 1000;

/// Audit query.
#[derive(Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct AuditQuery {
    /// Entries to return (default 100).
    #[param(minimum = 1, maximum = 1000)]
    pub limit: Option<i64>,
}

/// Who changed what and when in an office, newest first.
#[utoipa::path(get, path = "/api/v1/offices/{code}/audit", tag = "quotas", security(("bearer" = [])),
    params(("code" = String, Path, pattern = "^[a-z0-9-]{1,64}$", description = "office code"), AuditQuery),
    responses((status = 200, description = "audit entries, newest first", body = [AuditEntryView]), AuditProblems))]
async fn audit(
    State(state): State<AppState>,
    staff: CurrentStaff,
    ApiPath(code): ApiPath<String>,
    ApiQuery(q): ApiQuery<AuditQuery>,
) -> ApiResult<Json<Vec<AuditEntry>>> {
    let office = managed_office(&state, &staff, &code).await?;
    let limit = q.limit.unwrap_or(100);
    if !(1..=MAX_AUDIT_LIMIT).contains(&limit) {
        return Err(ApiError::field(
            "limit",
            "out_of_range",
            format!("use 1 to {MAX_AUDIT_LIMIT}"),
        ));
    }
    Ok(Json(
        state.store.audit_log(Some(&office.code), limit).await?,
    ))
}
