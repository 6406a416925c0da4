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

use super::accounts::Fields;
use crate::error::{ApiError, ApiResult, Problem};
use crate::extract::{ApiJson, ApiPath, ApiQuery, CurrentStaff};
use crate::planning::{self, OfficePlan};
use crate::state::AppState;

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
    Actor {
        id: Some(staff.0.id),
        name: staff.0.username.clone(),
    }
}

/// Quotas of an office.
#[derive(Serialize, ToSchema)]
pub struct QuotasView {
    /// Weekday defaults.
    #[schema(value_type = Vec<Object>)]
    pub defaults: Vec<QuotaDefaultRow>,
    /// Per-date overrides in the period.
    #[schema(value_type = Vec<Object>)]
    pub overrides: Vec<QuotaOverrideRow>,
}

/// Period query.
#[derive(Deserialize, IntoParams)]
pub struct PeriodQuery {
    /// First date (default: today).
    pub from: Option<String>,
    /// Last date (default: from + 61 days).
    pub to: Option<String>,
}

fn period(q: &PeriodQuery, today: NaiveDate) -> ApiResult<(NaiveDate, NaiveDate)> {
    let from = q.from.clone().unwrap_or_else(|| today.to_string());
    let f = planning::parse_date("from", &from)?;
    let to =
        q.to.clone()
            .unwrap_or_else(|| f.checked_add_days(Days::new(61)).unwrap_or(f).to_string());
    planning::parse_range(&from, &to)
}

/// Weekday defaults and per-date overrides of an office.
#[utoipa::path(get, path = "/api/v1/offices/{code}/quotas", tag = "quotas", security(("bearer" = [])),
    params(("code" = String, Path), PeriodQuery),
    responses((status = 200, body = QuotasView), (status = 403, body = Problem, content_type = "application/problem+json")))]
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
    let s = f.text("weekday", v, 9);
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
    let s = f.text(field, v, 32);
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
    /// mon..sun.
    pub weekday: Option<String>,
    /// Session code.
    pub session: Option<String>,
    /// online | express | priority_walk_in.
    pub class: Option<String>,
    /// Places.
    pub capacity: Option<i64>,
}

/// Sets the default capacity of a weekday, session and class. Future dates already booked
/// follow it, except where it is below their taken places: those keep the taken count.
#[utoipa::path(put, path = "/api/v1/offices/{code}/quotas/defaults", tag = "quotas", security(("bearer" = [])),
    params(("code" = String, Path)), request_body = DefaultBody,
    responses((status = 200, body = [Object]), (status = 403, body = Problem, content_type = "application/problem+json"),
        (status = 422, body = Problem, content_type = "application/problem+json")))]
async fn put_default(
    State(state): State<AppState>,
    staff: CurrentStaff,
    ApiPath(code): ApiPath<String>,
    ApiJson(b): ApiJson<DefaultBody>,
) -> ApiResult<Json<Vec<CapacityChange>>> {
    let office = managed_office(&state, &staff, &code).await?;
    let mut f = Fields::default();
    let weekday = parse_weekday(&mut f, &b.weekday);
    let session = f.text("session", &b.session, 32);
    check_session(&mut f, &office, &session);
    let class = parse_class(&mut f, "class", &b.class);
    let capacity = parse_capacity(&mut f, b.capacity);
    f.finish()?;
    let (Some(weekday), Some(class), Some(capacity)) = (weekday, class, capacity) else {
        return Err(ApiError::internal("validated fields missing"));
    };
    let now = state.now();
    let today = loket_domain::release::local_date(now, office.time_zone);
    let changes = state
        .store
        .set_quota_default(
            &office.code,
            weekday,
            &session,
            class,
            capacity,
            today,
            &actor(&staff),
            now,
        )
        .await?;
    state.refs.clear();
    Ok(Json(changes))
}

/// One date's capacity.
#[derive(Deserialize, ToSchema)]
pub struct OverrideBody {
    /// YYYY-MM-DD.
    pub date: Option<String>,
    /// Session code.
    pub session: Option<String>,
    /// online | express | priority_walk_in.
    pub class: Option<String>,
    /// Places.
    pub capacity: Option<i64>,
}

/// Sets one date's capacity; refused (409 capacity-below-taken) below the places taken.
#[utoipa::path(put, path = "/api/v1/offices/{code}/quotas/overrides", tag = "quotas", security(("bearer" = [])),
    params(("code" = String, Path)), request_body = OverrideBody,
    responses((status = 200, body = Object), (status = 409, description = "capacity-below-taken", body = Problem, content_type = "application/problem+json"),
        (status = 422, body = Problem, content_type = "application/problem+json")))]
