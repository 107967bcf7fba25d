//! Model providers and the agent loop.
//!
//! [`model`] holds the provider-neutral shape of a conversation as a model sees
//! it; [`provider`] turns it into the wire format of OpenAI-compatible Chat
//! Completions or Anthropic Messages and streams the answer back as [`ModelEvent`]s.
//! [`Agent`] runs turns over the persisted conversation, calling actions through a
//! [`ToolHost`] that the web layer provides.

mod agent;
mod error;
pub mod events;
pub mod history;
pub mod host;
pub mod model;
pub mod provider;
pub mod resolve;
mod running;

pub use agent::{Agent, AgentConfig, AnswerElicitation, DecideCall, TurnEvents};
pub use error::AgentError;
pub use events::{Citation, DoneReason, StatusText, TurnEvent};
pub use host::{
    Ask, AskSink, AuthRequired, CallControl, CallProgress, CallResult, HostError, HostFuture, OfferedTool,
    ProgressSink, TaskNews, TaskOutcome, TaskSink, ToolHost,
};
pub use model::{ModelEvent, ModelMessage, ModelRequest, StopReason, ToolCallRequest, ToolSpec, Usage};
pub use provider::{ModelProvider, ModelStream, ProviderConfig, ProviderError, ProviderKind, Providers, ResolvedModel};
