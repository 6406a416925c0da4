//! Applicant accounts over the API: register, verify the email address with a one-time
//! code (or ask for a new one), log in and out, and the logged-in profile. The rules are
//! the use cases' (`usecases::accounts`); these handlers parse, call and render.

use axum::Json;
use axum::extract::State;
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;
use uuid::Uuid;

use super::schemas::{LocaleSchema, SexSchema};
use crate::error::ApiResult;
use crate::extract::ClientAddr;
use crate::extract::{ApiJson, CurrentAccount, SESSION_COOKIE, session_cookie_max_age, token_from};
use crate::problems::problem_responses;
use crate::state::AppState;
use crate::usecases::accounts::{self, Registration};

problem_responses!(RegisterProblems: JSON_BODY, &[EMAIL_TAKEN, TOO_MANY_ACCOUNT_REQUESTS, TOO_MANY_CODES_SENT]);
problem_responses!(VerifyProblems: JSON_BODY, &[VERIFICATION_FAILED, TOO_MANY_CODE_ATTEMPTS]);
problem_responses!(ResendCodeProblems: JSON_BODY, &[TOO_MANY_ACCOUNT_REQUESTS, TOO_MANY_CODES_SENT]);
problem_responses!(LoginProblems: JSON_BODY, &[INVALID_CREDENTIALS, EMAIL_NOT_VERIFIED, TOO_MANY_LOGIN_ATTEMPTS]);
problem_responses!(LogoutProblems: ANY);
problem_responses!(MeProblems: APPLICANT);

/// Routes of this module.
pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(register))
        .routes(routes!(verify))
        .routes(routes!(resend_code))
        .routes(routes!(login))
        .routes(routes!(logout))
        .routes(routes!(me))
}

/// Registration form.
#[derive(Deserialize, ToSchema)]
pub struct RegisterBody {
    /// Email address.
    #[schema(value_type = String, format = Email, max_length = 254)]
    pub email: Option<String>,
    /// Password, 8-128 characters.
    #[schema(value_type = String, format = Password, min_length = 8, max_length = 128)]
    pub password: Option<String>,
    /// Name as on the ID card.
    #[schema(value_type = String, min_length = 1, max_length = 100)]
    pub full_name: Option<String>,
    /// Birth date, not in the future.
    #[schema(value_type = NaiveDate)]
    pub birth_date: Option<String>,
    /// Sex.
    #[schema(value_type = SexSchema)]
    pub sex: Option<String>,
    /// Phone number: 8-15 digits, optionally after a +, e.g. 081234567890 or +6281234567890
    /// (spaces and dashes between digit groups are taken too).
    #[schema(value_type = String, max_length = 20, pattern = "^\\+?[0-9]{8,15}$", example = "081234567890")]
    pub phone: Option<String>,
    /// Language of the mails (default id).
    #[schema(value_type = Option<LocaleSchema>)]
    pub locale: Option<String>,
}

/// A registered account, waiting for its email to be verified.
#[derive(Serialize, ToSchema)]
pub struct Registered {
    /// Account id.
    pub id: Uuid,
    /// What to do next.
    pub next: String,
}

/// Registers an applicant account and emails a verification code.
#[utoipa::path(post, path = "/api/v1/accounts", tag = "accounts", request_body = RegisterBody,
    responses((status = 201, description = "registered; verify the email address next", body = Registered), RegisterProblems))]
async fn register(
    State(state): State<AppState>,
    ClientAddr(client): ClientAddr,
    ApiJson(b): ApiJson<RegisterBody>,
) -> ApiResult<(StatusCode, Json<Registered>)> {
    let registered = accounts::register(
        &state,
        client,
        Registration {
            email: b.email.unwrap_or_default(),
            password: b.password.unwrap_or_default(),
            full_name: b.full_name.unwrap_or_default(),
            birth_date: b.birth_date.unwrap_or_default(),
            sex: b.sex.unwrap_or_default(),
            phone: b.phone.unwrap_or_default(),
            locale: b.locale.unwrap_or_default(),
        },
    )
    .await?;
    Ok((
        StatusCode::CREATED,
        Json(Registered {
            id: registered.account_id,
            next: "enter the 6-digit code sent to your email at POST /api/v1/accounts/verify"
                .into(),
        }),
    ))
}

/// Email verification.
#[derive(Deserialize, ToSchema)]
pub struct VerifyBody {
    /// Email address.
    #[schema(value_type = String, format = Email, max_length = 254)]
    pub email: Option<String>,
    /// The 6-digit code from the mail.
    #[schema(value_type = String, pattern = "^[0-9]{6}$")]
    pub code: Option<String>,
}

/// Verifies an account's email with the code it was sent.
#[utoipa::path(post, path = "/api/v1/accounts/verify", tag = "accounts", request_body = VerifyBody,
    responses((status = 204, description = "verified"), VerifyProblems))]
