//! The session cookie: set when someone signs in (or sets up the workspace),
//! cleared when they sign out. Shared by the session and setup routes.

use axum::http::header::SET_COOKIE;
use axum::http::{HeaderMap, HeaderValue};

use switchboard_core::credentials::csrf_token;
use switchboard_store::User;

use crate::error::AppError;
use crate::state::AppState;
use crate::views::{SessionView, UserView};

/// Start a session for `user` and build its cookie.
pub(crate) async fn start_session(state: &AppState, user: &User) -> Result<(SessionView, HeaderMap), AppError> {
    let sign_ins = state.services.sign_ins();
    let started = sign_ins.start_session(user).await?;
    let csrf = csrf_token(&started.cookie);
    let secure = if state.config.is_https() { "; Secure" } else { "" };
    let value = format!(
        "{}={}; Path=/; HttpOnly; SameSite=Lax; Max-Age={}{secure}",
        state.config.session_cookie(),
        started.cookie.expose(),
        sign_ins.session_ttl().as_secs()
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
