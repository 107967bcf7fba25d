use askama::Template;
use axum::extract::State;
use axum::http::HeaderMap;
use axum::response::{IntoResponse, Redirect, Response};

use super::{Shell, page_error, render};
use crate::auth::session_from_headers;
use crate::state::AppState;

#[derive(Template)]
#[template(path = "login.html")]
struct LoginPage {
    shell: Shell,
}

/// The sign-in page; a signed-in visitor goes straight to chat.
pub(crate) async fn page(State(state): State<AppState>, headers: HeaderMap) -> Response {
    match state.services.accounts().is_set_up().await {
        Ok(false) => return Redirect::to("/setup").into_response(),
        Err(e) => return page_error(e.into()),
        Ok(true) => {}
    }
    match session_from_headers(&headers, &state).await {
        Ok(Some(_)) => Redirect::to("/chat").into_response(),
        Ok(None) => render(&LoginPage { shell: Shell::public("Sign in", "login.js") }),
        Err(e) => page_error(e),
    }
}
