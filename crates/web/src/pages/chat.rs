use askama::Template;
use axum::extract::State;
use axum::http::HeaderMap;
use axum::response::Response;

use super::{Shell, render, visitor};
use crate::state::AppState;

#[derive(Template)]
#[template(path = "chat.html")]
struct ChatPage {
    shell: Shell,
    developer_mode_active: bool,
}

/// The home page: conversations.
pub(crate) async fn page(State(state): State<AppState>, headers: HeaderMap) -> Response {
    let visitor = match visitor(&state, &headers, "/chat").await {
        Ok(v) => v,
        Err(redirect) => return redirect,
    };
    render(&ChatPage {
        shell: visitor.shell("Chat", "chat", None),
        developer_mode_active: visitor.me.developer_mode.active,
    })
}
