use axum::extract::{Path, State};
use axum::http::StatusCode;
use switchboard_core::conversation::CallStatus;

use super::ids;
use crate::auth::Actor;
use crate::error::ApiResult;
use crate::json::Json;
use crate::state::AppState;
use crate::views_widgets::{WidgetCallRequest, WidgetCallView};

/// Call a tool for the widget of a tool call: a tool of the widget's own app,
/// turned on, that the app lets its widgets call, offered in the conversation's
/// mode, with arguments that fit its `inputSchema`. A read runs at once (200); a
/// write is recorded and waits for the owner's decision (202), whatever the
/// widget asked.
#[utoipa::path(post, path = "/api/v1/conversations/{id}/tool-calls/{call_id}/widget/calls", tag = "widgets",
    params(("id" = Uuid, Path), ("call_id" = Uuid, Path, description = "the call whose widget asks")),
    request_body = WidgetCallRequest, security(("session" = []), ("token" = [])), responses(
    (status = 200, description = "the call ran (its result may be an error)", body = WidgetCallView),
    (status = 202, description = "a write, waiting for the owner's decision", body = WidgetCallView),
    (status = 403, description = "the app keeps this tool from widgets, or the conversation is read-only"),
    (status = 404, description = "no such conversation, call, widget or tool of the widget's app"),
    (status = 409, description = "the tool is turned off"),
    (status = 422, description = "the arguments do not match the tool's schema"),
))]
pub(crate) async fn call_widget_tool(
    State(state): State<AppState>,
    actor: Actor,
    Path((id, call_id)): Path<(String, String)>,
    Json(body): Json<WidgetCallRequest>,
) -> ApiResult<(StatusCode, Json<WidgetCallView>)> {
    let (conversation, call) = ids(&id, &call_id)?;
    let made = state.services.widgets().call(&actor.user, conversation, call, &body.name, body.arguments).await?;
    let status = if made.status == CallStatus::AwaitingApproval { StatusCode::ACCEPTED } else { StatusCode::OK };
    Ok((status, Json((&made).into())))
}
