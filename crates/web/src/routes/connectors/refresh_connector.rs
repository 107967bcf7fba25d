use axum::extract::{Path, State};

use crate::auth::Actor;
use crate::error::ApiResult;
use crate::json::Json;
use crate::routes::parse_id;
use crate::state::AppState;
use crate::views_governance::RefreshView;

/// List the server's tools again and report what changed, field by field. A
/// draft takes the new catalog at once. A published app drops the actions its
/// server no longer lists at once and records the rest as a change set; its
/// pinned definitions stay in force until an admin accepts.
#[utoipa::path(post, path = "/api/v1/connectors/{id}/refresh", tag = "connectors", params(("id" = Uuid, Path)),
    security(("session" = []), ("token" = [])), responses(
    (status = 200, body = RefreshView),
    (status = 403),
    (status = 404),
    (status = 422, description = "the server could not be reached (`details.steps`)"),
))]
pub(crate) async fn refresh_connector(
    State(state): State<AppState>,
    actor: Actor,
    Path(id): Path<String>,
) -> ApiResult<Json<RefreshView>> {
    let refresh = state.services.connectors().refresh(&actor.user, parse_id(&id, "connector")?).await?;
    Ok(Json(RefreshView::from(&refresh)))
}
