use axum::extract::State;
use axum::http::StatusCode;
use serde_json::json;
use switchboard_core::credentials::{issue_api_token, token_lifetime};
use switchboard_core::{Action, AuditKind};
use switchboard_store::NewApiToken;
use time::OffsetDateTime;

use crate::auth::Actor;
use crate::error::{ApiResult, AppError};
use crate::json::Json;
use crate::routes::audit_change;
use crate::state::AppState;
use crate::views::{CreateTokenRequest, CreatedTokenView, TokenView, parse_name};

/// Create a personal API token. The token is in this response only.
#[utoipa::path(post, path = "/api/v1/tokens", tag = "tokens", request_body = CreateTokenRequest,
    security(("session" = []), ("token" = [])), responses(
    (status = 201, body = CreatedTokenView),
    (status = 422, description = "invalid name or expiry"),
))]
pub(crate) async fn create_token(
    State(state): State<AppState>,
    actor: Actor,
    Json(body): Json<CreateTokenRequest>,
) -> ApiResult<(StatusCode, Json<CreatedTokenView>)> {
    actor.require(Action::ManageOwnTokens)?;
    let name = parse_name(&body.name, "token name", 100)?;
    let lifetime =
        token_lifetime(body.expires_in_days).map_err(|e| AppError::invalid(format!("expires_in_days: {e}")))?;
    let issued = issue_api_token();
    let new = NewApiToken {
        user_id: actor.user.id,
        name,
        digest: issued.digest,
        hint: issued.hint,
        expires_at: lifetime.map(|l| OffsetDateTime::now_utc() + l),
    };
    let token = state.store.create_api_token(new).await?;
    let secret = issued.secret;
    tracing::info!(user = %actor.user.id, token = %token.id, "api token created");
    // The name and id only: never the token or its digest.
    let expires_at = token.expires_at.and_then(|t| t.format(&time::format_description::well_known::Rfc3339).ok());
    let detail = json!({"token": {"id": token.id, "name": token.name, "expires_at": expires_at}});
    audit_change(&state, &actor, AuditKind::TokenCreated, detail).await?;
    Ok((
        StatusCode::CREATED,
        Json(CreatedTokenView { token: secret.expose().to_owned(), info: TokenView::from(&token) }),
    ))
}
