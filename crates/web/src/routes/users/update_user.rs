use axum::extract::{Path, State};
use serde_json::json;
use switchboard_core::permission::{UserChange, may_manage_user};
use switchboard_core::{Action, AuditKind, Role, UserId};
use switchboard_store::PasswordReset;

use crate::auth::Actor;
use crate::error::{ApiResult, AppError};
use crate::json::Json;
use crate::routes::{audit_change, hash_new_password, parse_id};
use crate::state::AppState;
use crate::views::{UpdateUserRequest, UserView, parse_name};

/// Change a user's name, role or password.
///
/// A role change ends their sessions; so does resetting someone else's password,
/// which also revokes their API tokens unless `revoke_tokens` is `false`, all in
/// one transaction.
#[utoipa::path(patch, path = "/api/v1/users/{id}", tag = "users", params(("id" = Uuid, Path)),
    request_body = UpdateUserRequest, security(("session" = []), ("token" = [])), responses(
    (status = 200, body = UserView),
    (status = 403),
    (status = 404),
    (status = 422),
))]
pub(crate) async fn update_user(
    State(state): State<AppState>,
    actor: Actor,
    Path(id): Path<String>,
    Json(body): Json<UpdateUserRequest>,
) -> ApiResult<Json<UserView>> {
    actor.require(Action::ManageUsers)?;
    let id: UserId = parse_id(&id, "user")?;
    let target = state.store.user(id).await?;
    let is_self = target.id == actor.user.id;
    let new_role = body.role.map(Role::from);
    // Renaming or resetting a password is a change "to a user with this role".
    let change = match new_role {
        Some(to) => UserChange::ChangeRole { from: target.role, to },
        None => UserChange::ChangeRole { from: target.role, to: target.role },
    };
    if !(is_self && new_role.is_none()) {
        may_manage_user(actor.user.role, change, is_self)?;
    }
    if body.revoke_tokens.is_some() && body.password.is_none() {
        return Err(AppError::invalid("revoke_tokens goes with password: it says what a password reset revokes"));
    }
    let name = body.name.as_deref().map(|n| parse_name(n, "name", 100)).transpose()?;
    let password_hash = match body.password {
        Some(password) => Some(hash_new_password(password).await?),
        None => None,
    };
    let mut user = target;
    let who = json!({"id": id, "email": user.email.as_str()});
    let mut changes = vec![];
    if let Some(name) = name.filter(|n| *n != user.name) {
        let before = std::mem::take(&mut user.name);
        user = state.store.set_user_name(id, &name).await?;
        changes.push((AuditKind::UserRenamed, json!({"user": who, "from": before, "to": user.name})));
    }
    if let Some(role) = new_role.filter(|r| *r != user.role) {
        let before = user.role;
        user = state.store.set_user_role(id, role).await?;
        state.store.delete_sessions_of(id).await?;
        changes.push((
            AuditKind::UserRoleChanged,
            json!({"user": who, "from": before.as_str(), "to": user.role.as_str()}),
        ));
    }
    if let Some(hash) = password_hash {
        // Never the password or its hash: who set one, for whom, and what it revoked.
        if is_self {
            user = state.store.set_user_password(id, &hash).await?;
            changes.push((AuditKind::UserPasswordReset, json!({"user": who, "by_self": true})));
        } else {
            let revoke_tokens = body.revoke_tokens.unwrap_or(true);
            let reset = PasswordReset { password_hash: &hash, revoke_tokens };
            let (reset_user, revoked) = state.store.reset_password(id, reset).await?;
            user = reset_user;
            tracing::info!(actor = %actor.user.id, user = %id, revoked_tokens = revoked, "password reset");
            changes.push((
                AuditKind::UserPasswordReset,
                json!({"user": who, "by_self": false, "sessions_ended": true, "tokens_revoked": revoked}),
            ));
        }
    }
    tracing::info!(actor = %actor.user.id, user = %id, "user updated");
    for (kind, detail) in changes {
        audit_change(&state, &actor, kind, detail).await?;
    }
    Ok(Json(UserView::from(&user)))
}
