//! Model providers and the agent loop.
//!
//! [`model`] holds the provider-neutral shape of a conversation as a model sees
//! it; [`provider`] turns it into the wire format of OpenAI-compatible Chat
//! Completions or Anthropic Messages and streams the answer back as [`ModelEvent`]s.

pub mod model;
pub mod provider;

pub use model::{ModelEvent, ModelMessage, ModelRequest, StopReason, ToolCallRequest, ToolSpec, Usage};
pub use provider::{ModelProvider, ModelStream, ProviderConfig, ProviderError, ProviderKind, Providers, ResolvedModel};
