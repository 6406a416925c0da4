//! The pages' static files, compiled into the binary: one small stylesheet (and later the
//! few enhancing scripts). Each is served under a name carrying a hash of its content, so
//! browsers may keep it for a year and still never see a stale one after an upgrade.

use std::sync::OnceLock;

use axum::Router;
use axum::extract::Path;
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use sha2::{Digest, Sha256};

use crate::state::AppState;

/// One served file.
struct Asset {
    /// The name pages link to, e.g. `/static/site.3f2a9c1d.css`.
    href: String,
    content_type: &'static str,
    body: &'static [u8],
}

/// (stem, extension, content type, bytes) of every file.
const FILES: &[(&str, &str, &str, &[u8])] = &[
    (
        "site",
        "css",
        "text/css; charset=utf-8",
        include_bytes!("../../static/pages/site.css"),
    ),
    (
        "booking",
        "js",
        "text/javascript; charset=utf-8",
        include_bytes!("../../static/pages/booking.js"),
    ),
    (
        "receipt",
        "js",
        "text/javascript; charset=utf-8",
        include_bytes!("../../static/pages/receipt.js"),
    ),
    (
        "staff",
        "css",
        "text/css; charset=utf-8",
        include_bytes!("../../static/pages/staff.css"),
    ),
    (
        "staff",
        "js",
        "text/javascript; charset=utf-8",
        include_bytes!("../../static/pages/staff.js"),
    ),
    (
        "board",
        "js",
        "text/javascript; charset=utf-8",
        include_bytes!("../../static/pages/board.js"),
    ),
];

fn assets() -> &'static [Asset] {
    static ASSETS: OnceLock<Vec<Asset>> = OnceLock::new();
    ASSETS.get_or_init(|| {
        FILES
            .iter()
            .map(|(stem, ext, content_type, body)| {
                let hash = hex::encode(&Sha256::digest(body)[..5]);
                Asset {
                    href: format!("/static/{stem}.{hash}.{ext}"),
                    content_type,
                    body,
                }
            })
            .collect()
    })
}

/// The stylesheet's fingerprinted address.
pub fn css_href() -> &'static str {
    assets()
        .first()
        .map_or("/static/site.css", |a| a.href.as_str())
}

/// The billing page's script's fingerprinted address.
pub fn booking_js_href() -> &'static str {
    assets()
        .get(1)
        .map_or("/static/booking.js", |a| a.href.as_str())
}

/// The receipt page's script's fingerprinted address.
pub fn receipt_js_href() -> &'static str {
    assets()
        .get(2)
        .map_or("/static/receipt.js", |a| a.href.as_str())
}

/// The fingerprinted address of the file `stem.ext`.
fn href_of(stem: &str, ext: &str) -> &'static str {
    FILES
        .iter()
        .position(|(s, e, _, _)| *s == stem && *e == ext)
        .and_then(|i| assets().get(i))
        .map_or("/static/missing", |a| a.href.as_str())
}

/// The staff pages' stylesheet (on top of the site's).
pub fn staff_css_href() -> &'static str {
    href_of("staff", "css")
}

/// The staff pages' script: the camera scan and the print button.
pub fn staff_js_href() -> &'static str {
    href_of("staff", "js")
}

/// The board's and the ticket page's script: the live stream, the chime and the speech.
pub fn board_js_href() -> &'static str {
    href_of("board", "js")
}

/// The route of the static files.
pub fn router() -> Router<AppState> {
    Router::new().route("/static/{file}", get(serve))
}

async fn serve(Path(file): Path<String>) -> Response {
    let wanted = format!("/static/{file}");
    match assets().iter().find(|a| a.href == wanted) {
        Some(a) => (
            [
                (
                    header::CONTENT_TYPE,
                    HeaderValue::from_static(a.content_type),
                ),
                (
                    header::CACHE_CONTROL,
                    HeaderValue::from_static("public, max-age=31536000, immutable"),
                ),
                (
                    header::X_CONTENT_TYPE_OPTIONS,
                    HeaderValue::from_static("nosniff"),
                ),
            ],
            a.body,
        )
            .into_response(),
        None => StatusCode::NOT_FOUND.into_response(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_stylesheet_is_named_by_its_content() {
        let href = css_href();
        assert!(
            href.starts_with("/static/site.") && href.ends_with(".css"),
            "{href}"
        );
        assert_eq!(href.len(), "/static/site..css".len() + 10);
        assert!(
            staff_css_href().starts_with("/static/staff.") && staff_css_href().ends_with(".css")
        );
        assert!(staff_js_href().starts_with("/static/staff.") && staff_js_href().ends_with(".js"));
    }
}
