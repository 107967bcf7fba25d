//! Asking the person behind a call when its server asks for input.
//!
//! A session made with [`crate::Elicitation::Ask`] offers form and URL elicitation.
//! Whoever sends a call and can ask its person runs the call inside [`asking`]; the
//! session then files the call's request id with that [`Asker`] while the call runs.
//! A server's input request reaches the asker of the call it belongs to:
//!
//! - `elicitation/create` sent during the call (2025-06-18 to 2025-11-25): the call
//!   whose response stream carried it, as the journal attributed it, or else a call
//!   in flight on the session (all of them are the same person's: sessions are kept
//!   per person and app);
//! - an `input_required` result (2026-07-28, SEP-2322): the call it answers;
//! - a `-32042` error (URL elicitation required): the call it answers; once the
//!   person says they are done, the call is sent again.
//!
//! The asker is carried to the session as a task-local value, so the layers between
//! (the session pool, the service's retries) need not pass it along.

use std::collections::HashMap;
use std::future::Future;
use std::pin::Pin;
use std::sync::{Arc, Mutex};

use rmcp::model::RequestId;
use serde_json::{Map, Value};
use switchboard_core::elicitation::{ElicitationAnswer, ElicitationRequest, redact};

use crate::recording::{Direction, Exchanged, Journal};

/// The answer a person gives, some time later.
pub type AskFuture = Pin<Box<dyn Future<Output = ElicitationAnswer> + Send>>;

/// Asks the person behind a call. It answers `cancel` when nobody answered in time.
pub type Asker = Arc<dyn Fn(ElicitationRequest) -> AskFuture + Send + Sync>;

/// The JSON-RPC error code of a call that needs the person to open a URL first.
pub const URL_ELICITATION_REQUIRED: i32 = -32042;

tokio::task_local! {
    static ASKER: Asker;
}

/// Run `call` (one or more tool calls of sessions that ask) so that a server's
/// request for input during it reaches `asker`.
pub async fn asking<F: Future>(asker: Asker, call: F) -> F::Output {
    ASKER.scope(asker, call).await
}

/// The asker of the calls this task runs, if any.
pub(crate) fn current() -> Option<Asker> {
    ASKER.try_with(Clone::clone).ok()
}

/// The askers of a session's calls in flight, by request id.
#[derive(Clone)]
pub(crate) struct Askers {
    calls: Arc<Mutex<HashMap<RequestId, Asker>>>,
    journal: Journal,
}

impl std::fmt::Debug for Askers {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Askers").field("calls", &self.lock().len()).finish()
    }
}

/// A call's asker, filed until dropped.
pub(crate) struct Filed {
    askers: Askers,
    id: RequestId,
}

impl Drop for Filed {
    fn drop(&mut self) {
        self.askers.lock().remove(&self.id);
    }
}

impl Askers {
    pub(crate) fn new(journal: Journal) -> Self {
        Self { calls: Arc::default(), journal }
    }

    /// File `asker` for the call sent as `id`, while the returned guard lives.
    pub(crate) fn file(&self, id: &RequestId, asker: Asker) -> Filed {
        self.lock().insert(id.clone(), asker);
        Filed { askers: self.clone(), id: id.clone() }
    }

