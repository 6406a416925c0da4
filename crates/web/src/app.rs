//! Building and running the service: connect and migrate the store, seed, bind, serve with
//! the middleware stack, run the background workers, and stop cleanly on a shutdown signal.

use std::future::Future;
use std::sync::Arc;
use std::time::Duration;

use axum::Router;
use axum::extract::{MatchedPath, Request};
use axum::http::StatusCode;
use axum::middleware::{self, Next};
use axum::response::{IntoResponse, Response};
use loket_store::{DynStore, SqlStore, StoreOptions};
use tokio::net::TcpListener;
use tokio::sync::watch;
use tower_http::catch_panic::CatchPanicLayer;
use tower_http::limit::RequestBodyLimitLayer;
use tower_http::request_id::{MakeRequestUuid, PropagateRequestIdLayer, SetRequestIdLayer};
use tower_http::timeout::TimeoutLayer;
use tower_http::trace::TraceLayer;

use crate::config::Settings;
use crate::error::ApiError;
use crate::routes;
use crate::seed;
use crate::state::AppState;
use crate::workers;

/// Why the service could not start.
#[derive(Debug, thiserror::Error)]
pub enum StartError {
    /// The database could not be opened or migrated.
    #[error("database: {0}")]
    Store(#[from] loket_store::StoreError),
    /// Seeding failed.
    #[error("seed: {0}")]
    Seed(#[from] seed::SeedError),
    /// The address could not be bound.
    #[error("cannot listen on {addr}: {source}")]
    Bind {
        /// Address.
        addr: String,
        /// Cause.
        source: std::io::Error,
    },
    /// Another instance holds the SQLite file.
    #[error("{0}")]
    Locked(String),
}

/// Opens the store named by the settings and applies migrations.
pub async fn open_store(settings: &Settings) -> Result<SqlStore, StartError> {
    let store = SqlStore::connect(
        &settings.database_url,
        &StoreOptions {
            max_connections: settings.database_max_connections,
            sqlite_synchronous: settings.sqlite_synchronous.into(),
            ..StoreOptions::default()
        },
    )
    .await?;
    store.migrate().await?;
    Ok(store)
}

/// SQLite serves one instance: a second one on the same file is refused at start-up.
fn lock_sqlite_file(url: &str) -> Result<Option<std::fs::File>, StartError> {
    let Some(path) = url
        .strip_prefix("sqlite://")
        .or_else(|| url.strip_prefix("sqlite:"))
    else {
        return Ok(None);
    };
    let path = path.split('?').next().unwrap_or(path);
    if path.is_empty() || path.contains(":memory:") {
        return Ok(None);
    }
    let lock_path = format!("{path}.lock");
    let file = std::fs::OpenOptions::new()
        .create(true)
        .truncate(false)
        .write(true)
        .open(&lock_path)
        .map_err(|e| StartError::Locked(format!("cannot open {lock_path}: {e}")))?;
    match file.try_lock() {
        Ok(()) => Ok(Some(file)),
        Err(_) => Err(StartError::Locked(format!(
            "another Loket instance is using {path}; SQLite serves one instance (use PostgreSQL for several)"
        ))),
    }
}

/// A built, bound service, ready to run.
pub struct Application {
    listener: TcpListener,
    state: AppState,
    _sqlite_lock: Option<std::fs::File>,
}

impl Application {
    /// Opens the store, seeds reference data (and demo data when asked), and binds.
    pub async fn build(settings: Settings, demo: bool) -> Result<Self, StartError> {
        let sqlite_lock = lock_sqlite_file(&settings.database_url)?;
        let store = open_store(&settings).await?;
        seed::reference_data(&store).await?;
        if demo && seed::demo(&store).await? {
            tracing::info!("demo data seeded");
        }
        let listener =
            TcpListener::bind(&settings.bind)
                .await
                .map_err(|source| StartError::Bind {
                    addr: settings.bind.clone(),
                    source,
                })?;
        let store: DynStore = Arc::new(store);
        Ok(Self {
            listener,
            state: AppState::new(store, settings),
            _sqlite_lock: sqlite_lock,
        })
    }

    /// The bound port (useful with port 0).
    pub fn port(&self) -> u16 {
        self.listener.local_addr().map(|a| a.port()).unwrap_or(0)
    }

    /// The state (tests use it to reach the store and the clock).
    pub fn state(&self) -> AppState {
        self.state.clone()
    }

    /// Serves until `shutdown` resolves, then drains requests and stops the workers.
    pub async fn run_until(
        self,
        shutdown: impl Future<Output = ()> + Send + 'static,
    ) -> std::io::Result<()> {
        let (stop_tx, stop_rx) = watch::channel(false);
        let workers = workers::spawn(self.state.clone(), stop_rx);
        let app = router(self.state.clone());
        let result = axum::serve(self.listener, app)
            .with_graceful_shutdown(async move {
                shutdown.await;
                tracing::info!("shutting down");
            })
            .await;
        let _ = stop_tx.send(true);
        for w in workers {
            let _ = w.await;
        }
        result
    }
}

async fn track(matched: Option<MatchedPath>, req: Request, next: Next) -> Response {
    let route = matched
        .map(|m| m.as_str().to_owned())
        .unwrap_or_else(|| "unmatched".into());
    let method = req.method().to_string();
    let start = std::time::Instant::now();
    let res = next.run(req).await;
    let status = res.status().as_u16().to_string();
    metrics::histogram!("loket_http_request_seconds", "route" => route.clone(), "method" => method.clone())
        .record(start.elapsed().as_secs_f64());
    metrics::counter!("loket_http_requests_total", "route" => route, "method" => method, "status" => status)
        .increment(1);
    res
}

fn panic_response(_: Box<dyn std::any::Any + Send + 'static>) -> Response {
    ApiError::internal("handler panicked").into_response()
}

async fn fallback() -> ApiError {
    ApiError::not_found("page")
}

/// Problem+json for 413: the body limit layer (before a handler runs) and axum's `Bytes`
/// extractor answer it in plain text.
async fn payload_too_large(req: Request, next: Next) -> Response {
    let res = next.run(req).await;
    let is_problem = res
        .headers()
        .get(axum::http::header::CONTENT_TYPE)
        .is_some_and(|v| v.as_bytes() == b"application/problem+json");
    if res.status() == StatusCode::PAYLOAD_TOO_LARGE && !is_problem {
        return ApiError::new(
            StatusCode::PAYLOAD_TOO_LARGE,
            "body-too-large",
            "The request body could not be read or is too large",
        )
        .into_response();
    }
    res
}

/// Problem+json for 405 (axum answers it with an empty body).
async fn method_not_allowed(req: Request, next: Next) -> Response {
    let res = next.run(req).await;
    if res.status() == StatusCode::METHOD_NOT_ALLOWED {
        return ApiError::new(
            StatusCode::METHOD_NOT_ALLOWED,
            "method-not-allowed",
            "Method not allowed",
        )
        .into_response();
    }
    res
}

/// The service with its middleware: ids, tracing without personal data, limits, metrics.
pub fn router(state: AppState) -> Router {
    let settings = state.settings.clone();
    let _ = routes::health::metrics_handle();
    routes::router(settings.mode.dev_tools())
        .fallback(fallback)
        .layer(middleware::from_fn(method_not_allowed))
        .layer(middleware::from_fn(track))
        .layer(RequestBodyLimitLayer::new(settings.max_body_bytes))
        .layer(middleware::from_fn(payload_too_large))
        .layer(TimeoutLayer::with_status_code(
            StatusCode::GATEWAY_TIMEOUT,
            Duration::from_secs(settings.request_timeout_seconds),
        ))
        .layer(CatchPanicLayer::custom(panic_response))
        .layer(
            // Spans carry the route template and status, never the query string (which may
            // hold an email address) nor the client address.
            TraceLayer::new_for_http().make_span_with(|req: &Request| {
                let route = req
                    .extensions()
                    .get::<MatchedPath>()
                    .map(|m| m.as_str().to_owned())
                    .unwrap_or_default();
                let id = req
                    .headers()
                    .get("x-request-id")
                    .and_then(|v| v.to_str().ok())
                    .unwrap_or("")
                    .to_owned();
                tracing::info_span!("http", http.method = %req.method(), http.route = %route, request.id = %id)
            }),
        )
        .layer(PropagateRequestIdLayer::x_request_id())
        .layer(SetRequestIdLayer::x_request_id(MakeRequestUuid))
        .with_state(state)
}

/// Resolves on SIGTERM or Ctrl-C.
pub async fn shutdown_signal() {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    let term = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut s) => {
                s.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    #[cfg(not(unix))]
    let term = std::future::pending::<()>();
    tokio::select! {
        () = ctrl_c => {},
        () = term => {},
    }
}
