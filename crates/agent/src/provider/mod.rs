//! Model providers: OpenAI-compatible Chat Completions and Anthropic Messages,
//! both streaming, both with tool calls.

use std::pin::Pin;
use std::sync::Arc;
use std::time::Duration;

use futures::Stream;
use switchboard_core::SecretString;

use crate::model::{ModelEvent, ModelRequest};

/// The events of one answer; an `Err` ends the stream.
pub type ModelStream = Pin<Box<dyn Stream<Item = Result<ModelEvent, ProviderError>> + Send>>;

/// Which wire format a provider speaks.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ProviderKind {
    /// `POST {base_url}/chat/completions` (OpenAI, Ollama, vLLM, llama.cpp, LM Studio…).
    OpenAi,
    /// `POST {base_url}/v1/messages`.
    Anthropic,
}

/// How to reach one provider.
#[derive(Clone, Debug)]
pub struct ProviderConfig {
    /// The name models are addressed by (`openai/gpt-4o-mini`).
    pub name: String,
    pub kind: ProviderKind,
    /// Without a trailing slash: `https://api.openai.com/v1`, `https://api.anthropic.com`.
    pub base_url: String,
    /// None for local servers that need no key.
    pub api_key: Option<SecretString>,
    /// Longest wait for the first byte of an answer and between two chunks.
    pub timeout: Duration,
    /// How many times a 429 or a 5xx before the answer starts is retried.
    pub max_retries: u32,
}

/// A model provider.
pub trait ModelProvider: Send + Sync + std::fmt::Debug {
    /// Start streaming the answer to `request`. Retries of 429 and 5xx happen
    /// here, before the stream starts; errors after that end the stream.
    fn stream(
        &self,
        request: ModelRequest,
    ) -> Pin<Box<dyn Future<Output = Result<ModelStream, ProviderError>> + Send + '_>>;

    /// The models the provider offers (its `/models` endpoint), by the names it
    /// knows them by. A provider without such an endpoint answers an empty list.
    fn models(&self) -> Pin<Box<dyn Future<Output = Result<Vec<String>, ProviderError>> + Send + '_>> {
        Box::pin(async { Ok(vec![]) })
    }
}

/// A provider failure, worded for the person in the conversation.
#[derive(Debug, thiserror::Error)]
pub enum ProviderError {
    /// 401/403: the key is missing, wrong or not allowed this model.
    #[error("the model provider refused the API key (HTTP {status}): {message}")]
    Unauthorized { status: u16, message: String },
    /// 429 after the retries.
    #[error("the model provider is rate limiting requests; try again in a moment ({message})")]
    RateLimited { retry_after: Option<Duration>, message: String },
    /// 400/404/422: the request was refused (unknown model, bad tool schema…).
    #[error("the model provider refused the request (HTTP {status}): {message}")]
    Rejected { status: u16, message: String },
    /// 5xx after the retries.
    #[error("the model provider failed (HTTP {status}): {message}")]
    Server { status: u16, message: String },
    /// No answer, or no chunk, within the timeout.
    #[error("the model provider did not answer within {0:?}")]
    Timeout(Duration),
    /// Could not connect.
    #[error("could not reach the model provider: {0}")]
    Unreachable(String),
    /// The stream broke the wire format.
    #[error("the model provider sent a malformed stream: {0}")]
    Malformed(String),
    /// The stream ended before the answer did.
    #[error("the model provider's stream ended before the answer was complete")]
    Cut,
}

mod anthropic;
pub mod env;
mod http;
mod openai;
mod registry;
mod sse;
mod stream;

pub use anthropic::AnthropicProvider;
pub use openai::OpenAiProvider;
pub use registry::{ModelChoiceError, Providers, ResolvedModel};
pub use stream::decode_answer;

/// The client for `config`'s wire format, sending through `http` (built by the
/// application, which owns TLS set-up; providers may share one).
pub fn build(config: ProviderConfig, http: reqwest::Client) -> Arc<dyn ModelProvider> {
    match config.kind {
        ProviderKind::OpenAi => Arc::new(OpenAiProvider::new(config, http)),
        ProviderKind::Anthropic => Arc::new(AnthropicProvider::new(config, http)),
    }
}