    /// The asker of the call a server request belongs to: the call the journal filed
    /// it with (its response stream carried it), else any call in flight that asks.
    pub(crate) fn for_server_request(&self, server_request: &RequestId) -> Option<Asker> {
        let filed = self.journal.filed_with(server_request);
        let calls = self.lock();
        filed.iter().find_map(|id| calls.get(id).cloned()).or_else(|| calls.values().next().cloned())
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, HashMap<RequestId, Asker>> {
        self.calls.lock().unwrap_or_else(std::sync::PoisonError::into_inner)
    }
}

/// The values of secret-looking fields in the answers of a call's exchange replaced
/// by `[redacted]`: answers to `elicitation/create` requests, and `inputResponses`
/// answering a 2026-07-28 `input_required` result, each by the schema of its form.
pub fn redact_exchange(exchange: &mut [Exchanged]) {
    // The forms asked for, by the server's request id (as JSON text) or input key.
    let mut asked: HashMap<String, Value> = HashMap::new();
    let mut inputs: HashMap<String, Value> = HashMap::new();
    for item in exchange.iter_mut() {
        let message = &mut item.message;
        match item.direction {
            Direction::ServerToClient => {
                if message.get("method").and_then(Value::as_str) == Some("elicitation/create")
                    && let Some(schema) = message.pointer("/params/requestedSchema")
                {
                    asked.insert(message["id"].to_string(), schema.clone());
                }
                if let Some(requests) = message.pointer("/result/inputRequests").and_then(Value::as_object) {
                    for (key, request) in requests {
                        if let Some(schema) = request.pointer("/params/requestedSchema") {
                            inputs.insert(key.clone(), schema.clone());
                        }
                    }
                }
            }
            Direction::ClientToServer => {
                if message.get("method").is_none()
                    && let Some(schema) = asked.get(&message["id"].to_string())
                    && let Some(content) = message.pointer_mut("/result/content").and_then(Value::as_object_mut)
                {
                    redact(schema, content);
                }
                if let Some(responses) = message.pointer_mut("/params/inputResponses").and_then(Value::as_object_mut) {
                    for (key, response) in responses.iter_mut() {
                        if let (Some(schema), Some(content)) =
                            (inputs.get(key), response.get_mut("content").and_then(Value::as_object_mut))
                        {
                            redact(schema, content);
                        }
                    }
                }
            }
        }
    }
}

/// The URL elicitations a `-32042` error's data asks the person to complete.
pub(crate) fn required_urls(data: Option<&Value>) -> Vec<ElicitationRequest> {
    let listed = data.and_then(|d| d.get("elicitations")).and_then(Value::as_array);
    listed.into_iter().flatten().filter_map(|e| ElicitationRequest::from_params(e).ok()).collect()
}

/// A form answered with the defaults its schema gives.
pub(crate) fn defaults_of(schema: &Value) -> Map<String, Value> {
    let properties = schema.get("properties").and_then(Value::as_object);
    properties
        .into_iter()
        .flatten()
        .filter_map(|(name, property)| Some((name.clone(), property.get("default")?.clone())))
        .collect()
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    fn item(direction: Direction, message: Value) -> Exchanged {
        Exchanged { direction, message }
    }

    #[test]
    fn secrets_in_answers_are_redacted_in_both_kinds_of_round_trip() {
        let schema = json!({"properties": {"user": {"type": "string"}, "password": {"type": "string"}}});
        let mut exchange = vec![
            item(Direction::ClientToServer, json!({"id": 1, "method": "tools/call", "params": {}})),
            item(
                Direction::ServerToClient,
                json!({"id": 7, "method": "elicitation/create", "params": {"message": "m", "requestedSchema": schema}}),
            ),
            item(
                Direction::ClientToServer,
                json!({"id": 7, "result": {"action": "accept", "content": {"user": "ann", "password": "hunter2"}}}),
            ),
            item(
                Direction::ServerToClient,
                json!({"id": 1, "result": {"resultType": "input_required", "inputRequests": {
                    "login": {"method": "elicitation/create", "params": {"message": "m", "requestedSchema": schema}}}}}),
            ),
            item(
                Direction::ClientToServer,
                json!({"id": 2, "method": "tools/call", "params": {"inputResponses": {
                    "login": {"action": "accept", "content": {"user": "ann", "password": "hunter2"}}}}}),
            ),
        ];
        redact_exchange(&mut exchange);
        assert_eq!(exchange[2].message["result"]["content"], json!({"user": "ann", "password": "[redacted]"}));
        let response = &exchange[4].message["params"]["inputResponses"]["login"]["content"];
        assert_eq!(response, &json!({"user": "ann", "password": "[redacted]"}));
        assert!(
            !serde_json::to_string(&exchange.iter().map(|e| &e.message).collect::<Vec<_>>())
                .expect("json")
                .contains("hunter2")
        );
    }

    #[test]
    fn url_elicitations_are_read_from_the_error() {
        let data = json!({"elicitations": [
            {"mode": "url", "message": "Sign in", "url": "https://x.io/a", "elicitationId": "e"},
            {"mode": "nonsense"}
        ]});
        let urls = required_urls(Some(&data));
        assert_eq!(urls.len(), 1);
        assert!(matches!(&urls[0], ElicitationRequest::Url { url, .. } if url == "https://x.io/a"));
        assert!(required_urls(None).is_empty());
    }
}
