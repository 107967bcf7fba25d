use axum::extract::{Path, State};

use crate::auth::Actor;
use crate::error::ApiResult;
use crate::json::Json;
use crate::routes::parse_id;
use crate::state::AppState;
use crate::views_elicitations::{AnswerElicitationRequest, ElicitationView};

/// Answer a request for input of the caller's own call by hand (the playground):
/// accept (a form with its values, checked against its schema), decline or cancel.
#[utoipa::path(post, path = "/api/v1/connectors/{id}/elicitations/{elicitation_id}", tag = "connectors",
    params(("id" = Uuid, Path), ("elicitation_id" = Uuid, Path)), request_body = AnswerElicitationRequest,
    security(("session" = []), ("token" = [])), responses(
    (status = 200, description = "the request as answered", body = ElicitationView),
    (status = 404, description = "no such app or request, or not the caller's"),
    (status = 409, description = "the request was already answered"),
))]
pub(crate) async fn answer_playground_elicitation(
    State(state): State<AppState>,
    actor: Actor,
    Path((id, elicitation_id)): Path<(String, String)>,
    Json(body): Json<AnswerElicitationRequest>,
) -> ApiResult<Json<ElicitationView>> {
    let connector = parse_id(&id, "connector")?;
    let elicitation = parse_id(&elicitation_id, "elicitation")?;
    let answered =
        state.services.connectors().answer_hand_ask(&actor.user, connector, elicitation, body.answer()).await?;
    Ok(Json(ElicitationView::from(&answered)))
}
