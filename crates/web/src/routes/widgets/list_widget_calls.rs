use axum::extract::{Path, State};

use crate::auth::Actor;
use crate::error::ApiResult;
use crate::json::Json;
use crate::routes::parse_id;
use crate::state::AppState;
use crate::views_widgets::WidgetCallView;

/// The tool calls widgets made in a conversation, oldest first: those waiting for
/// a decision are shown again after a reload.
#[utoipa::path(get, path = "/api/v1/conversations/{id}/widget-calls", tag = "widgets",
    params(("id" = Uuid, Path)), security(("session" = []), ("token" = [])),
    responses((status = 200, body = Vec<WidgetCallView>), (status = 404)))]
pub(crate) async fn list_widget_calls(
    State(state): State<AppState>,
    actor: Actor,
    Path(id): Path<String>,
) -> ApiResult<Json<Vec<WidgetCallView>>> {
    let calls = state.services.widgets().calls(&actor.user, parse_id(&id, "conversation")?).await?;
    Ok(Json(calls.iter().map(Into::into).collect()))
}
