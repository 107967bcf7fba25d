use axum::extract::{Path, State};
use axum::http::StatusCode;

use super::ids;
use crate::auth::Actor;
use crate::error::ApiResult;
use crate::json::Json;
use crate::state::AppState;
use crate::views_widgets::WidgetStateRequest;

/// Keep a widget's state with its message (`window.openai.setWidgetState`); it is
/// handed back to the widget when it renders again. At most 64 KiB of JSON.
#[utoipa::path(put, path = "/api/v1/conversations/{id}/tool-calls/{call_id}/widget/state", tag = "widgets",
    params(("id" = Uuid, Path), ("call_id" = Uuid, Path)), request_body = WidgetStateRequest,
    security(("session" = []), ("token" = [])), responses(
    (status = 204, description = "kept"),
    (status = 404, description = "no such conversation, call or widget"),
    (status = 422, description = "larger than 64 KiB"),
))]
pub(crate) async fn save_widget_state(
    State(state): State<AppState>,
    actor: Actor,
    Path((id, call_id)): Path<(String, String)>,
    Json(body): Json<WidgetStateRequest>,
) -> ApiResult<StatusCode> {
    let (conversation, call) = ids(&id, &call_id)?;
    state.services.widgets().save_state(&actor.user, conversation, call, &body.state).await?;
    Ok(StatusCode::NO_CONTENT)
}
