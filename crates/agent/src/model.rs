//! A conversation as a model sees it, whatever the provider.

use serde::{Deserialize, Serialize};
use serde_json::Value;

/// One request to a model: the whole conversation so far and the tools offered.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct ModelRequest {
    /// The provider's model name (`gpt-4o-mini`, `claude-sonnet-4-5`, `llama3.1:8b`).
    pub model: String,
    /// Instructions that come before the conversation.
    pub system: Option<String>,
    pub messages: Vec<ModelMessage>,
    pub tools: Vec<ToolSpec>,
    /// Largest answer, in tokens (Anthropic requires one).
    pub max_tokens: u32,
}

/// One message of the conversation.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(tag = "role", rename_all = "snake_case")]
pub enum ModelMessage {
    User {
        text: String,
    },
    /// What the model said, and the tools it asked for (in its order).
    Assistant {
        text: String,
        tool_calls: Vec<ToolCallRequest>,
    },
    /// The result of one tool call, sent back to the model.
    ToolResult {
        call_id: String,
        content: String,
        is_error: bool,
    },
}

/// A tool offered to the model.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct ToolSpec {
    /// Valid for every provider: `^[a-zA-Z0-9_-]{1,64}$`.
    pub name: String,
    pub description: String,
    /// A JSON Schema of type object.
    pub input_schema: Value,
}

/// A tool call the model asked for, complete.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct ToolCallRequest {
    /// The provider's id for the call (`call_…`, `toolu_…`).
    pub id: String,
    pub name: String,
    /// The arguments exactly as the model wrote them: JSON text that may be invalid.
    pub arguments: String,
}

/// What a streaming answer yields, in order.
#[derive(Clone, Debug, PartialEq)]
pub enum ModelEvent {
    /// A piece of the answer's text.
    TextDelta(String),
    /// A tool call, once its arguments are complete (calls may interleave on the
    /// wire; each is yielded when it is whole, in the order they started).
    ToolCall(ToolCallRequest),
    /// The answer is over.
    Finished { stop: StopReason, usage: Usage },
}

/// Why the model stopped.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum StopReason {
    /// It answered.
    EndTurn,
    /// It wants the tools it called.
    ToolUse,
    /// It hit the token limit.
    MaxTokens,
    /// Anything else the provider said (content filter, …).
    Other,
}

/// Tokens used, when the provider reports them.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Usage {
    pub input_tokens: u64,
    pub output_tokens: u64,
}