async fn verify(
    State(state): State<AppState>,
    ApiJson(b): ApiJson<VerifyBody>,
) -> ApiResult<StatusCode> {
    accounts::verify_email(
        &state,
        b.email.as_deref().unwrap_or_default(),
        b.code.as_deref().unwrap_or_default(),
    )
    .await?;
    Ok(StatusCode::NO_CONTENT)
}

/// Asking for a new code.
#[derive(Deserialize, ToSchema)]
pub struct ResendBody {
    /// Email address.
    #[schema(value_type = String, format = Email)]
    pub email: Option<String>,
}

/// Sends a new verification code (answers the same whether or not the address is known).
#[utoipa::path(post, path = "/api/v1/accounts/verification-code", tag = "accounts", request_body = ResendBody,
    responses((status = 202, description = "a code is on its way if the address waits for one"), ResendCodeProblems))]
async fn resend_code(
    State(state): State<AppState>,
    ClientAddr(client): ClientAddr,
    ApiJson(b): ApiJson<ResendBody>,
) -> ApiResult<StatusCode> {
    accounts::resend_code(&state, client, b.email.as_deref().unwrap_or_default()).await?;
    Ok(StatusCode::ACCEPTED)
}

/// Applicant login.
#[derive(Deserialize, ToSchema)]
pub struct LoginBody {
    /// Email address.
    #[schema(value_type = String, format = Email)]
    pub email: Option<String>,
    /// Password.
    #[schema(value_type = String, format = Password)]
    pub password: Option<String>,
}

/// A session token.
#[derive(Serialize, ToSchema)]
pub struct TokenView {
    /// Send as `Authorization: Bearer <token>`.
    pub token: String,
    /// Always "Bearer".
    #[schema(example = "Bearer")]
    pub token_type: String,
    /// When it stops working.
    pub expires_at: DateTime<Utc>,
}

/// The token as JSON, and the same as the session cookie.
pub fn token_response(state: &AppState, token: String, expires_at: DateTime<Utc>) -> Response {
    let cookie = format!(
        "{SESSION_COOKIE}={token}; Path=/; HttpOnly; SameSite=Lax; Max-Age={}",
        session_cookie_max_age(&state.settings)
    );
    let mut res = Json(TokenView {
        token,
        token_type: "Bearer".into(),
        expires_at,
    })
    .into_response();
    if let Ok(v) = HeaderValue::from_str(&cookie) {
        res.headers_mut().insert(header::SET_COOKIE, v);
    }
    res
}

/// Logs an applicant in: a bearer token for the API, and the same as a session cookie.
#[utoipa::path(post, path = "/api/v1/auth/login", tag = "accounts", request_body = LoginBody,
    responses((status = 200, description = "logged in; the token is also set as the session cookie", body = TokenView), LoginProblems))]
async fn login(
    State(state): State<AppState>,
    ApiJson(b): ApiJson<LoginBody>,
) -> ApiResult<Response> {
    let s = accounts::login(
        &state,
        b.email.as_deref().unwrap_or_default(),
        b.password.as_deref().unwrap_or_default(),
    )
    .await?;
    Ok(token_response(&state, s.token, s.expires_at))
}

/// Ends the session of the token (or cookie) used.
#[utoipa::path(post, path = "/api/v1/auth/logout", tag = "accounts", responses((status = 204, description = "logged out"), LogoutProblems))]
async fn logout(State(state): State<AppState>, headers: HeaderMap) -> ApiResult<Response> {
    if let Some((token, _)) = token_from(&headers) {
        accounts::logout(&state, &token).await?;
    }
    let mut res = StatusCode::NO_CONTENT.into_response();
    res.headers_mut().insert(
        header::SET_COOKIE,
        HeaderValue::from_static("loket_session=; Path=/; HttpOnly; SameSite=Lax; Max-Age=0"),
    );
    Ok(res)
}

/// The logged-in applicant's profile.
#[derive(Serialize, ToSchema)]
pub struct MeView {
    /// Account id.
    pub id: Uuid,
    /// Email.
    #[schema(format = Email)]
    pub email: String,
    /// Name.
    pub full_name: String,
    /// Language of the mails.
    #[schema(value_type = LocaleSchema)]
    pub locale: String,
}

/// The logged-in account.
#[utoipa::path(get, path = "/api/v1/me", tag = "accounts", security(("bearer" = [])),
    responses((status = 200, description = "the account", body = MeView), MeProblems))]
async fn me(State(state): State<AppState>, account: CurrentAccount) -> ApiResult<Json<MeView>> {
    let a = accounts::profile(&state, account.id).await?;
    Ok(Json(MeView {
        id: a.id,
        email: a.email,
        full_name: a.full_name,
        locale: a.locale,
    }))
}
