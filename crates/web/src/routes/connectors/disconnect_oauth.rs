use axum::extract::{Path, State};
use axum::http::StatusCode;

use crate::auth::Actor;
use crate::error::ApiResult;
use crate::routes::parse_id;
use crate::state::AppState;

/// Disconnect your account from an OAuth app: the token is revoked where the
/// authorization server offers revocation (RFC 7009), then deleted.
#[utoipa::path(delete, path = "/api/v1/connectors/{id}/oauth", tag = "connectors", params(("id" = Uuid, Path)),
    security(("session" = []), ("token" = [])), responses(
    (status = 204, description = "disconnected (or was not connected)"),
    (status = 404),
    (status = 409, description = "the app does not use OAuth"),
))]
pub(crate) async fn disconnect_oauth(
    State(state): State<AppState>,
    actor: Actor,
    Path(id): Path<String>,
) -> ApiResult<StatusCode> {
    state.services.connectors().oauth_disconnect(&actor.user, parse_id(&id, "connector")?).await?;
    Ok(StatusCode::NO_CONTENT)
}
