use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::http::header::{CACHE_CONTROL, LOCATION};
use axum::response::{IntoResponse, Response};
use serde::Deserialize;
use switchboard_service::FlowOwner;
use utoipa::IntoParams;

use crate::auth::{Actor, Via};
use crate::error::ApiResult;
use crate::query::Query;
use crate::routes::parse_id;
use crate::state::AppState;

/// What a connection is for.
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub(crate) struct StartQuery {
    /// Scopes the server asked for when it refused a call (403
    /// `insufficient_scope`): they are asked for with those granted before, as a
    /// step-up. The `connect_url` of such an `auth_required` answer carries it.
    scope: Option<String>,
    /// The page to come back to after the callback: a path of this site's chat or
    /// app pages (say `/chat?c={conversation}`); the app's page when absent.
    return_to: Option<String>,
}

/// Start connecting your account to an OAuth app: discovery, client registration
/// when needed, PKCE S256 and a single-use state bound to you (and this browser
/// session), valid 10 minutes. Answers 302 to the authorization server, which
/// sends the browser back to `/oauth/callback`, and that to `return_to`.
#[utoipa::path(get, path = "/api/v1/connectors/{id}/oauth/start", tag = "connectors",
    params(("id" = Uuid, Path), StartQuery),
    security(("session" = []), ("token" = [])), responses(
    (status = 302, description = "to the authorization server"),
    (status = 404),
    (status = 409, description = "the app does not use OAuth"),
    (status = 422, description = "discovery, registration or PKCE is not possible, or return_to is not a page of this site; the detail says why"),
))]
pub(crate) async fn start_oauth(
    State(state): State<AppState>,
    actor: Actor,
    Path(id): Path<String>,
    Query(query): Query<StartQuery>,
) -> ApiResult<Response> {
    let session_digest = match &actor.via {
        Via::Session { digest } => Some(digest.as_str()),
        Via::Token => None,
    };
    let owner = FlowOwner { user: &actor.user, session_digest };
    let (id, connectors) = (parse_id(&id, "connector")?, state.services.connectors());
    let back = query.return_to.as_deref();
    let url = match query.scope.as_deref() {
        Some(scope) => connectors.oauth_step_up(owner, id, scope, back).await?,
        None => connectors.oauth_start(owner, id, back).await?,
    };
    Ok((StatusCode::FOUND, [(LOCATION, url.to_string()), (CACHE_CONTROL, "no-store".to_owned())]).into_response())
}
