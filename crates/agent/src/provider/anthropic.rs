//! Anthropic Messages (`POST {base_url}/v1/messages`), streamed.

use std::collections::BTreeMap;
use std::pin::Pin;

use serde_json::{Map, Value, json};

use super::http::{self, status_error};
use super::openai::malformed;
use super::sse::SseEvent;
use super::stream::{Decoder, model_stream};
use super::{ModelProvider, ModelStream, ProviderConfig, ProviderError};
use crate::model::{ModelEvent, ModelMessage, ModelRequest, StopReason, ToolCallRequest, Usage};

/// The API version this client speaks.
const ANTHROPIC_VERSION: &str = "2023-06-01";
/// `max_tokens` when the request names none (the API requires one).
const DEFAULT_MAX_TOKENS: u32 = 4096;

/// A Messages client for one provider.
#[derive(Debug)]
pub struct AnthropicProvider {
    config: ProviderConfig,
    client: reqwest::Client,
}

impl AnthropicProvider {
    pub fn new(config: ProviderConfig, client: reqwest::Client) -> Self {
        Self { config, client }
    }
}

impl ModelProvider for AnthropicProvider {
    fn stream(
        &self,
        request: ModelRequest,
    ) -> Pin<Box<dyn Future<Output = Result<ModelStream, ProviderError>> + Send + '_>> {
        Box::pin(async move {
            let body = request_body(&request);
            let url = format!("{}/v1/messages", self.config.base_url);
            let response = http::send(&self.config, || {
                let builder = self
                    .client
                    .post(&url)
                    .header("anthropic-version", ANTHROPIC_VERSION)
                    .header("accept", "text/event-stream")
                    .json(&body);
                match &self.config.api_key {
                    Some(key) if !key.is_empty() => builder.header("x-api-key", key.expose()),
                    _ => builder,
                }
            })
            .await?;
            Ok(model_stream(response.bytes_stream(), MessagesDecoder::default(), self.config.timeout))
        })
    }

    fn models(&self) -> Pin<Box<dyn Future<Output = Result<Vec<String>, ProviderError>> + Send + '_>> {
        Box::pin(async move {
            let url = format!("{}/v1/models?limit=1000", self.config.base_url);
            http::model_ids(&self.config, || {
                let builder = self.client.get(&url).header("anthropic-version", ANTHROPIC_VERSION);
                match &self.config.api_key {
                    Some(key) if !key.is_empty() => builder.header("x-api-key", key.expose()),
                    _ => builder,
                }
            })
            .await
        })
    }
}

/// The JSON body of a streamed Messages request. Roles must alternate, so
/// consecutive messages of one role (tool results, then the user's text) become
/// one message with several content blocks.
pub(crate) fn request_body(request: &ModelRequest) -> Value {
    let mut turns: Vec<(&str, Vec<Value>)> = vec![];
    for message in &request.messages {
        let (role, blocks) = match message {
            ModelMessage::User { text } => ("user", text_block(text)),
            ModelMessage::Assistant { text, tool_calls } => {
                let mut blocks = text_block(text);
                blocks.extend(tool_calls.iter().map(|call| {
                    json!({"type": "tool_use", "id": call.id, "name": call.name, "input": tool_input(&call.arguments)})
                }));
                ("assistant", blocks)
            }
            ModelMessage::ToolResult { call_id, content, is_error } => (
                "user",
                vec![json!({"type": "tool_result", "tool_use_id": call_id, "content": content, "is_error": is_error})],
            ),
        };
        match turns.last_mut() {
            _ if blocks.is_empty() => {}
            Some((last, existing)) if *last == role => existing.extend(blocks),
            _ => turns.push((role, blocks)),
        }
    }
    let messages: Vec<Value> =
        turns.into_iter().map(|(role, content)| json!({"role": role, "content": content})).collect();
    let max_tokens = if request.max_tokens == 0 { DEFAULT_MAX_TOKENS } else { request.max_tokens };
    let mut body = json!({
        "model": request.model,
        "max_tokens": max_tokens,
        "stream": true,
        "messages": messages,
    });
    if let Some(system) = request.system.as_deref().filter(|s| !s.is_empty()) {
        body["system"] = json!(system);
    }
    if !request.tools.is_empty() {
        body["tools"] = request
            .tools
            .iter()
            .map(|tool| json!({"name": tool.name, "description": tool.description, "input_schema": tool.input_schema}))
            .collect();
    }
    body
}

/// The API refuses empty text blocks.
fn text_block(text: &str) -> Vec<Value> {
    if text.is_empty() { vec![] } else { vec![json!({"type": "text", "text": text})] }
}

