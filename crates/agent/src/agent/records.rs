//! The audit entries of a conversation's calls and decisions.

use serde_json::json;
use switchboard_core::{AuditKind, UserId};
use switchboard_store::{AuditEvent, ToolCall};

/// The entry of a finished call; `owner` is the conversation's.
pub(super) fn call_entry(call: &ToolCall, owner: UserId) -> AuditEvent {
    let outcome = call.outcome.as_ref();
    AuditEvent {
        kind: AuditKind::ToolCall,
        actor_id: Some(owner),
        conversation_id: Some(call.conversation_id),
        tool_call_id: Some(call.id),
        connector_id: call.connector_id,
        tool: call.tool.clone().or_else(|| Some(call.name.clone())),
        classification: call.classification,
        decision: call.decision,
        status: Some(call.status.as_str().into()),
        latency_us: outcome.and_then(|o| o.latency_us),
        detail: json!({
            "source": "chat",
            "name": call.name,
            "arguments": call.arguments,
            "result": outcome.map(|o| &o.result),
            "is_error": outcome.is_some_and(|o| o.is_error),
            "decided_by": call.decided_by,
        }),
    }
}

/// The entry of a decision on a call, by `actor`.
pub(super) fn decision_entry(call: &ToolCall, actor: UserId) -> AuditEvent {
    AuditEvent {
        kind: AuditKind::Decision,
        actor_id: Some(actor),
        conversation_id: Some(call.conversation_id),
        tool_call_id: Some(call.id),
        connector_id: call.connector_id,
        tool: call.tool.clone(),
        classification: call.classification,
        decision: call.decision,
        status: Some(call.status.as_str().into()),
        latency_us: None,
        detail: json!({"arguments": call.arguments, "client_session": call.client_session}),
    }
}
