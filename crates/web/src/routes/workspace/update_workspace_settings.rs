use axum::extract::State;
use serde_json::{Map, Value, json};
use switchboard_core::network::NetworkPolicy;
use switchboard_core::{Action, AuditKind, GroupId};
use switchboard_store::WorkspaceSettings;

use crate::auth::Actor;
use crate::error::{ApiResult, AppError};
use crate::json::Json;
use crate::routes::audit_change;
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
    actor.require(Action::ManageWorkspaceSettings)?;
    if body.developer_mode.is_none() && body.network.is_none() && body.conversations.is_none() {
        return Err(AppError::invalid("give developer_mode, network or conversations"));
    }
    // The model first: one that names no provider refuses the request before anything changes.
    let model = match &body.conversations {
        Some(c) => match c.default_model.as_deref().map(str::trim).filter(|m| !m.is_empty()) {
            Some(m) => {
                let resolved = state
                    .services
                    .agent()
                    .providers()
                    .resolve(Some(m))
                    .map_err(|e| AppError::invalid(e.to_string()))?;
                Some(Some(resolved.qualified()))
            }
            None => Some(None),
        },
        None => None,
    };
    let before = state.store.workspace_settings().await?;
    let network_before = state.services.connectors().network_policy().await?;
    // Developer mode first: an unknown group refuses the request before anything changes.
    let developer_mode_given = body.developer_mode.is_some();
    let settings = match body.developer_mode {
        Some(dm) => {
            let groups: Vec<GroupId> = dm.groups.iter().copied().map(GroupId::from).collect();
            let settings = state.store.set_developer_mode_policy(dm.policy.into(), &groups).await?;
            tracing::info!(actor = %actor.user.id, policy = %settings.developer_mode_policy, "developer-mode policy changed");
            settings
        }
        None => state.store.workspace_settings().await?,
    };
    let model_given = model.is_some();
    let settings = match model {
        Some(model) => {
            state.store.set_default_model(model.as_deref()).await?;
            tracing::info!(actor = %actor.user.id, model = ?model, "default model changed");
            state.store.workspace_settings().await?
        }
        None => settings,
    };
    let body_network_given = body.network.is_some();
    let network = match body.network {
        Some(requested) => {
            let policy = state.services.connectors().set_network_policy(NetworkPolicy::from(requested)).await?;
            tracing::info!(actor = %actor.user.id, allow_private = policy.allow_private,
                allow_link_local = policy.allow_link_local, allow_cloud_metadata = policy.allow_cloud_metadata,
                "network policy changed");
            policy
        }
        None => state.services.connectors().network_policy().await?,
    };
    // One entry for the request: each part given, as it was and as it is.
    let mut detail = Map::new();
    if developer_mode_given {
        detail
            .insert("developer_mode".into(), json!({"from": developer_mode(&before), "to": developer_mode(&settings)}));
    }
    if model_given {
        detail.insert("default_model".into(), json!({"from": before.default_model, "to": settings.default_model}));
    }
    if body_network_given {
        detail.insert("network".into(), json!({"from": network_json(network_before), "to": network_json(network)}));
    }
    audit_change(&state, &actor, AuditKind::SettingsChanged, Value::Object(detail)).await?;
    Ok(Json(WorkspaceSettingsView::new(&settings, network)))
}

fn developer_mode(settings: &WorkspaceSettings) -> Value {
    let groups: Vec<Value> =
        settings.developer_mode_groups.iter().map(|g| json!({"id": g.id, "name": g.name})).collect();
    json!({"policy": settings.developer_mode_policy.as_str(), "groups": groups})
}

fn network_json(policy: NetworkPolicy) -> Value {
    json!({
        "allow_private": policy.allow_private,
        "allow_link_local": policy.allow_link_local,
        "allow_cloud_metadata": policy.allow_cloud_metadata,
    })
}
