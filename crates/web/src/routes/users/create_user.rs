use axum::extract::State;
use axum::http::StatusCode;
use switchboard_core::Role;
use switchboard_service::NewAccount;

use crate::auth::Actor;
use crate::error::ApiResult;
use crate::json::Json;
use crate::state::AppState;
use crate::views::{CreateUserRequest, UserView};

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
    let new = NewAccount { email: &body.email, name: &body.name, role: Role::from(body.role), password: body.password };
    let user = state.services.accounts().create_user(&actor.user, new).await?;
    Ok((StatusCode::CREATED, Json(UserView::from(&user))))
}
