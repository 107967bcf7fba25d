use axum::extract::State;

use crate::auth::Actor;
use crate::error::ApiResult;
use crate::json::Json;
use crate::routes::me::me_view;
use crate::state::AppState;
use crate::views::{DeveloperModeRequest, MeView};

/// Turn one's own developer mode on or off (Settings → Apps & Connectors → Advanced).
///
/// Turning it on needs the workspace policy to allow this user; turning it off is always allowed.
#[utoipa::path(put, path = "/api/v1/me/developer-mode", tag = "me", request_body = DeveloperModeRequest,
    security(("session" = []), ("token" = [])), responses(
    (status = 200, body = MeView),
    (status = 403, description = "the workspace policy does not allow developer mode for this user"),
))]
pub(crate) async fn set_developer_mode(
    State(state): State<AppState>,
    actor: Actor,
    Json(body): Json<DeveloperModeRequest>,
) -> ApiResult<Json<MeView>> {
    let user = state.services.accounts().set_developer_mode(&actor.user, body.enabled).await?;
    Ok(Json(me_view(&state, &user).await?))
}
