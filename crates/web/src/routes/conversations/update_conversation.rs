use axum::extract::{Path, State};

use crate::auth::Actor;
use crate::error::{ApiResult, AppError};
use crate::json::Json;
use crate::routes::parse_id;
use crate::state::AppState;
use crate::views_conversations::{ConversationView, UpdateConversationRequest};

/// Rename a conversation, or pin or unpin it. The owner only; another person's
/// conversation is "not found".
#[utoipa::path(patch, path = "/api/v1/conversations/{id}", tag = "conversations", params(("id" = Uuid, Path)),
    request_body = UpdateConversationRequest, security(("session" = []), ("token" = [])), responses(
    (status = 200, body = ConversationView),
    (status = 404),
    (status = 422, description = "nothing to change, or an empty or over-long title"),
))]
pub(crate) async fn update_conversation(
    State(state): State<AppState>,
    actor: Actor,
    Path(id): Path<String>,
    Json(body): Json<UpdateConversationRequest>,
) -> ApiResult<Json<ConversationView>> {
    if body.title.is_none() && body.pinned.is_none() {
        return Err(AppError::invalid("give `title`, `pinned` or both"));
    }
    let id = parse_id(&id, "conversation")?;
    let updated = state.services.conversations().update(&actor.user, id, body.title.as_deref(), body.pinned).await?;
    Ok(Json(ConversationView::from(&updated)))
}
