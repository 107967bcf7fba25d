use axum::extract::State;

use crate::auth::Actor;
use crate::error::ApiResult;
use crate::json::Json;
use crate::state::AppState;
use crate::views::WorkspaceSettingsView;

/// The workspace settings: the developer-mode policy, its granted groups, and the network policy.
#[utoipa::path(get, path = "/api/v1/workspace/settings", tag = "workspace", security(("session" = []), ("token" = [])), responses(
    (status = 200, body = WorkspaceSettingsView),
    (status = 403),
))]
pub(crate) async fn get_workspace_settings(
    State(state): State<AppState>,
    actor: Actor,
) -> ApiResult<Json<WorkspaceSettingsView>> {
    let (settings, network) = state.services.workspace().settings(&actor.user).await?;
    Ok(Json(WorkspaceSettingsView::new(&settings, network)))
}
