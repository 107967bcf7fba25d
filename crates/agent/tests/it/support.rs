//! Building providers against the scripted model server and running a request.

use std::sync::Arc;
use std::time::Duration;

use futures::StreamExt as _;
use serde_json::json;
use switchboard_agent::provider::build;
use switchboard_agent::{
    ModelEvent, ModelMessage, ModelProvider, ModelRequest, ProviderConfig, ProviderError, ProviderKind,
    ToolCallRequest, ToolSpec,
};
use switchboard_core::SecretString;
use switchboard_testkit::ScriptedModel;

pub(crate) const KEY: &str = "sk-test-0123456789";

/// A provider of `kind` talking to `server`.
pub(crate) fn provider(
    server: &ScriptedModel,
    kind: ProviderKind,
    key: Option<&str>,
    timeout: Duration,
    max_retries: u32,
) -> Arc<dyn ModelProvider> {
    let base_url = match kind {
        ProviderKind::OpenAi => server.openai_base_url(),
        ProviderKind::Anthropic => server.anthropic_base_url(),
    };
    build(
        ProviderConfig {
            name: "scripted".into(),
            kind,
            base_url,
            api_key: key.map(SecretString::new),
            timeout,
            max_retries,
        },
        switchboard_testkit::http_client(),
    )
}

/// A provider with a key, a 10 s timeout and two retries.
pub(crate) fn default_provider(server: &ScriptedModel, kind: ProviderKind) -> Arc<dyn ModelProvider> {
    provider(server, kind, Some(KEY), Duration::from_secs(10), 2)
}

/// What a request ended with: the events yielded, and the error that ended it.
#[derive(Debug)]
pub(crate) struct Outcome {
    pub(crate) events: Vec<ModelEvent>,
    pub(crate) error: Option<ProviderError>,
}

impl Outcome {
    pub(crate) fn text(&self) -> String {
        self.events
            .iter()
            .filter_map(|e| match e {
                ModelEvent::TextDelta(t) => Some(t.as_str()),
                _ => None,
            })
            .collect()
    }

    pub(crate) fn calls(&self) -> Vec<ToolCallRequest> {
        self.events
            .iter()
            .filter_map(|e| match e {
                ModelEvent::ToolCall(call) => Some(call.clone()),
                _ => None,
            })
            .collect()
    }

    pub(crate) fn last(&self) -> Option<&ModelEvent> {
        self.events.last()
    }

    pub(crate) fn expect_error(self) -> ProviderError {
        self.error.unwrap_or_else(|| panic!("expected an error, got {:?}", self.events))
    }
}

pub(crate) async fn run(provider: &dyn ModelProvider, request: ModelRequest) -> Outcome {
    let mut stream = match provider.stream(request).await {
        Ok(stream) => stream,
        Err(error) => return Outcome { events: vec![], error: Some(error) },
    };
    let mut events = vec![];
    while let Some(item) = stream.next().await {
        match item {
            Ok(event) => events.push(event),
            Err(error) => return Outcome { events, error: Some(error) },
        }
    }
    Outcome { events, error: None }
}

/// A one-line question.
pub(crate) fn ask(text: &str) -> ModelRequest {
    ModelRequest {
        model: "test-model".into(),
        system: None,
        messages: vec![ModelMessage::User { text: text.into() }],
        tools: vec![],
        max_tokens: 256,
    }
}

/// A conversation that has been through one round of two tool calls.
pub(crate) fn after_tool_round() -> ModelRequest {
    ModelRequest {
        model: "test-model".into(),
        system: Some("You file tickets.".into()),
        messages: vec![
            ModelMessage::User { text: "Weather in Paris and Rome?".into() },
            ModelMessage::Assistant {
                text: "Checking both.".into(),
                tool_calls: vec![
                    ToolCallRequest {
                        id: "call_1".into(),
                        name: "get_weather".into(),
                        arguments: r#"{"city":"Paris"}"#.into(),
                    },
                    ToolCallRequest {
                        id: "call_2".into(),
                        name: "get_weather".into(),
                        arguments: "{city: Rome".into(),
                    },
                ],
            },
            ModelMessage::ToolResult { call_id: "call_1".into(), content: "18°C, sunny".into(), is_error: false },
            ModelMessage::ToolResult {
                call_id: "call_2".into(),
                content: "arguments are not JSON".into(),
                is_error: true,
            },
        ],
        tools: vec![weather_tool()],
        max_tokens: 512,
    }
}

pub(crate) fn weather_tool() -> ToolSpec {
    ToolSpec {
        name: "get_weather".into(),
        description: "Current weather in a city".into(),
        input_schema: json!({"type": "object", "properties": {"city": {"type": "string"}}, "required": ["city"]}),
    }
}
