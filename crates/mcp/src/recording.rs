//! The JSON-RPC messages of each tool call, in order, as they cross the transport.
//!
//! [`Recording`] wraps any client transport. Each `tools/call` request it sends
//! opens an entry under the request's id; the messages of that call that follow
//! join it, each with its direction, until [`Journal::take`] hands them over and
//! forgets the call:
//!
//! - the response or the error to the request, and our `notifications/cancelled`;
//! - `notifications/progress` about the call's `progressToken` (also handed to its
//!   watcher as they arrive);
//! - requests the server sends while the call runs (sampling, roots, elicitation,
//!   ping) and our answers to them: with the call whose response stream carried
//!   them when the transport says so, otherwise with every call in flight;
//! - other notifications the server sends while the call runs (log messages, list
//!   changes), with every call in flight: JSON-RPC does not say which call a
//!   notification is about.
//!
//! Messages about ids with no entry — a late answer after a timeout, say — are
//! dropped, so the journal stays as small as the calls in flight. A message larger
//! than the journal's cap is kept as a small stand-in that says so.

use std::borrow::Cow;
use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use rmcp::RoleClient;
use rmcp::model::{ClientNotification, ClientRequest, GetExtensions, JsonRpcMessage, RequestId, ServerNotification};
use rmcp::service::{InboundStreamOrigin, RxJsonRpcMessage, TxJsonRpcMessage};
use rmcp::transport::Transport;
use serde::Serialize;
use serde_json::{Value, json};

/// How far a running call has got, from its server's `notifications/progress`.
#[derive(Clone, Debug, PartialEq)]
pub struct Progress {
    pub progress: f64,
    pub total: Option<f64>,
    pub message: Option<String>,
}

/// Told about each progress notification of one call.
pub type ProgressWatcher = Arc<dyn Fn(Progress) + Send + Sync>;

/// Which way a message went.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Direction {
    /// From Switchboard to the server: the request, a cancellation, our answers.
    ClientToServer,
    /// From the server: the response, notifications, its own requests.
    ServerToClient,
}

/// One JSON-RPC message of a call, as it crossed the transport (or, when larger
/// than the cap, a stand-in with its `jsonrpc`, `id` and `method` that says how
/// large it was).
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Exchanged {
    pub direction: Direction,
    pub message: Value,
}

#[derive(Default)]
struct Call {
    messages: Vec<Exchanged>,
    progress_token: Option<String>,
    watcher: Option<ProgressWatcher>,
}

#[derive(Default)]
struct Calls {
    by_id: HashMap<RequestId, Call>,
    /// Progress tokens (as JSON text) of the calls being watched.
    by_token: HashMap<String, RequestId>,
    /// Watchers of calls whose request has not crossed the transport yet.
    early: HashMap<RequestId, ProgressWatcher>,
    /// The server's own requests (its ids, not ours) and the calls they were filed with.
    server_requests: HashMap<RequestId, Vec<RequestId>>,
}

/// The messages of the calls being watched, by request id.
#[derive(Clone)]
pub(crate) struct Journal {
    calls: Arc<Mutex<Calls>>,
    /// Largest message kept whole, in bytes of JSON.
    max_bytes: usize,
}

impl std::fmt::Debug for Journal {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Journal").field("calls", &self.lock().by_id.len()).finish()
    }
}

impl Journal {
    /// A journal that keeps messages of at most `max_bytes` whole.
    pub(crate) fn new(max_bytes: usize) -> Self {
        Self { calls: Arc::default(), max_bytes }
    }

    /// Open the entry of a call with its request.
    fn note_request(&self, id: &RequestId, message: Value) {
        let token = message["params"]["_meta"]["progressToken"].clone();
        let token = (!token.is_null()).then(|| token.to_string());
        let mut calls = self.lock();
        if let Some(token) = &token {
            calls.by_token.insert(token.clone(), id.clone());
        }
        let watcher = calls.early.remove(id);
        let first = Exchanged { direction: Direction::ClientToServer, message };
        calls.by_id.insert(id.clone(), Call { messages: vec![first], progress_token: token, watcher });
    }

