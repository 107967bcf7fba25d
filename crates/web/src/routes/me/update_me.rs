use axum::extract::State;
use serde_json::json;
use switchboard_core::AuditKind;

use crate::auth::Actor;
use crate::error::ApiResult;
use crate::json::Json;
use crate::routes::audit_change;
use crate::routes::me::me_view;
use crate::state::AppState;
use crate::views::{MeView, UpdateMeRequest, parse_name};

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
    let name = parse_name(&body.name, "name", 100)?;
    let mut user = actor.user.clone();
    if name != user.name {
        let before = std::mem::take(&mut user.name);
        user = state.store.set_user_name(user.id, &name).await?;
        let who = json!({"id": user.id, "email": user.email.as_str()});
        audit_change(&state, &actor, AuditKind::UserRenamed, json!({"user": who, "from": before, "to": user.name}))
            .await?;
        tracing::info!(user = %user.id, "renamed themselves");
    }
    Ok(Json(me_view(&state, &user).await?))
}