/// A call's arguments as the object `tool_use.input` must be; `{}` when the model
/// wrote something that is not a JSON object.
fn tool_input(arguments: &str) -> Value {
    match serde_json::from_str::<Value>(arguments) {
        Ok(Value::Object(input)) => Value::Object(input),
        _ => Value::Object(Map::new()),
    }
}

/// A content block still arriving.
#[derive(Debug)]
enum Block {
    ToolUse {
        id: String,
        name: String,
        json: String,
    },
    /// Text is yielded as it comes; thinking and other blocks are not the answer.
    Other,
}

/// Assembles Messages stream events into model events.
#[derive(Debug, Default)]
pub(crate) struct MessagesDecoder {
    blocks: BTreeMap<u64, Block>,
    called: bool,
    stop: Option<StopReason>,
    usage: Usage,
}

impl Decoder for MessagesDecoder {
    fn event(&mut self, event: SseEvent, out: &mut Vec<ModelEvent>) -> Result<bool, ProviderError> {
        let data = event.data.trim();
        if data.is_empty() {
            return Ok(false);
        }
        let value: Value = serde_json::from_str(data).map_err(|e| malformed(&e, data))?;
        let kind = value["type"].as_str().or(event.event.as_deref()).unwrap_or_default();
        match kind {
            "message_start" => self.take_usage(&value["message"]["usage"]),
            "content_block_start" => {
                let block = &value["content_block"];
                let started = match block["type"].as_str() {
                    Some("tool_use") => {
                        let given = block["input"].as_object().filter(|i| !i.is_empty());
                        let index = value["index"].as_u64().unwrap_or(0);
                        // The result goes back under this id: a stream without one gets one,
                        // as Chat Completions calls do (`call_{index}`).
                        let id = block["id"].as_str().filter(|id| !id.is_empty());
                        Block::ToolUse {
                            id: id.map_or_else(|| format!("toolu_{index}"), str::to_owned),
                            name: block["name"].as_str().unwrap_or_default().to_owned(),
                            json: given.map(|i| Value::Object(i.clone()).to_string()).unwrap_or_default(),
                        }
                    }
                    Some("text") => {
                        if let Some(text) = block["text"].as_str().filter(|t| !t.is_empty()) {
                            out.push(ModelEvent::TextDelta(text.to_owned()));
                        }
                        Block::Other
                    }
                    _ => Block::Other,
                };
                self.blocks.insert(value["index"].as_u64().unwrap_or(0), started);
            }
            "content_block_delta" => {
                let delta = &value["delta"];
                match delta["type"].as_str() {
                    Some("text_delta") => {
                        if let Some(text) = delta["text"].as_str().filter(|t| !t.is_empty()) {
                            out.push(ModelEvent::TextDelta(text.to_owned()));
                        }
                    }
                    Some("input_json_delta") => {
                        if let Some(Block::ToolUse { json, .. }) =
                            self.blocks.get_mut(&value["index"].as_u64().unwrap_or(0))
                        {
                            json.push_str(delta["partial_json"].as_str().unwrap_or_default());
                        }
                    }
                    _ => {}
                }
            }
            "content_block_stop" => {
                if let Some(block) = self.blocks.remove(&value["index"].as_u64().unwrap_or(0)) {
                    self.finish_block(block, out);
                }
            }
            "message_delta" => {
                if let Some(reason) = value["delta"]["stop_reason"].as_str() {
                    self.stop = Some(stop_reason(reason));
                }
                self.take_usage(&value["usage"]);
            }
            "message_stop" => {
                for (_, block) in std::mem::take(&mut self.blocks) {
                    self.finish_block(block, out);
                }
                let stop = self.stop.unwrap_or(if self.called { StopReason::ToolUse } else { StopReason::EndTurn });
                out.push(ModelEvent::Finished { stop, usage: self.usage });
                return Ok(true);
            }
            "error" => return Err(stream_error(&value)),
            _ => {}
        }
        Ok(false)
    }
}

impl MessagesDecoder {
    fn take_usage(&mut self, usage: &Value) {
        if let Some(input) = usage["input_tokens"].as_u64() {
            self.usage.input_tokens = input;
        }
        if let Some(output) = usage["output_tokens"].as_u64() {
            self.usage.output_tokens = output;
        }
    }

    fn finish_block(&mut self, block: Block, out: &mut Vec<ModelEvent>) {
        if let Block::ToolUse { id, name, json } = block {
            self.called = true;
            let arguments = if json.trim().is_empty() { "{}".to_owned() } else { json };
            out.push(ModelEvent::ToolCall(ToolCallRequest { id, name, arguments }));
        }
    }
}

