//! Conversations with a model: start one, send messages (answered with an SSE
//! stream of the turn), answer the last message again or edit and resend it,
//! decide write actions, cancel.

pub(crate) mod answer_elicitation;
pub(crate) mod cancel_turn;
pub(crate) mod create_conversation;
pub(crate) mod decide_tool_call;
pub(crate) mod delete_conversation;
pub(crate) mod forget_remembered;
pub(crate) mod get_conversation;
pub(crate) mod list_conversations;
pub(crate) mod list_remembered;
pub(crate) mod regenerate_answer;
pub(crate) mod resend_message;
pub(crate) mod send_message;
pub(crate) mod update_conversation;

use std::convert::Infallible;

use axum::response::sse::{Event, KeepAlive, Sse};
use axum::response::{IntoResponse, Response};
use switchboard_agent::TurnEvents;
use switchboard_store::Conversation;

use crate::auth::Actor;
use crate::error::AppError;
use crate::routes::parse_id;
use crate::state::AppState;
use crate::views_conversations::TurnEventView;

/// The conversation named in the URL if it is the actor's; "not found" otherwise.
async fn owned_conversation(state: &AppState, actor: &Actor, raw_id: &str) -> Result<Conversation, AppError> {
    Ok(state.services.conversations().owned(&actor.user, parse_id(raw_id, "conversation")?).await?)
}

/// A turn's events as Server-Sent Events: `event:` is the type, `data:` the JSON.
pub(crate) fn event_stream(events: TurnEvents) -> Response {
    let stream = futures::stream::unfold(events, |mut events| async move {
        let event = events.recv().await?;
        let view = TurnEventView::from(&event);
        let sse = Event::default()
            .event(view.name())
            .json_data(&view)
            .unwrap_or_else(|_| Event::default().comment("unserialisable event"));
        Some((Ok::<_, Infallible>(sse), events))
    });
    Sse::new(stream).keep_alive(KeepAlive::default()).into_response()
}

/// The page session id: required, short, printable.
pub(crate) fn client_session(raw: &str) -> Result<&str, AppError> {
    let trimmed = raw.trim();
    if trimmed.is_empty() || trimmed.len() > 128 || trimmed.chars().any(char::is_control) {
        return Err(AppError::invalid(
            "client_session must be 1 to 128 printable characters identifying the page load",
        ));
    }
    Ok(trimmed)
}
