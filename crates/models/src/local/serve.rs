//! `assay serve-model`: a local model behind the OpenAI-compatible / vLLM routes of [`super::api`], over HTTP.
//! Model compute runs on tokio's blocking pool, at most `max_concurrency` requests at a time; the rest wait.

use std::sync::Arc;

use axum::Router;
use axum::body::Bytes;
use axum::http::{Method, StatusCode, Uri};
use axum::response::{IntoResponse, Response};
use serde_json::Value;
use tokio::sync::Semaphore;

use super::LocalModel;
use super::api::{ApiError, Route, answer};

struct Served {
    model: Arc<LocalModel>,
    slots: Semaphore,
}

/// The routes: `POST /v1/completions`, `/v1/chat/completions`, `/pooling`, `/classify` (also under `/v1`),
/// `GET /v1/models`, `GET /healthz`.
pub fn router(model: Arc<LocalModel>, max_concurrency: usize) -> Router {
    let served = Arc::new(Served {
        model,
        slots: Semaphore::new(max_concurrency.max(1)),
    });
    Router::new().fallback(move |method: Method, uri: Uri, body: Bytes| {
        let served = served.clone();
        async move { handle(&served, &method, uri.path(), &body).await }
    })
}

/// Serves `model` on `listener` until `shutdown` completes, then finishes the requests in flight.
pub async fn serve(
    model: Arc<LocalModel>,
    listener: tokio::net::TcpListener,
    max_concurrency: usize,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> std::io::Result<()> {
    axum::serve(listener, router(model, max_concurrency))
        .with_graceful_shutdown(shutdown)
        .await
}

fn reply(result: Result<Value, ApiError>) -> Response {
    match result {
        Ok(value) => (StatusCode::OK, axum::Json(value)).into_response(),
        Err(err) => {
            let status = StatusCode::from_u16(err.status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
            (status, axum::Json(err.body())).into_response()
        }
    }
}

async fn handle(served: &Arc<Served>, method: &Method, path: &str, body: &Bytes) -> Response {
    if path == "/healthz" || path == "/health" {
        return (StatusCode::OK, "ok").into_response();
    }
    let Some(route) = Route::from_path(path) else {
        return reply(Err(ApiError {
            status: 404,
            message: format!("no route {path}"),
        }));
    };
    if route == Route::Models {
        return reply(answer(&served.model, route, &Value::Null));
    }
    if method != Method::POST {
        return reply(Err(ApiError {
            status: 405,
            message: format!("{path} takes POST"),
        }));
    }
    let request: Value = match serde_json::from_slice(body) {
        Ok(value) => value,
        Err(err) => {
            return reply(Err(ApiError {
                status: 400,
                message: format!("the body is not JSON: {err}"),
            }));
        }
    };
    let Ok(_slot) = served.slots.acquire().await else {
        return reply(Err(ApiError {
            status: 503,
            message: "the server is shutting down".into(),
        }));
    };
    let model = served.model.clone();
    let computed = tokio::task::spawn_blocking(move || answer(&model, route, &request)).await;
    reply(computed.unwrap_or_else(|err| {
        Err(ApiError {
            status: 500,
            message: format!("model task failed: {err}"),
        })
    }))
}