    /// Open the entry of a call that did not start with a `tools/call` of its own on
    /// this session (a task followed after a restart), under an id of our choosing.
    pub(crate) fn open(&self, id: &RequestId, messages: Vec<Exchanged>) {
        self.lock().by_id.insert(id.clone(), Call { messages, progress_token: None, watcher: None });
    }

    /// Add a message of ours (a task's request, the answer to it) to a call being watched.
    pub(crate) fn push(&self, id: &RequestId, direction: Direction, message: &Value) {
        self.note(id, direction, || bounded(message, self.max_bytes));
    }

    /// Add a message to a call being watched; ignore it otherwise.
    fn note(&self, id: &RequestId, direction: Direction, message: impl FnOnce() -> Option<Value>) {
        let mut calls = self.lock();
        if let Some(call) = calls.by_id.get_mut(id)
            && let Some(message) = message()
        {
            call.messages.push(Exchanged { direction, message });
        }
    }

    /// A message about no call in particular: filed with `call` when the transport
    /// knows it, else with every call in flight. A server request is remembered
    /// with the calls it was filed with, so that our answer joins them too.
    fn note_unassociated(&self, call: Option<&RequestId>, server_request: Option<&RequestId>, message: Value) {
        let mut calls = self.lock();
        let ids: Vec<RequestId> = match call {
            Some(id) if calls.by_id.contains_key(id) => vec![id.clone()],
            _ => calls.by_id.keys().cloned().collect(),
        };
        if ids.is_empty() {
            return;
        }
        for id in &ids {
            if let Some(entry) = calls.by_id.get_mut(id) {
                entry.messages.push(Exchanged { direction: Direction::ServerToClient, message: message.clone() });
            }
        }
        if let Some(request) = server_request {
            calls.server_requests.insert(request.clone(), ids);
        }
    }

    /// The calls a server request was filed with (its response stream's call, or every call then in flight).
    pub(crate) fn filed_with(&self, server_request: &RequestId) -> Vec<RequestId> {
        self.lock().server_requests.get(server_request).cloned().unwrap_or_default()
    }

    /// Our answer to a server request: with the calls the request was filed with.
    fn note_answer(&self, server_request: &RequestId, message: impl FnOnce() -> Option<Value>) {
        let mut calls = self.lock();
        let Some(ids) = calls.server_requests.remove(server_request) else { return };
        let Some(message) = message() else { return };
        for id in ids {
            if let Some(entry) = calls.by_id.get_mut(&id) {
                entry.messages.push(Exchanged { direction: Direction::ClientToServer, message: message.clone() });
            }
        }
    }

    /// A progress notification: kept with its call and handed to the call's watcher.
    fn note_progress(&self, message: Value) {
        let token = message["params"]["progressToken"].to_string();
        let watcher = {
            let mut calls = self.lock();
            let Some(id) = calls.by_token.get(&token).cloned() else { return };
            let Some(call) = calls.by_id.get_mut(&id) else { return };
            call.messages.push(Exchanged { direction: Direction::ServerToClient, message: message.clone() });
            call.watcher.clone()
        };
        if let Some(watcher) = watcher
            && let Some(progress) = progress_of(&message)
        {
            watcher(progress);
        }
    }

    /// Tell `watcher` about the call's progress from now on (and what came already).
    pub(crate) fn watch(&self, id: &RequestId, watcher: ProgressWatcher) {
        let earlier: Vec<Progress> = {
            let mut calls = self.lock();
            let Some(call) = calls.by_id.get_mut(id) else {
                // Requests are queued before they are sent: watch it once it is.
                calls.early.insert(id.clone(), watcher);
                return;
            };
            call.watcher = Some(watcher.clone());
            call.messages
                .iter()
                .map(|m| &m.message)
                .filter(|m| m["method"] == "notifications/progress")
                .filter_map(progress_of)
                .collect()
        };
        for progress in earlier {
            watcher(progress);
        }
    }

