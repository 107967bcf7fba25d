use axum::extract::{Path, State};
use axum::http::StatusCode;
use switchboard_core::{Action, TokenId};

use crate::auth::Actor;
use crate::error::ApiResult;
use crate::routes::parse_id;
use crate::state::AppState;

/// Revoke one of the signed-in user's tokens.
#[utoipa::path(delete, path = "/api/v1/tokens/{id}", tag = "tokens", params(("id" = Uuid, Path)),
    security(("session" = []), ("token" = [])), responses(
    (status = 204, description = "revoked"),
    (status = 404, description = "no such token of yours", body = crate::error::Problem),
))]
pub(crate) async fn delete_token(
    State(state): State<AppState>,
    actor: Actor,
    Path(id): Path<String>,
) -> ApiResult<StatusCode> {
    actor.require(Action::ManageOwnTokens)?;
    let id: TokenId = parse_id(&id, "token")?;
    state.store.delete_api_token(actor.user.id, id).await?;
    tracing::info!(user = %actor.user.id, token = %id, "api token revoked");
    Ok(StatusCode::NO_CONTENT)
}
