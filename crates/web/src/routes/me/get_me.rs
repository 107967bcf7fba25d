use axum::extract::State;

use crate::auth::Actor;
use crate::error::ApiResult;
use crate::json::Json;
use crate::routes::me::me_view;
use crate::state::AppState;
use crate::views::MeView;

/// The signed-in user, their groups and their developer-mode status.
#[utoipa::path(get, path = "/api/v1/me", tag = "me", security(("session" = []), ("token" = [])), responses(
    (status = 200, body = MeView),
    (status = 401, description = "not signed in"),
))]
pub(crate) async fn get_me(State(state): State<AppState>, actor: Actor) -> ApiResult<Json<MeView>> {
    Ok(Json(me_view(&state, &actor.user).await?))
}
