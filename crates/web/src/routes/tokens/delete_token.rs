use axum::extract::{Path, State};
use axum::http::StatusCode;
use serde_json::json;
use switchboard_core::{Action, AuditKind, TokenId};

use crate::auth::Actor;
use crate::error::ApiResult;
use crate::routes::{audit_change, parse_id};
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
    actor.require(Action::ManageOwnTokens)?;
    let id: TokenId = parse_id(&id, "token")?;
    let name = state.store.list_api_tokens(actor.user.id).await?.into_iter().find(|t| t.id == id).map(|t| t.name);
    state.store.delete_api_token(actor.user.id, id).await?;
    tracing::info!(user = %actor.user.id, token = %id, "api token revoked");
    audit_change(&state, &actor, AuditKind::TokenRevoked, json!({"token": {"id": id, "name": name}})).await?;
    Ok(StatusCode::NO_CONTENT)
}
