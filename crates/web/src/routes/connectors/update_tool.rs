use axum::extract::{Path, State};

use crate::auth::Actor;
use crate::error::{ApiResult, AppError};
use crate::json::Json;
use crate::routes::parse_id;
use crate::state::AppState;
use crate::views_connectors::{ToolView, UpdateToolRequest};

/// Turn one action on or off, or raise its classification to a write (owners
/// and admins; never lowered below what its server advertises).
#[utoipa::path(patch, path = "/api/v1/connectors/{id}/tools/{name}", tag = "connectors",
    params(("id" = Uuid, Path), ("name" = String, Path)), request_body = UpdateToolRequest,
    security(("session" = []), ("token" = [])), responses(
    (status = 200, body = ToolView),
    (status = 403),
    (status = 404),
    (status = 422, description = "nothing to change, or a classification lowered"),
))]
pub(crate) async fn update_tool(
    State(state): State<AppState>,
    actor: Actor,
    Path((id, name)): Path<(String, String)>,
    Json(body): Json<UpdateToolRequest>,
) -> ApiResult<Json<ToolView>> {
    let id = parse_id(&id, "connector")?;
    let connectors = state.services.connectors();
    let mut tool = match (body.enabled, body.classification) {
        (None, None) => return Err(AppError::invalid("give `enabled`, `classification` or both")),
        (Some(enabled), _) => Some(connectors.set_tool_enabled(&actor.user, id, &name, enabled).await?),
        (None, Some(_)) => None,
    };
    if let Some(to) = body.classification {
        tool = Some(connectors.set_tool_classification(&actor.user, id, &name, to.into()).await?);
    }
    let tool = tool.ok_or_else(|| AppError::invalid("give `enabled`, `classification` or both"))?;
    Ok(Json(ToolView::from(&tool)))
}
