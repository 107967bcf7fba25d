use axum::extract::{Path, State};
use axum::http::StatusCode;
use serde_json::json;
use switchboard_core::{Action, AuditKind, GroupId, UserId};

use crate::auth::Actor;
use crate::error::ApiResult;
use crate::routes::{audit_change, parse_id};
use crate::state::AppState;

/// Remove a user from a group.
#[utoipa::path(delete, path = "/api/v1/groups/{id}/members/{user_id}", tag = "groups",
    params(("id" = Uuid, Path), ("user_id" = Uuid, Path)), security(("session" = []), ("token" = [])), responses(
    (status = 204, description = "removed"),
    (status = 404),
))]
pub(crate) async fn remove_group_member(
    State(state): State<AppState>,
    actor: Actor,
    Path((id, user_id)): Path<(String, String)>,
) -> ApiResult<StatusCode> {
    actor.require(Action::ManageGroups)?;
    let id: GroupId = parse_id(&id, "group")?;
    let user_id: UserId = parse_id(&user_id, "group member")?;
    state.store.remove_group_member(id, user_id).await?;
    tracing::info!(actor = %actor.user.id, group = %id, user = %user_id, "group member removed");
    // Names for the record, when they are still there to read.
    let group = state.store.group(id).await.ok().map(|g| g.name);
    let email = state.store.user(user_id).await.ok().map(|u| u.email.to_string());
    let detail = json!({"group": {"id": id, "name": group}, "user": {"id": user_id, "email": email}});
    audit_change(&state, &actor, AuditKind::GroupMemberRemoved, detail).await?;
    Ok(StatusCode::NO_CONTENT)
}
