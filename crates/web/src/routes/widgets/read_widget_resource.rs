use axum::extract::{Path, State};
use serde_json::Value;

use super::ids;
use crate::auth::Actor;
use crate::error::ApiResult;
use crate::json::Json;
use crate::state::AppState;
use crate::views_widgets::WidgetResourceRequest;

/// Read a resource of the widget's own app (its `resources/read`), through the
/// owner's session with the app: the `ReadResourceResult` (`contents`).
#[utoipa::path(post, path = "/api/v1/conversations/{id}/tool-calls/{call_id}/widget/resources/read",
    tag = "widgets", params(("id" = Uuid, Path), ("call_id" = Uuid, Path, description = "the call whose widget asks")),
    request_body = WidgetResourceRequest, security(("session" = []), ("token" = [])), responses(
    (status = 200, description = "`{contents: [...]}`", body = Object),
    (status = 404, description = "no such conversation, call or widget"),
    (status = 502, description = "the server failed"),
))]
pub(crate) async fn read_widget_resource(
    State(state): State<AppState>,
    actor: Actor,
    Path((id, call_id)): Path<(String, String)>,
    Json(body): Json<WidgetResourceRequest>,
) -> ApiResult<Json<Value>> {
    let (conversation, call) = ids(&id, &call_id)?;
    Ok(Json(state.services.widgets().read_resource(&actor.user, conversation, call, &body.uri).await?))
}
