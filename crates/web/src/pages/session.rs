//! Who is logged in on a page: the session cookie's account. A page that needs an
//! applicant sends everyone else to the login page, with the way back in `next`.

use axum::extract::FromRequestParts;
use axum::http::request::Parts;
use axum::response::{IntoResponse, Redirect, Response};
use loket_store::Principal;
use uuid::Uuid;

use super::{PageCtx, PageError};
use crate::state::AppState;
use crate::usecases::accounts;

/// A verified applicant account behind the page.
pub struct SignedIn {
    /// The account.
    pub account_id: Uuid,
}

impl FromRequestParts<AppState> for SignedIn {
    type Rejection = Response;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, Response> {
        let ctx = PageCtx::from_request_parts(parts, state)
            .await
            .unwrap_or_else(|never| match never {});
        let login = || Redirect::to(&login_href(&ctx.here)).into_response();
        let Some(token) = ctx.session.as_deref() else {
            return Err(login());
        };
        match accounts::principal(state, token).await {
            Ok(Some(Principal::Account { id, verified: true })) => Ok(Self { account_id: id }),
            Ok(Some(Principal::Account {
                verified: false, ..
            })) => Err(Redirect::to("/verify").into_response()),
            Ok(_) => Err(login()),
            Err(r) => Err(PageError::from(r).into_response()),
        }
    }
}

/// The login page that comes back to `here` afterwards.
pub fn login_href(here: &str) -> String {
    format!("/login?next={}", encode(here))
}

/// Percent-encodes a value for a query string.
pub fn encode(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for b in s.bytes() {
        if b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.' | b'~' | b'/') {
            out.push(char::from(b));
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

/// A `next` target is followed only if it is a path of ours (never another site).
pub fn safe_next(next: Option<&str>) -> &str {
    match next {
        Some(n) if n.starts_with('/') && !n.starts_with("//") && !n.contains('\\') => n,
        _ => "/bookings",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_way_back_after_login_stays_on_this_site() {
        assert_eq!(
            login_href("/book?office=palembang&date=2026-12-03"),
            "/login?next=/book%3Foffice%3Dpalembang%26date%3D2026-12-03"
        );
        assert_eq!(safe_next(Some("/book?x=1")), "/book?x=1");
        assert_eq!(safe_next(Some("//evil.example")), "/bookings");
        assert_eq!(safe_next(Some("https://evil.example")), "/bookings");
        assert_eq!(safe_next(Some("/\\evil.example")), "/bookings");
        assert_eq!(safe_next(None), "/bookings");
    }
}
