use axum::extract::State;
use axum::http::StatusCode;

use crate::auth::Actor;
use crate::error::ApiResult;
use crate::json::Json;
use crate::state::AppState;
use crate::views::{CreateGroupRequest, GroupView};

/// Create a group.
#[utoipa::path(post, path = "/api/v1/groups", tag = "groups", request_body = CreateGroupRequest,
    security(("session" = []), ("token" = [])), responses(
    (status = 201, body = GroupView),
    (status = 409, description = "a group with this name exists"),
))]
pub(crate) async fn create_group(
    State(state): State<AppState>,
    actor: Actor,
    Json(body): Json<CreateGroupRequest>,
) -> ApiResult<(StatusCode, Json<GroupView>)> {
    let group = state.services.accounts().create_group(&actor.user, &body.name).await?;
    Ok((StatusCode::CREATED, Json(GroupView::from(&group))))
}
