use axum::extract::{Path, State};

use crate::auth::Actor;
use crate::error::ApiResult;
use crate::json::Json;
use crate::routes::parse_id;
use crate::state::AppState;
use crate::views_governance::ChangeView;

/// Reject a pending change set: the pinned definitions stay in force, and the
/// same listing is not asked about again. Owners and admins.
#[utoipa::path(post, path = "/api/v1/connectors/{id}/changes/{change_id}/reject", tag = "governance",
    params(("id" = Uuid, Path), ("change_id" = Uuid, Path)), security(("session" = []), ("token" = [])), responses(
    (status = 200, body = ChangeView),
    (status = 403),
    (status = 404, description = "no such change set of this app"),
    (status = 409, description = "already decided, or replaced by a later refresh"),
))]
pub(crate) async fn reject_change(
    State(state): State<AppState>,
    actor: Actor,
    Path((id, change)): Path<(String, String)>,
) -> ApiResult<Json<ChangeView>> {
    let (id, change) = (parse_id(&id, "connector")?, parse_id(&change, "change")?);
    let rejected = state.services.connectors().reject_change(&actor.user, id, change).await?;
    Ok(Json(ChangeView::from(&rejected)))
}
