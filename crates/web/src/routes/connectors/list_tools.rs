use axum::extract::{Path, State};

use crate::auth::Actor;
use crate::error::ApiResult;
use crate::json::Json;
use crate::routes::parse_id;
use crate::state::AppState;
use crate::views_connectors::ToolView;

/// A connector's actions: classification, risk badges, on/off, and the definition
/// whole (for a published app, the pinned one). Whoever may only use the app sees
/// its enabled actions. In a mixed-auth app each says what its calls need (`auth`).
#[utoipa::path(get, path = "/api/v1/connectors/{id}/tools", tag = "connectors", params(("id" = Uuid, Path)),
    security(("session" = []), ("token" = [])), responses(
    (status = 200, body = Vec<ToolView>),
    (status = 404),
))]
pub(crate) async fn list_tools(
    State(state): State<AppState>,
    actor: Actor,
    Path(id): Path<String>,
) -> ApiResult<Json<Vec<ToolView>>> {
    let (found, standing) = state.services.connectors().opened(&actor.user, parse_id(&id, "connector")?).await?;
    Ok(Json(
        found
            .tools
            .iter()
            .filter(|t| standing.manage || t.stored.enabled)
            .map(|t| ToolView::in_app(&t.stored, &found.connector.auth_mode))
            .collect(),
    ))
}
