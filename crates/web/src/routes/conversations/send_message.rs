use axum::extract::{Path, State};
use axum::response::Response;

use super::{client_session, event_stream, owned_conversation};
use crate::auth::Actor;
use crate::error::{ApiResult, AppError};
use crate::json::Json;
use crate::state::AppState;
use crate::views_conversations::{SendMessageRequest, TurnEventView};

/// Largest message, in bytes.
const MAX_MESSAGE: usize = 64 * 1024;

/// Send a message and follow the turn it starts as Server-Sent Events (see
/// `TurnEventView`): text deltas, proposed calls, results, approvals, `done`.
/// The turn goes on, and is stored, if the client goes away.
#[utoipa::path(post, path = "/api/v1/conversations/{id}/messages", tag = "conversations", params(("id" = Uuid, Path)),
    request_body = SendMessageRequest, security(("session" = []), ("token" = [])), responses(
    (status = 200, description = "`text/event-stream` of turn events", content_type = "text/event-stream", body = TurnEventView),
    (status = 404),
    (status = 409, description = "a turn is running or waits for decisions"),
    (status = 422),
))]
pub(crate) async fn send_message(
    State(state): State<AppState>,
    actor: Actor,
    Path(id): Path<String>,
    Json(body): Json<SendMessageRequest>,
) -> ApiResult<Response> {
    let c = owned_conversation(&state, &actor, &id).await?;
    let session = client_session(&body.client_session)?;
    let text = message_text(&body.content)?;
    let events = state.services.agent().send_message(&c, text, session).await?;
    Ok(event_stream(events))
}

/// A message's text: not empty, at most [`MAX_MESSAGE`] bytes.
pub(super) fn message_text(content: &str) -> Result<&str, AppError> {
    if content.trim().is_empty() {
        return Err(AppError::invalid("the message is empty"));
    }
    if content.len() > MAX_MESSAGE {
        return Err(AppError::invalid(format!("the message is longer than {MAX_MESSAGE} bytes")));
    }
    Ok(content)
}
