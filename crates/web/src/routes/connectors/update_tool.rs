use axum::extract::{Path, State};

use crate::auth::Actor;
use crate::error::ApiResult;
use crate::json::Json;
use crate::routes::parse_id;
use crate::state::AppState;
use crate::views_connectors::{ToolView, UpdateToolRequest};

/// Turn one action on or off.
#[utoipa::path(patch, path = "/api/v1/connectors/{id}/tools/{name}", tag = "connectors",
    params(("id" = Uuid, Path), ("name" = String, Path)), request_body = UpdateToolRequest,
    security(("session" = []), ("token" = [])), responses(
    (status = 200, body = ToolView),
    (status = 404, body = crate::error::Problem),
))]
pub(crate) async fn update_tool(
    State(state): State<AppState>,
    actor: Actor,
    Path((id, name)): Path<(String, String)>,
    Json(body): Json<UpdateToolRequest>,
) -> ApiResult<Json<ToolView>> {
    let id = parse_id(&id, "connector")?;
    let tool = state.services.connectors().set_tool_enabled(&actor.user, id, &name, body.enabled).await?;
    Ok(Json(ToolView::from(&tool)))
}
