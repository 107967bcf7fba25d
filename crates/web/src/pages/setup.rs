use askama::Template;
use axum::extract::{Query, State};
use axum::response::{IntoResponse, Redirect, Response};
use serde::Deserialize;

use super::{Shell, page_error, render};
use crate::state::AppState;

#[derive(Template)]
#[template(path = "setup.html")]
struct SetupPage {
    shell: Shell,
    token: String,
}

#[derive(Deserialize)]
pub(crate) struct SetupQuery {
    token: Option<String>,
}

/// The first-run page that creates the owner; gone once there is one.
pub(crate) async fn page(State(state): State<AppState>, Query(query): Query<SetupQuery>) -> Response {
    match state.services.accounts().is_set_up().await {
        Ok(true) => Redirect::to("/login").into_response(),
        Ok(false) => {
            render(&SetupPage { shell: Shell::public("Set up", "setup.js"), token: query.token.unwrap_or_default() })
        }
        Err(e) => page_error(e.into()),
    }
}
