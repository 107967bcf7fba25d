use axum::extract::{Path, State};
use switchboard_agent::AnswerElicitation;

use super::owned_conversation;
use crate::auth::Actor;
use crate::error::ApiResult;
use crate::json::Json;
use crate::routes::parse_id;
use crate::state::AppState;
use crate::views_elicitations::{AnswerElicitationRequest, ElicitationView};

/// Answer a running call's request for input: accept (a form with its values),
/// decline or cancel.
///
/// Only the conversation's owner answers; to anyone else the conversation is "not
/// found", as on every other conversation route. An accepted form's `content` is
/// checked against the form's schema before anything is sent to the server (422
/// when it does not fit). A request is answered once (409 after).
#[utoipa::path(post, path = "/api/v1/conversations/{id}/elicitations/{elicitation_id}", tag = "conversations",
    params(("id" = Uuid, Path), ("elicitation_id" = Uuid, Path)), request_body = AnswerElicitationRequest,
    security(("session" = []), ("token" = [])), responses(
    (status = 200, description = "the request as answered", body = ElicitationView),
    (status = 404, description = "no such conversation or request, or not the caller's"),
    (status = 409, description = "the request was already answered or has ended"),
))]
pub(crate) async fn answer_elicitation(
    State(state): State<AppState>,
    actor: Actor,
    Path((id, elicitation_id)): Path<(String, String)>,
    Json(body): Json<AnswerElicitationRequest>,
) -> ApiResult<Json<ElicitationView>> {
    let c = owned_conversation(&state, &actor, &id).await?;
    let elicitation = parse_id(&elicitation_id, "elicitation")?;
    let request = AnswerElicitation { elicitation, answer: body.answer(), actor: actor.user.id };
    let answered = state.services.agent().answer_elicitation(&c, request).await?;
    Ok(Json(ElicitationView::from(&answered)))
}
