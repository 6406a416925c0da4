//! The HTML pages: the applicant's journey in Bahasa Indonesia (default) and English,
//! rendered from askama templates compiled into the binary (`templates/pages/`), with
//! every text from `locales/`. They call the same use cases as the JSON API and render the
//! same typed refusals as translated messages. Each module here is one concept; this one
//! holds the route table, the per-request page context (language, CSRF token, session),
//! the security headers and the error pages.

pub mod accounts;
pub mod assets;
pub mod bank;
pub mod board;
pub mod book;
pub mod bookings;
mod context;
pub mod forms;
pub(crate) mod gzip;
mod ics;
pub mod offices;
pub mod receipt;
pub mod session;
pub mod staff;
pub mod start;

use askama::Template;
use axum::Router;
use axum::http::StatusCode;
use axum::middleware;
use axum::response::{Html, IntoResponse, Response};
use axum::routing::get;
use tower_http::compression::CompressionLayer;

pub use context::{CSRF_COOKIE, LANG_COOKIE, PageCtx};

use crate::i18n::Tr;
use crate::state::AppState;

/// Every page's route. Pages are compressed (the 60 KB budget is measured compressed) and
/// carry the page context and security headers.
pub fn router(state: AppState) -> Router<AppState> {
    let mut pages = Router::new();
    if state.settings.mode.dev_tools() {
        pages = pages.route("/dev/bank", get(bank::page).post(bank::pay));
    }
    pages
        .route("/", get(start::start))
        .route("/find", get(start::find))
        .route("/offices/{code}", get(offices::calendar))
        .route("/login", get(accounts::login_page).post(accounts::login))
        .route("/logout", axum::routing::post(accounts::logout))
        .route(
            "/register",
            get(accounts::register_page).post(accounts::register),
        )
        .route("/verify", get(accounts::verify_page).post(accounts::verify))
        .route(
            "/verify/resend",
            get(accounts::resend_page).post(accounts::resend),
        )
        .route(
            "/reset",
            get(accounts::reset_request_page).post(accounts::reset_request),
        )
        .route(
            "/reset/code",
            get(accounts::reset_page).post(accounts::reset),
        )
        .route(
            "/applicants/new",
            get(accounts::applicant_page).post(accounts::add_applicant),
        )
        .route("/book", get(book::book).post(book::hold))
        .route("/bookings", get(bookings::list))
        .route("/bookings/{id}", get(bookings::show))
        .route("/bookings/{id}/receipt", get(receipt::receipt))
        .route("/bookings/{id}/receipt.ics", get(receipt::calendar))
        .route("/bookings/receipt-worker.js", get(receipt::worker))
        .route(
            "/bookings/{id}/reschedule",
            get(bookings::reschedule_page).post(bookings::reschedule),
        )
        .route(
            "/bookings/{id}/cancel",
            get(bookings::confirm_cancel).post(bookings::cancel),
        )
        .merge(staff::routes())
        .route("/board/{code}", get(board::page))
        .route("/board/{code}/events", get(board::events))
        .route("/q/{ticket}", get(board::ticket))
        .layer(middleware::from_fn_with_state(state, context::page_context))
        .merge(assets::router())
        .layer(middleware::from_fn(gzip::html))
        .layer(CompressionLayer::new().gzip(true))
}

/// What the shared layout needs: the texts, the language switch, the stylesheet, who is
/// logged in.
pub struct Chrome {
    /// The page's texts.
    pub t: Tr,
    /// `id` or `en`.
    pub lang: &'static str,
    /// The link that shows this page in the other language.
    pub switch_href: String,
    /// The other language's code, for `hreflang`.
    pub switch_lang: &'static str,
    /// The fingerprinted stylesheet.
    pub css_href: &'static str,
    /// The page's title (without the service name).
    pub title: String,
    /// Whether the title starts with "Error:" (a form came back with errors).
    pub has_errors: bool,
    /// Whether an applicant is logged in.
    pub logged_in: bool,
    /// The form token every POST form carries.
    pub csrf: String,
}

impl Chrome {
    /// The layout for a page titled `title_key` (a locale key).
    pub fn new(ctx: &PageCtx, title: String) -> Self {
        let t = Tr(ctx.lang);
        Self {
            t,
            lang: ctx.lang.code(),
            switch_href: ctx.switch_href(),
            switch_lang: ctx.lang.other().code(),
            css_href: assets::css_href(),
            title,
            has_errors: false,
            logged_in: ctx.session.is_some(),
            csrf: ctx.csrf.clone(),
        }
    }
}

