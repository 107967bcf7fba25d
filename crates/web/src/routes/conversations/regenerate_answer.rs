use axum::extract::{Path, State};
use axum::response::Response;

use super::{client_session, event_stream, owned_conversation};
use crate::auth::Actor;
use crate::error::ApiResult;
use crate::json::Json;
use crate::state::AppState;
use crate::views_conversations::{RegenerateRequest, TurnEventView};

/// Answer the owner's last message again — Retry after an error or a stop,
/// Regenerate after an answer — and follow the new turn as Server-Sent Events
/// (as `POST …/messages`). What came after the message is kept on record,
/// marked `superseded`, and no longer sent to the model.
#[utoipa::path(post, path = "/api/v1/conversations/{id}/regenerate", tag = "conversations", params(("id" = Uuid, Path)),
    request_body = RegenerateRequest, security(("session" = []), ("token" = [])), responses(
    (status = 200, description = "`text/event-stream` of turn events", content_type = "text/event-stream", body = TurnEventView),
    (status = 404),
    (status = 409, description = "a turn is running or waits for decisions (`conversation_busy`), or there is no message to answer (`no_message`)"),
    (status = 422),
))]
pub(crate) async fn regenerate_answer(
    State(state): State<AppState>,
    actor: Actor,
    Path(id): Path<String>,
    Json(body): Json<RegenerateRequest>,
) -> ApiResult<Response> {
    let c = owned_conversation(&state, &actor, &id).await?;
    let session = client_session(&body.client_session)?;
    let events = state.services.agent().regenerate(&c, session).await?;
    Ok(event_stream(events))
}
