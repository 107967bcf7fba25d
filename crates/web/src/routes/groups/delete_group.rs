use axum::extract::{Path, State};
use axum::http::StatusCode;

use crate::auth::Actor;
use crate::error::ApiResult;
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
    state.services.accounts().delete_group(&actor.user, &id).await?;
    Ok(StatusCode::NO_CONTENT)
}
