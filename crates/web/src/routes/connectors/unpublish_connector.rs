use axum::extract::{Path, State};

use crate::auth::Actor;
use crate::error::ApiResult;
use crate::json::Json;
use crate::routes::parse_id;
use crate::state::AppState;
use crate::views_connectors::ConnectorView;

/// Take a published app back to a draft: only its creator (in developer mode)
/// and admins see it again. Owners and admins.
#[utoipa::path(post, path = "/api/v1/connectors/{id}/unpublish", tag = "governance", params(("id" = Uuid, Path)),
    security(("session" = []), ("token" = [])), responses(
    (status = 200, body = ConnectorView),
    (status = 403),
    (status = 404),
    (status = 409, description = "not published"),
))]
pub(crate) async fn unpublish_connector(
    State(state): State<AppState>,
    actor: Actor,
    Path(id): Path<String>,
) -> ApiResult<Json<ConnectorView>> {
    let draft = state.services.connectors().unpublish(&actor.user, parse_id(&id, "connector")?).await?;
    Ok(Json(ConnectorView::new(&draft.connector, draft.tools.len(), true)))
}
