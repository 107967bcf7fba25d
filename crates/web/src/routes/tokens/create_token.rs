use std::time::Duration;

use axum::extract::State;
use axum::http::StatusCode;
use switchboard_core::Action;
use switchboard_core::credentials::{new_api_token, token_digest};
use switchboard_store::NewApiToken;
use time::OffsetDateTime;

use crate::auth::Actor;
use crate::error::{ApiResult, AppError};
use crate::json::Json;
use crate::state::AppState;
use crate::views::{CreateTokenRequest, CreatedTokenView, TokenView, parse_name};

/// Create a personal API token. The token is in this response only.
#[utoipa::path(post, path = "/api/v1/tokens", tag = "tokens", request_body = CreateTokenRequest,
    security(("session" = []), ("token" = [])), responses(
    (status = 201, body = CreatedTokenView),
    (status = 422, description = "invalid name or expiry", body = crate::error::Problem),
))]
pub(crate) async fn create_token(
    State(state): State<AppState>,
    actor: Actor,
    Json(body): Json<CreateTokenRequest>,
) -> ApiResult<(StatusCode, Json<CreatedTokenView>)> {
    actor.require(Action::ManageOwnTokens)?;
    let name = parse_name(&body.name, "token name", 100)?;
    let expires_at = match body.expires_in_days {
        None => None,
        Some(days @ 1..=3650) => Some(OffsetDateTime::now_utc() + Duration::from_secs(u64::from(days) * 86_400)),
        Some(_) => return Err(AppError::invalid("expires_in_days must be between 1 and 3650")),
    };
    let secret = new_api_token();
    let hint = secret.expose()[secret.expose().len() - 4..].to_owned();
    let token = state
        .store
        .create_api_token(NewApiToken { user_id: actor.user.id, name, digest: token_digest(&secret), hint, expires_at })
        .await?;
    tracing::info!(user = %actor.user.id, token = %token.id, "api token created");
    Ok((
        StatusCode::CREATED,
        Json(CreatedTokenView { token: secret.expose().to_owned(), info: TokenView::from(&token) }),
    ))
}