    /// The messages of one call, in the order they crossed; the call is forgotten.
    pub(crate) fn take(&self, id: &RequestId) -> Vec<Exchanged> {
        let mut calls = self.lock();
        calls.early.remove(id);
        let call = calls.by_id.remove(id).unwrap_or_default();
        if let Some(token) = &call.progress_token {
            calls.by_token.remove(token);
        }
        calls.server_requests.retain(|_, ids| {
            ids.retain(|i| i != id);
            !ids.is_empty()
        });
        call.messages
    }

    /// Whether any call is being watched (nothing to record otherwise).
    fn watching(&self) -> bool {
        !self.lock().by_id.is_empty()
    }

    /// `message` as JSON, or a stand-in when it is larger than the cap.
    fn bounded(&self, message: &impl Serialize) -> Option<Value> {
        bounded(message, self.max_bytes)
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Calls> {
        // A panic while holding the lock leaves only a journal of messages behind: keep going.
        self.calls.lock().unwrap_or_else(std::sync::PoisonError::into_inner)
    }
}

/// The size of `value` as JSON text, without building the text.
pub(crate) fn json_len(value: &impl Serialize) -> usize {
    struct Count(usize);
    impl std::io::Write for Count {
        fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
            self.0 += buf.len();
            Ok(buf.len())
        }
        fn flush(&mut self) -> std::io::Result<()> {
            Ok(())
        }
    }
    let mut count = Count(0);
    // Writing to a counter fails only if serialising fails, and then nothing is kept anyway.
    let _ = serde_json::to_writer(&mut count, value);
    count.0
}

/// `message` as JSON when it is at most `max` bytes; otherwise its `jsonrpc`, `id`
/// and `method` with a note of how large it was.
pub(crate) fn bounded(message: &impl Serialize, max: usize) -> Option<Value> {
    let bytes = json_len(message);
    if bytes <= max {
        return serde_json::to_value(message).ok();
    }
    // The envelope alone: serialising the whole message again is what the cap avoids.
    let whole = serde_json::to_value(message).ok()?;
    let mut cut = serde_json::Map::new();
    for field in ["jsonrpc", "id", "method"] {
        if let Some(value) = whole.get(field) {
            cut.insert(field.to_owned(), value.clone());
        }
    }
    cut.insert(
        "switchboard/cut".to_owned(),
        json!({"bytes": bytes, "max": max, "note": format!("the message was {bytes} bytes, more than the {max} kept")}),
    );
    Some(Value::Object(cut))
}

fn progress_of(message: &Value) -> Option<Progress> {
    let params = &message["params"];
    Some(Progress {
        progress: params["progress"].as_f64()?,
        total: params["total"].as_f64(),
        message: params["message"].as_str().map(str::to_owned),
    })
}

/// A transport that tells its [`Journal`] about the messages of tool calls.
pub(crate) struct Recording<T> {
    inner: T,
    journal: Journal,
}

impl<T> Recording<T> {
    pub(crate) fn new(inner: T, journal: Journal) -> Self {
        Self { inner, journal }
    }
}

impl<T: Transport<RoleClient>> Transport<RoleClient> for Recording<T> {
    type Error = T::Error;

