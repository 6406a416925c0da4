//! The people an account applies for, over the API: adding one (NIK checked against the
//! birth date and sex) and listing them. The rules are `usecases::applicants`.

use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use chrono::NaiveDate;
use loket_store::Applicant;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;
use uuid::Uuid;

use super::schemas::SexSchema;
use crate::error::ApiResult;
use crate::extract::{ApiJson, CurrentAccount};
use crate::problems::problem_responses;
use crate::state::AppState;
use crate::usecases::applicants::{self, NewApplicant};

problem_responses!(AddApplicantProblems: APPLICANT, JSON_BODY, &[INVALID_NIK, APPLICANT_LIMIT_REACHED, APPLICANT_EXISTS]);
problem_responses!(ListApplicantsProblems: APPLICANT);

/// Routes of this module.
pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new().routes(routes!(add_applicant, list_applicants))
}

/// A person to apply for.
#[derive(Deserialize, ToSchema)]
pub struct ApplicantBody {
    /// 16-digit NIK from the ID card or family card; it must match the birth date and sex.
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
}

/// A person on the account.
#[derive(Serialize, ToSchema)]
pub struct ApplicantView {
    /// Applicant id.
    pub id: Uuid,
    /// NIK, masked.
    pub nik_masked: String,
    /// Name.
    pub full_name: String,
    /// Birth date.
    pub birth_date: NaiveDate,
    /// Sex.
    #[schema(value_type = SexSchema)]
    pub sex: String,
    /// Married.
    pub married: bool,
}

impl From<&Applicant> for ApplicantView {
    fn from(a: &Applicant) -> Self {
        Self {
            id: a.id,
            nik_masked: a.nik.masked(),
            full_name: a.full_name.clone(),
            birth_date: a.birth_date,
            sex: a.sex.as_str().to_owned(),
            married: a.married,
        }
    }
}

/// Adds a person to the account (at most five per account).
#[utoipa::path(post, path = "/api/v1/applicants", tag = "applicants", request_body = ApplicantBody, security(("bearer" = [])),
    responses((status = 201, description = "added", body = ApplicantView), AddApplicantProblems))]
async fn add_applicant(
    State(state): State<AppState>,
    account: CurrentAccount,
    ApiJson(b): ApiJson<ApplicantBody>,
) -> ApiResult<(StatusCode, Json<ApplicantView>)> {
    let a = applicants::add(
        &state,
        account.id,
        NewApplicant {
            nik: b.nik.unwrap_or_default(),
            full_name: b.full_name.unwrap_or_default(),
            birth_date: b.birth_date.unwrap_or_default(),
            sex: b.sex.unwrap_or_default(),
            married: b.married.unwrap_or(false),
        },
    )
    .await?;
    Ok((StatusCode::CREATED, Json(ApplicantView::from(&a))))
}

/// The people on the account.
#[utoipa::path(get, path = "/api/v1/applicants", tag = "applicants", security(("bearer" = [])),
    responses((status = 200, description = "the people on the account", body = [ApplicantView]), ListApplicantsProblems))]
async fn list_applicants(
    State(state): State<AppState>,
    account: CurrentAccount,
) -> ApiResult<Json<Vec<ApplicantView>>> {
    let list = applicants::list(&state, account.id).await?;
    Ok(Json(list.iter().map(ApplicantView::from).collect()))
}
