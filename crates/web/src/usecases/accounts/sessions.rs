//! Sessions: an applicant's or a staff member's login, which begins a session token (sent
//! back as a bearer token or a cookie), resolving a token to who holds it, and logout. A
//! login that fails too often is paused (`Limits::logins`), without checking the password.

use chrono::{DateTime, Duration, Utc};
use loket_store::{Principal, Staff};
use uuid::Uuid;

use super::normalize_email;
use crate::auth::{hash_token, new_token, verify_password};
use crate::state::AppState;
use crate::usecases::fields::clean;
use crate::usecases::{Attempts, Login, Refusal, UseCaseResult};

/// A session begun: the token to send back (as a bearer token or a cookie) and when it
/// stops working.
#[derive(Clone, Debug)]
pub struct LoggedIn {
    /// The session token, shown once; only its hash is stored.
    pub token: String,
    /// The applicant's account.
    pub account_id: Uuid,
    /// When the token stops working.
    pub expires_at: DateTime<Utc>,
}

/// A staff session begun.
#[derive(Clone, Debug)]
pub struct StaffLoggedIn {
    /// The session token, shown once; only its hash is stored.
    pub token: String,
    /// The staff member and their scope.
    pub staff: Staff,
    /// When the token stops working.
    pub expires_at: DateTime<Utc>,
}

/// Logs an applicant in: a new session token for a verified account.
#[tracing::instrument(name = "usecase.accounts.login", skip_all)]
pub async fn login(state: &AppState, email: &str, password: &str) -> UseCaseResult<LoggedIn> {
    let email = normalize_email(email);
    let who = account_login(&email);
    let now = state.now();
    check_not_locked(state, &who, now)?;
    let found = state.store.account_auth(&email).await?;
    let account = password_matches(state, &who, now, password, found, Login::Email, |a| {
        &a.password_hash
    })
    .await?;
    if !account.verified {
        return Err(Refusal::EmailNotVerified);
    }
    let principal = Principal::Account {
        id: account.id,
        verified: true,
    };
    let (token, expires_at) = begin_session(state, &principal).await?;
    Ok(LoggedIn {
        token,
        account_id: account.id,
        expires_at,
    })
}

/// Logs a staff member in.
#[tracing::instrument(name = "usecase.accounts.staff_login", skip_all)]
pub async fn staff_login(
    state: &AppState,
    username: &str,
    password: &str,
) -> UseCaseResult<StaffLoggedIn> {
    let username = username.trim();
    let username = if clean(username) { username } else { "" };
    let who = staff_login_name(username);
    let now = state.now();
    check_not_locked(state, &who, now)?;
    let found = state.store.staff_auth(username).await?;
    let staff = password_matches(state, &who, now, password, found, Login::Username, |s| {
        &s.password_hash
    })
    .await?;
    let (token, expires_at) = begin_session(state, &Principal::Staff(staff.staff.clone())).await?;
    Ok(StaffLoggedIn {
        token,
        staff: staff.staff,
        expires_at,
    })
}

/// The login guard's name of an applicant's login.
pub(super) fn account_login(email: &str) -> String {
    format!("account:{email}")
}

/// The login guard's name of a staff login.
fn staff_login_name(username: &str) -> String {
    format!("staff:{username}")
}

/// The login `found` (if any) when `password` is its password; counts the failure or
/// clears the count of `who`. An unknown login costs the same time as a wrong password.
async fn password_matches<T>(
    state: &AppState,
    who: &str,
    now: DateTime<Utc>,
    password: &str,
    found: Option<T>,
    login: Login,
    hash: impl Fn(&T) -> &str,
) -> UseCaseResult<T> {
    let stored = found.as_ref().map(|f| hash(f).to_owned());
    let ok = verify_password(password.to_owned(), stored).await;
    match found.filter(|_| ok) {
        Some(f) => {
            state.limits.logins.clear(who);
            Ok(f)
        }
        None => {
            state.limits.logins.count(who, now);
            Err(Refusal::InvalidCredentials(login))
        }
    }
}

/// Refused while `who` is locked out after too many failed logins.
fn check_not_locked(state: &AppState, who: &str, now: DateTime<Utc>) -> UseCaseResult<()> {
    match state.limits.logins.blocked_until(who, now) {
        None => Ok(()),
        Some(until) => Err(Refusal::too_many(Attempts::Logins, until, now)),
    }
}

/// Stores a new token for `principal`, valid `session_hours`.
async fn begin_session(
    state: &AppState,
    principal: &Principal,
) -> UseCaseResult<(String, DateTime<Utc>)> {
    let token = new_token();
    let now = state.now();
    let expires_at = now + Duration::hours(state.settings.session_hours);
    state
        .store
        .create_token(&hash_token(&token), principal, now, expires_at)
        .await?;
    Ok((token, expires_at))
}

/// Who a session token belongs to, if it is valid now.
pub async fn principal(state: &AppState, token: &str) -> UseCaseResult<Option<Principal>> {
    let found = state
        .store
        .principal(&hash_token(token), state.now())
        .await?;
    Ok(found.map(|(p, _)| p))
}

/// Ends the session of a token (an unknown token is already ended).
#[tracing::instrument(name = "usecase.accounts.logout", skip_all)]
pub async fn logout(state: &AppState, token: &str) -> UseCaseResult<()> {
    Ok(state.store.delete_token(&hash_token(token)).await?)
}
