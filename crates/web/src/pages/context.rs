//! The page context of one request: its language (`?lang=` sets it, a cookie keeps it,
//! Indonesian otherwise), the form token (a random value in an HttpOnly cookie that every
//! POST form must echo, plus a same-origin check), and the session cookie. The layer that
//! builds it also sets the cookies, the security headers, and turns a [`PageError`] into a
//! translated error page.

use axum::extract::{FromRequestParts, Request, State};
use axum::http::header::{self, HeaderMap, HeaderValue};
use axum::http::request::Parts;
use axum::http::{Method, Uri};
use axum::middleware::Next;
use axum::response::Response;
use sha2::{Digest, Sha256};

use super::{PageError, error_page};
use crate::config::Mode;
use crate::extract::{SESSION_COOKIE, same_origin};
use crate::i18n::Lang;
use crate::state::AppState;

/// The cookie that keeps the chosen language.
pub const LANG_COOKIE: &str = "loket_lang";
/// The cookie that holds the form token.
pub const CSRF_COOKIE: &str = "loket_csrf";

/// Pages may load only what the binary serves: no outside scripts, styles, fonts or frames.
const CONTENT_SECURITY_POLICY: &str = "default-src 'self'; img-src 'self' data:; style-src 'self'; script-src 'self'; connect-src 'self'; frame-ancestors 'none'; form-action 'self'; base-uri 'none'; object-src 'none'";

/// What a page handler knows about the request beyond its path and form.
#[derive(Clone, Debug)]
pub struct PageCtx {
    /// The page's language.
    pub lang: Lang,
    /// The form token this response's forms carry.
    pub csrf: String,
    /// The session token, if the browser sent one.
    pub session: Option<String>,
    /// The path and query of the request, without `lang`.
    pub here: String,
    /// Whether cookies get the Secure flag (production, served behind HTTPS).
    pub secure: bool,
    lang_chosen: bool,
    csrf_new: bool,
}

impl PageCtx {
    /// Reads the language, token and session from a request's headers and target.
    pub fn from_headers(headers: &HeaderMap, uri: &Uri) -> Self {
        let query_lang = uri.query().and_then(|q| {
            q.split('&')
                .filter_map(|p| p.strip_prefix("lang="))
                .find_map(Lang::parse)
        });
        let cookie_lang = cookie(headers, LANG_COOKIE).and_then(|v| Lang::parse(&v));
        let lang = query_lang.or(cookie_lang).unwrap_or_default();
        let csrf = cookie(headers, CSRF_COOKIE).filter(|v| well_formed_token(v));
        let csrf_new = csrf.is_none();
        let here = match uri.query() {
            Some(q) => {
                let kept: Vec<&str> = q.split('&').filter(|p| !p.starts_with("lang=")).collect();
                if kept.is_empty() {
                    uri.path().to_owned()
                } else {
                    format!("{}?{}", uri.path(), kept.join("&"))
                }
            }
            None => uri.path().to_owned(),
        };
        Self {
            lang,
            csrf: csrf.unwrap_or_else(|| hex::encode(rand::random::<[u8; 32]>())),
            session: cookie(headers, SESSION_COOKIE).filter(|v| !v.is_empty()),
            here,
            secure: false,
            lang_chosen: query_lang.is_some() && query_lang != cookie_lang,
            csrf_new,
        }
    }

    /// This page in the other language.
    pub fn switch_href(&self) -> String {
        let sep = if self.here.contains('?') { '&' } else { '?' };
        format!("{}{sep}lang={}", self.here, self.lang.other().code())
    }

    /// Checks a submitted form: its token must be the one in the browser's cookie (so a
    /// page of another site cannot post it) and the request must come from our own pages.
    pub fn check_form(
        &self,
        headers: &HeaderMap,
        method: &Method,
        submitted: &str,
    ) -> Result<(), PageError> {
        let matches = !self.csrf_new
            && Sha256::digest(submitted.as_bytes()) == Sha256::digest(self.csrf.as_bytes());
        if matches && same_origin(method, headers) {
            Ok(())
        } else {
            Err(PageError::Forbidden)
        }
    }

    /// The attributes every cookie of ours carries.
    pub fn cookie_attributes(&self) -> &'static str {
        if self.secure {
            "Path=/; SameSite=Lax; Secure"
        } else {
            "Path=/; SameSite=Lax"
        }
    }
}

impl<S: Send + Sync> FromRequestParts<S> for PageCtx {
    type Rejection = std::convert::Infallible;

    async fn from_request_parts(parts: &mut Parts, _: &S) -> Result<Self, Self::Rejection> {
        Ok(match parts.extensions.get::<PageCtx>() {
            Some(ctx) => ctx.clone(),
            None => PageCtx::from_headers(&parts.headers, &parts.uri),
        })
    }
}

