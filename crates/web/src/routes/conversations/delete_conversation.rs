use axum::extract::{Path, State};
use axum::http::StatusCode;

use crate::auth::Actor;
use crate::error::ApiResult;
use crate::routes::parse_id;
use crate::state::AppState;

/// Delete one of the user's conversations (its audit trail stays).
#[utoipa::path(delete, path = "/api/v1/conversations/{id}", tag = "conversations", params(("id" = Uuid, Path)),
    security(("session" = []), ("token" = [])), responses(
    (status = 204, description = "deleted"),
    (status = 404),
    (status = 409, description = "a turn is running"),
))]
pub(crate) async fn delete_conversation(
    State(state): State<AppState>,
    actor: Actor,
    Path(id): Path<String>,
) -> ApiResult<StatusCode> {
    state.services.conversations().delete(&actor.user, parse_id(&id, "conversation")?).await?;
    Ok(StatusCode::NO_CONTENT)
}
