//! The router, its shared state, and the layers every request passes: metrics, then authentication.

use std::future::Future;
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::{Duration, Instant};

use assay_core::Pipeline;
use axum::Router;
use axum::extract::{Request, State};
use axum::http::{HeaderValue, StatusCode, header};
use axum::middleware::{self, Next};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use hyper::server::conn::http1;
use hyper_util::rt::{TokioIo, TokioTimer};
use hyper_util::server::graceful::GracefulShutdown;
use hyper_util::service::TowerToHyperService;
use tokio::net::TcpListener;

use crate::routes::run_code::SandboxPool;
use crate::routes::{health, openrlhf, run_code, score};
use crate::scoring::Workers;
use crate::{ApiError, ErrorKind, Metrics, ServerConfig};

/// What every handler shares.
#[derive(Clone)]
pub struct AppState {
    pub(crate) pipeline: Arc<Pipeline>,
    pub(crate) config: Arc<ServerConfig>,
    pub(crate) metrics: Arc<Metrics>,
    pub(crate) workers: Workers,
    pub(crate) sandbox: Arc<SandboxPool>,
}

/// Endpoint labels for metrics: the known paths, everything else as `other`.
const ENDPOINTS: [&str; 5] = ["/v1/score", "/get_reward", "/run_code", "/healthz", "/metrics"];

/// The application: every endpoint with its layers.
pub fn router(pipeline: Arc<Pipeline>, config: ServerConfig) -> Router {
    let state = AppState {
        pipeline,
        workers: Workers::new(config.max_concurrency, config.retry_after_secs),
        sandbox: Arc::new(SandboxPool::new(config.sandbox_workers)),
        config: Arc::new(config),
        metrics: Arc::new(Metrics::default()),
    };
    Router::new()
        .route("/v1/score", post(score::handle))
        .route("/get_reward", post(openrlhf::handle))
        .route("/run_code", post(run_code::handle))
        .route("/healthz", get(health::healthz))
        .route("/metrics", get(health::metrics))
        .fallback(not_found)
        .layer(middleware::from_fn_with_state(state.clone(), authenticate))
        .layer(middleware::from_fn_with_state(state.clone(), track))
        .with_state(state)
}

async fn not_found(request: Request) -> ApiError {
    ApiError::new(
        StatusCode::NOT_FOUND,
        "not_found",
        format!(
            "no endpoint {} {}; endpoints: POST /v1/score, POST /get_reward, POST /run_code, GET /healthz, GET /metrics",
            request.method(),
            request.uri().path()
        ),
    )
}

/// Counts requests, latency, errors by kind and requests in flight.
async fn track(State(state): State<AppState>, request: Request, next: Next) -> Response {
    let path = request.uri().path();
    let endpoint = ENDPOINTS.into_iter().find(|e| *e == path).unwrap_or("other");
    let started = Instant::now();
    let response = {
        let _in_flight = state.metrics.in_flight();
        next.run(request).await
    };
    if let Some(ErrorKind(kind)) = response.extensions().get::<ErrorKind>() {
        state.metrics.error(kind);
    }
    state
        .metrics
        .request_done(endpoint, response.status().as_u16(), started.elapsed());
    response
}

/// With a token configured, every endpoint but `/healthz` needs `Authorization: Bearer <token>`.
async fn authenticate(State(state): State<AppState>, request: Request, next: Next) -> Response {
    let Some(token) = &state.config.token else {
        return next.run(request).await;
    };
    if request.uri().path() == "/healthz" {
        return next.run(request).await;
    }
    let presented = request
        .headers()
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("Bearer "));
    if presented.is_some_and(|p| constant_time_eq(p.as_bytes(), token.as_bytes())) {
        return next.run(request).await;
    }
    let mut response = ApiError::new(
        StatusCode::UNAUTHORIZED,
        "unauthorized",
        "missing or wrong bearer token (send `Authorization: Bearer <token>`)",
    )
    .into_response();
    response
        .headers_mut()
        .insert(header::WWW_AUTHENTICATE, HeaderValue::from_static("Bearer"));
    response
}

/// Compares without an early exit, so the time taken does not reveal how much of the token matched.
fn constant_time_eq(a: &[u8], b: &[u8]) -> bool {
    let mut difference = a.len() ^ b.len();
    for (i, byte) in b.iter().enumerate() {
        difference |= usize::from(a.get(i).copied().unwrap_or(!byte) ^ byte);
    }
    difference == 0
}

/// A bound listener with its application, ready to serve.
pub struct Server {
    listener: TcpListener,
    router: Router,
    header_read_timeout: Duration,
}

impl std::fmt::Debug for Server {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Server").field("addr", &self.local_addr().ok()).finish()
    }
}

impl Server {
    /// Binds `config.bind` (port 0 picks a free port) and builds the application.
    pub async fn bind(pipeline: Arc<Pipeline>, config: ServerConfig) -> std::io::Result<Self> {
        let listener = TcpListener::bind(config.bind).await?;
        Ok(Self {
            listener,
            header_read_timeout: config.header_read_timeout,
            router: router(pipeline, config),
        })
    }

    /// The address actually bound.
    pub fn local_addr(&self) -> std::io::Result<SocketAddr> {
        self.listener.local_addr()
    }

    /// Serves until `shutdown` completes, then stops accepting and finishes the requests in flight.
    ///
    /// HTTP/1.1 (what trainers' clients speak), served with hyper directly rather than `axum::serve`, which sets
    /// no timer: a client must send its request headers within `header_read_timeout` or its connection is
    /// closed, so idle or trickling connections cannot pile up (nor hold up a graceful shutdown).
    pub async fn run(self, shutdown: impl Future<Output = ()> + Send + 'static) -> std::io::Result<()> {
        let mut builder = http1::Builder::new();
        builder
            .timer(TokioTimer::new())
            .header_read_timeout(self.header_read_timeout);
        let graceful = GracefulShutdown::new();
        tokio::pin!(shutdown);
        loop {
            let stream = tokio::select! {
                accepted = self.listener.accept() => match accepted {
                    Ok((stream, _peer)) => stream,
                    Err(error) => {
                        tracing::warn!("accept failed: {error}");
                        // Out of file descriptors and the like: give connections in flight time to finish.
                        if !is_per_connection(&error) {
                            tokio::time::sleep(Duration::from_millis(100)).await;
                        }
                        continue;
                    }
                },
                () = &mut shutdown => break,
            };
            let _ = stream.set_nodelay(true);
            let connection =
                builder.serve_connection(TokioIo::new(stream), TowerToHyperService::new(self.router.clone()));
            let watcher = graceful.watcher();
            tokio::spawn(async move {
                if let Err(error) = watcher.watch(connection).await {
                    tracing::debug!("connection closed: {error}");
                }
            });
        }
        drop(self.listener);
        graceful.shutdown().await;
        Ok(())
    }
}

/// Accept errors that concern one connection only (the next accept may well succeed at once).
fn is_per_connection(error: &std::io::Error) -> bool {
    use std::io::ErrorKind::{ConnectionAborted, ConnectionRefused, ConnectionReset};
    matches!(error.kind(), ConnectionAborted | ConnectionRefused | ConnectionReset)
}

#[cfg(test)]
mod tests {
    #[test]
    fn token_comparison_needs_an_exact_match() {
        use super::constant_time_eq as eq;
        assert!(eq(b"secret", b"secret"));
        assert!(!eq(b"secre", b"secret"));
        assert!(!eq(b"secrets", b"secret"));
        assert!(!eq(b"Secret", b"secret"));
        assert!(!eq(b"", b"secret"));
    }
}
