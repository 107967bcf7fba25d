//! OpenAI-compatible Chat Completions (`POST {base_url}/chat/completions`),
//! streamed. Spoken by OpenAI and by Ollama, vLLM, llama.cpp and LM Studio, which
//! differ in small ways this client tolerates: no usage, no `finish_reason` before
//! `[DONE]`, `content: null`, tool calls without an `index`, errors inside the stream.

use std::collections::BTreeMap;
use std::pin::Pin;

use serde_json::{Value, json};

use super::http::{self, status_error};
use super::sse::SseEvent;
use super::stream::{Decoder, model_stream};
use super::{ModelProvider, ModelStream, ProviderConfig, ProviderError};
use crate::model::{ModelEvent, ModelMessage, ModelRequest, StopReason, ToolCallRequest, Usage};

/// A Chat Completions client for one provider.
#[derive(Debug)]
pub struct OpenAiProvider {
    config: ProviderConfig,
    client: reqwest::Client,
}

impl OpenAiProvider {
    pub fn new(config: ProviderConfig, client: reqwest::Client) -> Self {
        Self { config, client }
    }
}

impl ModelProvider for OpenAiProvider {
    fn stream(
        &self,
        request: ModelRequest,
    ) -> Pin<Box<dyn Future<Output = Result<ModelStream, ProviderError>> + Send + '_>> {
        Box::pin(async move {
            let body = request_body(&request, &self.config.base_url);
            let url = format!("{}/chat/completions", self.config.base_url);
            let response = http::send(&self.config, || {
                let builder = self.client.post(&url).header("accept", "text/event-stream").json(&body);
                match &self.config.api_key {
                    Some(key) if !key.is_empty() => builder.bearer_auth(key.expose()),
                    _ => builder,
                }
            })
            .await?;
            Ok(model_stream(response.bytes_stream(), ChatDecoder::default(), self.config.timeout))
        })
    }

    fn models(&self) -> Pin<Box<dyn Future<Output = Result<Vec<String>, ProviderError>> + Send + '_>> {
        Box::pin(async move {
            let url = format!("{}/models", self.config.base_url);
            http::model_ids(&self.config, || {
                let builder = self.client.get(&url);
                match &self.config.api_key {
                    Some(key) if !key.is_empty() => builder.bearer_auth(key.expose()),
                    _ => builder,
                }
            })
            .await
        })
    }
}

/// The JSON body of a streamed Chat Completions request.
///
/// OpenAI's own API wants `max_completion_tokens` (its reasoning models refuse
/// `max_tokens`); compatible servers know only `max_tokens`.
pub(crate) fn request_body(request: &ModelRequest, base_url: &str) -> Value {
    let mut messages = vec![];
    if let Some(system) = request.system.as_deref().filter(|s| !s.is_empty()) {
        messages.push(json!({"role": "system", "content": system}));
    }
    for message in &request.messages {
        messages.push(match message {
            ModelMessage::User { text } => json!({"role": "user", "content": text}),
            ModelMessage::Assistant { text, tool_calls } if tool_calls.is_empty() => {
                json!({"role": "assistant", "content": text})
            }
            ModelMessage::Assistant { text, tool_calls } => json!({
                "role": "assistant",
                "content": text,
                "tool_calls": tool_calls.iter().map(|call| json!({
                    "id": call.id,
                    "type": "function",
                    "function": {"name": call.name, "arguments": call.arguments},
                })).collect::<Vec<_>>(),
            }),
            ModelMessage::ToolResult { call_id, content, .. } => {
                json!({"role": "tool", "tool_call_id": call_id, "content": content})
            }
        });
    }
    let mut body = json!({
        "model": request.model,
        "messages": messages,
        "stream": true,
        "stream_options": {"include_usage": true},
    });
    if !request.tools.is_empty() {
        body["tools"] = request
            .tools
            .iter()
            .map(|tool| {
                json!({
                    "type": "function",
                    "function": {"name": tool.name, "description": tool.description, "parameters": tool.input_schema},
                })
            })
            .collect();
    }
    if request.max_tokens > 0 {
        let field = if is_openai(base_url) { "max_completion_tokens" } else { "max_tokens" };
        body[field] = json!(request.max_tokens);
    }
    body
}

fn is_openai(base_url: &str) -> bool {
    let host = base_url.split("://").nth(1).unwrap_or(base_url).split(['/', ':']).next().unwrap_or_default();
    host == "api.openai.com"
}

