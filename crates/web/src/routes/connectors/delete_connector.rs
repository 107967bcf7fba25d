use axum::extract::{Path, State};
use axum::http::StatusCode;

use super::connector_for;
use crate::auth::Actor;
use crate::error::ApiResult;
use crate::state::AppState;

/// Delete a connector and its catalog.
#[utoipa::path(delete, path = "/api/v1/connectors/{id}", tag = "connectors", params(("id" = Uuid, Path)),
    security(("session" = []), ("token" = [])), responses(
    (status = 204, description = "deleted"),
    (status = 404, body = crate::error::Problem),
))]
pub(crate) async fn delete_connector(
    State(state): State<AppState>,
    actor: Actor,
    Path(id): Path<String>,
) -> ApiResult<StatusCode> {
    let c = connector_for(&state, &actor, &id).await?;
    state.store.delete_connector(c.id).await?;
    state.sessions.evict(&c.id).await;
    tracing::info!(actor = %actor.user.id, connector = %c.id, "connector deleted");
    Ok(StatusCode::NO_CONTENT)
}
