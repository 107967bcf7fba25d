//! Liveness, readiness and metrics.

use axum::extract::State;
use axum::http::header;
use axum::response::IntoResponse;

use crate::error::ApiResult;
use crate::json::Json;
use crate::state::AppState;
use crate::views::StatusView;

/// The process is up.
#[utoipa::path(get, path = "/healthz", tag = "operations", responses((status = 200, body = StatusView)))]
pub(crate) async fn healthz() -> Json<StatusView> {
    Json(StatusView { status: "ok" })
}

/// The process can serve requests: the database answers.
#[utoipa::path(get, path = "/readyz", tag = "operations", responses(
    (status = 200, body = StatusView),
    (status = 503, description = "the database is not reachable"),
))]
pub(crate) async fn readyz(State(state): State<AppState>) -> ApiResult<Json<StatusView>> {
    state.services.ready().await?;
    Ok(Json(StatusView { status: "ready" }))
}

/// Prometheus metrics in the text exposition format.
#[utoipa::path(get, path = "/metrics", tag = "operations", responses((status = 200, content_type = "text/plain", body = String)))]
pub(crate) async fn metrics(State(state): State<AppState>) -> impl IntoResponse {
    ([(header::CONTENT_TYPE, "text/plain; version=0.0.4; charset=utf-8")], state.metrics.render())
}