/// A tool call whose pieces are still arriving.
#[derive(Debug, Default)]
struct PartialCall {
    id: String,
    name: String,
    arguments: String,
}

/// Assembles `chat.completion.chunk`s into model events.
#[derive(Debug, Default)]
pub(crate) struct ChatDecoder {
    /// Calls by their `index`, yielded in that order once the answer finishes.
    calls: BTreeMap<u64, PartialCall>,
    called: bool,
    finish: Option<StopReason>,
    usage: Usage,
}

impl Decoder for ChatDecoder {
    fn event(&mut self, event: SseEvent, out: &mut Vec<ModelEvent>) -> Result<bool, ProviderError> {
        let data = event.data.trim();
        if data.is_empty() {
            return Ok(false);
        }
        if data == "[DONE]" {
            self.flush_calls(out);
            let stop = match self.finish {
                // Some servers say `stop` when they called tools.
                Some(StopReason::EndTurn) | None if self.called => StopReason::ToolUse,
                Some(stop) => stop,
                None => StopReason::EndTurn,
            };
            out.push(ModelEvent::Finished { stop, usage: self.usage });
            return Ok(true);
        }
        let chunk: Value = serde_json::from_str(data).map_err(|e| malformed(&e, data))?;
        if chunk.get("error").is_some_and(|e| !e.is_null()) {
            return Err(stream_error(&chunk));
        }
        if let Some(usage) = chunk.get("usage").filter(|u| u.is_object()) {
            self.usage = Usage {
                input_tokens: usage["prompt_tokens"].as_u64().unwrap_or(self.usage.input_tokens),
                output_tokens: usage["completion_tokens"].as_u64().unwrap_or(self.usage.output_tokens),
            };
        }
        let choices = chunk.get("choices").and_then(Value::as_array).map(Vec::as_slice).unwrap_or_default();
        for choice in choices.iter().filter(|c| c["index"].as_u64().unwrap_or(0) == 0) {
            let delta = &choice["delta"];
            if let Some(text) = delta["content"].as_str().filter(|t| !t.is_empty()) {
                out.push(ModelEvent::TextDelta(text.to_owned()));
            }
            for call in delta["tool_calls"].as_array().map(Vec::as_slice).unwrap_or_default() {
                self.take_call_delta(call);
            }
            if let Some(reason) = choice["finish_reason"].as_str() {
                self.finish = Some(stop_reason(reason));
                self.flush_calls(out);
            }
        }
        Ok(false)
    }
}

impl ChatDecoder {
    fn take_call_delta(&mut self, delta: &Value) {
        let id = delta["id"].as_str().filter(|id| !id.is_empty());
        let index = match delta["index"].as_u64() {
            Some(index) => index,
            // Without an index, a delta with an id starts a new call; one without continues the last.
            None => {
                let last = self.calls.keys().next_back().copied();
                match (id, last) {
                    (Some(_), Some(last)) => last + 1,
                    (_, last) => last.unwrap_or(0),
                }
            }
        };
        let call = self.calls.entry(index).or_default();
        if let Some(id) = id {
            id.clone_into(&mut call.id);
        }
        if let Some(name) = delta["function"]["name"].as_str().filter(|n| !n.is_empty()) {
            name.clone_into(&mut call.name);
        }
        match &delta["function"]["arguments"] {
            Value::String(piece) => call.arguments.push_str(piece),
            Value::Null => {}
            whole => call.arguments.push_str(&whole.to_string()),
        }
    }

    fn flush_calls(&mut self, out: &mut Vec<ModelEvent>) {
        for (index, call) in std::mem::take(&mut self.calls) {
            self.called = true;
            let id = if call.id.is_empty() { format!("call_{index}") } else { call.id };
            let arguments = if call.arguments.trim().is_empty() { "{}".to_owned() } else { call.arguments };
            out.push(ModelEvent::ToolCall(ToolCallRequest { id, name: call.name, arguments }));
        }
    }
}

fn stop_reason(reason: &str) -> StopReason {
    match reason {
        "stop" => StopReason::EndTurn,
        "tool_calls" | "function_call" => StopReason::ToolUse,
        "length" => StopReason::MaxTokens,
        _ => StopReason::Other,
    }
}

pub(crate) fn malformed(error: &serde_json::Error, data: &str) -> ProviderError {
    let shown: String = data.chars().take(120).collect();
    ProviderError::Malformed(format!("{error} in {shown:?}"))
}

