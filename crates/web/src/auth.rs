//! Who is asking: a session cookie (browsers) or a bearer token (API clients).
//!
//! Cookie-authenticated requests that change state must also carry the session's
//! CSRF token in `X-CSRF-Token`; bearer requests need not, since a browser never
//! attaches them on its own. The CSRF token is derived from the cookie value
//! (`core::credentials::csrf_token`), so it is never stored.

use axum::extract::FromRequestParts;
use axum::http::HeaderMap;
use axum::http::header::{AUTHORIZATION, COOKIE};
use axum::http::request::Parts;
use std::sync::Arc;
use switchboard_core::SecretString;
use switchboard_core::credentials::{csrf_token, token_digest};
use switchboard_core::permission::{Action, permits};

use switchboard_store::{LoginSession, User};

use crate::error::AppError;
use crate::state::AppState;

pub(crate) const CSRF_HEADER: &str = "x-csrf-token";

/// The signed-in user making a request.
#[derive(Debug)]
pub(crate) struct Actor {
    pub(crate) user: User,
    pub(crate) via: Via,
}

#[derive(Debug)]
pub(crate) enum Via {
    /// A browser session: the digest of its cookie (to sign out).
    Session { digest: String },
    /// A personal API token.
    Token,
}

impl Actor {
    /// Fail with 403 unless the actor's role permits `action`.
    pub(crate) fn require(&self, action: Action) -> Result<(), AppError> {
        if permits(self.user.role, action) {
            Ok(())
        } else {
            Err(AppError::role(format!("your role ({}) may not do this", self.user.role)))
        }
    }
}

impl FromRequestParts<AppState> for Actor {
    type Rejection = AppError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, Self::Rejection> {
        if let Some(value) = parts.headers.get(AUTHORIZATION) {
            let token = value
                .to_str()
                .ok()
                .and_then(|v| v.strip_prefix("Bearer "))
                .map(str::trim)
                .filter(|t| !t.is_empty())
                .ok_or_else(|| {
                    AppError::unauthorized("invalid_authorization", "use `Authorization: Bearer <token>`")
                })?;
            let user =
                state.services.access().user_by_token(&token_digest(&SecretString::new(token))).await?.ok_or_else(
                    || AppError::unauthorized("invalid_token", "the API token is unknown, revoked or expired"),
                )?;
            return Ok(Actor { user, via: Via::Token });
        }

        if cookie(&parts.headers, state.config.session_cookie()).is_none() {
            return Err(AppError::unauthorized(
                "not_signed_in",
                "sign in, or send a personal API token as `Authorization: Bearer <token>`",
            ));
        }
        let BrowserSession { digest, session, csrf } = session_from_headers(&parts.headers, state)
            .await?
            .ok_or_else(|| AppError::unauthorized("session_expired", "your session has ended; sign in again"))?;
        if !parts.method.is_safe() {
            let sent = parts.headers.get(CSRF_HEADER).and_then(|v| v.to_str().ok()).unwrap_or("");
            if !csrf.ct_eq(sent) {
                return Err(AppError::forbidden(
                    "csrf_token_invalid",
                    "this request needs the page's CSRF token in the X-CSRF-Token header; reload the page and try again",
                ));
            }
        }
        Ok(Actor { user: session.user.clone(), via: Via::Session { digest } })
    }
}

/// A live browser session, as the request's cookie names it.
#[derive(Debug)]
pub(crate) struct BrowserSession {
    /// The digest of the cookie value, under which the session is stored.
    pub(crate) digest: String,
    pub(crate) session: Arc<LoginSession>,
    /// The session's CSRF token, derived from the cookie value (never stored).
    pub(crate) csrf: SecretString,
}

/// The live session named by the request's cookie.
pub(crate) async fn session_from_headers(
    headers: &HeaderMap,
    state: &AppState,
) -> Result<Option<BrowserSession>, AppError> {
    let Some(value) = cookie(headers, state.config.session_cookie()) else {
        return Ok(None);
    };
    let secret = SecretString::new(value);
    let digest = token_digest(&secret);
    let Some(session) = state.services.access().login_session(&digest).await? else { return Ok(None) };
    Ok(Some(BrowserSession { digest, session, csrf: csrf_token(&secret) }))
}

/// The value of cookie `name`, if the request sent it.
pub(crate) fn cookie<'a>(headers: &'a HeaderMap, name: &str) -> Option<&'a str> {
    headers
        .get_all(COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .filter_map(|pair| pair.trim().split_once('='))
        .find(|(k, _)| *k == name)
        .map(|(_, v)| v)
        .filter(|v| !v.is_empty())
}

#[cfg(test)]
mod tests {
    use axum::http::HeaderValue;

    use super::*;

    #[test]
    fn cookies_are_found_by_exact_name() {
        let mut headers = HeaderMap::new();
        headers.insert(COOKIE, HeaderValue::from_static("a=1; switchboard_session=abc; x_switchboard_session=no"));
        assert_eq!(cookie(&headers, "switchboard_session"), Some("abc"));
        assert_eq!(cookie(&headers, "a"), Some("1"));
        assert_eq!(cookie(&headers, "missing"), None);
        headers.insert(COOKIE, HeaderValue::from_static("switchboard_session="));
        assert_eq!(cookie(&headers, "switchboard_session"), None);
    }
}
