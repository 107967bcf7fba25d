use axum::extract::State;
use switchboard_core::GroupId;
use switchboard_core::network::NetworkPolicy;
use switchboard_service::SettingsChange;

use crate::auth::Actor;
use crate::error::ApiResult;
use crate::json::Json;
use crate::state::AppState;
use crate::views::{UpdateWorkspaceSettingsRequest, WorkspaceSettingsView};

/// Change the developer-mode policy, the network policy, the default model, or several.
///
/// Each part is optional and, when given, replaced whole: `developer_mode` (policy
/// `off`, `admins` or `rbac`, and its granted groups), `network` (which addresses
/// connectors may reach), `conversations` (the default model). A part left out
/// stays as it is.
#[utoipa::path(put, path = "/api/v1/workspace/settings", tag = "workspace", request_body = UpdateWorkspaceSettingsRequest,
    security(("session" = []), ("token" = [])), responses(
    (status = 200, body = WorkspaceSettingsView),
    (status = 403),
    (status = 404, description = "a granted group does not exist"),
    (status = 422, description = "neither part was given, or a part is malformed"),
))]
pub(crate) async fn update_workspace_settings(
    State(state): State<AppState>,
    actor: Actor,
    Json(body): Json<UpdateWorkspaceSettingsRequest>,
) -> ApiResult<Json<WorkspaceSettingsView>> {
    let change = SettingsChange {
        developer_mode: body
            .developer_mode
            .map(|dm| (dm.policy.into(), dm.groups.into_iter().map(GroupId::from).collect())),
        network: body.network.map(NetworkPolicy::from),
        // An empty name clears the default model.
        default_model: body
            .conversations
            .map(|c| c.default_model.as_deref().map(str::trim).filter(|m| !m.is_empty()).map(str::to_owned)),
    };
    let (settings, network) = state.services.workspace().update(&actor.user, change).await?;
    Ok(Json(WorkspaceSettingsView::new(&settings, network)))
}
