//! The Chat Completions client against the scripted server's OpenAI wire.

use std::time::Duration;

use serde_json::json;
use switchboard_agent::{ModelEvent, ProviderKind, StopReason, ToolCallRequest, Usage};
use switchboard_testkit::{Reply, ScriptedModel, ToolCall};

use crate::support::{KEY, after_tool_round, ask, default_provider, provider, run};

fn call(id: &str, name: &str, arguments: &str) -> ToolCallRequest {
    ToolCallRequest { id: id.into(), name: name.into(), arguments: arguments.into() }
}

#[tokio::test]
async fn text_streams_in_deltas_then_finishes_with_usage() {
    let server = ScriptedModel::start().await;
    server.push(Reply::text("Hello there, how can I help?").with_usage(12, 7));
    let outcome = run(default_provider(&server, ProviderKind::OpenAi).as_ref(), ask("hi")).await;
    assert!(outcome.error.is_none(), "{outcome:?}");
    let deltas = outcome.events.iter().filter(|e| matches!(e, ModelEvent::TextDelta(_))).count();
    assert!(deltas > 3, "text came in {deltas} deltas");
    assert_eq!(outcome.text(), "Hello there, how can I help?");
    assert_eq!(
        outcome.last(),
        Some(&ModelEvent::Finished { stop: StopReason::EndTurn, usage: Usage { input_tokens: 12, output_tokens: 7 } })
    );
}

#[tokio::test]
async fn split_arguments_assemble_into_one_call() {
    let server = ScriptedModel::start().await;
    let arguments = json!({"city": "Paris", "unit": "celsius", "days": 3});
    server.push(Reply::tool_calls(vec![ToolCall::new("call_1", "get_weather", arguments.clone())]));
    let outcome = run(default_provider(&server, ProviderKind::OpenAi).as_ref(), ask("weather?")).await;
    assert!(outcome.error.is_none(), "{outcome:?}");
    assert_eq!(outcome.calls(), vec![call("call_1", "get_weather", &arguments.to_string())]);
    assert!(matches!(outcome.last(), Some(ModelEvent::Finished { stop: StopReason::ToolUse, .. })), "{outcome:?}");
}

#[tokio::test]
async fn interleaved_parallel_calls_come_out_whole_in_index_order() {
    let server = ScriptedModel::start().await;
    let paris = json!({"city": "Paris", "note": "a longer argument so that it takes many fragments"});
    let rome = json!({"city": "Rome"});
    server.push(
        Reply::tool_calls(vec![
            ToolCall::new("call_a", "get_weather", paris.clone()),
            ToolCall::new("call_b", "get_weather", rome.clone()),
        ])
        .with_text("Checking both."),
    );
    let outcome = run(default_provider(&server, ProviderKind::OpenAi).as_ref(), ask("weather?")).await;
    assert!(outcome.error.is_none(), "{outcome:?}");
    assert_eq!(outcome.text(), "Checking both.");
    assert_eq!(
        outcome.calls(),
        vec![call("call_a", "get_weather", &paris.to_string()), call("call_b", "get_weather", &rome.to_string())]
    );
    // The text comes first, the calls after it, the end last.
    let first_call = outcome.events.iter().position(|e| matches!(e, ModelEvent::ToolCall(_))).expect("a call");
    assert!(outcome.events[..first_call].iter().all(|e| matches!(e, ModelEvent::TextDelta(_))));
    assert!(matches!(outcome.last(), Some(ModelEvent::Finished { stop: StopReason::ToolUse, .. })));
}

#[tokio::test]
async fn invalid_arguments_are_passed_on_as_written() {
    let server = ScriptedModel::start().await;
    server.push(Reply::raw_arguments("call_9", "invented_tool", "{\"city\": Paris"));
    let outcome = run(default_provider(&server, ProviderKind::OpenAi).as_ref(), ask("?")).await;
    assert_eq!(outcome.calls(), vec![call("call_9", "invented_tool", "{\"city\": Paris")]);
}

#[tokio::test]
async fn the_token_limit_is_reported() {
    let server = ScriptedModel::start().await;
    server.push(Reply::text("a long answer that got").truncated());
    let outcome = run(default_provider(&server, ProviderKind::OpenAi).as_ref(), ask("?")).await;
    assert!(matches!(outcome.last(), Some(ModelEvent::Finished { stop: StopReason::MaxTokens, .. })), "{outcome:?}");
}

#[tokio::test]
async fn the_request_carries_system_tools_results_and_the_key() {
    let server = ScriptedModel::start().await;
    server.push(Reply::text("It is sunny in Paris."));
    let outcome = run(default_provider(&server, ProviderKind::OpenAi).as_ref(), after_tool_round()).await;
    assert!(outcome.error.is_none(), "{outcome:?}");
    let requests = server.requests();
    assert_eq!(requests.len(), 1);
    let sent = &requests[0];
    assert_eq!(sent.path, "/v1/chat/completions");
    assert_eq!(sent.header("authorization"), Some(format!("Bearer {KEY}").as_str()));
    assert_eq!(sent.header("content-type"), Some("application/json"));
    assert_eq!(
        sent.body,
        json!({
            "model": "test-model",
            "stream": true,
            "stream_options": {"include_usage": true},
            "max_tokens": 512,
            "messages": [
                {"role": "system", "content": "You file tickets."},
                {"role": "user", "content": "Weather in Paris and Rome?"},
                {"role": "assistant", "content": "Checking both.", "tool_calls": [
                    {"id": "call_1", "type": "function", "function": {"name": "get_weather", "arguments": "{\"city\":\"Paris\"}"}},
                    {"id": "call_2", "type": "function", "function": {"name": "get_weather", "arguments": "{city: Rome"}},
                ]},
                {"role": "tool", "tool_call_id": "call_1", "content": "18°C, sunny"},
                {"role": "tool", "tool_call_id": "call_2", "content": "arguments are not JSON"},
            ],
            "tools": [{"type": "function", "function": {
                "name": "get_weather",
                "description": "Current weather in a city",
                "parameters": {"type": "object", "properties": {"city": {"type": "string"}}, "required": ["city"]},
            }}],
        })
    );
}

#[tokio::test]
async fn no_key_means_no_authorization_header() {
    let server = ScriptedModel::start().await;
    server.push(Reply::text("local model here"));
    let local = provider(&server, ProviderKind::OpenAi, None, Duration::from_secs(10), 0);
    let outcome = run(local.as_ref(), ask("hi")).await;
    assert_eq!(outcome.text(), "local model here");
    assert_eq!(server.requests()[0].header("authorization"), None);
}
