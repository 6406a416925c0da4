//! Applicant accounts (register, verify email with a one-time code, log in), staff login,
//! and the people an account applies for (at most five).

use axum::Json;
use axum::extract::State;
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use chrono::{DateTime, Duration, NaiveDate, Utc};
use loket_domain::catalogue::age_on;
use loket_domain::{Nik, Sex};
use loket_store::{Applicant, NewAccount, Principal, StoreError};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;
use uuid::Uuid;

use super::schemas::{LocaleSchema, SexSchema, StaffRoleSchema};
use crate::auth::{hash_password, hash_token, new_code, new_token, verify_password};
use crate::error::{ApiError, ApiResult, FieldError};
use crate::extract::{ApiJson, CurrentAccount, CurrentStaff, SESSION_COOKIE, token_from};
use crate::mail::{self, Template};
use crate::problems::problem_responses;
use crate::state::AppState;

problem_responses!(RegisterProblems: JSON_BODY, &[EMAIL_TAKEN]);
problem_responses!(VerifyProblems: JSON_BODY, &[VERIFICATION_FAILED]);
problem_responses!(ResendCodeProblems: JSON_BODY);
problem_responses!(LoginProblems: JSON_BODY, &[INVALID_CREDENTIALS, EMAIL_NOT_VERIFIED, TOO_MANY_LOGIN_ATTEMPTS]);
problem_responses!(LogoutProblems: ANY);
problem_responses!(StaffLoginProblems: JSON_BODY, &[INVALID_CREDENTIALS, TOO_MANY_LOGIN_ATTEMPTS]);
problem_responses!(MeProblems: APPLICANT);
problem_responses!(StaffMeProblems: STAFF);
problem_responses!(AddApplicantProblems: APPLICANT, JSON_BODY, &[INVALID_NIK, APPLICANT_LIMIT_REACHED, APPLICANT_EXISTS]);
problem_responses!(ListApplicantsProblems: APPLICANT);

/// Routes of this module.
pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(register))
        .routes(routes!(verify))
        .routes(routes!(resend_code))
        .routes(routes!(login))
        .routes(routes!(logout))
        .routes(routes!(staff_login))
        .routes(routes!(me))
        .routes(routes!(staff_me))
        .routes(routes!(add_applicant, list_applicants))
}

/// Collects per-field errors so one answer lists every mistake.
#[derive(Default)]
pub struct Fields(pub Vec<FieldError>);

impl Fields {
    /// Records a field error.
    pub fn push(&mut self, field: &str, code: &str, message: impl Into<String>) {
        self.0.push(FieldError {
            field: field.to_owned(),
            code: code.to_owned(),
            message: message.into(),
        });
    }

    /// A required, trimmed, bounded text field.
    pub fn text(&mut self, field: &str, v: &Option<String>, max: usize) -> String {
        let s = v.as_deref().unwrap_or("").trim().to_owned();
        if s.is_empty() {
            self.push(field, "required", "this field is required");
        } else if s.chars().count() > max {
            self.push(field, "too_long", format!("at most {max} characters"));
        } else if !clean(&s) {
            self.push(field, "invalid_characters", "remove control characters");
        }
        s
    }

    /// A required date in the past (birth dates).
    pub fn birth_date(
        &mut self,
        field: &str,
        v: &Option<String>,
        today: NaiveDate,
    ) -> Option<NaiveDate> {
        let s = self.text(field, v, 10);
        if s.is_empty() {
            return None;
        }
        match crate::planning::iso_date(&s) {
            Some(d) if d > today => {
                self.push(field, "in_future", "a birth date cannot be in the future");
                None
            }
            Some(d) if age_on(d, today) > 130 => {
                self.push(field, "implausible", "check the year");
                None
            }
            Some(d) => Some(d),
            None => {
                self.push(field, "invalid_date", "use the form YYYY-MM-DD");
                None
            }
        }
    }

