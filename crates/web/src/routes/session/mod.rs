//! Browser sign-in and sign-out.

pub(crate) mod create_session;
pub(crate) mod delete_session;

use axum::http::header::SET_COOKIE;
use axum::http::{HeaderMap, HeaderValue};
use std::net::IpAddr;

use switchboard_core::credentials::{csrf_token, random_token, token_digest};
use switchboard_core::sign_in;
use switchboard_store::{SignInAttempt, User};
use time::OffsetDateTime;

use crate::error::AppError;
use crate::state::AppState;
use crate::views::{SessionView, UserView};

/// Record a password attempt on the account named by `email` from `address`, or
/// refuse it (429 with `Retry-After`, before any password is checked) when the
/// account or the address has had too many failures in the window. The attempt
/// counts as a failure until [`Store::sign_in_succeeded`](switchboard_store::Store::sign_in_succeeded).
pub(crate) async fn password_attempt(
    state: &AppState,
    email: &str,
    address: Option<IpAddr>,
) -> Result<SignInAttempt, AppError> {
    let limits = &state.config.sign_in;
    let account = sign_in::account_key(email);
    let address = address.map_or_else(|| "unknown".to_owned(), sign_in::address_key);
    let attempt = state.store.begin_sign_in(&account, &address, limits.window).await?;
    let Some(wait) = sign_in::wait(limits, &attempt.failures) else { return Ok(attempt) };
    state.store.withdraw_sign_in(&attempt).await?;
    tracing::warn!(wait_seconds = wait.as_secs(), "password attempt refused after too many failures");
    Err(AppError::Limited {
        code: "too_many_sign_ins",
        detail: "too many failed sign-ins for this account or from this address; wait and try again".into(),
        retry_after: wait,
    })
}

/// Store a new session for `user` and build its cookie.
pub(crate) async fn start_session(state: &AppState, user: &User) -> Result<(SessionView, HeaderMap), AppError> {
    let cookie = random_token(32);
    let csrf = csrf_token(&cookie);
    let ttl = state.config.session_ttl;
    let expires_at = OffsetDateTime::now_utc() + ttl;
    state.store.create_session(&token_digest(&cookie), user.id, expires_at).await?;
    let secure = if state.config.is_https() { "; Secure" } else { "" };
    let value = format!(
        "{}={}; Path=/; HttpOnly; SameSite=Lax; Max-Age={}{secure}",
        state.config.session_cookie(),
        cookie.expose(),
        ttl.as_secs()
    );
    let mut headers = HeaderMap::new();
    headers.insert(SET_COOKIE, HeaderValue::from_str(&value).map_err(|e| AppError::Internal(e.to_string()))?);
    Ok((SessionView { user: UserView::from(user), csrf_token: csrf.expose().to_owned() }, headers))
}

/// A `Set-Cookie` that removes the session cookie.
pub(crate) fn clear_cookie(state: &AppState) -> HeaderMap {
    let secure = if state.config.is_https() { "; Secure" } else { "" };
    let value = format!("{}=; Path=/; HttpOnly; SameSite=Lax; Max-Age=0{secure}", state.config.session_cookie());
    let mut headers = HeaderMap::new();
    if let Ok(v) = HeaderValue::from_str(&value) {
        headers.insert(SET_COOKIE, v);
    }
    headers
}
