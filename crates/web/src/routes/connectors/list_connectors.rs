use axum::extract::State;

use crate::auth::Actor;
use crate::error::ApiResult;
use crate::json::Json;
use crate::state::AppState;
use crate::views_connectors::ConnectorView;

/// The connectors the signed-in user may see: their own drafts in developer
/// mode, the published apps shared with them; all, for owners and admins.
#[utoipa::path(get, path = "/api/v1/connectors", tag = "connectors", security(("session" = []), ("token" = [])),
    responses((status = 200, body = Vec<ConnectorView>)))]
pub(crate) async fn list_connectors(
    State(state): State<AppState>,
    actor: Actor,
) -> ApiResult<Json<Vec<ConnectorView>>> {
    let visible = state.services.connectors().visible(&actor.user).await?;
    Ok(Json(visible.iter().map(|(c, standing)| ConnectorView::for_viewer(c, *standing)).collect()))
}
