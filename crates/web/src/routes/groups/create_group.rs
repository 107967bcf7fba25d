use axum::extract::State;
use axum::http::StatusCode;
use serde_json::json;
use switchboard_core::{Action, AuditKind};

use crate::auth::Actor;
use crate::error::ApiResult;
use crate::json::Json;
use crate::routes::audit_change;
use crate::state::AppState;
use crate::views::{CreateGroupRequest, GroupView, parse_name};

/// Create a group.
#[utoipa::path(post, path = "/api/v1/groups", tag = "groups", request_body = CreateGroupRequest,
    security(("session" = []), ("token" = [])), responses(
    (status = 201, body = GroupView),
    (status = 409, description = "a group with this name exists"),
))]
pub(crate) async fn create_group(
    State(state): State<AppState>,
    actor: Actor,
    Json(body): Json<CreateGroupRequest>,
) -> ApiResult<(StatusCode, Json<GroupView>)> {
    actor.require(Action::ManageGroups)?;
    let name = parse_name(&body.name, "group name", 64)?;
    let group = state.store.create_group(&name).await?;
    tracing::info!(actor = %actor.user.id, group = %group.id, "group created");
    audit_change(&state, &actor, AuditKind::GroupCreated, json!({"group": {"id": group.id, "name": group.name}}))
        .await?;
    Ok((StatusCode::CREATED, Json(GroupView::from(&group))))
}
