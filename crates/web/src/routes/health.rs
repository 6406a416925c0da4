//! Liveness, readiness and Prometheus metrics.

use std::sync::OnceLock;

use axum::Router;
use axum::extract::State;
use axum::http::{StatusCode, header};
use axum::response::IntoResponse;
use axum::routing::get;
use metrics_exporter_prometheus::{PrometheusBuilder, PrometheusHandle};

use crate::error::ApiError;
use crate::state::AppState;

/// Routes of this module (not in the OpenAPI document: they are for machines).
pub fn router() -> Router<AppState> {
    Router::new()
        .route("/healthz", get(healthz))
        .route("/readyz", get(readyz))
        .route("/metrics", get(metrics_text))
}

/// The process-wide metrics recorder (installed once, shared by every app in the process).
pub fn metrics_handle() -> Option<&'static PrometheusHandle> {
    static HANDLE: OnceLock<Option<PrometheusHandle>> = OnceLock::new();
    HANDLE
        .get_or_init(|| {
            let recorder = PrometheusBuilder::new().build_recorder();
            let handle = recorder.handle();
            metrics::set_global_recorder(recorder).ok().map(|_| handle)
        })
        .as_ref()
}

async fn healthz() -> &'static str {
    "ok"
}

/// How long readiness waits for the database: a balancer asking must get an answer.
const READY_WAIT: std::time::Duration = std::time::Duration::from_millis(800);

async fn readyz(State(state): State<AppState>) -> Result<&'static str, ApiError> {
    match tokio::time::timeout(READY_WAIT, state.store.ping()).await {
        Ok(Ok(())) => Ok("ready"),
        _ => Err(ApiError::new(
            StatusCode::SERVICE_UNAVAILABLE,
            "not-ready",
            "The database is not reachable",
        )
        .with("retry_after_seconds", crate::error::RETRY_AFTER_SECONDS)),
    }
}

async fn metrics_text() -> impl IntoResponse {
    let body = metrics_handle().map(|h| h.render()).unwrap_or_default();
    ([(header::CONTENT_TYPE, "text/plain; version=0.0.4")], body)
}
