use axum::extract::{Path, State};

use super::connector_for;
use crate::auth::Actor;
use crate::error::ApiResult;
use crate::json::Json;
use crate::state::AppState;
use crate::views_connectors::ToolView;

/// A connector's actions: classification, risk badges, on/off, and the definition whole.
#[utoipa::path(get, path = "/api/v1/connectors/{id}/tools", tag = "connectors", params(("id" = Uuid, Path)),
    security(("session" = []), ("token" = [])), responses(
    (status = 200, body = Vec<ToolView>),
    (status = 404, body = crate::error::Problem),
))]
pub(crate) async fn list_tools(
    State(state): State<AppState>,
    actor: Actor,
    Path(id): Path<String>,
) -> ApiResult<Json<Vec<ToolView>>> {
    let c = connector_for(&state, &actor, &id).await?;
    Ok(Json(state.store.connector_tools(c.id).await?.iter().map(ToolView::from).collect()))
}
