use axum::extract::{Path, State};

use crate::auth::Actor;
use crate::error::ApiResult;
use crate::json::Json;
use crate::routes::parse_id;
use crate::state::AppState;
use crate::views_connectors::{AccessView, ConnectorView};

/// Share a published app with everyone, or with these groups. Takes effect on
/// the next call, on every replica. Owners and admins.
#[utoipa::path(put, path = "/api/v1/connectors/{id}/access", tag = "governance", params(("id" = Uuid, Path)),
    request_body = AccessView, security(("session" = []), ("token" = [])), responses(
    (status = 200, body = ConnectorView),
    (status = 403),
    (status = 404),
    (status = 409, description = "not published"),
    (status = 422, description = "an unknown group"),
))]
pub(crate) async fn update_access(
    State(state): State<AppState>,
    actor: Actor,
    Path(id): Path<String>,
    Json(body): Json<AccessView>,
) -> ApiResult<Json<ConnectorView>> {
    let app = state.services.connectors().set_access(&actor.user, parse_id(&id, "connector")?, body.into()).await?;
    Ok(Json(ConnectorView::new(&app.connector, app.tools.len(), true)))
}
