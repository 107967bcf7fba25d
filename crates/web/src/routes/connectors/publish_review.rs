use axum::extract::{Path, State};

use crate::auth::Actor;
use crate::error::ApiResult;
use crate::json::Json;
use crate::routes::parse_id;
use crate::state::AppState;
use crate::views_governance::PublishReviewView;

/// The safety review before publishing: every action with its classification,
/// risk badges, description, schema and plain-language warnings. Owners and admins.
#[utoipa::path(get, path = "/api/v1/connectors/{id}/publish-review", tag = "governance", params(("id" = Uuid, Path)),
    security(("session" = []), ("token" = [])), responses(
    (status = 200, body = PublishReviewView),
    (status = 403),
    (status = 404),
))]
pub(crate) async fn publish_review(
    State(state): State<AppState>,
    actor: Actor,
    Path(id): Path<String>,
) -> ApiResult<Json<PublishReviewView>> {
    let review = state.services.connectors().publish_review(&actor.user, parse_id(&id, "connector")?).await?;
    Ok(Json(PublishReviewView::new(&review)))
}
