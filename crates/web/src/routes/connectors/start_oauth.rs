use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::http::header::{CACHE_CONTROL, LOCATION};
use axum::response::{IntoResponse, Response};
use switchboard_service::FlowOwner;

use crate::auth::{Actor, Via};
use crate::error::ApiResult;
use crate::routes::parse_id;
use crate::state::AppState;

/// Start connecting your account to an OAuth app: discovery, client registration
/// when needed, PKCE S256 and a single-use state bound to you (and this browser
/// session), valid 10 minutes. Answers 302 to the authorization server, which
/// sends the browser back to `/oauth/callback`.
#[utoipa::path(get, path = "/api/v1/connectors/{id}/oauth/start", tag = "connectors", params(("id" = Uuid, Path)),
    security(("session" = []), ("token" = [])), responses(
    (status = 302, description = "to the authorization server"),
    (status = 404),
    (status = 409, description = "the app does not use OAuth"),
    (status = 422, description = "discovery, registration or PKCE is not possible; the detail says why"),
))]
pub(crate) async fn start_oauth(
    State(state): State<AppState>,
    actor: Actor,
    Path(id): Path<String>,
) -> ApiResult<Response> {
    let session_digest = match &actor.via {
        Via::Session { digest } => Some(digest.as_str()),
        Via::Token => None,
    };
    let owner = FlowOwner { user: &actor.user, session_digest };
    let url = state.services.connectors().oauth_start(owner, parse_id(&id, "connector")?).await?;
    Ok((StatusCode::FOUND, [(LOCATION, url.to_string()), (CACHE_CONTROL, "no-store".to_owned())]).into_response())
}