fn stop_reason(reason: &str) -> StopReason {
    match reason {
        "end_turn" | "stop_sequence" => StopReason::EndTurn,
        "tool_use" => StopReason::ToolUse,
        "max_tokens" => StopReason::MaxTokens,
        _ => StopReason::Other,
    }
}

/// An `error` event, mapped to the HTTP status its type stands for.
fn stream_error(value: &Value) -> ProviderError {
    let message = http::message_of(value).unwrap_or_else(|| "the stream reported an error".to_owned());
    let status = match value["error"]["type"].as_str().unwrap_or_default() {
        "invalid_request_error" => 400,
        "authentication_error" => 401,
        "permission_error" => 403,
        "not_found_error" => 404,
        "request_too_large" => 413,
        "rate_limit_error" => 429,
        "overloaded_error" => 529,
        _ => 500,
    };
    status_error(status, message, None)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::ToolSpec;

    /// Decode `(event, data)` pairs and compare the events, or the error.
    fn check(events: &[(&str, &str)], expect: &[ModelEvent], error: Option<&str>) {
        let mut decoder = MessagesDecoder::default();
        let mut out = vec![];
        let mut failed = None;
        for (name, data) in events {
            let event = SseEvent { event: Some((*name).to_owned()), data: (*data).to_owned() };
            match decoder.event(event, &mut out) {
                Ok(true) => break,
                Ok(false) => {}
                Err(e) => {
                    failed = Some(format!("{e:?}"));
                    break;
                }
            }
        }
        assert_eq!(out, expect, "{events:?}");
        match (error, failed) {
            (None, None) => {}
            (Some(want), Some(got)) => assert!(got.starts_with(want), "{got}"),
            (want, got) => panic!("expected error {want:?}, got {got:?}"),
        }
    }

    const START: (&str, &str) = (
        "message_start",
        r#"{"type":"message_start","message":{"id":"msg_1","type":"message","role":"assistant","content":[],"model":"m","stop_reason":null,"usage":{"input_tokens":25,"output_tokens":1}}}"#,
    );
    const STOP: (&str, &str) = ("message_stop", r#"{"type":"message_stop"}"#);

    fn delta(reason: &str, output: u64) -> String {
        format!(
            r#"{{"type":"message_delta","delta":{{"stop_reason":"{reason}","stop_sequence":null}},"usage":{{"output_tokens":{output}}}}}"#
        )
    }

    #[test]
    fn text_and_tool_use_decode_to_events() {
        let end = delta("tool_use", 40);
        check(
            &[
                START,
                (
                    "content_block_start",
                    r#"{"type":"content_block_start","index":0,"content_block":{"type":"text","text":""}}"#,
                ),
                ("ping", r#"{"type": "ping"}"#),
                (
                    "content_block_delta",
                    r#"{"type":"content_block_delta","index":0,"delta":{"type":"text_delta","text":"Let me"}}"#,
                ),
                ("content_block_stop", r#"{"type":"content_block_stop","index":0}"#),
                (
                    "content_block_start",
                    r#"{"type":"content_block_start","index":1,"content_block":{"type":"tool_use","id":"toolu_1","name":"get","input":{}}}"#,
                ),
                (
                    "content_block_delta",
                    r#"{"type":"content_block_delta","index":1,"delta":{"type":"input_json_delta","partial_json":""}}"#,
                ),
                (
                    "content_block_delta",
                    r#"{"type":"content_block_delta","index":1,"delta":{"type":"input_json_delta","partial_json":"{\"city\": "}}"#,
                ),
                (
                    "content_block_delta",
                    r#"{"type":"content_block_delta","index":1,"delta":{"type":"input_json_delta","partial_json":"\"Paris\"}"}}"#,
                ),
                ("content_block_stop", r#"{"type":"content_block_stop","index":1}"#),
                (
                    "content_block_start",
                    r#"{"type":"content_block_start","index":2,"content_block":{"type":"tool_use","id":"toolu_2","name":"now","input":{}}}"#,
                ),
                ("content_block_stop", r#"{"type":"content_block_stop","index":2}"#),
                ("message_delta", &end),
                STOP,
            ],
            &[
                ModelEvent::TextDelta("Let me".into()),
                ModelEvent::ToolCall(ToolCallRequest {
                    id: "toolu_1".into(),
                    name: "get".into(),
                    arguments: r#"{"city": "Paris"}"#.into(),
                }),
                ModelEvent::ToolCall(ToolCallRequest {
                    id: "toolu_2".into(),
                    name: "now".into(),
                    arguments: "{}".into(),
                }),
                ModelEvent::Finished {
                    stop: StopReason::ToolUse,
                    usage: Usage { input_tokens: 25, output_tokens: 40 },
                },
            ],
            None,
        );
        let max = delta("max_tokens", 7);
        check(
            &[START, ("message_delta", &max), STOP],
            &[ModelEvent::Finished {
                stop: StopReason::MaxTokens,
                usage: Usage { input_tokens: 25, output_tokens: 7 },
            }],
            None,
        );
        let refusal = delta("refusal", 7);
        check(
            &[START, ("message_delta", &refusal), STOP],
            &[ModelEvent::Finished { stop: StopReason::Other, usage: Usage { input_tokens: 25, output_tokens: 7 } }],
            None,
        );
    }

    #[test]
    fn a_tool_use_without_an_id_gets_one() {
        check(
            &[
                START,
                (
                    "content_block_start",
                    r#"{"type":"content_block_start","index":3,"content_block":{"type":"tool_use","name":"get","input":{}}}"#,
                ),
                ("content_block_stop", r#"{"type":"content_block_stop","index":3}"#),
                (
                    "content_block_start",
                    r#"{"type":"content_block_start","index":4,"content_block":{"type":"tool_use","id":"","name":"now"}}"#,
                ),
                ("content_block_stop", r#"{"type":"content_block_stop","index":4}"#),
                STOP,
            ],
            &[
                ModelEvent::ToolCall(ToolCallRequest {
                    id: "toolu_3".into(),
                    name: "get".into(),
                    arguments: "{}".into(),
                }),
                ModelEvent::ToolCall(ToolCallRequest {
                    id: "toolu_4".into(),
                    name: "now".into(),
                    arguments: "{}".into(),
                }),
                ModelEvent::Finished { stop: StopReason::ToolUse, usage: Usage { input_tokens: 25, output_tokens: 1 } },
            ],
            None,
        );
    }

    #[test]
    fn errors_in_the_stream_end_it() {
        check(&[START, ("content_block_delta", "{oops")], &[], Some("Malformed"));
        check(
            &[START, ("error", r#"{"type":"error","error":{"type":"overloaded_error","message":"Overloaded"}}"#)],
            &[],
            Some("Server { status: 529, message: \"Overloaded\""),
        );
        check(
            &[("error", r#"{"type":"error","error":{"type":"rate_limit_error","message":"slow"}}"#)],
            &[],
            Some("RateLimited"),
        );
    }

    #[test]
    fn request_body_alternates_roles() {
        let call = |id: &str, arguments: &str| ToolCallRequest {
            id: id.into(),
            name: "t".into(),
            arguments: arguments.into(),
        };
        let request = ModelRequest {
            model: "claude".into(),
            system: Some("be brief".into()),
            messages: vec![
                ModelMessage::User { text: "hi".into() },
                ModelMessage::User { text: "again".into() },
                ModelMessage::Assistant {
                    text: "calling".into(),
                    tool_calls: vec![call("a", r#"{"x":1}"#), call("b", "not json")],
                },
                ModelMessage::ToolResult { call_id: "a".into(), content: "one".into(), is_error: false },
                ModelMessage::ToolResult { call_id: "b".into(), content: "bad arguments".into(), is_error: true },
                ModelMessage::User { text: "and?".into() },
                ModelMessage::Assistant { text: String::new(), tool_calls: vec![call("c", "[1]")] },
            ],
            tools: vec![ToolSpec {
                name: "t".into(),
                description: "d".into(),
                input_schema: json!({"type": "object"}),
            }],
            max_tokens: 0,
        };
        assert_eq!(
            request_body(&request),
            json!({
                "model": "claude",
                "max_tokens": 4096,
                "stream": true,
                "system": "be brief",
                "tools": [{"name": "t", "description": "d", "input_schema": {"type": "object"}}],
                "messages": [
                    {"role": "user", "content": [{"type": "text", "text": "hi"}, {"type": "text", "text": "again"}]},
                    {"role": "assistant", "content": [
                        {"type": "text", "text": "calling"},
                        {"type": "tool_use", "id": "a", "name": "t", "input": {"x": 1}},
                        {"type": "tool_use", "id": "b", "name": "t", "input": {}},
                    ]},
                    {"role": "user", "content": [
                        {"type": "tool_result", "tool_use_id": "a", "content": "one", "is_error": false},
                        {"type": "tool_result", "tool_use_id": "b", "content": "bad arguments", "is_error": true},
                        {"type": "text", "text": "and?"},
                    ]},
                    {"role": "assistant", "content": [{"type": "tool_use", "id": "c", "name": "t", "input": {}}]},
                ],
            })
        );
    }
}
