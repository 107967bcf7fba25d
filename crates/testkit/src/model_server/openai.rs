//! The OpenAI Chat Completions wire: `chat.completion.chunk` frames and error bodies.

use axum::http::StatusCode;
use serde_json::{Value, json};

use super::reply::{Kind, Reply};
use super::{now_unix, pieces};

/// The SSE frames of `reply`, as OpenAI streams them: with `include_usage`
/// (`stream_options` of the request), a last chunk with no choices carries the
/// usage; without it, no chunk does.
pub(super) fn frames(reply: &Reply, model: &str, serial: u64, include_usage: bool) -> Vec<String> {
    let id = format!("chatcmpl-scripted{serial:08}");
    let created = now_unix();
    let chunk = |delta: Value, finish: Value| {
        frame(&json!({
            "id": id,
            "object": "chat.completion.chunk",
            "created": created,
            "model": model,
            "system_fingerprint": "fp_scripted",
            "choices": [{"index": 0, "delta": delta, "logprobs": null, "finish_reason": finish}],
            "usage": null,
        }))
    };
    let (text, calls) = match &reply.kind {
        Kind::Answer { text, calls } => (text, calls),
        Kind::Malformed => {
            return vec![
                chunk(json!({"role": "assistant", "content": "", "refusal": null}), Value::Null),
                "data: {\"id\":\"chatcmpl-broken\",\"choices\":[{\"delta\":{\"content\":\"Hel\n\n".to_owned(),
            ];
        }
        Kind::Status { .. } | Kind::Hang => return vec![],
    };
    let content = if text.is_empty() && !calls.is_empty() { Value::Null } else { json!("") };
    let mut out = vec![chunk(json!({"role": "assistant", "content": content, "refusal": null}), Value::Null)];
    out.extend(pieces(text, 4).into_iter().map(|piece| chunk(json!({"content": piece}), Value::Null)));

    // Round 0 opens every call; later rounds send one argument fragment of each
    // call still going, so the calls' deltas interleave.
    let fragments: Vec<Vec<String>> = calls.iter().map(|c| pieces(&c.arguments, 5)).collect();
    let rounds = fragments.iter().map(Vec::len).max().unwrap_or(0);
    for round in 0..=rounds {
        for (index, call) in calls.iter().enumerate() {
            let delta = if round == 0 {
                json!({"index": index, "id": call.id, "type": "function", "function": {"name": call.name, "arguments": ""}})
            } else if let Some(fragment) = fragments[index].get(round - 1) {
                json!({"index": index, "function": {"arguments": fragment}})
            } else {
                continue;
            };
            out.push(chunk(json!({"tool_calls": [delta]}), Value::Null));
        }
    }

    let finish = match (reply.truncated, calls.is_empty()) {
        (true, _) => "length",
        (false, true) => "stop",
        (false, false) => "tool_calls",
    };
    out.push(chunk(json!({}), json!(finish)));
    if !include_usage {
        out.push("data: [DONE]\n\n".to_owned());
        return out;
    }
    let (input, output) = reply.usage;
    out.push(frame(&json!({
        "id": id,
        "object": "chat.completion.chunk",
        "created": created,
        "model": model,
        "system_fingerprint": "fp_scripted",
        "choices": [],
        "usage": {
            "prompt_tokens": input,
            "completion_tokens": output,
            "total_tokens": input + output,
            "prompt_tokens_details": {"cached_tokens": 0, "audio_tokens": 0},
            "completion_tokens_details": {"reasoning_tokens": 0, "audio_tokens": 0, "accepted_prediction_tokens": 0, "rejected_prediction_tokens": 0},
        },
    })));
    out.push("data: [DONE]\n\n".to_owned());
    out
}

fn frame(value: &Value) -> String {
    format!("data: {value}\n\n")
}

/// An error body the way OpenAI words it for `status`.
pub(super) fn error_body(status: StatusCode, message: Option<&str>, model: &str) -> Value {
    let (usual, kind, code) = match status.as_u16() {
        401 => (
            "Incorrect API key provided. You can find your API key at https://platform.openai.com/account/api-keys."
                .to_owned(),
            "invalid_request_error",
            json!("invalid_api_key"),
        ),
        404 => (
            format!("The model `{model}` does not exist or you do not have access to it."),
            "invalid_request_error",
            json!("model_not_found"),
        ),
        429 => (
            format!("Rate limit reached for {model} on requests per min (RPM): Limit 3, Used 3, Requested 1."),
            "requests",
            json!("rate_limit_exceeded"),
        ),
        400..=499 => ("Invalid request.".to_owned(), "invalid_request_error", Value::Null),
        _ => (
            "The server had an error while processing your request. Sorry about that!".to_owned(),
            "server_error",
            Value::Null,
        ),
    };
    json!({"error": {"message": message.map(str::to_owned).unwrap_or(usual), "type": kind, "param": null, "code": code}})
}
