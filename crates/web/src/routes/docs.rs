//! The interactive API reference at `/api/v1/docs`: one static page, its script and style,
//! compiled into the binary. The script renders the service's own OpenAPI document and can
//! send requests to this service; the page loads nothing from anywhere else, and its
//! Content-Security-Policy tells the browser to refuse anything that would.

use axum::Router;
use axum::http::{HeaderName, HeaderValue, header};
use axum::response::{IntoResponse, Response};
use axum::routing::get;

use crate::state::AppState;

const HTML: &str = include_str!("../../static/docs/index.html");
const JS: &str = include_str!("../../static/docs/reference.js");
const CSS: &str = include_str!("../../static/docs/reference.css");

/// Same origin only: scripts, styles and requests; no frames, no forms posted elsewhere.
const CSP: &str = "default-src 'none'; script-src 'self'; style-src 'self'; connect-src 'self'; \
                   img-src 'self'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'";

/// Routes of this module.
pub fn router() -> Router<AppState> {
    Router::new()
        .route(
            "/api/v1/docs",
            get(|| async { asset("text/html; charset=utf-8", HTML) }),
        )
        .route(
            "/api/v1/docs/reference.js",
            get(|| async { asset("text/javascript; charset=utf-8", JS) }),
        )
        .route(
            "/api/v1/docs/reference.css",
            get(|| async { asset("text/css; charset=utf-8", CSS) }),
        )
}

fn asset(content_type: &'static str, body: &'static str) -> Response {
    let headers = [
        (header::CONTENT_TYPE, HeaderValue::from_static(content_type)),
        (
            header::CONTENT_SECURITY_POLICY,
            HeaderValue::from_static(CSP),
        ),
        (
            header::X_CONTENT_TYPE_OPTIONS,
            HeaderValue::from_static("nosniff"),
        ),
        (
            HeaderName::from_static("referrer-policy"),
            HeaderValue::from_static("no-referrer"),
        ),
        (header::CACHE_CONTROL, HeaderValue::from_static("no-cache")),
    ];
    (headers, body).into_response()
}
