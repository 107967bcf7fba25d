//! The fields of tool definitions that rmcp's typed `Tool` drops.
//!
//! rmcp parses `tools/list` results into a struct with the fields it knows
//! (`name`, `title`, `description`, the schemas, `annotations`, `icons`, `_meta`)
//! and drops the rest: `execution` (whether the tool runs only as a task), a
//! tool's `securitySchemes`, anything a later revision adds. Switchboard keeps a
//! definition whole, so each transport shows [`ToolFields`] the raw bytes of the
//! messages it reads while a listing is in flight; the listing then puts the
//! dropped fields back, by tool name. Outside a listing nothing is parsed twice.

use std::collections::HashMap;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};

use serde_json::{Map, Value};

/// The fields rmcp's `Tool` keeps; everything else is put back from the raw listing.
const KEPT_BY_RMCP: [&str; 8] =
    ["name", "title", "description", "inputSchema", "outputSchema", "annotations", "icons", "_meta"];

/// What the raw `tools/list` results of one session held beyond rmcp's fields.
#[derive(Clone, Debug, Default)]
pub(crate) struct ToolFields(Arc<Inner>);

#[derive(Debug, Default)]
struct Inner {
    /// Listings in flight; messages are looked at only while there is one.
    listings: AtomicUsize,
    /// Tool name → the fields rmcp dropped.
    dropped: Mutex<HashMap<String, Map<String, Value>>>,
    /// The handshake's answer declared `capabilities.tasks.requests.tools.call`
    /// (tasks of 2025-11-25, which rmcp's typed capabilities drop).
    task_calls: std::sync::atomic::AtomicBool,
}

/// A listing in flight; its end stops the looking (and, for the last one, forgets).
#[derive(Debug)]
pub(crate) struct Listing(ToolFields);

impl Drop for Listing {
    fn drop(&mut self) {
        if self.0.0.listings.fetch_sub(1, Ordering::AcqRel) == 1 {
            self.0.lock().clear();
        }
    }
}

impl ToolFields {
    /// Look at the messages read from now until the returned guard is dropped.
    pub(crate) fn listing(&self) -> Listing {
        self.0.listings.fetch_add(1, Ordering::AcqRel);
        Listing(self.clone())
    }

    /// Whether a transport should show its raw messages now.
    pub(crate) fn wanted(&self) -> bool {
        self.0.listings.load(Ordering::Acquire) > 0
    }

    /// One raw JSON-RPC message a transport read. A result with a `tools` array
    /// leaves each tool's unknown fields; anything else is ignored.
    pub(crate) fn offer(&self, message: &[u8]) {
        if !self.wanted() || !contains(message, b"\"tools\"") {
            return;
        }
        if contains(message, b"\"capabilities\"") && contains(message, b"\"tasks\"") {
            let declared = serde_json::from_slice::<Value>(message)
                .is_ok_and(|m| m["result"]["capabilities"]["tasks"]["requests"]["tools"]["call"].is_object());
            if declared {
                self.0.task_calls.store(true, Ordering::Release);
            }
            return;
        }
        let Ok(Value::Object(mut message)) = serde_json::from_slice::<Value>(message) else { return };
        let Some(Value::Object(mut result)) = message.remove("result") else { return };
        let Some(Value::Array(tools)) = result.remove("tools") else { return };
        let mut dropped = self.lock();
        for tool in tools {
            let Value::Object(mut tool) = tool else { continue };
            let Some(Value::String(name)) = tool.remove("name") else { continue };
            tool.retain(|key, _| !KEPT_BY_RMCP.contains(&key.as_str()));
            if !tool.is_empty() {
                dropped.insert(name, tool);
            }
        }
    }

    /// Whether the server declared, in its handshake, that it runs `tools/call` as a
    /// task of 2025-11-25 (seen only when the handshake was watched as a listing).
    pub(crate) fn task_calls_declared(&self) -> bool {
        self.0.task_calls.load(Ordering::Acquire)
    }

    /// Put back into `definition` (rmcp's `Tool` as JSON) what the listing dropped.
    pub(crate) fn restore(&self, definition: &mut Value) {
        let Some(object) = definition.as_object_mut() else { return };
        let Some(name) = object.get("name").and_then(Value::as_str) else { return };
        let Some(fields) = self.lock().remove(name) else { return };
        for (key, value) in fields {
            object.entry(key).or_insert(value);
        }
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, HashMap<String, Map<String, Value>>> {
        self.0.dropped.lock().unwrap_or_else(std::sync::PoisonError::into_inner)
    }
}

fn contains(haystack: &[u8], needle: &[u8]) -> bool {
    haystack.windows(needle.len()).any(|w| w == needle)
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    const LISTING: &str = r#"{"jsonrpc":"2.0","id":2,"result":{"tools":[
        {"name":"research","inputSchema":{"type":"object"},"execution":{"taskSupport":"required"},
         "securitySchemes":[{"type":"oauth2","scopes":["read"]}]},
        {"name":"echo","description":"Echo","inputSchema":{"type":"object"}}]}}"#;

    #[test]
    fn dropped_fields_come_back_by_name_while_a_listing_is_in_flight() {
        let fields = ToolFields::default();
        let listing = fields.listing();
        fields.offer(LISTING.as_bytes());
        let mut research = json!({"name": "research", "inputSchema": {"type": "object"}});
        fields.restore(&mut research);
        assert_eq!(research["execution"], json!({"taskSupport": "required"}));
        assert_eq!(research["securitySchemes"], json!([{"type": "oauth2", "scopes": ["read"]}]));
        let mut echo = json!({"name": "echo", "description": "Echo", "inputSchema": {"type": "object"}});
        fields.restore(&mut echo);
        assert_eq!(echo, json!({"name": "echo", "description": "Echo", "inputSchema": {"type": "object"}}));
        drop(listing);
        assert!(!fields.wanted());
    }

    #[test]
    fn nothing_is_kept_outside_a_listing_nor_from_other_messages() {
        let fields = ToolFields::default();
        fields.offer(LISTING.as_bytes());
        let mut research = json!({"name": "research"});
        fields.restore(&mut research);
        assert_eq!(research, json!({"name": "research"}), "not listing: not looked at");

        let _listing = fields.listing();
        for other in [
            &br#"{"jsonrpc":"2.0","id":3,"result":{"content":[{"type":"text","text":"\"tools\""}]}}"#[..],
            br#"{"jsonrpc":"2.0","method":"notifications/message","params":{"data":"\"tools\""}}"#,
            br#"{"jsonrpc":"2.0","id":2,"result":{"tools":"none"}}"#,
            b"\"tools\" {",
            b"",
        ] {
            fields.offer(other);
        }
        assert!(fields.lock().is_empty());
    }

    #[test]
    fn the_last_listing_to_end_forgets_what_was_not_taken() {
        let fields = ToolFields::default();
        let first = fields.listing();
        let second = fields.listing();
        fields.offer(LISTING.as_bytes());
        drop(first);
        assert!(fields.wanted());
        assert_eq!(fields.lock().len(), 1);
        drop(second);
        assert!(fields.lock().is_empty());
    }

    #[test]
    fn a_field_rmcp_kept_is_not_replaced() {
        let fields = ToolFields::default();
        let _listing = fields.listing();
        fields.offer(
            br#"{"jsonrpc":"2.0","id":1,"result":{"tools":[{"name":"t","execution":{"taskSupport":"optional"}}]}}"#,
        );
        let mut tool = json!({"name": "t", "execution": "kept"});
        fields.restore(&mut tool);
        assert_eq!(tool["execution"], "kept");
    }
}
