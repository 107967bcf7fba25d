use axum::extract::State;
use axum::response::{IntoResponse, Response};
use switchboard_core::credentials::verify_password;

use crate::client_address::ClientAddress;
use crate::error::{ApiResult, AppError};
use crate::json::Json;
use crate::routes::session::{password_attempt, start_session};
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
    let attempt = password_attempt(&state, &body.email, address).await?;

    let found = match switchboard_core::Email::parse(&body.email) {
        Ok(email) => state.store.credentials_by_email(&email).await?,
        Err(_) => None,
    };
    let (user, hash) = match found {
        Some((user, hash)) => (Some(user), hash),
        None => (None, None),
    };
    let password = body.password;
    // Without an account (or a password) this still checks against a fixed hash:
    // the same work, so the time taken does not tell whether the account exists.
    let ok = tokio::task::spawn_blocking(move || verify_password(&password, hash.as_deref()))
        .await
        .map_err(|e| AppError::Internal(e.to_string()))?;
    let user = match (ok, user) {
        (true, Some(user)) => user,
        // The attempt stays recorded: it counts as a failure.
        _ => return Err(AppError::unauthorized("invalid_credentials", "wrong email or password")),
    };
    state.store.sign_in_succeeded(&attempt).await?;
    let (session, headers) = start_session(&state, &user).await?;
    tracing::info!(user = %user.id, "signed in");
    Ok((headers, Json(session)).into_response())
}
