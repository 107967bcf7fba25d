use axum::extract::State;
use axum::http::StatusCode;

use crate::auth::Actor;
use crate::error::ApiResult;
use crate::json::Json;
use crate::state::AppState;
use crate::views::{CreateTokenRequest, CreatedTokenView, TokenView};

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
    let created = state.services.accounts().create_token(&actor.user, &body.name, body.expires_in_days).await?;
    let view = CreatedTokenView { token: created.secret.expose().to_owned(), info: TokenView::from(&created.token) };
    Ok((StatusCode::CREATED, Json(view)))
}
