use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};

use crate::error::{ApiResult, AppError};
use crate::json::Json;
use crate::session_cookie::start_session;
use crate::state::AppState;
use crate::views::SetupRequest;

/// Create the first owner with the one-time setup token, and sign them in.
#[utoipa::path(post, path = "/api/v1/setup", tag = "setup", request_body = SetupRequest, responses(
    (status = 201, description = "the owner was created and signed in", body = crate::views::SessionView),
    (status = 403, description = "wrong or used setup token"),
    (status = 409, description = "the workspace already has an owner"),
    (status = 422, description = "invalid email, name or password"),
))]
pub(crate) async fn create_owner(State(state): State<AppState>, Json(body): Json<SetupRequest>) -> ApiResult<Response> {
    let accounts = state.services.accounts();
    accounts.require_not_set_up().await?;
    if !state.setup.matches(body.token.expose()) {
        return Err(AppError::forbidden(
            "invalid_setup_token",
            "the setup token is wrong; use the link `switchboard serve` printed when it started",
        ));
    }
    let user = accounts.set_up_owner(&body.email, &body.name, body.password).await?;
    state.setup.consume();
    let (session, headers) = start_session(&state, &user).await?;
    Ok((StatusCode::CREATED, headers, Json(session)).into_response())
}
