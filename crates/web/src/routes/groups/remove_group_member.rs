use axum::extract::{Path, State};
use axum::http::StatusCode;

use crate::auth::Actor;
use crate::error::ApiResult;
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
    state.services.accounts().remove_group_member(&actor.user, &id, &user_id).await?;
    Ok(StatusCode::NO_CONTENT)
}
