use axum::extract::State;
use switchboard_core::connector;

use super::developer_mode_active;
use crate::auth::Actor;
use crate::error::ApiResult;
use crate::json::Json;
use crate::state::AppState;
use crate::views_connectors::ConnectorView;

/// The connectors the signed-in user may see: their own drafts in developer mode; all, for admins.
#[utoipa::path(get, path = "/api/v1/connectors", tag = "connectors", security(("session" = []), ("token" = [])),
    responses((status = 200, body = Vec<ConnectorView>)))]
pub(crate) async fn list_connectors(
    State(state): State<AppState>,
    actor: Actor,
) -> ApiResult<Json<Vec<ConnectorView>>> {
    let dev = developer_mode_active(&state, &actor).await?;
    let u = &actor.user;
    let mut out = vec![];
    for c in state.store.list_connectors().await? {
        if connector::may_view(u.role, u.id, dev, c.owner_id, c.status) {
            let count = state.store.connector_tools(c.id).await?.len();
            out.push(ConnectorView::new(&c, count));
        }
    }
    Ok(Json(out))
}
