//! A widget's requests to its host, made by the chat page on the widget's behalf:
//! its tool calls (checked like the model's; writes wait for the owner), the
//! owner's decisions on them, the resources it reads and the state it keeps.
//! Each names the call whose widget asks; only the conversation's owner gets
//! anything but "not found".

pub(crate) mod call_widget_tool;
pub(crate) mod decide_widget_call;
pub(crate) mod list_widget_calls;
pub(crate) mod read_widget_resource;
pub(crate) mod save_widget_state;

use switchboard_core::{ConversationId, ToolCallId};

use crate::error::AppError;
use crate::routes::parse_id;

/// The conversation and the call named in the URL.
fn ids(conversation: &str, call: &str) -> Result<(ConversationId, ToolCallId), AppError> {
    Ok((parse_id(conversation, "conversation")?, parse_id(call, "tool call")?))
}
