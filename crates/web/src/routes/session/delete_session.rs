use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};

use crate::auth::{Actor, Via};
use crate::error::ApiResult;
use crate::session_cookie::clear_cookie;
use crate::state::AppState;

/// Sign out: end this browser session and clear its cookie.
#[utoipa::path(delete, path = "/api/v1/session", tag = "session", security(("session" = []), ("token" = [])),
    responses(
    (status = 204, description = "signed out"),
    (status = 401, description = "not signed in"),
))]
pub(crate) async fn delete_session(State(state): State<AppState>, actor: Actor) -> ApiResult<Response> {
    if let Via::Session { digest } = &actor.via {
        state.services.sign_ins().end_session(digest).await?;
    }
    Ok((StatusCode::NO_CONTENT, clear_cookie(&state)).into_response())
}
