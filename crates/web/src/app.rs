//! Building and running the HTTP service: connect and migrate the store (with its
//! reference data), bind, serve with the middleware stack, and stop cleanly on a shutdown
//! signal. What runs beside it (the workers, the demo seed) is the binary's to start.

use std::future::Future;
use std::sync::Arc;
use std::time::Duration;

use axum::Router;
use axum::body::Body;
use axum::extract::{MatchedPath, Request, State};
use axum::http::StatusCode;
use axum::middleware::{self, Next};
use axum::response::{IntoResponse, Response};
use loket_store::{DynStore, SqlStore, StoreOptions, seed_reference_data};
use tokio::net::TcpListener;
use tower_http::catch_panic::CatchPanicLayer;
use tower_http::request_id::{MakeRequestUuid, PropagateRequestIdLayer, SetRequestIdLayer};
use tower_http::trace::TraceLayer;

use crate::config::Settings;
use crate::error::ApiError;
use crate::routes;
use crate::state::AppState;

/// Why the service could not start.
#[derive(Debug, thiserror::Error)]
pub enum StartError {
    /// The database could not be opened or migrated.
    #[error("database: {0}")]
    Store(#[from] loket_store::StoreError),
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
    /// The settings are unsafe or inconsistent.
    #[error(transparent)]
    Config(#[from] crate::config::ConfigError),
}

/// Opens the store named by the settings, applies migrations and writes the national
/// reference data a new database lacks.
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
    seed_reference_data(&store).await?;
    Ok(store)
}

/// The file of a `sqlite:` URL (None for PostgreSQL and in-memory databases).
pub fn sqlite_path(url: &str) -> Option<&str> {
    let path = url
        .strip_prefix("sqlite://")
        .or_else(|| url.strip_prefix("sqlite:"))?;
    let path = path.split('?').next().unwrap_or(path);
    (!path.is_empty() && !path.contains(":memory:")).then_some(path)
}

/// SQLite serves one instance: a second one on the same file is refused at start-up.
fn lock_sqlite_file(url: &str) -> Result<Option<std::fs::File>, StartError> {
    let Some(path) = sqlite_path(url) else {
        return Ok(None);
    };
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
    /// Opens the store (migrated, with its reference data) and binds.
    pub async fn build(mut settings: Settings) -> Result<Self, StartError> {
        // Checked here as well as at load, so no caller can start production unsafely.
        settings.validate_for_serving()?;
        let sqlite_lock = lock_sqlite_file(&settings.database_url)?;
        let store = open_store(&settings).await?;
        let listener =
            TcpListener::bind(&settings.bind)
                .await
                .map_err(|source| StartError::Bind {
                    addr: settings.bind.clone(),
                    source,
                })?;
        if settings.public_url.is_none()
            && settings.mode.dev_tools()
            && let Ok(addr) = listener.local_addr()
        {
            // Dev and demo mail links point at this server (production must name its own).
            settings.public_url = Some(format!("http://{addr}"));
        }
        let floor_listener = store.floor_listener().await?;
        let store: DynStore = Arc::new(store);
        let state = AppState::new(store, settings);
        let reader_state = state.clone();
        state
            .floor_hub
            .start(Arc::new(move |office: String, after: Option<i64>| {
                let state = reader_state.clone();
                Box::pin(async move {
                    crate::usecases::board::new_events(&state, &office, after)
                        .await
                        .map_err(|r| format!("{r:?}"))
                })
            }));
        if let Some(mut floor) = floor_listener {
            // Floor changes of every instance (PostgreSQL), for this instance's boards.
            let state = state.clone();
            tokio::spawn(async move {
                loop {
                    match floor.recv().await {
                        Ok(office) => state.floor_hub.changed(&office),
                        Err(e) => {
                            tracing::warn!(error = %e, "floor notifications interrupted");
                            tokio::time::sleep(std::time::Duration::from_secs(1)).await;
                            // What was announced meanwhile is lost: every office is read
                            // again (the hub hands out only events it has not).
                            if let Ok(offices) = state.store.list_offices().await {
                                for o in offices {
                                    state.floor_hub.changed(&o.code);
                                }
                            }
                        }
                    }
                }
            });
        }
        Ok(Self {
            listener,
            state,
            _sqlite_lock: sqlite_lock,
        })
    }

    /// The bound address (with the real port when the settings asked for port 0).
    pub fn address(&self) -> String {
        self.listener
            .local_addr()
            .map(|a| a.to_string())
            .unwrap_or_default()
    }

    /// The bound port (useful with port 0).
    pub fn port(&self) -> u16 {
        self.listener.local_addr().map(|a| a.port()).unwrap_or(0)
    }

    /// The state: the store and the clock, for what runs beside the service (the workers,
    /// a seed) and for tests.
    pub fn state(&self) -> AppState {
        self.state.clone()
    }

    /// Serves until `shutdown` resolves, then drains requests.
    pub async fn run_until(
        self,
        shutdown: impl Future<Output = ()> + Send + 'static,
    ) -> std::io::Result<()> {
        // The peer address is what the per-client limits count (crate::limits).
        let app = router(self.state.clone())
            .into_make_service_with_connect_info::<std::net::SocketAddr>();
        axum::serve(self.listener, app)
            .with_graceful_shutdown(async move {
                shutdown.await;
                tracing::info!("shutting down");
            })
            .await
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

/// An unknown path: problem+json under `/api/` and for machines, a translated page for
/// everything else.
async fn fallback(req: Request) -> Response {
    if req.uri().path().starts_with("/api/") {
        ApiError::not_found("page").into_response()
    } else {
        crate::pages::not_found(req).await
    }
}

/// The longest request target (path and query) served; longer ones get 414 problem+json
/// (hyper would answer far longer ones itself, with an empty body).
pub const MAX_URI_BYTES: usize = 8 * 1024;

/// Reads the whole body before a handler runs, within the body limit and the body timeout,
/// so a handler never waits on a slow client: a client that stalls while sending gets 408,
/// one that sends too much 413, a target too long 414, each as problem+json. These are the
/// client's problems and are logged as such (below ERROR).
async fn read_body(State(state): State<AppState>, req: Request, next: Next) -> Response {
    let settings = &state.settings;
    let target_len = req.uri().path_and_query().map_or(0, |pq| pq.as_str().len());
    if target_len > MAX_URI_BYTES {
        return ApiError::new(
            StatusCode::URI_TOO_LONG,
            "uri-too-long",
            "The request target is too long",
        )
        .detail(format!(
            "send at most {MAX_URI_BYTES} bytes of path and query"
        ))
        .into_response();
    }
    let too_large = || {
        ApiError::new(
            StatusCode::PAYLOAD_TOO_LARGE,
            "body-too-large",
            "The request body could not be read or is too large",
        )
        .detail(format!("send at most {} bytes", settings.max_body_bytes))
        .into_response()
    };
    let declared = req
        .headers()
        .get(axum::http::header::CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse::<u64>().ok());
    if declared.is_some_and(|n| n > settings.max_body_bytes as u64) {
        return too_large();
    }
    let (parts, body) = req.into_parts();
    let wait = Duration::from_secs(settings.request_body_timeout_seconds);
    match tokio::time::timeout(wait, axum::body::to_bytes(body, settings.max_body_bytes)).await {
        Ok(Ok(bytes)) => {
            next.run(Request::from_parts(parts, Body::from(bytes)))
                .await
        }
        Ok(Err(e)) => {
            let over_limit = std::error::Error::source(&e)
                .is_some_and(|s| s.is::<http_body_util::LengthLimitError>());
            if over_limit {
                too_large()
            } else {
                tracing::info!("request body broken off by the client");
                ApiError::new(
                    StatusCode::BAD_REQUEST,
                    "body-unreadable",
                    "The request body broke off",
                )
                .into_response()
            }
        }
        Err(_) => {
            tracing::info!(
                timeout.seconds = settings.request_body_timeout_seconds,
                "request body not received in time"
            );
            ApiError::new(
                StatusCode::REQUEST_TIMEOUT,
                "request-timeout",
                "The request body did not arrive in time",
            )
            .detail(format!(
                "send the whole body within {} seconds",
                settings.request_body_timeout_seconds
            ))
            .into_response()
        }
    }
}

/// Bounds the time a request may take. A handler past it is stopped (an open transaction
/// rolls back when dropped) and the client gets 503 problem+json with Retry-After.
async fn deadline(State(state): State<AppState>, req: Request, next: Next) -> Response {
    let wait = Duration::from_secs(state.settings.request_timeout_seconds);
    match tokio::time::timeout(wait, next.run(req)).await {
        Ok(res) => res,
        Err(_) => {
            tracing::error!(
                timeout.seconds = state.settings.request_timeout_seconds,
                "request timed out"
            );
            ApiError::new(
                StatusCode::SERVICE_UNAVAILABLE,
                "timeout",
                "The request took too long",
            )
            .detail("look up the result before repeating a change (an Idempotency-Key makes a repeated booking safe)")
            .with("retry_after_seconds", crate::error::RETRY_AFTER_SECONDS)
            .into_response()
        }
    }
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
        .merge(crate::pages::router(state.clone()))
        .fallback(fallback)
        .layer(middleware::from_fn(method_not_allowed))
        .layer(middleware::from_fn_with_state(state.clone(), read_body))
        .layer(middleware::from_fn(track))
        .layer(middleware::from_fn_with_state(state.clone(), deadline))
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