    fn name() -> Cow<'static, str> {
        T::name()
    }

    fn send(
        &mut self,
        item: TxJsonRpcMessage<RoleClient>,
    ) -> impl Future<Output = Result<(), Self::Error>> + Send + 'static {
        let journal = &self.journal;
        match &item {
            JsonRpcMessage::Request(request)
                if matches!(&request.request, ClientRequest::CallToolRequest(_))
                    || matches!(&request.request, ClientRequest::CustomRequest(r) if r.method == "tools/call") =>
            {
                if let Some(message) = journal.bounded(&item) {
                    journal.note_request(&request.id, message);
                }
            }
            JsonRpcMessage::Notification(n) => {
                if let ClientNotification::CancelledNotification(cancelled) = &n.notification
                    && let Some(id) = &cancelled.params.request_id
                {
                    journal.note(id, Direction::ClientToServer, || journal.bounded(&item));
                }
            }
            JsonRpcMessage::Response(response) => journal.note_answer(&response.id, || journal.bounded(&item)),
            JsonRpcMessage::Error(error) => {
                if let Some(id) = &error.id {
                    journal.note_answer(id, || journal.bounded(&item));
                }
            }
            JsonRpcMessage::Request(_) => {}
        }
        self.inner.send(item)
    }

    async fn receive(&mut self) -> Option<RxJsonRpcMessage<RoleClient>> {
        let message = self.inner.receive().await?;
        let journal = &self.journal;
        match &message {
            JsonRpcMessage::Response(response) => {
                journal.note(&response.id, Direction::ServerToClient, || journal.bounded(&message));
            }
            JsonRpcMessage::Error(error) => {
                if let Some(id) = &error.id {
                    journal.note(id, Direction::ServerToClient, || journal.bounded(&message));
                }
            }
            JsonRpcMessage::Notification(n) => {
                if matches!(n.notification, ServerNotification::ProgressNotification(_)) {
                    if let Some(value) = journal.bounded(&message) {
                        journal.note_progress(value);
                    }
                } else if journal.watching()
                    && let Some(value) = journal.bounded(&message)
                {
                    journal.note_unassociated(None, None, value);
                }
            }
            JsonRpcMessage::Request(request) => {
                if journal.watching()
                    && let Some(value) = journal.bounded(&message)
                {
                    let call = match request.request.extensions().get::<InboundStreamOrigin>() {
                        Some(InboundStreamOrigin::OutboundRequest(id)) => Some(id),
                        _ => None,
                    };
                    journal.note_unassociated(call, Some(&request.id), value);
                }
            }
        }
        Some(message)
    }

    fn close(&mut self) -> impl Future<Output = Result<(), Self::Error>> + Send {
        self.inner.close()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn messages_over_the_cap_keep_their_envelope_and_say_how_large_they_were() {
        let small = json!({"jsonrpc": "2.0", "id": 3, "result": {"content": []}});
        let large =
            json!({"jsonrpc": "2.0", "id": 3, "result": {"content": [{"type": "text", "text": "x".repeat(500)}]}});
        let request = json!({"jsonrpc": "2.0", "id": 4, "method": "tools/call", "params": {"name": "t", "arguments": {"a": "y".repeat(500)}}});
        for (message, max, expect) in [
            (&small, 100, small.clone()),
            (&large, 10_000, large.clone()),
            (
                &large,
                100,
                json!({"jsonrpc": "2.0", "id": 3, "switchboard/cut": {"bytes": large.to_string().len(), "max": 100}}),
            ),
            (
                &request,
                100,
                json!({"jsonrpc": "2.0", "id": 4, "method": "tools/call", "switchboard/cut": {"bytes": request.to_string().len(), "max": 100}}),
            ),
        ] {
            let mut kept = bounded(message, max).expect("json");
            if let Some(cut) = kept.get_mut("switchboard/cut").and_then(Value::as_object_mut) {
                let note = cut.remove("note").expect("a note");
                assert!(note.as_str().expect("text").contains("more than the 100 kept"), "{note}");
            }
            assert_eq!(kept, expect, "max {max}");
        }
    }

    #[test]
    fn json_len_counts_the_text_serde_would_write() {
        for value in [json!(null), json!({"a": [1, 2, "é"]}), json!("x".repeat(70_000))] {
            assert_eq!(json_len(&value), value.to_string().len());
        }
    }
}
