use axum::extract::State;
use axum::response::{IntoResponse, Response};
use switchboard_core::credentials::verify_password;

use crate::error::{ApiResult, AppError};
use crate::json::Json;
use crate::routes::session::start_session;
use crate::state::AppState;
use crate::views::SignInRequest;

/// Sign in with email and password; sets the session cookie.
///
/// A wrong password and an unknown email get the same answer after the same work.
#[utoipa::path(post, path = "/api/v1/session", tag = "session", request_body = SignInRequest, responses(
    (status = 200, description = "signed in; the session cookie is set", body = crate::views::SessionView),
    (status = 401, description = "wrong email or password", body = crate::error::Problem),
))]
pub(crate) async fn create_session(
    State(state): State<AppState>,
    Json(body): Json<SignInRequest>,
) -> ApiResult<Response> {
    let found = match switchboard_core::Email::parse(&body.email) {
        Ok(email) => state.store.credentials_by_email(&email).await?,
        Err(_) => None,
    };
    let (user, hash) = match found {
        Some((user, hash)) => (Some(user), hash),
        None => (None, None),
    };
    let password = body.password;
    let ok = tokio::task::spawn_blocking(move || verify_password(&password, hash.as_deref()))
        .await
        .map_err(|e| AppError::Internal(e.to_string()))?;
    let user = match (ok, user) {
        (true, Some(user)) => user,
        _ => return Err(AppError::unauthorized("invalid_credentials", "wrong email or password")),
    };
    let (session, headers) = start_session(&state, &user).await?;
    tracing::info!(user = %user.id, "signed in");
    Ok((headers, Json(session)).into_response())
}
