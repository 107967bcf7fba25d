use axum::extract::State;
use axum::http::StatusCode;
use serde_json::json;
use switchboard_core::permission::{UserChange, may_manage_user};
use switchboard_core::{AuditKind, Role};
use switchboard_store::NewUser;

use crate::auth::Actor;
use crate::error::ApiResult;
use crate::json::Json;
use crate::routes::{audit_change, hash_new_password};
use crate::state::AppState;
use crate::views::{CreateUserRequest, UserView, parse_email, parse_name};

/// Add a user. Admins add members and auditors; owners add anyone.
#[utoipa::path(post, path = "/api/v1/users", tag = "users", request_body = CreateUserRequest,
    security(("session" = []), ("token" = [])), responses(
    (status = 201, body = UserView),
    (status = 403),
    (status = 409, description = "a user with this email exists"),
    (status = 422),
))]
pub(crate) async fn create_user(
    State(state): State<AppState>,
    actor: Actor,
    Json(body): Json<CreateUserRequest>,
) -> ApiResult<(StatusCode, Json<UserView>)> {
    let role = Role::from(body.role);
    may_manage_user(actor.user.role, UserChange::Create { role }, false)?;
    let email = parse_email(&body.email)?;
    let name = parse_name(&body.name, "name", 100)?;
    let password_hash = match body.password {
        Some(password) => Some(hash_new_password(password).await?),
        None => None,
    };
    let user = state.store.create_user(NewUser { email, name, role, password_hash }).await?;
    tracing::info!(actor = %actor.user.id, user = %user.id, %role, "user created");
    let detail = json!({
        "user": {"id": user.id, "email": user.email.as_str(), "name": user.name, "role": role.as_str()},
        "with_password": user.has_password,
    });
    audit_change(&state, &actor, AuditKind::UserCreated, detail).await?;
    Ok((StatusCode::CREATED, Json(UserView::from(&user))))
}
