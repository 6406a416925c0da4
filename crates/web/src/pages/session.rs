//! Who is logged in on a page: the session cookie's account. A page that needs an
//! applicant sends everyone else to the login page, with the way back in `next`; when the
//! browser still holds a session that has ended (it outlived its hours, or a password reset
//! ended it), the login page says so, and the stale cookie is dropped.

use axum::extract::FromRequestParts;
use axum::http::request::Parts;
use axum::http::{HeaderValue, header};
use axum::response::{IntoResponse, Redirect, Response};
use loket_store::Principal;
use uuid::Uuid;

use super::{PageCtx, PageError};
use crate::extract::SESSION_COOKIE;
use crate::state::AppState;
use crate::usecases::accounts;

/// A verified applicant account behind the page.
pub struct SignedIn {
    /// The account.
    pub account_id: Uuid,
}

/// Why a page that needs an applicant was not shown, and where it sends the browser.
pub struct NotSignedIn {
    why: Why,
    /// The page to come back to after the login.
    next: String,
    cookie_attributes: &'static str,
}

enum Why {
    /// No session cookie (or a staff one).
    Anonymous,
    /// The browser sent a session that no longer opens anything.
    Ended,
    /// The account's address is not verified yet.
    Unverified,
    /// The session could not be looked up.
    Failed(PageError),
}

impl NotSignedIn {
    /// The same refusal, coming back to `next` after the login instead of this request's
    /// own address (a form whose answers travel in its body, not in its address).
    pub fn returning_to(mut self, next: String) -> Self {
        self.next = next;
        self
    }
}

impl IntoResponse for NotSignedIn {
    fn into_response(self) -> Response {
        match self.why {
            Why::Anonymous => Redirect::to(&login_href(&self.next)).into_response(),
            Why::Ended => {
                let mut res =
                    Redirect::to(&format!("{}&ended=1", login_href(&self.next))).into_response();
                let gone = format!(
                    "{SESSION_COOKIE}=; {}; HttpOnly; Max-Age=0",
                    self.cookie_attributes
                );
                if let Ok(v) = HeaderValue::from_str(&gone) {
                    res.headers_mut().append(header::SET_COOKIE, v);
                }
                res
            }
            Why::Unverified => Redirect::to("/verify").into_response(),
            Why::Failed(e) => e.into_response(),
        }
    }
}

impl FromRequestParts<AppState> for SignedIn {
    type Rejection = NotSignedIn;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, NotSignedIn> {
        let ctx = PageCtx::from_request_parts(parts, state)
            .await
            .unwrap_or_else(|never| match never {});
        let refuse = |why| NotSignedIn {
            why,
            next: ctx.here.clone(),
            cookie_attributes: ctx.cookie_attributes(),
        };
        let Some(token) = ctx.session.as_deref() else {
            return Err(refuse(Why::Anonymous));
        };
        match accounts::principal(state, token).await {
            Ok(Some(Principal::Account { id, verified: true })) => Ok(Self { account_id: id }),
            Ok(Some(Principal::Account {
                verified: false, ..
            })) => Err(refuse(Why::Unverified)),
            Ok(Some(Principal::Staff(_))) => Err(refuse(Why::Anonymous)),
            Ok(None) => Err(refuse(Why::Ended)),
            Err(r) => Err(refuse(Why::Failed(PageError::from(r)))),
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
