use axum::extract::{Path, State};

use crate::auth::Actor;
use crate::error::ApiResult;
use crate::json::Json;
use crate::routes::parse_id;
use crate::state::AppState;
use crate::views_connectors::ConnectorView;

/// One connector.
#[utoipa::path(get, path = "/api/v1/connectors/{id}", tag = "connectors", params(("id" = Uuid, Path)),
    security(("session" = []), ("token" = [])), responses(
    (status = 200, body = ConnectorView),
    (status = 404),
))]
pub(crate) async fn get_connector(
    State(state): State<AppState>,
    actor: Actor,
    Path(id): Path<String>,
) -> ApiResult<Json<ConnectorView>> {
    let (found, standing) = state.services.connectors().opened(&actor.user, parse_id(&id, "connector")?).await?;
    Ok(Json(ConnectorView::for_viewer(&found, standing)))
}
