use axum::extract::State;

use crate::auth::Actor;
use crate::error::ApiResult;
use crate::json::Json;
use crate::state::AppState;
use crate::views::GroupView;

/// Every group, with its member count.
#[utoipa::path(get, path = "/api/v1/groups", tag = "groups", security(("session" = []), ("token" = [])), responses(
    (status = 200, body = Vec<GroupView>),
    (status = 403),
))]
pub(crate) async fn list_groups(State(state): State<AppState>, actor: Actor) -> ApiResult<Json<Vec<GroupView>>> {
    Ok(Json(state.services.accounts().groups(&actor.user).await?.iter().map(GroupView::from).collect()))
}
