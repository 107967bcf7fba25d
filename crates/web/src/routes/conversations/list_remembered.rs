use axum::extract::{Path, State};
use serde::Deserialize;
use utoipa::IntoParams;

use super::{client_session, owned_conversation};
use crate::auth::Actor;
use crate::error::ApiResult;
use crate::json::Json;
use crate::query::Query;
use crate::state::AppState;
use crate::views_conversations::RememberedView;

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub(crate) struct RememberedQuery {
    /// The page load whose remembered choices to list (required).
    client_session: Option<String>,
}

/// The choices "remembered for this conversation" in one page load: the chat
/// shows them in the conversation's header, where they can be revoked.
#[utoipa::path(get, path = "/api/v1/conversations/{id}/remembered", tag = "conversations",
    params(("id" = Uuid, Path), RememberedQuery), security(("session" = []), ("token" = [])), responses(
    (status = 200, body = Vec<RememberedView>),
    (status = 404),
    (status = 422),
))]
pub(crate) async fn list_remembered(
    State(state): State<AppState>,
    actor: Actor,
    Path(id): Path<String>,
    Query(query): Query<RememberedQuery>,
) -> ApiResult<Json<Vec<RememberedView>>> {
    let c = owned_conversation(&state, &actor, &id).await?;
    let session = client_session(query.client_session.as_deref().unwrap_or_default())?;
    let remembered = state.services.agent().remembered(&c, session).await?;
    Ok(Json(remembered.iter().map(Into::into).collect()))
}
