//! Dev and demo helpers, never served in production: the local mailbox (so a new user can
//! finish registration without SMTP) and a clock that can be moved forward.

use axum::Json;
use axum::extract::State;
use chrono::{DateTime, Duration, Utc};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use crate::error::{ApiError, ApiResult};
use crate::extract::{ApiJson, ApiQuery};
use crate::problems::problem_responses;
use crate::state::AppState;

problem_responses!(MailboxProblems: &[VALIDATION_FAILED]);
problem_responses!(ClockProblems: JSON_BODY);

/// Routes of this module.
pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(mailbox))
        .routes(routes!(advance_clock))
}

/// Mailbox query.
#[derive(Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct MailQuery {
    /// Only mail to this address.
    #[param(format = Email)]
    pub to: Option<String>,
}

/// A mail in the outbox.
#[derive(Serialize, ToSchema)]
pub struct MailView {
    /// Recipient.
    pub to: String,
    /// Subject.
    pub subject: String,
    /// Body.
    pub body: String,
    /// Queued.
    pub created_at: DateTime<Utc>,
}

/// Dev and demo only: the newest mail in the outbox (verification codes and notices).
#[utoipa::path(get, path = "/api/v1/dev/mail", tag = "dev", params(MailQuery),
    responses((status = 200, description = "the newest mail", body = [MailView]), MailboxProblems))]
async fn mailbox(
    State(state): State<AppState>,
    ApiQuery(q): ApiQuery<MailQuery>,
) -> ApiResult<Json<Vec<MailView>>> {
    let to = q.to.map(|t| t.trim().to_lowercase());
    if to
        .as_deref()
        .is_some_and(|t| !crate::usecases::fields::clean(t))
    {
        return Err(ApiError::field(
            "to",
            "invalid_characters",
            "remove control characters",
        ));
    }
    let mail = state.store.recent_mail(to.as_deref(), 50).await?;
    Ok(Json(
        mail.into_iter()
            .map(|m| MailView {
                to: m.to,
                subject: m.subject,
                body: m.body,
                created_at: m.created_at,
            })
            .collect(),
    ))
}

/// Moving the clock.
#[derive(Deserialize, ToSchema)]
pub struct ClockBody {
    /// Minutes to move forward.
    #[schema(minimum = 1, maximum = 100000)]
    pub advance_minutes: i64,
}

/// The service's time after a move.
#[derive(Serialize, ToSchema)]
pub struct ClockView {
    /// Now, as the service sees it.
    pub now: DateTime<Utc>,
}

/// Dev and demo only: moves the service's clock forward, e.g. past a payment deadline.
#[utoipa::path(post, path = "/api/v1/dev/clock", tag = "dev", request_body = ClockBody,
    responses((status = 200, description = "the service's time after the move", body = ClockView), ClockProblems))]
async fn advance_clock(
    State(state): State<AppState>,
    ApiJson(b): ApiJson<ClockBody>,
) -> ApiResult<Json<ClockView>> {
    if !(1..=100_000).contains(&b.advance_minutes) {
        return Err(ApiError::field(
            "advance_minutes",
            "out_of_range",
            "use 1 to 100000",
        ));
    }
    state.clock.advance(Duration::minutes(b.advance_minutes));
    Ok(Json(ClockView { now: state.now() }))
}
