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

use axum::Json;
use axum::Router;
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
    let doc = std::sync::Arc::new(doc);
    api.route(
        "/api/v1/openapi.json",
        get(move || {
            let doc = doc.clone();
            async move { Json((*doc).clone()) }
        }),
    )
    .merge(docs::router())
    .merge(health::router())
}
