//! The office's counters over the API, for counter officers and the head of office:
//! calling the next ticket by the call policy, and acting on a called ticket (recall,
//! absent, put back, transfer, finish with an outcome).

use axum::Json;
use axum::extract::State;
use loket_domain::staff::COUNTERS;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use super::floor::{TicketView, floor_office};
use super::quotas::actor;
use crate::error::ApiResult;
use crate::extract::{ApiJson, ApiPath, CurrentStaff};
use crate::problems::problem_responses;
use crate::state::AppState;
use crate::usecases::floor::{self, Act, Counter};

problem_responses!(CallProblems: STAFF, JSON_BODY, &[NOT_FOUND, VALIDATION_FAILED, COUNTER_BUSY]);
problem_responses!(ActProblems: STAFF, JSON_BODY, &[NOT_FOUND, VALIDATION_FAILED, TICKET_ACTION_REFUSED]);

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(post_call))
        .routes(routes!(post_action))
}

/// The office, for its counters.
async fn counter_office(
    state: &AppState,
    staff: &CurrentStaff,
    code: &str,
) -> ApiResult<loket_domain::Office> {
    floor_office(state, staff, code, &COUNTERS, "work an office's counters").await
}

/// The stage a counter calls for.
#[derive(Deserialize, ToSchema)]
pub struct CallBody {
    /// documents (interview and biometrics) or pickup.
    #[schema(value_type = String, pattern = "^(documents|pickup)$", example = "documents")]
    pub stage: Option<String>,
}

/// What a call found.
#[derive(Serialize, ToSchema)]
pub struct CallView {
    /// The ticket called, or none when nobody waits at the stage.
    pub called: Option<TicketView>,
}

/// Calls the next ticket to counter `n`: priority tickets first, regular ones never
/// passed over beyond the call policy's bounds, booked ones in session order (docs/API.md).
/// 409 counter-busy while the counter still has a ticket called.
#[utoipa::path(post, path = "/api/v1/offices/{code}/counters/{n}/call", tag = "floor", security(("bearer" = [])),
    params(("code" = String, Path, pattern = "^[a-z0-9-]{1,64}$", description = "office code"),
        ("n" = u32, Path, minimum = 1, maximum = 99, description = "counter number")),
    request_body = CallBody,
    responses((status = 200, description = "the ticket called, if any", body = CallView), CallProblems))]
async fn post_call(
    State(state): State<AppState>,
    staff: CurrentStaff,
    ApiPath((code, n)): ApiPath<(String, String)>,
    ApiJson(b): ApiJson<CallBody>,
) -> ApiResult<Json<CallView>> {
    let office = counter_office(&state, &staff, &code).await?;
    let counter = Counter::read(&n, b.stage.as_deref().unwrap_or_default())?;
    let called = floor::call_next(&state, &actor(&staff), &office, counter).await?;
    Ok(Json(CallView {
        called: called.map(TicketView::from),
    }))
}

/// What a counter does with a ticket.
#[derive(Deserialize, ToSchema)]
pub struct ActionBody {
    /// recall, absent (missed once called often enough), put_back (a missed ticket waits
    /// again at its place), transfer (to `stage`), finish (with `outcome`).
    #[schema(value_type = String, pattern = "^(recall|absent|put_back|transfer|finish)$")]
    pub action: Option<String>,
    /// The counter acting (the one that called the ticket, except for put_back).
    #[schema(value_type = u32, minimum = 1, maximum = 99)]
    pub counter: Option<u32>,
    /// For a transfer: documents or pickup.
    #[schema(value_type = Option<String>, pattern = "^(documents|pickup)$")]
    pub stage: Option<String>,
    /// For a finish: accepted, documents_missing, rejected (documents stage) or collected
    /// (pickup).
    #[schema(value_type = Option<String>, pattern = "^(accepted|documents_missing|rejected|collected)$")]
    pub outcome: Option<String>,
    /// For a rejection: identity_mismatch, invalid_documents, not_eligible or other.
    #[schema(value_type = Option<String>, pattern = "^(identity_mismatch|invalid_documents|not_eligible|other)$")]
    pub reason: Option<String>,
}

/// Acts on a ticket: 409 ticket-action-refused (with `reason`) when the action does not fit
/// the ticket as it stands. Finishing a booked ticket at the interview moves its booking on
/// (accepted and documents_missing keep the NIK's one active application; rejected frees it).
#[utoipa::path(post, path = "/api/v1/offices/{code}/tickets/{id}/actions", tag = "floor", security(("bearer" = [])),
    params(("code" = String, Path, pattern = "^[a-z0-9-]{1,64}$", description = "office code"),
        ("id" = uuid::Uuid, Path, description = "ticket id")),
    request_body = ActionBody,
    responses((status = 200, description = "the ticket after the action", body = TicketView), ActProblems))]
async fn post_action(
    State(state): State<AppState>,
    staff: CurrentStaff,
    ApiPath((code, id)): ApiPath<(String, String)>,
    ApiJson(b): ApiJson<ActionBody>,
) -> ApiResult<Json<TicketView>> {
    let office = counter_office(&state, &staff, &code).await?;
    let id = uuid::Uuid::parse_str(&id).map_err(|_| crate::error::ApiError::not_found("ticket"))?;
    let counter = Counter::read(
        &b.counter.map(|c| c.to_string()).unwrap_or_default(),
        "documents",
    )?;
    let act = Act {
        action: b.action.unwrap_or_default(),
        stage: b.stage,
        outcome: b.outcome,
        reason: b.reason,
    };
    let ticket = floor::act(&state, &actor(&staff), &office, counter.number, id, &act).await?;
    Ok(Json(ticket.into()))
}
