//! What must hold after every restart, each read from a source of its own: the
//! upstream's record of what it executed, the database, the audit trail and
//! `switchboard audit verify`.

use std::collections::HashMap;
use std::path::Path;

use serde_json::Value;
use switchboard_core::conversation::{CallStatus, DecisionKind, TurnState};
use switchboard_core::{ConversationId, ToolCallId};
use switchboard_store::{Store, ToolCall};

use super::ledger::Ledger;
use super::model::{READ, WRITE};

/// One call as the upstream recorded it (`tools_server.py --executed`).
struct Executed {
    tool: String,
    marker: String,
    at_ms: i64,
}

fn executed(path: &Path) -> Vec<Executed> {
    let text = std::fs::read_to_string(path).unwrap_or_default();
    text.lines()
        .map(|line| {
            let entry: Value = serde_json::from_str(line).unwrap_or_else(|e| panic!("{line}: {e}"));
            let tool = entry["tool"].as_str().expect("tool").to_owned();
            Executed {
                marker: marker(&tool, &entry["arguments"]),
                tool,
                at_ms: entry["at_ms"].as_i64().expect("at_ms"),
            }
        })
        .collect()
}

/// The marker a call carries: the read's key or the write's text.
fn marker(tool: &str, arguments: &Value) -> String {
    let field = if tool == WRITE { "text" } else { "key" };
    arguments[field].as_str().unwrap_or_else(|| panic!("{tool} without a marker: {arguments}")).to_owned()
}

fn ms(t: time::OffsetDateTime) -> i64 {
    i64::try_from(t.unix_timestamp_nanos() / 1_000_000).expect("milliseconds fit")
}

/// What one check saw, for the figures of a run.
#[derive(Default, Debug)]
pub(super) struct Seen {
    pub(super) executed_writes: usize,
    pub(super) executed_reads: usize,
    pub(super) calls: usize,
    pub(super) interrupted: usize,
}

/// Assert every invariant; `executed_file` is the upstream's record.
pub(super) async fn check(store: &Store, ledger: &Ledger, executed_file: &Path) -> Seen {
    let mut seen = Seen::default();
    let mut calls: HashMap<String, ToolCall> = HashMap::new();
    for id in &ledger.conversations {
        let conversation: ConversationId = id.parse().expect("conversation id");
        let stored = store.conversation(conversation).await.expect("an acknowledged conversation is stored");
        // Recovery ended every turn the killed instance was running.
        assert_ne!(stored.state, TurnState::Running, "conversation {id} is still running after the restart");
        for call in store.tool_calls(conversation).await.expect("tool calls") {
            assert_ne!(call.status, CallStatus::Running, "call {} is still running after the restart", call.id);
            seen.interrupted += usize::from(call.status == CallStatus::Interrupted);
            let arguments: Value = serde_json::from_str(&call.arguments).expect("stored arguments are JSON");
            let previous = calls.insert(marker(call.tool.as_deref().unwrap_or_default(), &arguments), call);
            assert!(previous.is_none(), "one message asked for one call");
        }
    }
    seen.calls = calls.len();

    // No call executed twice, and none without its decision, by the upstream's own record.
    let mut times: HashMap<&str, usize> = HashMap::new();
    for done in &executed(executed_file) {
        let count = times.entry(&done.marker).or_default();
        *count += 1;
        assert_eq!(*count, 1, "{} {} was executed upstream more than once", done.tool, done.marker);
        if done.marker.starts_with("pg-") {
            assert!(ledger.playground_sent.contains(&done.marker), "{} ran but nobody called it", done.marker);
            continue;
        }
        let call = calls.get(&done.marker).unwrap_or_else(|| panic!("{} ran upstream but no call asked", done.marker));
        if done.tool == WRITE {
            seen.executed_writes += 1;
            assert_eq!(call.decision, Some(DecisionKind::Approved), "{} ran without approval: {call:?}", done.marker);
            let decided = call.decided_at.map(ms).expect("an approved call has its time");
            assert!(decided <= done.at_ms, "{} ran at {} before its approval at {decided}", done.marker, done.at_ms);
        } else {
            assert_eq!(done.tool, READ);
            seen.executed_reads += 1;
            assert_eq!(call.decision, Some(DecisionKind::AutoRead), "{call:?}");
        }
    }

    // Every acknowledged message and decision is there.
    for (id, content) in &ledger.messages {
        let messages = store.messages(id.parse().expect("conversation id")).await.expect("messages");
        assert!(messages.iter().any(|m| m.content == *content), "acknowledged message {content:?} of {id} is lost");
    }
    for (call, decision) in &ledger.decisions {
        let call: ToolCallId = call.parse().expect("call id");
        let stored = store.tool_call(call).await.expect("a decided call is stored");
        let expected = if decision == "approve" { DecisionKind::Approved } else { DecisionKind::Denied };
        assert_eq!(stored.decision, Some(expected), "acknowledged decision on {call} is lost: {stored:?}");
    }

    // Every answered playground call is in the audit trail.
    let entries = store.audit_events(time::OffsetDateTime::UNIX_EPOCH, 1_000_000).await.expect("audit trail");
    let audited: Vec<&str> = entries
        .iter()
        .filter_map(|e| {
            let arguments = &e.event.detail["arguments"];
            arguments["key"].as_str().or_else(|| arguments["text"].as_str())
        })
        .collect();
    for marker in &ledger.playground_answered {
        assert!(audited.contains(&marker.as_str()), "answered playground call {marker} is not in the audit trail");
    }
    seen
}
