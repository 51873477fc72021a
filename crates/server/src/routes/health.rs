//! `GET /healthz` (unauthenticated liveness and what is served) and `GET /metrics` (Prometheus text).

use axum::extract::State;
use axum::http::header;
use axum::response::IntoResponse;
use serde_json::json;

use crate::app::AppState;

/// `{"status": "ok", "pipeline", "components"}`.
pub async fn healthz(State(state): State<AppState>) -> impl IntoResponse {
    axum::Json(json!({
        "status": "ok",
        "pipeline": state.pipeline.name(),
        "components": state.pipeline.component_names().collect::<Vec<_>>(),
    }))
}

/// The Prometheus text exposition.
pub async fn metrics(State(state): State<AppState>) -> impl IntoResponse {
    (
        [(header::CONTENT_TYPE, "text/plain; version=0.0.4; charset=utf-8")],
        state.metrics.render(state.sandbox.usage()),
    )
}
