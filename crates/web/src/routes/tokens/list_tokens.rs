use axum::extract::State;

use crate::auth::Actor;
use crate::error::ApiResult;
use crate::json::Json;
use crate::state::AppState;
use crate::views::TokenView;

/// The signed-in user's API tokens (never the tokens themselves).
#[utoipa::path(get, path = "/api/v1/tokens", tag = "tokens", security(("session" = []), ("token" = [])),
    responses((status = 200, body = Vec<TokenView>)))]
pub(crate) async fn list_tokens(State(state): State<AppState>, actor: Actor) -> ApiResult<Json<Vec<TokenView>>> {
    let tokens = state.services.accounts().tokens(&actor.user).await?;
    Ok(Json(tokens.iter().map(TokenView::from).collect()))
}
