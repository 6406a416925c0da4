//! Staff sessions over the API: logging in, and who the logged-in staff member is (role and
//! scope). The login rules are `usecases::accounts::staff_login`.

use axum::Json;
use axum::extract::State;
use axum::response::Response;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use super::accounts::{TokenView, token_response};
use super::schemas::StaffRoleSchema;
use crate::error::ApiResult;
use crate::extract::{ApiJson, CurrentStaff};
use crate::problems::problem_responses;
use crate::state::AppState;
use crate::usecases::accounts;

problem_responses!(StaffLoginProblems: JSON_BODY, &[INVALID_CREDENTIALS, TOO_MANY_LOGIN_ATTEMPTS]);
problem_responses!(StaffMeProblems: STAFF);

/// Routes of this module.
pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(staff_login))
        .routes(routes!(staff_me))
}

/// Staff login.
#[derive(Deserialize, ToSchema)]
pub struct StaffLoginBody {
    /// Username.
    #[schema(value_type = String)]
    pub username: Option<String>,
    /// Password.
    #[schema(value_type = String, format = Password)]
    pub password: Option<String>,
}

/// Logs a staff member in.
#[utoipa::path(post, path = "/api/v1/staff/login", tag = "staff", request_body = StaffLoginBody,
    responses((status = 200, description = "logged in", body = TokenView), StaffLoginProblems))]
async fn staff_login(
    State(state): State<AppState>,
    ApiJson(b): ApiJson<StaffLoginBody>,
) -> ApiResult<Response> {
    let s = accounts::staff_login(
        &state,
        b.username.as_deref().unwrap_or_default(),
        b.password.as_deref().unwrap_or_default(),
    )
    .await?;
    Ok(token_response(&state, s.token, s.expires_at))
}

/// The logged-in staff member.
#[derive(Serialize, ToSchema)]
pub struct StaffView {
    /// Username.
    pub username: String,
    /// Name.
    pub full_name: String,
    /// Role.
    #[schema(value_type = StaffRoleSchema)]
    pub role: String,
    /// Office.
    pub office_code: Option<String>,
    /// Region.
    pub region_code: Option<String>,
}

/// The logged-in staff member and their scope.
#[utoipa::path(get, path = "/api/v1/staff/me", tag = "staff", security(("bearer" = [])),
    responses((status = 200, description = "the staff member", body = StaffView), StaffMeProblems))]
async fn staff_me(CurrentStaff(s): CurrentStaff) -> Json<StaffView> {
    Json(StaffView {
        username: s.username,
        full_name: s.full_name,
        role: s.role.as_str().to_owned(),
        office_code: s.office_code,
        region_code: s.region_code,
    })
}
