use axum::extract::State;

use crate::auth::Actor;
use crate::error::ApiResult;
use crate::json::Json;
use crate::state::AppState;
use crate::views_governance::ChangeView;

/// Every change set awaiting review in the workspace, newest first: what the
/// servers of published apps changed since their definitions were pinned.
/// Owners and admins.
#[utoipa::path(get, path = "/api/v1/workspace/changes", tag = "governance",
    security(("session" = []), ("token" = [])), responses(
    (status = 200, body = Vec<ChangeView>),
    (status = 403),
))]
pub(crate) async fn list_pending_changes(
    State(state): State<AppState>,
    actor: Actor,
) -> ApiResult<Json<Vec<ChangeView>>> {
    let changes = state.services.connectors().pending_changes(&actor.user).await?;
    Ok(Json(changes.iter().map(ChangeView::from).collect()))
}
