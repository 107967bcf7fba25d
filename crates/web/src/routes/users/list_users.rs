use axum::extract::State;

use crate::auth::Actor;
use crate::error::ApiResult;
use crate::json::Json;
use crate::state::AppState;
use crate::views::UserView;

/// Every user of the workspace.
#[utoipa::path(get, path = "/api/v1/users", tag = "users", security(("session" = []), ("token" = [])), responses(
    (status = 200, body = Vec<UserView>),
    (status = 403, description = "members may not list users"),
))]
pub(crate) async fn list_users(State(state): State<AppState>, actor: Actor) -> ApiResult<Json<Vec<UserView>>> {
    let users = state.services.accounts().users(&actor.user).await?;
    Ok(Json(users.iter().map(UserView::from).collect()))
}
