use axum::extract::{Path, State};

use crate::auth::Actor;
use crate::error::ApiResult;
use crate::json::Json;
use crate::routes::parse_id;
use crate::state::AppState;
use crate::views_elicitations::ElicitationView;

/// The requests for input that the caller's calls by hand (the playground) to this
/// app wait on. The playground asks while its call runs; nothing here is stored.
#[utoipa::path(get, path = "/api/v1/connectors/{id}/elicitations", tag = "connectors", params(("id" = Uuid, Path)),
    security(("session" = []), ("token" = [])),
    responses((status = 200, body = Vec<ElicitationView>), (status = 404)))]
pub(crate) async fn list_playground_elicitations(
    State(state): State<AppState>,
    actor: Actor,
    Path(id): Path<String>,
) -> ApiResult<Json<Vec<ElicitationView>>> {
    let asks = state.services.connectors().hand_asks(&actor.user, parse_id(&id, "connector")?).await?;
    Ok(Json(asks.iter().map(ElicitationView::from).collect()))
}
