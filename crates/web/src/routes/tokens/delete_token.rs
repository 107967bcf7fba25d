use axum::extract::{Path, State};
use axum::http::StatusCode;

use crate::auth::Actor;
use crate::error::ApiResult;
use crate::state::AppState;

/// Revoke one of the signed-in user's tokens.
#[utoipa::path(delete, path = "/api/v1/tokens/{id}", tag = "tokens", params(("id" = Uuid, Path)),
    security(("session" = []), ("token" = [])), responses(
    (status = 204, description = "revoked"),
    (status = 404, description = "no such token of yours"),
))]
pub(crate) async fn delete_token(
    State(state): State<AppState>,
    actor: Actor,
    Path(id): Path<String>,
) -> ApiResult<StatusCode> {
    state.services.accounts().revoke_token(&actor.user, &id).await?;
    Ok(StatusCode::NO_CONTENT)
}
