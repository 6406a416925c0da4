//! Offices and availability: the public, read-only part of the API an applicant's calendar
//! is drawn from.

use axum::Json;
use axum::body::Bytes;
use axum::extract::State;
use axum::http::header;
use axum::response::{IntoResponse, Response};
use chrono::{DateTime, Days, NaiveDate, Utc};
use loket_domain::office::zone_label;
use loket_domain::quota::ServiceClass;
use loket_domain::{Office, SessionWindow};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use super::schemas::{ClosedReasonSchema, DayStatusSchema, ReleaseRuleSchema, ServiceClassSchema};
use crate::error::{ApiError, ApiResult};
use crate::extract::{ApiPath, ApiQuery};
use crate::planning;
use crate::problems::problem_responses;
use crate::state::AppState;
use crate::usecases::availability::{self, DayKind};

/// A session of an office.
#[derive(Serialize, ToSchema)]
pub struct SessionView {
    /// Code, e.g. "s1".
    pub code: String,
    /// Label.
    pub name: String,
    /// Local start, HH:MM.
    pub start: String,
    /// Local end, HH:MM.
    pub end: String,
    /// Weekdays it runs, e.g. "mon-fri".
    pub weekdays: String,
}

impl From<&SessionWindow> for SessionView {
    fn from(s: &SessionWindow) -> Self {
        Self {
            code: s.code.clone(),
            name: s.name.clone(),
            start: s.start.format("%H:%M").to_string(),
            end: s.end.format("%H:%M").to_string(),
            weekdays: s.weekdays.to_string(),
        }
    }
}

/// An office.
#[derive(Serialize, ToSchema)]
pub struct OfficeView {
    /// Code, e.g. "palembang".
    pub code: String,
    /// Official name.
    pub name: String,
    /// Regional office code.
    pub region_code: String,
    /// IANA time zone.
    pub time_zone: String,
    /// WIB, WITA or WIT.
    pub zone_label: String,
    /// Street address, if known.
    pub address: Option<String>,
    /// City.
    pub city: String,
    /// Weekdays open.
    pub open_weekdays: String,
    /// Sessions.
    pub sessions: Vec<SessionView>,
    /// Release rule (when a date's places open).
    #[schema(value_type = ReleaseRuleSchema)]
    pub release: serde_json::Value,
    /// How far ahead dates can be booked.
    pub booking_horizon_days: u32,
}

impl From<&Office> for OfficeView {
    fn from(o: &Office) -> Self {
        Self {
            code: o.code.clone(),
            name: o.name.clone(),
            region_code: o.region_code.clone(),
            time_zone: o.time_zone.name().to_owned(),
            zone_label: zone_label(o.time_zone).to_owned(),
            address: o.address.clone(),
            city: o.city.clone(),
            open_weekdays: o.open_weekdays.to_string(),
            sessions: o.sessions.iter().map(SessionView::from).collect(),
            release: serde_json::to_value(&o.release).unwrap_or_default(),
            booking_horizon_days: o.booking_horizon_days,
        }
    }
}

problem_responses!(ListOfficesProblems: ANY);
problem_responses!(GetOfficeProblems: &[NOT_FOUND]);
problem_responses!(AvailabilityProblems: &[NOT_FOUND, VALIDATION_FAILED]);

/// Routes of this module.
pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(list_offices))
        .routes(routes!(get_office))
        .routes(routes!(availability))
}

/// Lists offices.
#[utoipa::path(get, path = "/api/v1/offices", tag = "offices",
    responses((status = 200, description = "every office", body = [OfficeView]), ListOfficesProblems))]
async fn list_offices(State(state): State<AppState>) -> ApiResult<Json<Vec<OfficeView>>> {
    let offices = state.store.list_offices().await?;
    Ok(Json(offices.iter().map(OfficeView::from).collect()))
}

/// One office.
#[utoipa::path(get, path = "/api/v1/offices/{code}", tag = "offices",
    params(("code" = String, Path, pattern = "^[a-z0-9-]{1,64}$", description = "office code")),
    responses((status = 200, description = "the office", body = OfficeView), GetOfficeProblems))]
async fn get_office(
    State(state): State<AppState>,
    ApiPath(code): ApiPath<String>,
) -> ApiResult<Json<OfficeView>> {
    let o = planning::office(&state, &code).await?;
    Ok(Json(OfficeView::from(&o)))
}

/// Availability query.
#[derive(Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct RangeQuery {
    /// First date (default: tomorrow in the office's zone).
    #[param(value_type = Option<NaiveDate>)]
    pub from: Option<String>,
    /// Last date (default: from + 13 days; at most 62 days after from).
    #[param(value_type = Option<NaiveDate>)]
    pub to: Option<String>,
}

