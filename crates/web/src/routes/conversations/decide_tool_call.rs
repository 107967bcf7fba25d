use axum::extract::{Path, State};
use axum::response::Response;
use switchboard_agent::DecideCall;

use super::{client_session, event_stream, owned_conversation};
use crate::auth::Actor;
use crate::error::{ApiResult, AppError};
use crate::json::Json;
use crate::state::AppState;
use crate::views_conversations::{DecisionRequest, TurnEventView};

/// Approve or deny a write action that waits.
///
/// Only the conversation's owner decides; to anyone else the conversation is "not
/// found", as on every other conversation route, so its id tells them nothing. A
/// call is decided once. Answered with the rest of the turn as Server-Sent Events:
/// the call's result, then the model's next step once no call of this step waits
/// any more.
#[utoipa::path(post, path = "/api/v1/conversations/{id}/tool-calls/{call_id}/decision", tag = "conversations",
    params(("id" = Uuid, Path), ("call_id" = Uuid, Path)), request_body = DecisionRequest,
    security(("session" = []), ("token" = [])), responses(
    (status = 200, description = "`text/event-stream` of turn events", content_type = "text/event-stream", body = TurnEventView),
    (status = 404, description = "no such conversation, or not the caller's"),
    (status = 409, description = "no such call waits: unknown, already decided, or never needed a decision"),
))]
pub(crate) async fn decide_tool_call(
    State(state): State<AppState>,
    actor: Actor,
    Path((id, call_id)): Path<(String, String)>,
    Json(body): Json<DecisionRequest>,
) -> ApiResult<Response> {
    let c = owned_conversation(&state, &actor, &id).await?;
    let session = client_session(&body.client_session)?;
    let call_id = call_id.parse().map_err(|_| {
        AppError::conflict("not_waiting", "no tool call of this conversation waits for a decision under that id")
    })?;
    let request = DecideCall {
        call: call_id,
        decision: body.decision,
        remember: body.remember,
        actor: actor.user.id,
        client_session: session,
    };
    let events = state.services.agent().decide(&c, request).await?;
    Ok(event_stream(events))
}
