use axum::extract::{Path, State};
use switchboard_core::conversation::Decision;

use crate::auth::Actor;
use crate::error::ApiResult;
use crate::json::Json;
use crate::routes::parse_id;
use crate::state::AppState;
use crate::views_widgets::{WidgetCallView, WidgetDecisionRequest};

/// Approve or deny a widget's write that waits. Decided once; an approved call is
/// sent before this answers, and only if its tool is still the definition it was
/// asked with.
#[utoipa::path(post, path = "/api/v1/conversations/{id}/widget-calls/{widget_call_id}/decision", tag = "widgets",
    params(("id" = Uuid, Path), ("widget_call_id" = Uuid, Path)), request_body = WidgetDecisionRequest,
    security(("session" = []), ("token" = [])), responses(
    (status = 200, description = "the call as decided (and, when approved, sent)", body = WidgetCallView),
    (status = 404, description = "no such conversation or widget call, or not the caller's"),
    (status = 409, description = "the call does not wait for a decision"),
))]
pub(crate) async fn decide_widget_call(
    State(state): State<AppState>,
    actor: Actor,
    Path((id, widget_call_id)): Path<(String, String)>,
    Json(body): Json<WidgetDecisionRequest>,
) -> ApiResult<Json<WidgetCallView>> {
    let conversation = parse_id(&id, "conversation")?;
    let call = parse_id(&widget_call_id, "widget call")?;
    let approve = body.decision == Decision::Approve;
    let decided = state.services.widgets().decide(&actor.user, conversation, call, approve).await?;
    Ok(Json((&decided).into()))
}
