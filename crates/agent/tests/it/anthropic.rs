//! The Messages client against the scripted server's Anthropic wire.

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
    server.push(Reply::text("Bonjour, what do you need?").with_usage(30, 11));
    let outcome = run(default_provider(&server, ProviderKind::Anthropic).as_ref(), ask("hi")).await;
    assert!(outcome.error.is_none(), "{outcome:?}");
    let deltas = outcome.events.iter().filter(|e| matches!(e, ModelEvent::TextDelta(_))).count();
    assert!(deltas > 3, "text came in {deltas} deltas");
    assert_eq!(outcome.text(), "Bonjour, what do you need?");
    assert_eq!(
        outcome.last(),
        Some(&ModelEvent::Finished { stop: StopReason::EndTurn, usage: Usage { input_tokens: 30, output_tokens: 11 } })
    );
}

#[tokio::test]
async fn text_then_two_tool_uses_with_split_input() {
    let server = ScriptedModel::start().await;
    let paris = json!({"city": "Paris", "unit": "celsius"});
    let rome = json!({"city": "Rome"});
    server.push(
        Reply::tool_calls(vec![
            ToolCall::new("toolu_01", "get_weather", paris.clone()),
            ToolCall::new("toolu_02", "get_weather", rome.clone()),
        ])
        .with_text("Let me check."),
    );
    let outcome = run(default_provider(&server, ProviderKind::Anthropic).as_ref(), ask("weather?")).await;
    assert!(outcome.error.is_none(), "{outcome:?}");
    assert_eq!(outcome.text(), "Let me check.");
    assert_eq!(
        outcome.calls(),
        vec![call("toolu_01", "get_weather", &paris.to_string()), call("toolu_02", "get_weather", &rome.to_string())]
    );
    assert!(matches!(outcome.last(), Some(ModelEvent::Finished { stop: StopReason::ToolUse, .. })), "{outcome:?}");
}

#[tokio::test]
async fn a_tool_use_without_input_has_empty_object_arguments() {
    let server = ScriptedModel::start().await;
    server.push(Reply::raw_arguments("toolu_03", "list_boards", ""));
    let outcome = run(default_provider(&server, ProviderKind::Anthropic).as_ref(), ask("boards?")).await;
    assert_eq!(outcome.calls(), vec![call("toolu_03", "list_boards", "{}")]);
}

#[tokio::test]
async fn the_token_limit_is_reported() {
    let server = ScriptedModel::start().await;
    server.push(Reply::text("cut short").truncated());
    let outcome = run(default_provider(&server, ProviderKind::Anthropic).as_ref(), ask("?")).await;
    assert!(matches!(outcome.last(), Some(ModelEvent::Finished { stop: StopReason::MaxTokens, .. })), "{outcome:?}");
}

#[tokio::test]
async fn the_request_carries_system_tools_merged_results_and_the_key() {
    let server = ScriptedModel::start().await;
    server.push(Reply::text("Sunny in Paris; I could not read Rome."));
    let outcome = run(default_provider(&server, ProviderKind::Anthropic).as_ref(), after_tool_round()).await;
    assert!(outcome.error.is_none(), "{outcome:?}");
    let requests = server.requests();
    assert_eq!(requests.len(), 1);
    let sent = &requests[0];
    assert_eq!(sent.path, "/v1/messages");
    assert_eq!(sent.header("x-api-key"), Some(KEY));
    assert_eq!(sent.header("anthropic-version"), Some("2023-06-01"));
    assert_eq!(sent.header("authorization"), None);
    assert_eq!(
        sent.body,
        json!({
            "model": "test-model",
            "max_tokens": 512,
            "stream": true,
            "system": "You file tickets.",
            "tools": [{
                "name": "get_weather",
                "description": "Current weather in a city",
                "input_schema": {"type": "object", "properties": {"city": {"type": "string"}}, "required": ["city"]},
            }],
            "messages": [
                {"role": "user", "content": [{"type": "text", "text": "Weather in Paris and Rome?"}]},
                {"role": "assistant", "content": [
                    {"type": "text", "text": "Checking both."},
                    {"type": "tool_use", "id": "call_1", "name": "get_weather", "input": {"city": "Paris"}},
                    // The stored arguments were not JSON: the API needs an object.
                    {"type": "tool_use", "id": "call_2", "name": "get_weather", "input": {}},
                ]},
                {"role": "user", "content": [
                    {"type": "tool_result", "tool_use_id": "call_1", "content": "18°C, sunny", "is_error": false},
                    {"type": "tool_result", "tool_use_id": "call_2", "content": "arguments are not JSON", "is_error": true},
                ]},
            ],
        })
    );
}

#[tokio::test]
async fn no_key_means_no_key_header() {
    let server = ScriptedModel::start().await;
    server.push(Reply::text("proxied"));
    let keyless = provider(&server, ProviderKind::Anthropic, None, Duration::from_secs(10), 0);
    let outcome = run(keyless.as_ref(), ask("hi")).await;
    assert_eq!(outcome.text(), "proxied");
    assert_eq!(server.requests()[0].header("x-api-key"), None);
    assert_eq!(server.requests()[0].header("anthropic-version"), Some("2023-06-01"));
}
