use axum::extract::State;
use serde::Deserialize;
use utoipa::IntoParams;

use crate::auth::Actor;
use crate::error::ApiResult;
use crate::json::Json;
use crate::query::Query;
use crate::state::AppState;
use crate::views_conversations::ConversationView;

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub(crate) struct ListQuery {
    /// Only conversations whose title or messages contain this text (any case).
    q: Option<String>,
}

/// The signed-in user's conversations: pinned first, then most recently active.
#[utoipa::path(get, path = "/api/v1/conversations", tag = "conversations", params(ListQuery),
    security(("session" = []), ("token" = [])), responses((status = 200, body = Vec<ConversationView>)))]
pub(crate) async fn list_conversations(
    State(state): State<AppState>,
    actor: Actor,
    Query(query): Query<ListQuery>,
) -> ApiResult<Json<Vec<ConversationView>>> {
    let list = state.services.conversations().list(&actor.user, query.q.as_deref()).await?;
    Ok(Json(list.iter().map(Into::into).collect()))
}
