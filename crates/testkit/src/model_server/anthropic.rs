//! The Anthropic Messages wire: `event:`/`data:` pairs and error bodies.

use axum::http::StatusCode;
use serde_json::{Value, json};

use super::pieces;
use super::reply::{Kind, Reply};

/// The SSE frames of `reply`, as Anthropic streams them.
pub(super) fn frames(reply: &Reply, model: &str, serial: u64) -> Vec<String> {
    let (input, output) = reply.usage;
    let start = frame(
        "message_start",
        &json!({
            "type": "message_start",
            "message": {
                "id": format!("msg_scripted{serial:08}"),
                "type": "message",
                "role": "assistant",
                "model": model,
                "content": [],
                "stop_reason": null,
                "stop_sequence": null,
                "usage": {"input_tokens": input, "cache_creation_input_tokens": 0, "cache_read_input_tokens": 0, "output_tokens": 1},
            },
        }),
    );
    let ping = frame("ping", &json!({"type": "ping"}));
    let (text, calls) = match &reply.kind {
        Kind::Answer { text, calls } => (text, calls),
        Kind::Malformed => {
            return vec![
                start,
                ping,
                "event: content_block_delta\ndata: {\"type\":\"content_block_delta\",\"index\":0,\n\n".to_owned(),
            ];
        }
        Kind::Status { .. } | Kind::Hang => return vec![],
    };
    let mut out = vec![start];
    let mut index = 0;
    if !text.is_empty() {
        out.push(frame(
            "content_block_start",
            &json!({"type": "content_block_start", "index": index, "content_block": {"type": "text", "text": ""}}),
        ));
        out.push(ping.clone());
        for piece in pieces(text, 4) {
            out.push(frame(
                "content_block_delta",
                &json!({"type": "content_block_delta", "index": index, "delta": {"type": "text_delta", "text": piece}}),
            ));
        }
        out.push(frame("content_block_stop", &json!({"type": "content_block_stop", "index": index})));
        index += 1;
    } else {
        out.push(ping);
    }
    for call in calls {
        out.push(frame(
            "content_block_start",
            &json!({
                "type": "content_block_start",
                "index": index,
                "content_block": {"type": "tool_use", "id": call.id, "name": call.name, "input": {}},
            }),
        ));
        for partial in std::iter::once(String::new()).chain(pieces(&call.arguments, 5)) {
            out.push(frame(
                "content_block_delta",
                &json!({"type": "content_block_delta", "index": index, "delta": {"type": "input_json_delta", "partial_json": partial}}),
            ));
        }
        out.push(frame("content_block_stop", &json!({"type": "content_block_stop", "index": index})));
        index += 1;
    }
    let stop = match (reply.truncated, calls.is_empty()) {
        (true, _) => "max_tokens",
        (false, true) => "end_turn",
        (false, false) => "tool_use",
    };
    out.push(frame(
        "message_delta",
        &json!({"type": "message_delta", "delta": {"stop_reason": stop, "stop_sequence": null}, "usage": {"output_tokens": output}}),
    ));
    out.push(frame("message_stop", &json!({"type": "message_stop"})));
    out
}

fn frame(event: &str, data: &Value) -> String {
    format!("event: {event}\ndata: {data}\n\n")
}

/// An error body the way Anthropic words it for `status`.
pub(super) fn error_body(status: StatusCode, message: Option<&str>, model: &str, serial: u64) -> Value {
    let (kind, usual) = match status.as_u16() {
        401 => ("authentication_error", "invalid x-api-key".to_owned()),
        403 => ("permission_error", "Your API key does not have permission to use the specified resource.".to_owned()),
        404 => ("not_found_error", format!("model: {model}")),
        413 => ("request_too_large", "Request exceeds the maximum allowed number of bytes.".to_owned()),
        429 => ("rate_limit_error", "Number of request tokens has exceeded your per-minute rate limit".to_owned()),
        529 => ("overloaded_error", "Overloaded".to_owned()),
        400..=499 => ("invalid_request_error", "Invalid request.".to_owned()),
        _ => ("api_error", "Internal server error".to_owned()),
    };
    json!({
        "type": "error",
        "error": {"type": kind, "message": message.map(str::to_owned).unwrap_or(usual)},
        "request_id": format!("req_scripted{serial:08}"),
    })
}
