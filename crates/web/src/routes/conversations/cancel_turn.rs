use axum::extract::{Path, State};
use serde::Serialize;
use utoipa::ToSchema;

use super::owned_conversation;
use crate::auth::Actor;
use crate::error::ApiResult;
use crate::json::Json;
use crate::state::AppState;

#[derive(Debug, Serialize, ToSchema)]
pub(crate) struct CancelView {
    /// `idle` when nothing runs any more; `running` when the turn will stop before
    /// its next step (its stream ends with `done`, reason `cancelled`).
    pub(crate) state: String,
}

/// Cancel the turn: waiting calls are cancelled; a running turn stops before its
/// next step (a call already sent finishes and is recorded).
#[utoipa::path(post, path = "/api/v1/conversations/{id}/cancel", tag = "conversations", params(("id" = Uuid, Path)),
    security(("session" = []), ("token" = [])),
    responses((status = 200, body = CancelView), (status = 404)))]
pub(crate) async fn cancel_turn(
    State(state): State<AppState>,
    actor: Actor,
    Path(id): Path<String>,
) -> ApiResult<Json<CancelView>> {
    let c = owned_conversation(&state, &actor, &id).await?;
    let now = state.services.agent().cancel(&c).await?;
    Ok(Json(CancelView { state: now.as_str().to_owned() }))
}
