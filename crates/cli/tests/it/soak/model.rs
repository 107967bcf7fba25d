//! The scripted model's part of the workload: it answers from the request alone,
//! so any number of conversations can share it in any order.

use serde_json::{Value, json};
use switchboard_testkit::{Reply, ToolCall};

/// The connector's name, hence the prefix of its tools' names as the model sees them.
pub(super) const CONNECTOR: &str = "Notes";
/// The write action: it must never run without the owner's approval.
pub(super) const WRITE: &str = "record_note";
/// The read action: it runs at once.
pub(super) const READ: &str = "lookup";

/// The upstream's tools: one read, one write, each taking a marker.
pub(super) fn tools() -> Value {
    json!([
        {"name": READ, "description": "Use this when you need a record by its key.",
         "inputSchema": {"type": "object", "properties": {"key": {"type": "string"}}, "required": ["key"]},
         "annotations": {"readOnlyHint": true}},
        {"name": WRITE, "description": "Use this to save a note.",
         "inputSchema": {"type": "object", "properties": {"text": {"type": "string"}}, "required": ["text"]},
         "annotations": {"readOnlyHint": false, "destructiveHint": false}}
    ])
}

/// "write M" asks for the write with marker M, "read M" for the read; after a
/// tool's result (or anything else) the model just answers.
pub(super) fn respond(request: &Value) -> Reply {
    let last = request["messages"].as_array().and_then(|m| m.last()).cloned().unwrap_or_default();
    let content = if last["role"] == "user" { last["content"].as_str().unwrap_or_default() } else { "" };
    let prefix = CONNECTOR.to_lowercase();
    if let Some(marker) = content.strip_prefix("write ") {
        let call = ToolCall::new(format!("call-{marker}"), format!("{prefix}__{WRITE}"), json!({"text": marker}));
        return Reply::tool_calls(vec![call]);
    }
    if let Some(marker) = content.strip_prefix("read ") {
        let call = ToolCall::new(format!("call-{marker}"), format!("{prefix}__{READ}"), json!({"key": marker}));
        return Reply::tool_calls(vec![call]);
    }
    Reply::text("Done.")
}
