use axum::extract::State;
use switchboard_core::doctor::may_run;

use crate::auth::Actor;
use crate::error::{ApiResult, AppError};
use crate::json::Json;
use crate::state::AppState;
use crate::views_doctor::{DoctorRequest, DoctorView};

/// Examine an MCP server: reachability, transports, protocol versions, OAuth
/// discovery and every tool of its catalog, each check pass, warn or fail with a hint.
///
/// The server is reached under the workspace's network policy; a refused address
/// is a report whose `reachability` check fails and says why. Nothing is stored.
#[utoipa::path(post, path = "/api/v1/doctor", tag = "doctor", request_body = DoctorRequest,
    security(("session" = []), ("token" = [])), responses(
    (status = 200, description = "the report; `ok` is false when any check failed", body = DoctorView),
    (status = 403, description = "developer mode is off"),
    (status = 422, description = "the url is not an http(s) URL"),
))]
pub(crate) async fn run_doctor(
    State(state): State<AppState>,
    actor: Actor,
    Json(body): Json<DoctorRequest>,
) -> ApiResult<Json<DoctorView>> {
    let dev = state.services.access().developer_mode_active(&actor.user).await?;
    may_run(actor.user.role, dev)
        .map_err(|denied| AppError::forbidden("developer_mode_required", denied.to_string()))?;
    let url: url::Url =
        body.url.trim().parse().map_err(|e| AppError::invalid(format!("url {:?} is not a URL: {e}", body.url)))?;
    if !matches!(url.scheme(), "http" | "https") || url.host().is_none() {
        return Err(AppError::invalid("url must start with http:// or https:// and name a host"));
    }
    let options = state.services.connectors().client_options().await?;
    let report = switchboard_mcp::examine(&url, &options).await;
    tracing::info!(actor = %actor.user.id, %url, ok = report.ok(), "doctor ran");
    Ok(Json(DoctorView::from(&report)))
}
