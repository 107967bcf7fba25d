//! The JSON-RPC messages of each tool call, as they cross the transport.
//!
//! [`Recording`] wraps any client transport. Each `tools/call` request it sends
//! opens an entry under the request's id; the messages about that id that follow
//! (`notifications/cancelled`, the response or the error) join it, until
//! [`Journal::take`] hands them over and forgets the call. Messages about ids
//! with no entry — a late answer after a timeout, say — are dropped, so the
//! journal stays as small as the calls in flight.

use std::borrow::Cow;
use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use rmcp::RoleClient;
use rmcp::model::{ClientNotification, ClientRequest, JsonRpcMessage, RequestId};
use rmcp::service::{RxJsonRpcMessage, TxJsonRpcMessage};
use rmcp::transport::Transport;
use serde_json::Value;

/// The messages of the calls being watched, by request id.
#[derive(Clone, Debug, Default)]
pub(crate) struct Journal {
    calls: Arc<Mutex<HashMap<RequestId, Vec<Value>>>>,
}

impl Journal {
    /// Open the entry of a call with its request.
    fn note_request(&self, id: &RequestId, message: Value) {
        self.lock().insert(id.clone(), vec![message]);
    }

    /// Add a message to a call being watched; ignore it otherwise.
    fn note(&self, id: &RequestId, message: impl FnOnce() -> Option<Value>) {
        let mut calls = self.lock();
        if let Some(messages) = calls.get_mut(id)
            && let Some(message) = message()
        {
            messages.push(message);
        }
    }

    /// The messages of one call, in the order they crossed; the call is forgotten.
    pub(crate) fn take(&self, id: &RequestId) -> Vec<Value> {
        self.lock().remove(id).unwrap_or_default()
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, HashMap<RequestId, Vec<Value>>> {
        // A panic while holding the lock leaves only a journal of messages behind: keep going.
        self.calls.lock().unwrap_or_else(std::sync::PoisonError::into_inner)
    }
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
        }
        Some(message)
    }

    fn close(&mut self) -> impl Future<Output = Result<(), Self::Error>> + Send {
        self.inner.close()
    }
}
