use axum::extract::State;
use switchboard_core::{Action, GroupId};

use crate::auth::Actor;
use crate::error::ApiResult;
use crate::json::Json;
use crate::state::AppState;
use crate::views::{UpdateWorkspaceSettingsRequest, WorkspaceSettingsView};

/// Replace the developer-mode policy (`off`, `admins`, `rbac`) and its granted groups.
#[utoipa::path(put, path = "/api/v1/workspace/settings", tag = "workspace", request_body = UpdateWorkspaceSettingsRequest,
    security(("session" = []), ("token" = [])), responses(
    (status = 200, body = WorkspaceSettingsView),
    (status = 403, body = crate::error::Problem),
    (status = 404, description = "a granted group does not exist", body = crate::error::Problem),
))]
pub(crate) async fn update_workspace_settings(
    State(state): State<AppState>,
    actor: Actor,
    Json(body): Json<UpdateWorkspaceSettingsRequest>,
) -> ApiResult<Json<WorkspaceSettingsView>> {
    actor.require(Action::ManageWorkspaceSettings)?;
    let groups: Vec<GroupId> = body.developer_mode.groups.iter().copied().map(GroupId::from).collect();
    let settings = state.store.set_developer_mode_policy(body.developer_mode.policy.into(), &groups).await?;
    tracing::info!(actor = %actor.user.id, policy = %settings.developer_mode_policy, "developer-mode policy changed");
    Ok(Json(WorkspaceSettingsView::from(&settings)))
}