async fn put_override(
    State(state): State<AppState>,
    staff: CurrentStaff,
    ApiPath(code): ApiPath<String>,
    ApiJson(b): ApiJson<OverrideBody>,
) -> ApiResult<Json<CapacityChange>> {
    let office = managed_office(&state, &staff, &code).await?;
    let mut f = Fields::default();
    let date_s = f.text("date", &b.date, 10);
    let session = f.text("session", &b.session, 32);
    check_session(&mut f, &office, &session);
    let class = parse_class(&mut f, "class", &b.class);
    let capacity = parse_capacity(&mut f, b.capacity);
    f.finish()?;
    let date = planning::parse_date("date", &date_s)?;
    let (Some(class), Some(capacity)) = (class, capacity) else {
        return Err(ApiError::internal("validated fields missing"));
    };
    let now = state.now();
    let change = state
        .store
        .set_quota_override(
            &office.code,
            date,
            &session,
            class,
            capacity,
            &actor(&staff),
            now,
        )
        .await?;
    state.refs.clear();
    Ok(Json(change))
}

/// A change over a period.
#[derive(Deserialize, ToSchema)]
pub struct BulkBody {
    /// First date.
    pub from: Option<String>,
    /// Last date (at most 62 days).
    pub to: Option<String>,
    /// Sessions to change (left out: all; an empty list is refused).
    pub sessions: Option<Vec<String>>,
    /// Classes to change (left out: online; an empty list is refused).
    pub classes: Option<Vec<String>>,
    /// {"mode": "percent" | "delta" | "set", "value": n}.
    #[schema(value_type = Object)]
    pub adjustment: Option<QuotaAdjustment>,
}

/// Result of a bulk change.
#[derive(Serialize, ToSchema)]
pub struct BulkResult {
    /// Each capacity changed.
    #[schema(value_type = Vec<Object>)]
    pub changes: Vec<CapacityChange>,
    /// How many were held at the places already taken.
    pub clamped: usize,
}

/// Changes the capacity of every open date, session and class in a period by a percentage,
/// a number of places, or to a value; each result is kept at or above the places taken.
#[utoipa::path(post, path = "/api/v1/offices/{code}/quotas/bulk", tag = "quotas", security(("bearer" = [])),
    params(("code" = String, Path)), request_body = BulkBody,
    responses((status = 200, body = BulkResult), (status = 422, body = Problem, content_type = "application/problem+json")))]
async fn bulk(
    State(state): State<AppState>,
    staff: CurrentStaff,
    ApiPath(code): ApiPath<String>,
    ApiJson(b): ApiJson<BulkBody>,
) -> ApiResult<Json<BulkResult>> {
    let office = managed_office(&state, &staff, &code).await?;
    let mut f = Fields::default();
    let from_s = f.text("from", &b.from, 10);
    let to_s = f.text("to", &b.to, 10);
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
    let plan = OfficePlan::load(&state, office, from, to).await?;
    let mut targets = Vec::new();
    let mut date = from;
    while date <= to {
        if plan.calendar.is_open(date) {
            for s in plan
                .office
                .sessions_on(date)
                .filter(|s| sessions.contains(&s.code))
            {
                for class in &classes {
                    targets.push((date, s.code.clone(), *class));
                }
            }
        }
        match date.checked_add_days(Days::new(1)) {
            Some(d) => date = d,
            None => break,
        }
    }
    let changes = state
        .store
        .bulk_adjust_quota(
            &plan.office.code,
            &targets,
            adjustment,
            &actor(&staff),
            plan.now,
        )
        .await?;
    state.refs.clear();
    let clamped = changes.iter().filter(|c| c.clamped).count();
    Ok(Json(BulkResult { changes, clamped }))
}

/// Audit query.
#[derive(Deserialize, IntoParams)]
pub struct AuditQuery {
    /// Entries to return (default 100, at most 1000).
    pub limit: Option<i64>,
}

/// Who changed what and when in an office, newest first.
#[utoipa::path(get, path = "/api/v1/offices/{code}/audit", tag = "quotas", security(("bearer" = [])),
    params(("code" = String, Path), AuditQuery),
    responses((status = 200, body = [Object]), (status = 403, body = Problem, content_type = "application/problem+json")))]
async fn audit(
    State(state): State<AppState>,
    staff: CurrentStaff,
    ApiPath(code): ApiPath<String>,
    ApiQuery(q): ApiQuery<AuditQuery>,
) -> ApiResult<Json<Vec<AuditEntry>>> {
    let office = managed_office(&state, &staff, &code).await?;
    let limit = q.limit.unwrap_or(100).clamp(1, 1000);
    Ok(Json(
        state.store.audit_log(Some(&office.code), limit).await?,
    ))
}
