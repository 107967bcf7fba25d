use axum::extract::State;
use switchboard_core::developer_mode;

use crate::auth::Actor;
use crate::error::{ApiResult, AppError};
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
    let current = me_view(&state, &actor.user).await?;
    if !developer_mode::may_toggle(current.developer_mode.allowed, body.enabled) {
        return Err(AppError::forbidden(
            "developer_mode_not_allowed",
            "the workspace's developer-mode policy does not include you; ask an admin to grant it",
        ));
    }
    let user = state.store.set_developer_mode(actor.user.id, body.enabled).await?;
    tracing::info!(user = %user.id, enabled = body.enabled, "developer mode toggled");
    Ok(Json(me_view(&state, &user).await?))
}
