use axum::extract::{Path, State};
use switchboard_service::PublishRequest;

use crate::auth::Actor;
use crate::error::ApiResult;
use crate::json::Json;
use crate::routes::parse_id;
use crate::state::AppState;
use crate::views_connectors::ConnectorView;
use crate::views_governance::PublishRequestBody;

/// Publish a draft to the workspace: it connects again first (an app that no
/// longer connects is refused with the diagnosis), pins the definitions the
/// server lists now, turns on exactly `enabled_actions` and shares the app with
/// `access`. Owners and admins.
#[utoipa::path(post, path = "/api/v1/connectors/{id}/publish", tag = "governance", params(("id" = Uuid, Path)),
    request_body = PublishRequestBody, security(("session" = []), ("token" = [])), responses(
    (status = 200, body = ConnectorView),
    (status = 403),
    (status = 404),
    (status = 409, description = "already published (or published meanwhile)"),
    (status = 422, description = "an unknown action or group, or the server could not be reached (`details.steps`)"),
))]
pub(crate) async fn publish_connector(
    State(state): State<AppState>,
    actor: Actor,
    Path(id): Path<String>,
    Json(body): Json<PublishRequestBody>,
) -> ApiResult<Json<ConnectorView>> {
    let request = PublishRequest { enabled_actions: body.enabled_actions, access: body.access.into() };
    let published = state.services.connectors().publish(&actor.user, parse_id(&id, "connector")?, request).await?;
    Ok(Json(ConnectorView::new(&published.connector, published.tools.len(), true)))
}
