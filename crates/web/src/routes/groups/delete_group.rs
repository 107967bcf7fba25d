use axum::extract::{Path, State};
use axum::http::StatusCode;
use serde_json::json;
use switchboard_core::{Action, AuditKind, GroupId};

use crate::auth::Actor;
use crate::error::ApiResult;
use crate::routes::{audit_change, parse_id};
use crate::state::AppState;

/// Delete a group; its memberships and grants go with it.
#[utoipa::path(delete, path = "/api/v1/groups/{id}", tag = "groups", params(("id" = Uuid, Path)),
    security(("session" = []), ("token" = [])), responses(
    (status = 204, description = "deleted"),
    (status = 404),
))]
pub(crate) async fn delete_group(
    State(state): State<AppState>,
    actor: Actor,
    Path(id): Path<String>,
) -> ApiResult<StatusCode> {
    actor.require(Action::ManageGroups)?;
    let id: GroupId = parse_id(&id, "group")?;
    let group = state.store.group(id).await?;
    state.store.delete_group(id).await?;
    tracing::info!(actor = %actor.user.id, group = %id, "group deleted");
    let members: Vec<String> = group.members.iter().map(|m| m.email.to_string()).collect();
    let detail = json!({"group": {"id": id, "name": group.name}, "members": members});
    audit_change(&state, &actor, AuditKind::GroupDeleted, detail).await?;
    Ok(StatusCode::NO_CONTENT)
}
