use axum::extract::{Path, State};
use serde_json::Value;
use switchboard_mcp::{CancelReason, Exchanged, UpstreamOutcome};
use switchboard_service::HandCall;

use crate::auth::Actor;
use crate::error::ApiResult;
use crate::json::Json;
use crate::routes::parse_id;
use crate::state::AppState;
use crate::views_connectors::{CallTaskView, CallToolRequest, CallToolView};

/// Call one action by hand (the playground). Arguments are checked against the
/// tool's `inputSchema` first; a disabled action is refused.
#[utoipa::path(post, path = "/api/v1/connectors/{id}/tools/{name}/call", tag = "connectors",
    params(("id" = Uuid, Path), ("name" = String, Path)), request_body = CallToolRequest,
    security(("session" = []), ("token" = [])), responses(
    (status = 200, body = CallToolView),
    (status = 404),
    (status = 409, description = "the action is turned off"),
    (status = 422, description = "the arguments do not match the schema (`details.errors`)"),
    (status = 502, description = "the server failed"),
))]
pub(crate) async fn call_tool(
    State(state): State<AppState>,
    actor: Actor,
    Path((id, name)): Path<(String, String)>,
    Json(body): Json<CallToolRequest>,
) -> ApiResult<Json<CallToolView>> {
    let call = HandCall { connector: parse_id(&id, "connector")?, tool: &name, arguments: body.arguments };
    let outcome = state.services.connectors().call_by_hand(&actor.user, call).await?;
    Ok(Json(call_view(outcome)))
}

pub(crate) fn call_view(outcome: UpstreamOutcome) -> CallToolView {
    let exchange = exchange_view(&outcome.exchange);
    CallToolView {
        is_error: outcome.result["isError"] == true,
        result: outcome.result,
        truncated: outcome.truncated,
        bytes: outcome.bytes,
        latency_ms: outcome.latency.as_secs_f64() * 1000.0,
        exchange,
        task: outcome.task.map(|t| CallTaskView {
            task_id: t.task.task_id,
            status: t.status,
            cancelled_by: t.cancelled_by.map(|c| match c {
                CancelReason::Stopped => "stop",
                CancelReason::Deadline => "deadline",
            }),
        }),
    }
}

/// Every message of the call, in the order it crossed, as `{direction, message}`.
fn exchange_view(messages: &[Exchanged]) -> Value {
    serde_json::to_value(messages).unwrap_or_default()
}