    /// A required sex.
    pub fn sex(&mut self, field: &str, v: &Option<String>) -> Option<Sex> {
        let s = self.text(field, v, 16);
        if s.is_empty() {
            return None;
        }
        let sex = Sex::parse(&s);
        if sex.is_none() {
            self.push(field, "invalid", "use male or female");
        }
        sex
    }

    /// Fails with 422 if anything was recorded.
    pub fn finish(self) -> ApiResult<()> {
        if self.0.is_empty() {
            Ok(())
        } else {
            Err(ApiError::validation(self.0))
        }
    }
}

/// Whether a text has no control characters (which no name, email or code contains, and
/// which PostgreSQL refuses in text as NUL).
pub fn clean(s: &str) -> bool {
    !s.chars().any(char::is_control)
}

/// Lower-cased, trimmed email; an address with control characters becomes empty (unknown).
fn normalize_email(s: &str) -> String {
    let e = s.trim().to_lowercase();
    if clean(&e) { e } else { String::new() }
}

fn email_ok(e: &str) -> bool {
    let Some((local, domain)) = e.split_once('@') else {
        return false;
    };
    !local.is_empty()
        && domain.contains('.')
        && !domain.starts_with('.')
        && !domain.ends_with('.')
        && !e.chars().any(char::is_whitespace)
        && e.len() <= 254
}

fn phone_ok(p: &str) -> bool {
    let digits: String = p.chars().filter(|c| !matches!(c, ' ' | '-')).collect();
    let rest = digits.strip_prefix('+').unwrap_or(&digits);
    (8..=15).contains(&rest.len()) && rest.bytes().all(|b| b.is_ascii_digit())
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

async fn send_code(state: &AppState, account: Uuid, email: &str, locale: &str) -> ApiResult<()> {
    let code = new_code();
    let now = state.now();
    state
        .store
        .put_verification(account, &hash_token(&code), now + Duration::minutes(30))
        .await?;
    let (subject, body) = mail::render(Template::Verification, locale, &[("code", &code)]);
    state
        .store
        .enqueue_mail(email, &subject, &body, now)
        .await?;
    Ok(())
}

/// Registers an applicant account and emails a verification code.
#[utoipa::path(post, path = "/api/v1/accounts", tag = "accounts", request_body = RegisterBody,
    responses((status = 201, description = "registered; verify the email address next", body = Registered), RegisterProblems))]