/// Renders a page as a 200 response.
pub fn render(page: &impl Template) -> Response {
    render_with(StatusCode::OK, page)
}

/// Renders a page with a status. A template that fails to render is an internal error,
/// logged once and shown as the error page.
pub fn render_with(status: StatusCode, page: &impl Template) -> Response {
    match page.render() {
        Ok(html) => (status, Html(html)).into_response(),
        Err(e) => {
            tracing::error!(error = %e, "page template failed");
            PageError::Internal.into_response()
        }
    }
}

/// A page that could not be shown. The handler returns the kind; the page-context layer,
/// which knows the language, turns it into a translated error page.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum PageError {
    /// Nothing here (an unknown office, someone else's booking).
    NotFound,
    /// The form's token did not match: it is old or came from another site.
    Forbidden,
    /// The database cannot be reached now.
    Unavailable,
    /// A fault of ours (logged where it happened).
    Internal,
}

impl PageError {
    fn status(self) -> StatusCode {
        match self {
            PageError::NotFound => StatusCode::NOT_FOUND,
            PageError::Forbidden => StatusCode::FORBIDDEN,
            PageError::Unavailable => StatusCode::SERVICE_UNAVAILABLE,
            PageError::Internal => StatusCode::INTERNAL_SERVER_ERROR,
        }
    }

    /// The locale keys of the page's title and its explanation.
    fn keys(self) -> (&'static str, &'static str) {
        match self {
            PageError::NotFound => ("error.not_found.title", "error.not_found.body"),
            PageError::Forbidden => ("error.forbidden.title", "error.forbidden.body"),
            PageError::Unavailable => ("error.unavailable.title", "error.unavailable.body"),
            PageError::Internal => ("error.internal.title", "error.internal.body"),
        }
    }
}

impl IntoResponse for PageError {
    fn into_response(self) -> Response {
        let mut res = self.status().into_response();
        res.extensions_mut().insert(self);
        res
    }
}

impl From<crate::usecases::Refusal> for PageError {
    fn from(r: crate::usecases::Refusal) -> Self {
        use crate::usecases::Refusal;
        match r {
            Refusal::NotFound(_) => PageError::NotFound,
            Refusal::Store(loket_store::StoreError::Unavailable(_)) => PageError::Unavailable,
            Refusal::Store(e) => {
                tracing::error!(error = %e, "store failed behind a page");
                PageError::Internal
            }
            other => {
                tracing::error!(refusal = ?other, "a page met a refusal it does not render");
                PageError::Internal
            }
        }
    }
}

/// A page's result.
pub type PageResult = Result<Response, PageError>;

/// The error page.
#[derive(Template)]
#[template(path = "pages/error.html")]
struct ErrorPage {
    c: Chrome,
    body: &'static str,
}

/// The error page of `e` in the context's language.
fn error_page(ctx: &PageCtx, e: PageError) -> Response {
    let t = Tr(ctx.lang);
    let (title, body) = e.keys();
    let page = ErrorPage {
        c: Chrome::new(ctx, t.s(title).to_owned()),
        body: t.s(body),
    };
    let mut res = render_with(e.status(), &page);
    if e == PageError::Unavailable {
        res.headers_mut().insert(
            axum::http::header::RETRY_AFTER,
            axum::http::HeaderValue::from_static("5"),
        );
    }
    res
}

/// The answer to a path that names no page (outside `/api/`).
pub async fn not_found(req: axum::extract::Request) -> Response {
    let ctx = PageCtx::from_headers(req.headers(), req.uri());
    error_page(&ctx, PageError::NotFound)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::i18n::{Lang, catalogue};

    #[test]
    fn every_error_page_has_its_texts_in_both_languages() {
        for e in [
            PageError::NotFound,
            PageError::Forbidden,
            PageError::Unavailable,
            PageError::Internal,
        ] {
            let (title, body) = e.keys();
            for lang in Lang::ALL {
                assert!(catalogue(lang).contains_key(title), "{lang:?} {title}");
                assert!(catalogue(lang).contains_key(body), "{lang:?} {body}");
            }
        }
    }
}