/// An `error` object sent inside a stream, mapped as if it were the HTTP status it
/// names (vLLM sends a numeric `code`; OpenAI a `type` or a string `code`).
fn stream_error(chunk: &Value) -> ProviderError {
    let message = http::message_of(chunk).unwrap_or_else(|| "the stream reported an error".to_owned());
    let error = &chunk["error"];
    let status = error["code"].as_u64().or_else(|| error["status"].as_u64()).and_then(|c| u16::try_from(c).ok());
    let kind = format!("{} {}", error["type"].as_str().unwrap_or_default(), error["code"].as_str().unwrap_or_default());
    let status = status.filter(|s| (400..600).contains(s)).unwrap_or(if kind.contains("rate_limit") {
        429
    } else if kind.contains("invalid_request") {
        400
    } else if kind.contains("auth") || kind.contains("api_key") {
        401
    } else {
        500
    });
    status_error(status, message, None)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::ToolSpec;

    /// Decode `lines` (each one `data:` payload) and compare the events, or the error.
    fn check(lines: &[&str], expect: &[ModelEvent], error: Option<&str>) {
        let mut decoder = ChatDecoder::default();
        let mut out = vec![];
        let mut failed = None;
        for line in lines {
            match decoder.event(SseEvent { event: None, data: (*line).to_owned() }, &mut out) {
                Ok(true) => break,
                Ok(false) => {}
                Err(e) => {
                    failed = Some(format!("{e:?}"));
                    break;
                }
            }
        }
        assert_eq!(out, expect, "{lines:?}");
        match (error, failed) {
            (None, None) => {}
            (Some(want), Some(got)) => assert!(got.starts_with(want), "{got}"),
            (want, got) => panic!("expected error {want:?}, got {got:?}"),
        }
    }

    fn call(id: &str, name: &str, arguments: &str) -> ModelEvent {
        ModelEvent::ToolCall(ToolCallRequest { id: id.into(), name: name.into(), arguments: arguments.into() })
    }

    fn finished(stop: StopReason, input_tokens: u64, output_tokens: u64) -> ModelEvent {
        ModelEvent::Finished { stop, usage: Usage { input_tokens, output_tokens } }
    }

    #[test]
    fn chunks_decode_to_events() {
        let text = |t: &str| ModelEvent::TextDelta(t.into());
        check(
            &[
                r#"{"choices":[{"index":0,"delta":{"role":"assistant","content":""},"finish_reason":null}],"usage":null}"#,
                r#"{"choices":[{"index":0,"delta":{"content":"Hel"},"finish_reason":null}]}"#,
                r#"{"choices":[{"index":0,"delta":{"content":"lo"},"finish_reason":null}]}"#,
                r#"{"choices":[{"index":0,"delta":{},"finish_reason":"stop"}]}"#,
                r#"{"choices":[],"usage":{"prompt_tokens":9,"completion_tokens":2,"total_tokens":11}}"#,
                "[DONE]",
            ],
            &[text("Hel"), text("lo"), finished(StopReason::EndTurn, 9, 2)],
            None,
        );
        // Ollama-style: no usage, no finish_reason, content null.
        check(
            &[r#"{"choices":[{"index":0,"delta":{"role":"assistant","content":null}}]}"#, "[DONE]"],
            &[finished(StopReason::EndTurn, 0, 0)],
            None,
        );
        check(
            &[r#"{"choices":[{"index":0,"delta":{"content":"x"},"finish_reason":"length"}]}"#, "[DONE]"],
            &[text("x"), finished(StopReason::MaxTokens, 0, 0)],
            None,
        );
        check(
            &[r#"{"choices":[{"index":0,"delta":{},"finish_reason":"content_filter"}]}"#, "[DONE]"],
            &[finished(StopReason::Other, 0, 0)],
            None,
        );
    }

    #[test]
    fn tool_calls_assemble_by_index() {
        check(
            &[
                r#"{"choices":[{"index":0,"delta":{"tool_calls":[{"index":0,"id":"call_a","type":"function","function":{"name":"one","arguments":""}}]}}]}"#,
                r#"{"choices":[{"index":0,"delta":{"tool_calls":[{"index":1,"id":"call_b","type":"function","function":{"name":"two","arguments":"{\"b\""}}]}}]}"#,
                r#"{"choices":[{"index":0,"delta":{"tool_calls":[{"index":0,"function":{"arguments":"{\"a\":"}}]}}]}"#,
                r#"{"choices":[{"index":0,"delta":{"tool_calls":[{"index":1,"function":{"arguments":":2}"}}]}}]}"#,
                r#"{"choices":[{"index":0,"delta":{"tool_calls":[{"index":0,"function":{"arguments":"1}"}}]}}]}"#,
                r#"{"choices":[{"index":0,"delta":{},"finish_reason":"tool_calls"}]}"#,
                "[DONE]",
            ],
            &[
                call("call_a", "one", r#"{"a":1}"#),
                call("call_b", "two", r#"{"b":2}"#),
                finished(StopReason::ToolUse, 0, 0),
            ],
            None,
        );
        // No index, arguments whole, `stop` as the reason, no finish before [DONE].
        check(
            &[
                r#"{"choices":[{"index":0,"delta":{"tool_calls":[{"id":"c1","function":{"name":"one","arguments":{"a":1}}}]}}]}"#,
                r#"{"choices":[{"index":0,"delta":{"tool_calls":[{"id":"c2","function":{"name":"two","arguments":""}}]}}]}"#,
                r#"{"choices":[{"index":0,"delta":{},"finish_reason":"stop"}]}"#,
                "[DONE]",
            ],
            &[call("c1", "one", r#"{"a":1}"#), call("c2", "two", "{}"), finished(StopReason::ToolUse, 0, 0)],
            None,
        );
        check(
            &[
                r#"{"choices":[{"index":0,"delta":{"tool_calls":[{"index":0,"function":{"name":"x","arguments":"{}"}}]}}]}"#,
                "[DONE]",
            ],
            &[call("call_0", "x", "{}"), finished(StopReason::ToolUse, 0, 0)],
            None,
        );
    }

    #[test]
    fn errors_in_the_stream_end_it() {
        check(&["{not json"], &[], Some("Malformed"));
        check(&[r#"{"error":{"message":"overloaded","type":"server_error"}}"#], &[], Some("Server { status: 500"));
        check(&[r#"{"error":{"message":"slow down","type":"rate_limit_error"}}"#], &[], Some("RateLimited"));
        check(&[r#"{"error":{"object":"error","message":"bad","code":400}}"#], &[], Some("Rejected { status: 400"));
        check(&[r#"{"error":"model crashed"}"#], &[], Some("Server"));
    }

    #[test]
    fn request_body_maps_messages_and_tools() {
        let request = ModelRequest {
            model: "m".into(),
            system: Some("be brief".into()),
            messages: vec![
                ModelMessage::User { text: "hi".into() },
                ModelMessage::Assistant {
                    text: String::new(),
                    tool_calls: vec![ToolCallRequest {
                        id: "c1".into(),
                        name: "t".into(),
                        arguments: "{\"a\":1}".into(),
                    }],
                },
                ModelMessage::ToolResult { call_id: "c1".into(), content: "ok".into(), is_error: false },
                ModelMessage::Assistant { text: "done".into(), tool_calls: vec![] },
            ],
            tools: vec![ToolSpec {
                name: "t".into(),
                description: "d".into(),
                input_schema: json!({"type": "object"}),
            }],
            max_tokens: 100,
        };
        let body = request_body(&request, "http://localhost:11434/v1");
        assert_eq!(
            body,
            json!({
                "model": "m",
                "stream": true,
                "stream_options": {"include_usage": true},
                "max_tokens": 100,
                "messages": [
                    {"role": "system", "content": "be brief"},
                    {"role": "user", "content": "hi"},
                    {"role": "assistant", "content": "", "tool_calls": [
                        {"id": "c1", "type": "function", "function": {"name": "t", "arguments": "{\"a\":1}"}}
                    ]},
                    {"role": "tool", "tool_call_id": "c1", "content": "ok"},
                    {"role": "assistant", "content": "done"},
                ],
                "tools": [{"type": "function", "function": {"name": "t", "description": "d", "parameters": {"type": "object"}}}],
            })
        );
        let body = request_body(&request, "https://api.openai.com/v1");
        assert_eq!(body["max_completion_tokens"], 100);
        assert!(body.get("max_tokens").is_none());
        let bare =
            request_body(&ModelRequest { model: "m".into(), ..ModelRequest::default() }, "https://api.openai.com/v1");
        assert!(bare.get("tools").is_none() && bare.get("max_completion_tokens").is_none(), "{bare}");
    }
}
