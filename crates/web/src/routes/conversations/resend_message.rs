use axum::extract::{Path, State};
use axum::response::Response;

use super::send_message::message_text;
use super::{client_session, event_stream, owned_conversation};
use crate::auth::Actor;
use crate::error::ApiResult;
use crate::json::Json;
use crate::state::AppState;
use crate::views_conversations::{SendMessageRequest, TurnEventView};

/// Edit and resend: replace the owner's last message with `content` and follow
/// the turn that answers it as Server-Sent Events (as `POST …/messages`). The
/// old message and what came after it are kept on record, marked `superseded`,
/// and no longer sent to the model.
#[utoipa::path(post, path = "/api/v1/conversations/{id}/resend", tag = "conversations", params(("id" = Uuid, Path)),
    request_body = SendMessageRequest, security(("session" = []), ("token" = [])), responses(
    (status = 200, description = "`text/event-stream` of turn events", content_type = "text/event-stream", body = TurnEventView),
    (status = 404),
    (status = 409, description = "a turn is running or waits for decisions (`conversation_busy`), or there is no message to replace (`no_message`)"),
    (status = 422),
))]
pub(crate) async fn resend_message(
    State(state): State<AppState>,
    actor: Actor,
    Path(id): Path<String>,
    Json(body): Json<SendMessageRequest>,
) -> ApiResult<Response> {
    let c = owned_conversation(&state, &actor, &id).await?;
    let session = client_session(&body.client_session)?;
    let text = message_text(&body.content)?;
    let events = state.services.agent().resend(&c, text, session).await?;
    Ok(event_stream(events))
}
