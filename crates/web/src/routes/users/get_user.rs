use axum::extract::{Path, State};

use crate::auth::Actor;
use crate::error::ApiResult;
use crate::json::Json;
use crate::state::AppState;
use crate::views::UserView;

/// One user.
#[utoipa::path(get, path = "/api/v1/users/{id}", tag = "users", params(("id" = Uuid, Path)),
    security(("session" = []), ("token" = [])), responses(
    (status = 200, body = UserView),
    (status = 404),
))]
pub(crate) async fn get_user(
    State(state): State<AppState>,
    actor: Actor,
    Path(id): Path<String>,
) -> ApiResult<Json<UserView>> {
    Ok(Json(UserView::from(&state.services.accounts().user(&actor.user, &id).await?)))
}