async fn register(
    State(state): State<AppState>,
    ApiJson(b): ApiJson<RegisterBody>,
) -> ApiResult<(StatusCode, Json<Registered>)> {
    let today = state.now().date_naive();
    let mut f = Fields::default();
    let email = normalize_email(&f.text("email", &b.email, 254));
    if !email.is_empty() && !email_ok(&email) {
        f.push("email", "invalid", "this is not an email address");
    }
    let password = b.password.clone().unwrap_or_default();
    if password.chars().count() < 8 {
        f.push("password", "too_short", "use at least 8 characters");
    } else if password.chars().count() > 128 {
        f.push("password", "too_long", "at most 128 characters");
    }
    let full_name = f.text("full_name", &b.full_name, 100);
    let birth_date = f.birth_date("birth_date", &b.birth_date, today);
    let sex = f.sex("sex", &b.sex);
    let phone = f.text("phone", &b.phone, 20);
    if !phone.is_empty() && !phone_ok(&phone) {
        f.push("phone", "invalid", "use digits, e.g. 081234567890");
    }
    let locale = match b.locale.as_deref().map(str::trim) {
        None | Some("") | Some("id") => "id",
        Some("en") => "en",
        Some(_) => {
            f.push("locale", "invalid", "use id or en");
            "id"
        }
    };
    f.finish()?;
    let (Some(birth_date), Some(sex)) = (birth_date, sex) else {
        return Err(ApiError::internal("validated fields missing"));
    };
    let password_hash = hash_password(password).await?;
    let id = state
        .store
        .create_account(
            &NewAccount {
                email: email.clone(),
                password_hash,
                full_name,
                birth_date,
                sex,
                phone,
                locale: locale.to_owned(),
            },
            state.now(),
        )
        .await?;
    send_code(&state, id, &email, locale).await?;
    Ok((
        StatusCode::CREATED,
        Json(Registered {
            id,
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
    let mut f = Fields::default();
    let email = normalize_email(&f.text("email", &b.email, 254));
    let code = f.text("code", &b.code, 6);
    f.finish()?;
    let account = state
        .store
        .account_auth(&email)
        .await?
        .ok_or(StoreError::VerificationFailed)?;
    state
        .store
        .verify_email(account.id, &hash_token(&code), state.now())
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
    ApiJson(b): ApiJson<ResendBody>,
) -> ApiResult<StatusCode> {
    let email = normalize_email(b.email.as_deref().unwrap_or(""));
    if let Some(a) = state.store.account_auth(&email).await?
        && !a.verified
    {
        let locale = state
            .store
            .get_account(a.id)
            .await?
            .map(|a| a.locale)
            .unwrap_or_default();
        send_code(&state, a.id, &email, &locale).await?;
    }
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

fn invalid_credentials() -> ApiError {
    ApiError::new(
        StatusCode::UNAUTHORIZED,
        "invalid-credentials",
        "Wrong login or password",
    )
    .detail("check the email address and the password")
}

async fn issue_token(state: &AppState, principal: &Principal) -> ApiResult<Response> {
    let token = new_token();
    let now = state.now();
    let expires_at = now + Duration::hours(state.settings.session_hours);
    state
        .store
        .create_token(&hash_token(&token), principal, now, expires_at)
        .await?;
    let cookie = format!(
        "{SESSION_COOKIE}={token}; Path=/; HttpOnly; SameSite=Lax; Max-Age={}",
        state.settings.session_hours * 3600
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
    Ok(res)
}

/// Logs an applicant in: a bearer token for the API, and the same as a session cookie.
#[utoipa::path(post, path = "/api/v1/auth/login", tag = "accounts", request_body = LoginBody,
    responses((status = 200, description = "logged in; the token is also set as the session cookie", body = TokenView), LoginProblems))]
async fn login(
    State(state): State<AppState>,
    ApiJson(b): ApiJson<LoginBody>,
) -> ApiResult<Response> {
    let email = normalize_email(b.email.as_deref().unwrap_or(""));
    let password = b.password.unwrap_or_default();
    let who = format!("account:{email}");
    let now = state.now();
    check_not_locked(&state, &who, now)?;
    let account = state.store.account_auth(&email).await?;
    let ok = verify_password(password, account.as_ref().map(|a| a.password_hash.clone())).await;
    let Some(account) = account.filter(|_| ok) else {
        state.logins.failed(&who, now);
        return Err(invalid_credentials());
    };
    state.logins.succeeded(&who);
    if !account.verified {
        return Err(ApiError::new(
            StatusCode::FORBIDDEN,
            "email-not-verified",
            "Verify your email address first",
        )
        .detail("enter the code we emailed you, or ask for a new one"));
    }
    issue_token(
        &state,
        &Principal::Account {
            id: account.id,
            verified: true,
        },
    )
    .await
}

/// Ends the session of the token (or cookie) used.
#[utoipa::path(post, path = "/api/v1/auth/logout", tag = "accounts", responses((status = 204, description = "logged out"), LogoutProblems))]
async fn logout(State(state): State<AppState>, headers: HeaderMap) -> ApiResult<Response> {
    if let Some((token, _)) = token_from(&headers) {
        let hash = hash_token(&token);
        state.store.delete_token(&hash).await?;
        state.principals.forget(&hash);
    }
    let mut res = StatusCode::NO_CONTENT.into_response();
    res.headers_mut().insert(
        header::SET_COOKIE,
        HeaderValue::from_static("loket_session=; Path=/; HttpOnly; SameSite=Lax; Max-Age=0"),
    );
    Ok(res)
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
    let username = b.username.unwrap_or_default().trim().to_owned();
    let username = if clean(&username) {
        username
    } else {
        String::new()
    };
    let who = format!("staff:{username}");
    let now = state.now();
    check_not_locked(&state, &who, now)?;
    let staff = state.store.staff_auth(&username).await?;
    let ok = verify_password(
        b.password.unwrap_or_default(),
        staff.as_ref().map(|s| s.password_hash.clone()),
    )
    .await;
    let Some(staff) = staff.filter(|_| ok) else {
        state.logins.failed(&who, now);
        return Err(ApiError::new(
            StatusCode::UNAUTHORIZED,
            "invalid-credentials",
            "Wrong login or password",
        )
        .detail("check the username and the password"));
    };
    state.logins.succeeded(&who);
    issue_token(&state, &Principal::Staff(staff.staff)).await
}

/// 429 while `who` is locked out after too many failed logins (see `LoginGuard`).
fn check_not_locked(state: &AppState, who: &str, now: DateTime<Utc>) -> ApiResult<()> {
    let Some(until) = state.logins.locked_until(who, now) else {
        return Ok(());
    };
    let secs = (until - now).num_seconds().max(1);
    Err(ApiError::new(
        StatusCode::TOO_MANY_REQUESTS,
        "too-many-login-attempts",
        "Too many failed logins",
    )
    .detail(format!(
        "logins for this account are paused; try again in {} minutes",
        (secs + 59) / 60
    ))
    .with("retry_after_seconds", secs))
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
    let a = state
        .store
        .get_account(account.id)
        .await?
        .ok_or_else(ApiError::unauthorized)?;
    Ok(Json(MeView {
        id: a.id,
        email: a.email,
        full_name: a.full_name,
        locale: a.locale,
    }))
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

/// 422 `invalid-nik` with the reason as a field error.
pub fn invalid_nik(e: &loket_domain::nik::NikError) -> ApiError {
    ApiError::new(
        StatusCode::UNPROCESSABLE_ENTITY,
        "invalid-nik",
        "The NIK is not valid",
    )
    .detail(e.to_string())
    .errors(vec![FieldError {
        field: "nik".into(),
        code: e.code().into(),
        message: e.to_string(),
    }])
}

/// Adds a person to the account (at most five per account).
#[utoipa::path(post, path = "/api/v1/applicants", tag = "applicants", request_body = ApplicantBody, security(("bearer" = [])),
    responses((status = 201, description = "added", body = ApplicantView), AddApplicantProblems))]
async fn add_applicant(
    State(state): State<AppState>,
    account: CurrentAccount,
    ApiJson(b): ApiJson<ApplicantBody>,
) -> ApiResult<(StatusCode, Json<ApplicantView>)> {
    let today = state.now().date_naive();
    let mut f = Fields::default();
    let nik_s = f.text("nik", &b.nik, 32);
    let full_name = f.text("full_name", &b.full_name, 100);
    let birth_date = f.birth_date("birth_date", &b.birth_date, today);
    let sex = f.sex("sex", &b.sex);
    f.finish()?;
    let (Some(birth_date), Some(sex)) = (birth_date, sex) else {
        return Err(ApiError::internal("validated fields missing"));
    };
    let nik = Nik::parse(&nik_s).map_err(|e| invalid_nik(&e))?;
    nik.check_against(birth_date, sex)
        .map_err(|e| invalid_nik(&e))?;
    let a = Applicant {
        id: Uuid::now_v7(),
        account_id: account.id,
        nik,
        full_name,
        birth_date,
        sex,
        married: b.married.unwrap_or(false),
    };
    state.store.add_applicant(&a, state.now()).await?;
    Ok((StatusCode::CREATED, Json(ApplicantView::from(&a))))
}

/// The people on the account.
#[utoipa::path(get, path = "/api/v1/applicants", tag = "applicants", security(("bearer" = [])),
    responses((status = 200, description = "the people on the account", body = [ApplicantView]), ListApplicantsProblems))]
async fn list_applicants(
    State(state): State<AppState>,
    account: CurrentAccount,
) -> ApiResult<Json<Vec<ApplicantView>>> {
    let list = state.store.list_applicants(account.id).await?;
    Ok(Json(list.iter().map(ApplicantView::from).collect()))
}
