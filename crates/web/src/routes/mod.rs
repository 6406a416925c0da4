//! The route table: every URL the service answers, one module per concept. The OpenAPI
//! document is generated from the same handlers.

pub mod accounts;
pub mod applicants;
pub mod assisted;
pub mod bookings;
pub mod calendar;
pub mod counters;
pub mod dev;
pub mod docs;
pub mod floor;
pub mod health;
pub mod offices;
pub mod payments;
pub mod quotas;
pub mod schemas;
pub mod staff;

use axum::Router;
use axum::body::Bytes;
use axum::http::{HeaderMap, HeaderValue, header};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use utoipa::openapi::security::{HttpAuthScheme, HttpBuilder, SecurityScheme};
use utoipa::{Modify, OpenApi};
use utoipa_axum::router::OpenApiRouter;

use crate::error::{FieldError, Problem};
use crate::state::AppState;

#[derive(OpenApi)]
#[openapi(
    info(title = "Loket API", description = "Passport appointments and office queues. Errors are RFC 9457 problem+json with a stable `code`; each operation lists the codes it can answer with. An interactive reference is served at `/api/v1/docs`.", license(name = "AGPL-3.0-or-later")),
    components(schemas(Problem, FieldError)),
    modifiers(&BearerAuth),
    tags(
        (name = "offices", description = "Offices and availability"),
        (name = "accounts", description = "Applicant accounts and login"),
        (name = "applicants", description = "People an account applies for"),
        (name = "bookings", description = "Holding, paying, moving and cancelling places"),
        (name = "payments", description = "Bank payment notifications"),
        (name = "quotas", description = "Quota management (staff)"),
        (name = "calendar", description = "Holidays and office closures"),
        (name = "floor", description = "The office floor: check-in, priority walk-ins, queue tickets and counters (staff)"),
        (name = "staff", description = "Staff login"),
        (name = "dev", description = "Dev and demo only: simulated bank, mailbox, clock"),
    )
)]
struct ApiDoc;

struct BearerAuth;

impl Modify for BearerAuth {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        let components = openapi.components.get_or_insert_with(Default::default);
        components.add_security_scheme(
            "bearer",
            SecurityScheme::Http(HttpBuilder::new().scheme(HttpAuthScheme::Bearer).build()),
        );
    }
}

/// Builds the OpenAPI routes (with or without the dev helpers) and their document.
pub fn api(dev_tools: bool) -> (Router<AppState>, utoipa::openapi::OpenApi) {
    let mut r = OpenApiRouter::with_openapi(ApiDoc::openapi())
        .merge(offices::router())
        .merge(accounts::router())
        .merge(applicants::router())
        .merge(staff::router())
        .merge(bookings::router())
        .merge(payments::router())
        .merge(quotas::router())
        .merge(calendar::router())
        .merge(floor::router())
        .merge(assisted::router())
        .merge(counters::router());
    if dev_tools {
        r = r.merge(payments::dev_router()).merge(dev::router());
    }
    r.split_for_parts()
}

/// Routes served outside the OpenAPI document: the document itself, its reference page and
/// assets, and the probes and metrics that are for machines. A test reads every route the
/// code registers and checks that each is either documented or listed here.
pub const UNDOCUMENTED: &[&str] = &[
    "/api/v1/openapi.json",
    "/api/v1/docs",
    "/api/v1/docs/reference.js",
    "/api/v1/docs/reference.css",
    "/healthz",
    "/readyz",
    "/metrics",
];

/// The whole route table.
pub fn router(dev_tools: bool) -> Router<AppState> {
    let (api, doc) = api(dev_tools);
    let doc = std::sync::Arc::new(Document::of(&doc));
    api.route(
        "/api/v1/openapi.json",
        get(move |headers: HeaderMap| {
            let doc = doc.clone();
            async move { doc.answer(&headers) }
        }),
    )
    .merge(docs::router())
    .merge(health::router())
}

/// The OpenAPI document (about 200 KB of JSON), written once when the routes are built and
/// compressed once for the clients that take gzip (the reference page's script does),
/// rather than serialized again for every request.
struct Document {
    json: Bytes,
    gzip: Option<Bytes>,
}

impl Document {
    fn of(doc: &utoipa::openapi::OpenApi) -> Self {
        let json = Bytes::from(serde_json::to_vec(doc).unwrap_or_default());
        let gzip = crate::pages::gzip::gzip(&json).map(Bytes::from);
        Self { json, gzip }
    }

    fn answer(&self, headers: &HeaderMap) -> Response {
        let json = (
            header::CONTENT_TYPE,
            HeaderValue::from_static("application/json"),
        );
        let vary = (header::VARY, HeaderValue::from_static("accept-encoding"));
        match &self.gzip {
            Some(gz) if crate::pages::gzip::accepts_gzip(headers) => (
                [
                    json,
                    vary,
                    (header::CONTENT_ENCODING, HeaderValue::from_static("gzip")),
                ],
                gz.clone(),
            )
                .into_response(),
            _ => ([json, vary], self.json.clone()).into_response(),
        }
    }
}
