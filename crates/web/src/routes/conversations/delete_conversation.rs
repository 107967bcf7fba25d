use axum::extract::{Path, State};
use axum::http::StatusCode;
use switchboard_core::conversation::TurnState;

use super::owned_conversation;
use crate::auth::Actor;
use crate::error::{ApiResult, AppError};
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
    let c = owned_conversation(&state, &actor, &id).await?;
    if c.state == TurnState::Running {
        return Err(AppError::conflict("conversation_busy", "a turn is running; cancel it first"));
    }
    state.store.delete_conversation(c.id).await?;
    Ok(StatusCode::NO_CONTENT)
}
