use axum::extract::{Path, State};
use axum::http::StatusCode;

use super::{client_session, owned_conversation};
use crate::auth::Actor;
use crate::error::ApiResult;
use crate::json::Json;
use crate::routes::parse_id;
use crate::state::AppState;
use crate::views_conversations::ForgetRequest;

/// Revoke a choice remembered for an action in this conversation and page load:
/// its next call asks again.
#[utoipa::path(post, path = "/api/v1/conversations/{id}/remembered/forget", tag = "conversations",
    params(("id" = Uuid, Path)), request_body = ForgetRequest, security(("session" = []), ("token" = [])), responses(
    (status = 204, description = "forgotten"),
    (status = 404, description = "no such conversation, or nothing remembered for that action"),
    (status = 422),
))]
pub(crate) async fn forget_remembered(
    State(state): State<AppState>,
    actor: Actor,
    Path(id): Path<String>,
    Json(body): Json<ForgetRequest>,
) -> ApiResult<StatusCode> {
    let c = owned_conversation(&state, &actor, &id).await?;
    let session = client_session(&body.client_session)?;
    let connector = parse_id(&body.connector_id, "remembered choice")?;
    state.services.agent().forget(&c, connector, &body.tool, session).await?;
    Ok(StatusCode::NO_CONTENT)
}
