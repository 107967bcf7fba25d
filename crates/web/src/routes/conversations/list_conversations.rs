use axum::extract::State;

use crate::auth::Actor;
use crate::error::ApiResult;
use crate::json::Json;
use crate::state::AppState;
use crate::views_conversations::ConversationView;

/// The signed-in user's conversations, most recently active first.
#[utoipa::path(get, path = "/api/v1/conversations", tag = "conversations", security(("session" = []), ("token" = [])),
    responses((status = 200, body = Vec<ConversationView>)))]
pub(crate) async fn list_conversations(
    State(state): State<AppState>,
    actor: Actor,
) -> ApiResult<Json<Vec<ConversationView>>> {
    let list = state.services.conversations().list(&actor.user).await?;
    Ok(Json(list.iter().map(Into::into).collect()))
}
