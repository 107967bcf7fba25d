use axum::extract::State;
use axum::response::{IntoResponse, Response};

use crate::client_address::ClientAddress;
use crate::error::{ApiResult, AppError};
use crate::json::Json;
use crate::session_cookie::start_session;
use crate::state::AppState;
use crate::views::SignInRequest;

/// Sign in with email and password; sets the session cookie.
///
/// A wrong password and an unknown email get the same answer after the same work.
/// After too many failed sign-ins of the email, or from the client's address,
/// within a window (10 and 50 in 15 minutes by default, counted by every server
/// sharing the database), sign-ins are refused with 429 and `Retry-After` before
/// the password is checked, whether or not the account exists; a successful
/// sign-in clears the count of its account, not that of its address.
#[utoipa::path(post, path = "/api/v1/session", tag = "session", request_body = SignInRequest, responses(
    (status = 200, description = "signed in; the session cookie is set", body = crate::views::SessionView),
    (status = 401, description = "wrong email or password"),
    (status = 429, description = "too many failed sign-ins; `Retry-After` says when to try again"),
))]
pub(crate) async fn create_session(
    State(state): State<AppState>,
    ClientAddress(address): ClientAddress,
    Json(body): Json<SignInRequest>,
) -> ApiResult<Response> {
    let sign_ins = state.services.sign_ins();
    let attempt = sign_ins.attempt(&body.email, address).await?;
    let Some(user) = sign_ins.sign_in(&attempt, &body.email, body.password).await? else {
        // The attempt stays recorded: it counts as a failure.
        return Err(AppError::unauthorized("invalid_credentials", "wrong email or password"));
    };
    let (session, headers) = start_session(&state, &user).await?;
    Ok((headers, Json(session)).into_response())
}
