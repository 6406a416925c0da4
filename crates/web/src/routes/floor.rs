//! The office floor over the API, for the front desk and the head of office of an office:
//! registering priority walk-ins, and the day's tickets.

use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use chrono::{DateTime, NaiveDate, Utc};
use loket_domain::floor::PriorityBasis;
use loket_domain::staff::FRONT_DESK;
use loket_store::Ticket;
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use super::quotas::actor;
use super::schemas::{PriorityBasisSchema, TicketStateSchema};
use crate::error::ApiResult;
use crate::extract::{ApiJson, ApiPath, ApiQuery, CurrentStaff};
use crate::planning;
use crate::problems::problem_responses;
use crate::state::AppState;
use crate::usecases::fields::{Fields, checked};
use crate::usecases::floor::{self, WalkIn};

problem_responses!(WalkInProblems: STAFF, JSON_BODY, &[NOT_FOUND, PRIORITY_QUOTA_FULL, OFFICE_CLOSED]);
problem_responses!(TicketsProblems: STAFF, &[NOT_FOUND, VALIDATION_FAILED]);

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(post_walk_in))
        .routes(routes!(get_tickets))
}

/// Loads the office and checks the staff member works its floor.
async fn floor_office(
    state: &AppState,
    staff: &CurrentStaff,
    code: &str,
) -> ApiResult<loket_domain::Office> {
    let office = planning::office(state, code).await?;
    staff.check_scope(
        &office.code,
        &office.region_code,
        &FRONT_DESK,
        "work an office's front desk",
    )?;
    Ok(office)
}

/// A priority walk-in to register.
#[derive(Deserialize, ToSchema)]
pub struct WalkInBody {
    /// Why the person is served as a priority.
    #[schema(value_type = PriorityBasisSchema)]
    pub basis: Option<String>,
    /// The birth date on the ID card (the elderly and small children are checked by it).
    #[schema(value_type = NaiveDate)]
    pub birth_date: Option<String>,
}

/// A queue ticket.
#[derive(Serialize, ToSchema)]
pub struct TicketView {
    /// Id.
    pub id: uuid::Uuid,
    /// As printed and called, e.g. "P-003".
    pub number: String,
    /// The office.
    pub office: String,
    /// The day.
    pub date: NaiveDate,
    /// For a priority walk-in, why.
    #[schema(value_type = Option<PriorityBasisSchema>)]
    pub priority_basis: Option<&'static str>,
    /// Where it stands.
    #[schema(value_type = TicketStateSchema)]
    pub state: &'static str,
    /// The booking checked in with it.
    pub booking_id: Option<uuid::Uuid>,
    /// When it was issued.
    pub issued_at: DateTime<Utc>,
}

impl From<Ticket> for TicketView {
    fn from(t: Ticket) -> Self {
        Self {
            id: t.id,
            number: t.number.to_string(),
            office: t.office_code,
            date: t.service_date,
            priority_basis: t.priority_basis.map(|b| b.as_str()),
            state: t.state.as_str(),
            booking_id: t.booking_id,
            issued_at: t.issued_at,
        }
    }
}

/// Registers a priority walk-in for today and issues its P ticket, within today's priority
/// quota (409 priority-quota-full once it is used up).
#[utoipa::path(post, path = "/api/v1/offices/{code}/walk-ins", tag = "floor", security(("bearer" = [])),
    params(("code" = String, Path, pattern = "^[a-z0-9-]{1,64}$", description = "office code")), request_body = WalkInBody,
    responses((status = 201, description = "the ticket", body = TicketView), WalkInProblems))]
async fn post_walk_in(
    State(state): State<AppState>,
    staff: CurrentStaff,
    ApiPath(code): ApiPath<String>,
    ApiJson(b): ApiJson<WalkInBody>,
) -> ApiResult<(StatusCode, Json<TicketView>)> {
    let office = floor_office(&state, &staff, &code).await?;
    let today = loket_domain::release::local_date(state.now(), office.time_zone);
    let mut f = Fields::default();
    let basis = b.basis.as_deref().unwrap_or_default();
    let basis = PriorityBasis::parse(basis);
    if basis.is_none() {
        f.push(
            "basis",
            "invalid_choice",
            "one of elderly, small_child, pregnant, disability, sick",
        );
    }
    let birth_date = f.birth_date(
        "birth_date",
        b.birth_date.as_deref().unwrap_or_default(),
        today,
    );
    f.finish()?;
    let w = WalkIn {
        basis: checked(basis)?,
        birth_date: checked(birth_date)?,
    };
    let ticket = floor::register_walk_in(&state, &actor(&staff), office, w).await?;
    Ok((StatusCode::CREATED, Json(ticket.into())))
}

/// The day to list.
#[derive(Deserialize, IntoParams)]
pub struct TicketsQuery {
    /// The day (default: today at the office).
    #[param(value_type = Option<NaiveDate>)]
    pub date: Option<String>,
}

/// The office's tickets of a day, in the order issued.
#[utoipa::path(get, path = "/api/v1/offices/{code}/tickets", tag = "floor", security(("bearer" = [])),
    params(("code" = String, Path, pattern = "^[a-z0-9-]{1,64}$", description = "office code"), TicketsQuery),
    responses((status = 200, description = "the tickets", body = [TicketView]), TicketsProblems))]
async fn get_tickets(
    State(state): State<AppState>,
    staff: CurrentStaff,
    ApiPath(code): ApiPath<String>,
    ApiQuery(q): ApiQuery<TicketsQuery>,
) -> ApiResult<Json<Vec<TicketView>>> {
    let office = floor_office(&state, &staff, &code).await?;
    let date = match q.date.as_deref() {
        Some(d) => planning::parse_date("date", d)?,
        None => loket_domain::release::local_date(state.now(), office.time_zone),
    };
    let tickets = floor::tickets(&state, &office.code, date).await?;
    Ok(Json(tickets.into_iter().map(TicketView::from).collect()))
}
