use axum::extract::{Path, State};

use super::owned_conversation;
use crate::auth::Actor;
use crate::error::ApiResult;
use crate::json::Json;
use crate::state::AppState;
use crate::views_conversations::ConversationDetail;

/// One of the user's conversations with its messages and every tool call, whole.
#[utoipa::path(get, path = "/api/v1/conversations/{id}", tag = "conversations", params(("id" = Uuid, Path)),
    security(("session" = []), ("token" = [])),
    responses((status = 200, body = ConversationDetail), (status = 404)))]
pub(crate) async fn get_conversation(
    State(state): State<AppState>,
    actor: Actor,
    Path(id): Path<String>,
) -> ApiResult<Json<ConversationDetail>> {
    let c = owned_conversation(&state, &actor, &id).await?;
    let transcript = state.services.conversations().transcript(&c).await?;
    Ok(Json(ConversationDetail::new(&c, &transcript)))
}
