use axum::extract::{Path, State};

use crate::auth::Actor;
use crate::error::ApiResult;
use crate::json::Json;
use crate::routes::parse_id;
use crate::state::AppState;
use crate::views_governance::ChangeView;

/// The change sets refreshes of a published app recorded, newest first (at most
/// 100). Owners and admins.
#[utoipa::path(get, path = "/api/v1/connectors/{id}/changes", tag = "governance", params(("id" = Uuid, Path)),
    security(("session" = []), ("token" = [])), responses(
    (status = 200, body = Vec<ChangeView>),
    (status = 403),
    (status = 404),
))]
pub(crate) async fn list_changes(
    State(state): State<AppState>,
    actor: Actor,
    Path(id): Path<String>,
) -> ApiResult<Json<Vec<ChangeView>>> {
    let changes = state.services.connectors().changes(&actor.user, parse_id(&id, "connector")?).await?;
    Ok(Json(changes.iter().map(ChangeView::from).collect()))
}