/// Places of one class in one session.
#[derive(Serialize, ToSchema)]
pub struct ClassAvailability {
    /// Quota class.
    #[schema(value_type = ServiceClassSchema)]
    pub class: ServiceClass,
    /// Places in total.
    pub capacity: i64,
    /// Places left (0 when full or not bookable).
    pub remaining: i64,
}

/// A session on one date.
#[derive(Serialize, ToSchema)]
pub struct SessionAvailability {
    /// Session.
    #[serde(flatten)]
    pub session: SessionView,
    /// Per class.
    pub classes: Vec<ClassAvailability>,
}

/// One date.
#[derive(Serialize, ToSchema)]
pub struct DayAvailability {
    /// Date.
    pub date: NaiveDate,
    /// Whether the date can be booked now.
    #[schema(value_type = DayStatusSchema)]
    pub status: String,
    /// Why closed (only when closed).
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schema(value_type = Option<ClosedReasonSchema>)]
    pub closed_reason: Option<serde_json::Value>,
    /// When places open, if not yet.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub opens_at: Option<DateTime<Utc>>,
    /// Sessions (empty when closed).
    pub sessions: Vec<SessionAvailability>,
}

/// Availability of an office over a period.
#[derive(Serialize, ToSchema)]
pub struct AvailabilityView {
    /// Office code.
    pub office: String,
    /// IANA zone the dates and times are in.
    pub time_zone: String,
    /// WIB / WITA / WIT.
    pub zone_label: String,
    /// Days.
    pub days: Vec<DayAvailability>,
}

/// Places per date, session and class, and when each date opens if not yet released.
#[utoipa::path(get, path = "/api/v1/offices/{code}/availability", tag = "offices",
    params(("code" = String, Path, pattern = "^[a-z0-9-]{1,64}$", description = "office code"), RangeQuery),
    responses((status = 200, description = "each date of the period", body = AvailabilityView), AvailabilityProblems))]
async fn availability(
    State(state): State<AppState>,
    ApiPath(code): ApiPath<String>,
    ApiQuery(q): ApiQuery<RangeQuery>,
) -> ApiResult<Response> {
    // A range given in full is looked up before anything else: most of a rush's reads.
    let (from, to) = match (&q.from, &q.to) {
        (Some(f), Some(t)) => planning::parse_range(f, t)?,
        _ => {
            let office = planning::office(&state, &code).await?;
            let today = loket_domain::release::local_date(state.now(), office.time_zone);
            let tomorrow = today.checked_add_days(Days::new(1)).unwrap_or(today);
            let from_s = q.from.unwrap_or_else(|| tomorrow.to_string());
            let default_to = planning::parse_date("from", &from_s)?
                .checked_add_days(Days::new(13))
                .unwrap_or(tomorrow);
            let to_s = q.to.unwrap_or_else(|| default_to.to_string());
            planning::parse_range(&from_s, &to_s)?
        }
    };
    // Built once per `availability_cache_ms` per (office, range), however many ask: what
    // it shows is at most that old, and exact once the TTL has passed since the last change.
    let body = state
        .availability
        .get_or_build(
            (state.store.reference_version(), code.clone(), from, to),
            || async {
                let view = render(&state, &code, from, to).await?;
                serde_json::to_vec(&view)
                    .map(Bytes::from)
                    .map_err(ApiError::internal)
            },
        )
        .await?;
    Ok(([(header::CONTENT_TYPE, "application/json")], body).into_response())
}

/// The availability of an office over `from..=to`, read now (the use case), as the API
/// shows it.
async fn render(
    state: &AppState,
    code: &str,
    from: NaiveDate,
    to: NaiveDate,
) -> ApiResult<AvailabilityView> {
    let a = availability::read(state, code, from, to).await?;
    let days = a
        .days
        .into_iter()
        .map(|d| DayAvailability {
            date: d.date,
            status: d.kind.as_str().to_owned(),
            closed_reason: match &d.kind {
                DayKind::Closed(r) => serde_json::to_value(r).ok(),
                _ => None,
            },
            opens_at: match d.kind {
                DayKind::NotReleased(at) => Some(at),
                _ => None,
            },
            sessions: d
                .sessions
                .into_iter()
                .map(|s| SessionAvailability {
                    session: SessionView::from(&s.session),
                    classes: s
                        .classes
                        .into_iter()
                        .map(|c| ClassAvailability {
                            class: c.class,
                            capacity: c.capacity,
                            remaining: c.remaining,
                        })
                        .collect(),
                })
                .collect(),
        })
        .collect();
    Ok(AvailabilityView {
        office: a.office.code.clone(),
        time_zone: a.office.time_zone.name().to_owned(),
        zone_label: zone_label(a.office.time_zone).to_owned(),
        days,
    })
}
