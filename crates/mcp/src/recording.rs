//! The JSON-RPC messages of each tool call, as they cross the transport.
//!
//! [`Recording`] wraps any client transport. Each `tools/call` request it sends
//! opens an entry under the request's id; the messages about that id that follow
//! (`notifications/cancelled`, the response or the error) join it, until
//! [`Journal::take`] hands them over and forgets the call. Messages about ids
//! with no entry — a late answer after a timeout, say — are dropped, so the
//! journal stays as small as the calls in flight. `notifications/progress` about a
//! call's `progressToken` join its entry too, and go to its watcher as they arrive.

use std::borrow::Cow;
use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use rmcp::RoleClient;
use rmcp::model::{ClientNotification, ClientRequest, JsonRpcMessage, RequestId, ServerNotification};
use rmcp::service::{RxJsonRpcMessage, TxJsonRpcMessage};
use rmcp::transport::Transport;
use serde_json::Value;

/// How far a running call has got, from its server's `notifications/progress`.
#[derive(Clone, Debug, PartialEq)]
pub struct Progress {
    pub progress: f64,
    pub total: Option<f64>,
    pub message: Option<String>,
}

/// Told about each progress notification of one call.
pub type ProgressWatcher = Arc<dyn Fn(Progress) + Send + Sync>;

#[derive(Default)]
struct Call {
    messages: Vec<Value>,
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
}

/// The messages of the calls being watched, by request id.
#[derive(Clone, Default)]
pub(crate) struct Journal {
    calls: Arc<Mutex<Calls>>,
}

impl std::fmt::Debug for Journal {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Journal").field("calls", &self.lock().by_id.len()).finish()
    }
}

impl Journal {
    /// Open the entry of a call with its request.
    fn note_request(&self, id: &RequestId, message: Value) {
        let token = message["params"]["_meta"]["progressToken"].clone();
        let token = (!token.is_null()).then(|| token.to_string());
        let mut calls = self.lock();
        if let Some(token) = &token {
            calls.by_token.insert(token.clone(), id.clone());
        }
        let watcher = calls.early.remove(id);
        calls.by_id.insert(id.clone(), Call { messages: vec![message], progress_token: token, watcher });
    }

    /// Add a message to a call being watched; ignore it otherwise.
    fn note(&self, id: &RequestId, message: impl FnOnce() -> Option<Value>) {
        let mut calls = self.lock();
        if let Some(call) = calls.by_id.get_mut(id)
            && let Some(message) = message()
        {
            call.messages.push(message);
        }
    }

    /// A progress notification: kept with its call and handed to the call's watcher.
    fn note_progress(&self, message: Value) {
        let token = message["params"]["progressToken"].to_string();
        let watcher = {
            let mut calls = self.lock();
            let Some(id) = calls.by_token.get(&token).cloned() else { return };
            let Some(call) = calls.by_id.get_mut(&id) else { return };
            call.messages.push(message.clone());
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
            call.messages.iter().filter(|m| m["method"] == "notifications/progress").filter_map(progress_of).collect()
        };
        for progress in earlier {
            watcher(progress);
        }
    }

    /// The messages of one call, in the order they crossed; the call is forgotten.
    pub(crate) fn take(&self, id: &RequestId) -> Vec<Value> {
        let mut calls = self.lock();
        calls.early.remove(id);
        let call = calls.by_id.remove(id).unwrap_or_default();
        if let Some(token) = &call.progress_token {
            calls.by_token.remove(token);
        }
        call.messages
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Calls> {
        // A panic while holding the lock leaves only a journal of messages behind: keep going.
        self.calls.lock().unwrap_or_else(std::sync::PoisonError::into_inner)
    }
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
        match &item {
            JsonRpcMessage::Request(request) if matches!(request.request, ClientRequest::CallToolRequest(_)) => {
                if let Ok(message) = serde_json::to_value(&item) {
                    self.journal.note_request(&request.id, message);
                }
            }
            JsonRpcMessage::Notification(n) => {
                if let ClientNotification::CancelledNotification(cancelled) = &n.notification
                    && let Some(id) = &cancelled.params.request_id
                {
                    self.journal.note(id, || serde_json::to_value(&item).ok());
                }
            }
            _ => {}
        }
        self.inner.send(item)
    }

    async fn receive(&mut self) -> Option<RxJsonRpcMessage<RoleClient>> {
        let message = self.inner.receive().await?;
        let id = match &message {
            JsonRpcMessage::Response(response) => Some(&response.id),
            JsonRpcMessage::Error(error) => error.id.as_ref(),
            _ => None,
        };
        if let Some(id) = id {
            self.journal.note(id, || serde_json::to_value(&message).ok());
        } else if let JsonRpcMessage::Notification(n) = &message
            && matches!(n.notification, ServerNotification::ProgressNotification(_))
            && let Ok(value) = serde_json::to_value(&message)
        {
            self.journal.note_progress(value);
        }
        Some(message)
    }

    fn close(&mut self) -> impl Future<Output = Result<(), Self::Error>> + Send {
        self.inner.close()
    }
}
