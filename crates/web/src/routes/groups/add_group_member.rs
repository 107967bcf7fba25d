use axum::extract::{Path, State};
use axum::http::StatusCode;

use crate::auth::Actor;
use crate::error::ApiResult;
use crate::json::Json;
use crate::state::AppState;
use crate::views::{AddMemberRequest, GroupDetailView};

/// Add a user, by email, to a group.
#[utoipa::path(post, path = "/api/v1/groups/{id}/members", tag = "groups", params(("id" = Uuid, Path)),
    request_body = AddMemberRequest, security(("session" = []), ("token" = [])), responses(
    (status = 201, body = GroupDetailView),
    (status = 404, description = "no such group or user"),
    (status = 409, description = "already a member"),
))]
pub(crate) async fn add_group_member(
    State(state): State<AppState>,
    actor: Actor,
    Path(id): Path<String>,
    Json(body): Json<AddMemberRequest>,
) -> ApiResult<(StatusCode, Json<GroupDetailView>)> {
    let group = state.services.accounts().add_group_member(&actor.user, &id, &body.email).await?;
    Ok((StatusCode::CREATED, Json(GroupDetailView::from(&group))))
}
