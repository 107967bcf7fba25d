use axum::extract::{Path, State};
use axum::http::StatusCode;

use crate::auth::Actor;
use crate::error::ApiResult;
use crate::routes::parse_id;
use crate::state::AppState;

/// Delete a connector and its catalog.
#[utoipa::path(delete, path = "/api/v1/connectors/{id}", tag = "connectors", params(("id" = Uuid, Path)),
    security(("session" = []), ("token" = [])), responses(
    (status = 204, description = "deleted"),
    (status = 404),
))]
pub(crate) async fn delete_connector(
    State(state): State<AppState>,
    actor: Actor,
    Path(id): Path<String>,
) -> ApiResult<StatusCode> {
    state.services.connectors().delete(&actor.user, parse_id(&id, "connector")?).await?;
    Ok(StatusCode::NO_CONTENT)
}
