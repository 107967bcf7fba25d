use axum::extract::State;
use axum::http::StatusCode;
use switchboard_core::ConnectorId;
use switchboard_service::NewChat;

use crate::auth::Actor;
use crate::error::ApiResult;
use crate::json::Json;
use crate::state::AppState;
use crate::views_conversations::{ConversationView, CreateConversationRequest};

/// Start a conversation with the chosen connectors, model and mode.
#[utoipa::path(post, path = "/api/v1/conversations", tag = "conversations", request_body = CreateConversationRequest,
    security(("session" = []), ("token" = [])), responses(
    (status = 201, body = ConversationView),
    (status = 404, description = "a connector is unknown or not yours to use"),
    (status = 422, description = "no such model, or no provider configured; without `model`, the workspace's default model is used, else the server's"),
))]
pub(crate) async fn create_conversation(
    State(state): State<AppState>,
    actor: Actor,
    Json(body): Json<CreateConversationRequest>,
) -> ApiResult<(StatusCode, Json<ConversationView>)> {
    let new = NewChat {
        model: body.model.filter(|m| !m.trim().is_empty()),
        mode: body.mode.0,
        connectors: body.connectors.into_iter().map(ConnectorId::from).collect(),
    };
    let c = state.services.conversations().start(&actor.user, new).await?;
    Ok((StatusCode::CREATED, Json((&c).into())))
}
