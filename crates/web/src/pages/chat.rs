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
    let mut shell = visitor.shell("Chat", "chat", Some("chat.js"));
    // The messages scroll in their own column, with the composer below them.
    shell.layout = "with-sidebar chat-layout";
    render(&ChatPage { shell, developer_mode_active: visitor.me.developer_mode.active })
}
