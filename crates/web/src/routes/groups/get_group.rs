use axum::extract::{Path, State};

use crate::auth::Actor;
use crate::error::ApiResult;
use crate::json::Json;
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
    Ok(Json(GroupDetailView::from(&state.services.accounts().group(&actor.user, &id).await?)))
}
