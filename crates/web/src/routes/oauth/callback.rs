use axum::extract::State;
use axum::http::StatusCode;
use axum::http::header::{CACHE_CONTROL, LOCATION};
use axum::response::{IntoResponse, Response};
use serde::Deserialize;
use switchboard_core::SecretString;
use switchboard_service::{FlowFailure, FlowFinished, FlowOwner, OAuthCallback};
use utoipa::IntoParams;

use crate::auth::{Actor, Via};
use crate::error::{ApiResult, AppError};
use crate::query::Query;
use crate::state::AppState;

/// What an authorization server appends to the redirect URI.
#[derive(Debug, Deserialize, IntoParams)]
pub(crate) struct CallbackQuery {
    state: Option<String>,
    code: Option<String>,
    /// RFC 9207: the issuer that answered.
    iss: Option<String>,
    error: Option<String>,
    error_description: Option<String>,
}

/// The end of an authorization: the state must be one you started in this
/// browser session, unused and less than 10 minutes old; `iss` must name the
/// issuer (RFC 9207). The code is exchanged (with the PKCE verifier and the
/// resource indicator) and the tokens stored encrypted. Answers 302 to the page
/// the connection started from (the `return_to` of the start, else the app's
/// page) with `oauth=connected` and `app`, or with `oauth_error` (a code) and
/// `oauth_message`; a state that names nothing of yours is a 400.
#[utoipa::path(get, path = "/oauth/callback", tag = "connectors", params(CallbackQuery),
    security(("session" = []), ("token" = [])), responses(
    (status = 302, description = "back to where the connection started, with the outcome in the query"),
    (status = 400, description = "the state is unknown, used, expired or someone else's"),
))]
pub(crate) async fn oauth_callback(
    State(state): State<AppState>,
    actor: Actor,
    Query(query): Query<CallbackQuery>,
) -> ApiResult<Response> {
    let Some(flow_state) = query.state.filter(|s| !s.is_empty()) else {
        return Err(AppError::new(StatusCode::BAD_REQUEST, "oauth_state_invalid", "the callback has no state"));
    };
    let session_digest = match &actor.via {
        Via::Session { digest } => Some(digest.as_str()),
        Via::Token => None,
    };
    let callback = OAuthCallback {
        state: SecretString::new(flow_state),
        code: query.code.map(SecretString::new),
        iss: query.iss,
        error: query.error,
        error_description: query.error_description,
    };
    let owner = FlowOwner { user: &actor.user, session_digest };
    match state.services.connectors().oauth_finish(owner, callback).await {
        Ok(FlowFinished { connector, return_to }) => {
            Ok(back_to(&page(connector, return_to.as_deref(), vec![("oauth", "connected".to_owned())])))
        }
        Err(FlowFailure { connector: Some(id), error, return_to }) => {
            let problem = AppError::from(error);
            let (code, message) = problem.code_and_detail();
            tracing::info!(connector = %id, code, "oauth callback refused");
            let outcome = vec![("oauth_error", code.to_owned()), ("oauth_message", message)];
            Ok(back_to(&page(id, return_to.as_deref(), outcome)))
        }
        Err(FlowFailure { connector: None, error, .. }) => {
            let problem = AppError::from(error);
            let (code, message) = problem.code_and_detail();
            Err(AppError::new(StatusCode::BAD_REQUEST, code, message))
        }
    }
}

/// `return_to` (checked when the flow started) with `outcome` and the app named in
/// its query, else the app's page with `outcome`.
fn page(connector: switchboard_core::ConnectorId, return_to: Option<&str>, mut outcome: Vec<(&str, String)>) -> String {
    let base = match return_to {
        Some(path) => {
            outcome.push(("app", connector.to_string()));
            path.to_owned()
        }
        None => format!("/settings/apps/{connector}"),
    };
    let mut query = url::form_urlencoded::Serializer::new(String::new());
    for (name, value) in &outcome {
        query.append_pair(name, value);
    }
    let joiner = if base.contains('?') { '&' } else { '?' };
    format!("{base}{joiner}{}", query.finish())
}

fn back_to(location: &str) -> Response {
    (StatusCode::FOUND, [(LOCATION, location.to_owned()), (CACHE_CONTROL, "no-store".to_owned())]).into_response()
}
