use axum::extract::{Path, State};
use switchboard_core::{Action, GroupId};

use crate::auth::Actor;
use crate::error::ApiResult;
use crate::json::Json;
use crate::routes::parse_id;
use crate::state::AppState;
use crate::views::GroupDetailView;

/// One group with its members.
#[utoipa::path(get, path = "/api/v1/groups/{id}", tag = "groups", params(("id" = Uuid, Path)),
    security(("session" = []), ("token" = [])), responses(
    (status = 200, body = GroupDetailView),
    (status = 404),
))]
pub(crate) async fn get_group(
    State(state): State<AppState>,
    actor: Actor,
    Path(id): Path<String>,
) -> ApiResult<Json<GroupDetailView>> {
    actor.require(Action::ViewGroups)?;
    let id: GroupId = parse_id(&id, "group")?;
    Ok(Json(GroupDetailView::from(&state.store.group(id).await?)))
}
