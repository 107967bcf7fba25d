use axum::extract::{Path, State};
use axum::http::StatusCode;
use serde_json::json;
use switchboard_core::permission::{UserChange, may_manage_user};
use switchboard_core::{Action, AuditKind, UserId};

use crate::auth::Actor;
use crate::error::ApiResult;
use crate::routes::{audit_change, parse_id};
use crate::state::AppState;

/// Remove a user with their sessions, tokens and memberships.
#[utoipa::path(delete, path = "/api/v1/users/{id}", tag = "users", params(("id" = Uuid, Path)),
    security(("session" = []), ("token" = [])), responses(
    (status = 204, description = "removed"),
    (status = 403),
    (status = 404),
))]
pub(crate) async fn delete_user(
    State(state): State<AppState>,
    actor: Actor,
    Path(id): Path<String>,
) -> ApiResult<StatusCode> {
    actor.require(Action::ManageUsers)?;
    let id: UserId = parse_id(&id, "user")?;
    let target = state.store.user(id).await?;
    may_manage_user(actor.user.role, UserChange::Remove { role: target.role }, target.id == actor.user.id)?;
    state.store.delete_user(id).await?;
    tracing::info!(actor = %actor.user.id, user = %id, "user removed");
    let detail =
        json!({"user": {"id": id, "email": target.email.as_str(), "name": target.name, "role": target.role.as_str()}});
    audit_change(&state, &actor, AuditKind::UserRemoved, detail).await?;
    Ok(StatusCode::NO_CONTENT)
}
