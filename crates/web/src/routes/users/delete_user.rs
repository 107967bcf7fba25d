use axum::extract::{Path, State};
use axum::http::StatusCode;

use crate::auth::Actor;
use crate::error::ApiResult;
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
    state.services.accounts().remove_user(&actor.user, &id).await?;
    Ok(StatusCode::NO_CONTENT)
}
