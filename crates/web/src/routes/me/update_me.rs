use axum::extract::State;

use crate::auth::Actor;
use crate::error::ApiResult;
use crate::json::Json;
use crate::routes::me::me_view;
use crate::state::AppState;
use crate::views::{MeView, UpdateMeRequest};

/// Change one's own display name (Settings → Account). Any signed-in person may.
#[utoipa::path(patch, path = "/api/v1/me", tag = "me", request_body = UpdateMeRequest,
    security(("session" = []), ("token" = [])), responses(
    (status = 200, body = MeView),
    (status = 401),
    (status = 422, description = "the name is empty or too long"),
))]
pub(crate) async fn update_me(
    State(state): State<AppState>,
    actor: Actor,
    Json(body): Json<UpdateMeRequest>,
) -> ApiResult<Json<MeView>> {
    let user = state.services.accounts().rename_self(&actor.user, &body.name).await?;
    Ok(Json(me_view(&state, &user).await?))
}
