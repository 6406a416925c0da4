//! Extractors that turn bad input into problem+json instead of axum's plain-text rejections,
//! and that resolve who is calling (bearer token or session cookie) and from which address.

use std::net::{IpAddr, SocketAddr};

use axum::extract::rejection::{JsonRejection, PathRejection, QueryRejection};
use axum::extract::{ConnectInfo, FromRequest, FromRequestParts};
use axum::http::request::Parts;
use axum::http::{StatusCode, header};
use loket_domain::staff::{ScopeRefusal, check_scope};
use loket_store::{Principal, Staff, StaffRole};
use uuid::Uuid;

use crate::error::ApiError;
use crate::limits::client_address;
use crate::state::AppState;
use crate::usecases::accounts;

/// JSON body; a malformed body is a 400/415/422 problem.
#[derive(FromRequest)]
#[from_request(via(axum::Json), rejection(ApiError))]
pub struct ApiJson<T>(pub T);

/// Path parameters; a malformed one is a 404 problem.
#[derive(FromRequestParts)]
#[from_request(via(axum::extract::Path), rejection(ApiError))]
pub struct ApiPath<T>(pub T);

/// Query string; a malformed one is a 422 problem.
#[derive(FromRequestParts)]
#[from_request(via(axum::extract::Query), rejection(ApiError))]
pub struct ApiQuery<T>(pub T);

impl From<JsonRejection> for ApiError {
    fn from(r: JsonRejection) -> Self {
        match r {
            JsonRejection::MissingJsonContentType(_) => ApiError::unsupported_media_type(),
            JsonRejection::JsonSyntaxError(e) => ApiError::new(
                StatusCode::BAD_REQUEST,
                "malformed-json",
                "The body is not valid JSON",
            )
            .detail(e.body_text()),
            JsonRejection::JsonDataError(e) => ApiError::field("body", "invalid", e.body_text()),
            JsonRejection::BytesRejection(_) => ApiError::new(
                StatusCode::PAYLOAD_TOO_LARGE,
                "body-too-large",
                "The request body could not be read or is too large",
            ),
            other => ApiError::new(StatusCode::BAD_REQUEST, "bad-request", "Bad request")
                .detail(other.body_text()),
        }
    }
}

impl From<PathRejection> for ApiError {
    fn from(_: PathRejection) -> Self {
        ApiError::not_found("resource")
    }
}

impl From<QueryRejection> for ApiError {
    fn from(r: QueryRejection) -> Self {
        ApiError::field("query", "invalid", r.body_text())
    }
}

/// The session cookie's name.
pub const SESSION_COOKIE: &str = "loket_session";

/// Seconds the browser keeps the session cookie: a week longer than the session itself, so
/// a page reached after the session ended can say so (the stale token opens nothing).
pub fn session_cookie_max_age(settings: &crate::config::Settings) -> i64 {
    (settings.session_hours + 7 * 24) * 3600
}

/// The token of a request: from `Authorization: Bearer`, else the session cookie (then
/// the flag is true).
pub fn token_from(headers: &axum::http::HeaderMap) -> Option<(String, bool)> {
    if let Some(v) = headers
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
    {
        let t = v
            .strip_prefix("Bearer ")
            .or_else(|| v.strip_prefix("bearer "))?;
        return Some((t.trim().to_owned(), false));
    }
    let cookies = headers.get_all(header::COOKIE);
    for c in cookies.iter().filter_map(|v| v.to_str().ok()) {
        for pair in c.split(';') {
            if let Some(v) = pair
                .trim()
                .strip_prefix(SESSION_COOKIE)
                .and_then(|r| r.strip_prefix('='))
            {
                return Some((v.to_owned(), true));
            }
        }
    }
    None
}

/// A cookie-authenticated request that changes state must come from our own pages: the
/// browser's `Sec-Fetch-Site` says so, or, without it, the `Origin` names our host.
pub fn same_origin(method: &axum::http::Method, headers: &axum::http::HeaderMap) -> bool {
    if method.is_safe() {
        return true;
    }
    match headers.get("sec-fetch-site").and_then(|v| v.to_str().ok()) {
        Some(site) => site == "same-origin" || site == "none",
        None => {
            let origin = headers.get(header::ORIGIN).and_then(|v| v.to_str().ok());
            let host = headers.get(header::HOST).and_then(|v| v.to_str().ok());
            match (origin, host) {
                (Some(o), Some(h)) => o.split("://").nth(1) == Some(h),
                (None, _) => true,
                _ => false,
            }
        }
    }
}

async fn principal(parts: &Parts, state: &AppState) -> Result<Principal, ApiError> {
    let (token, via_cookie) = token_from(&parts.headers).ok_or_else(ApiError::unauthorized)?;
    if via_cookie && !same_origin(&parts.method, &parts.headers) {
        return Err(ApiError::forbidden().detail("cross-site request refused"));
    }
    accounts::principal(state, &token)
        .await?
        .ok_or_else(ApiError::unauthorized)
}

/// A logged-in applicant account.
pub struct CurrentAccount {
    /// Account id.
    pub id: Uuid,
}

impl FromRequestParts<AppState> for CurrentAccount {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, ApiError> {
        match principal(parts, state).await? {
            Principal::Account { id, verified: true } => Ok(Self { id }),
            Principal::Account {
                verified: false, ..
            } => Err(ApiError::email_not_verified()),
            Principal::Staff(_) => {
                Err(ApiError::forbidden().detail("this is for applicant accounts"))
            }
        }
    }
}

/// A logged-in staff member.
pub struct CurrentStaff(pub Staff);

impl FromRequestParts<AppState> for CurrentStaff {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, ApiError> {
        match principal(parts, state).await? {
            Principal::Staff(s) => Ok(Self(s)),
            Principal::Account { .. } => Err(ApiError::forbidden().detail("this is for staff")),
        }
    }
}

impl CurrentStaff {
    /// Checks that this staff member may act on the office in one of the given roles
    /// (`loket_domain::staff::check_scope`); `action` names what was asked, for the message.
    pub fn check_scope(
        &self,
        office_code: &str,
        office_region: &str,
        roles: &[StaffRole],
        action: &str,
    ) -> Result<(), ApiError> {
        let s = &self.0;
        check_scope(
            s.role,
            s.office_code.as_deref(),
            s.region_code.as_deref(),
            office_code,
            office_region,
            roles,
        )
        .map_err(|refusal| {
            let detail = match refusal {
                ScopeRefusal::Role => format!(
                    "your role ({}) may not {action}",
                    s.role.as_str().replace('_', " ")
                ),
                ScopeRefusal::OtherOffice => {
                    format!("you may {action} only for your own office")
                }
                ScopeRefusal::OtherRegion => {
                    format!("you may {action} only for the offices of your region")
                }
            };
            ApiError::forbidden().detail(detail)
        })
    }
}

/// The calling client's address, as [`client_address`] finds it; none when the service is
/// called without a connection (in-process), which then limits nothing per client.
#[derive(Clone, Copy, Debug)]
pub struct ClientAddr(pub Option<IpAddr>);

impl FromRequestParts<AppState> for ClientAddr {
    type Rejection = std::convert::Infallible;

    async fn from_request_parts(
        parts: &mut Parts,
        state: &AppState,
    ) -> Result<Self, Self::Rejection> {
        let peer = parts
            .extensions
            .get::<ConnectInfo<SocketAddr>>()
            .map(|c| c.0.ip());
        Ok(Self(client_address(
            &parts.headers,
            peer,
            state.settings.trusted_proxy_hops,
        )))
    }
}