/// A cookie's value.
fn cookie(headers: &HeaderMap, name: &str) -> Option<String> {
    headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|c| c.split(';'))
        .find_map(|pair| {
            let (k, v) = pair.trim().split_once('=')?;
            (k == name).then(|| v.to_owned())
        })
}

fn well_formed_token(v: &str) -> bool {
    v.len() == 64 && v.bytes().all(|b| b.is_ascii_hexdigit())
}

/// The layer every page goes through.
pub async fn page_context(State(state): State<AppState>, mut req: Request, next: Next) -> Response {
    let mut ctx = PageCtx::from_headers(req.headers(), req.uri());
    ctx.secure = state.settings.mode == Mode::Production;
    req.extensions_mut().insert(ctx.clone());
    let mut res = next.run(req).await;
    if let Some(e) = res.extensions().get::<PageError>().copied() {
        res = error_page(&ctx, e);
    }
    let attrs = ctx.cookie_attributes();
    let handler_set_csrf = res
        .headers()
        .get_all(header::SET_COOKIE)
        .iter()
        .any(|v| v.as_bytes().starts_with(CSRF_COOKIE.as_bytes()));
    let mut cookies = Vec::new();
    if ctx.lang_chosen {
        cookies.push(format!(
            "{LANG_COOKIE}={}; {attrs}; Max-Age=31536000",
            ctx.lang.code()
        ));
    }
    if ctx.csrf_new && !handler_set_csrf {
        cookies.push(format!("{CSRF_COOKIE}={}; {attrs}; HttpOnly", ctx.csrf));
    }
    let h = res.headers_mut();
    for c in cookies {
        if let Ok(v) = HeaderValue::from_str(&c) {
            h.append(header::SET_COOKIE, v);
        }
    }
    h.insert(
        header::CONTENT_SECURITY_POLICY,
        HeaderValue::from_static(CONTENT_SECURITY_POLICY),
    );
    h.insert(
        header::X_CONTENT_TYPE_OPTIONS,
        HeaderValue::from_static("nosniff"),
    );
    h.insert(
        header::REFERRER_POLICY,
        HeaderValue::from_static("same-origin"),
    );
    h.insert(header::X_FRAME_OPTIONS, HeaderValue::from_static("DENY"));
    if !h.contains_key(header::CACHE_CONTROL) {
        // Pages can hold personal data and change with the language and the session.
        h.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    }
    res
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ctx(uri: &str, cookies: &str) -> PageCtx {
        let mut h = HeaderMap::new();
        if !cookies.is_empty() {
            h.insert(header::COOKIE, HeaderValue::from_str(cookies).unwrap());
        }
        PageCtx::from_headers(&h, &uri.parse().unwrap())
    }

    #[test]
    fn indonesian_unless_the_query_or_the_cookie_says_english() {
        assert_eq!(ctx("/", "").lang, Lang::Id);
        assert_eq!(ctx("/", "loket_lang=en").lang, Lang::En);
        assert_eq!(ctx("/?lang=en", "loket_lang=id").lang, Lang::En);
        assert_eq!(ctx("/?lang=xx", "").lang, Lang::Id);
        let c = ctx("/find?region=16&lang=en", "");
        assert!(c.lang_chosen);
        assert_eq!(c.here, "/find?region=16");
        assert_eq!(c.switch_href(), "/find?region=16&lang=id");
        assert!(!ctx("/?lang=en", "loket_lang=en").lang_chosen);
    }

    #[test]
    fn a_form_passes_only_with_the_cookie_token_from_our_own_pages() {
        let token = "ab".repeat(32);
        let c = ctx("/login", &format!("loket_csrf={token}"));
        let mut same = HeaderMap::new();
        same.insert("sec-fetch-site", HeaderValue::from_static("same-origin"));
        assert!(c.check_form(&same, &Method::POST, &token).is_ok());
        assert_eq!(
            c.check_form(&same, &Method::POST, &"cd".repeat(32)),
            Err(PageError::Forbidden)
        );
        let mut cross = HeaderMap::new();
        cross.insert("sec-fetch-site", HeaderValue::from_static("cross-site"));
        assert_eq!(
            c.check_form(&cross, &Method::POST, &token),
            Err(PageError::Forbidden)
        );
        // No cookie: the token was made for this response, so nothing can match it yet.
        let fresh = ctx("/login", "");
        let fresh_token = fresh.csrf.clone();
        assert_eq!(
            fresh.check_form(&same, &Method::POST, &fresh_token),
            Err(PageError::Forbidden)
        );
    }
}
