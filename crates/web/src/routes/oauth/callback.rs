use axum::extract::State;
use axum::http::StatusCode;
use axum::http::header::{CACHE_CONTROL, LOCATION};
use axum::response::{IntoResponse, Response};
use serde::Deserialize;
use switchboard_core::SecretString;
use switchboard_service::{FlowFailure, FlowOwner, OAuthCallback};
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
/// resource indicator) and the tokens stored encrypted. Answers 302 to the app's
/// page with `oauth=connected`, or with `oauth_error` (a code) and
/// `oauth_message`; a state that names nothing of yours is a 400.
#[utoipa::path(get, path = "/oauth/callback", tag = "connectors", params(CallbackQuery),
    security(("session" = []), ("token" = [])), responses(
    (status = 302, description = "back to the app's page, with the outcome in the query"),
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
        Ok(id) => Ok(back_to(&format!("/settings/apps/{id}?oauth=connected"))),
        Err(FlowFailure { connector: Some(id), error }) => {
            let problem = AppError::from(error);
            let (code, message) = problem.code_and_detail();
            tracing::info!(connector = %id, code, "oauth callback refused");
            let query: String = url::form_urlencoded::Serializer::new(String::new())
                .append_pair("oauth_error", code)
                .append_pair("oauth_message", &message)
                .finish();
            Ok(back_to(&format!("/settings/apps/{id}?{query}")))
        }
        Err(FlowFailure { connector: None, error }) => {
            let problem = AppError::from(error);
            let (code, message) = problem.code_and_detail();
            Err(AppError::new(StatusCode::BAD_REQUEST, code, message))
        }
    }
}

fn back_to(location: &str) -> Response {
    (StatusCode::FOUND, [(LOCATION, location.to_owned()), (CACHE_CONTROL, "no-store".to_owned())]).into_response()
}
