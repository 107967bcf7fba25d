use axum::extract::{Path, State};
use axum::http::StatusCode;
use serde_json::json;
use switchboard_core::{Action, AuditKind, GroupId};

use crate::auth::Actor;
use crate::error::{ApiResult, AppError};
use crate::json::Json;
use crate::routes::{audit_change, parse_id};
use crate::state::AppState;
use crate::views::{AddMemberRequest, GroupDetailView, parse_email};

/// Add a user, by email, to a group.
#[utoipa::path(post, path = "/api/v1/groups/{id}/members", tag = "groups", params(("id" = Uuid, Path)),
    request_body = AddMemberRequest, security(("session" = []), ("token" = [])), responses(
    (status = 201, body = GroupDetailView),
    (status = 404, description = "no such group or user"),
    (status = 409, description = "already a member"),
))]
pub(crate) async fn add_group_member(
    State(state): State<AppState>,
    actor: Actor,
    Path(id): Path<String>,
    Json(body): Json<AddMemberRequest>,
) -> ApiResult<(StatusCode, Json<GroupDetailView>)> {
    actor.require(Action::ManageGroups)?;
    let id: GroupId = parse_id(&id, "group")?;
    let email = parse_email(&body.email)?;
    let user = state
        .store
        .user_by_email(&email)
        .await?
        .ok_or_else(|| AppError::not_found(format!("no user with email {email}; add the user first")))?;
    state.store.add_group_member(id, user.id).await?;
    tracing::info!(actor = %actor.user.id, group = %id, user = %user.id, "group member added");
    let group = state.store.group(id).await?;
    let detail =
        json!({"group": {"id": id, "name": group.name}, "user": {"id": user.id, "email": user.email.as_str()}});
    audit_change(&state, &actor, AuditKind::GroupMemberAdded, detail).await?;
    Ok((StatusCode::CREATED, Json(GroupDetailView::from(&group))))
}
