use axum::extract::{Path, State};
use switchboard_core::Role;
use switchboard_service::AccountChange;

use crate::auth::Actor;
use crate::error::ApiResult;
use crate::json::Json;
use crate::state::AppState;
use crate::views::{UpdateUserRequest, UserView};

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
    let change = AccountChange {
        name: body.name.as_deref(),
        role: body.role.map(Role::from),
        password: body.password,
        revoke_tokens: body.revoke_tokens,
    };
    let user = state.services.accounts().update_user(&actor.user, &id, change).await?;
    Ok(Json(UserView::from(&user)))
}
