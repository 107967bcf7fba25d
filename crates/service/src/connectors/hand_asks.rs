//! Requests for input during a call by hand (the playground): held in memory while
//! the call runs (the call itself is one HTTP request, not stored), listed to the
//! person who made the call, answered once by them.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use serde_json::{Value, json};
use switchboard_core::elicitation::{self, ElicitationAction, ElicitationAnswer, ElicitationRequest, REDACTED};
use switchboard_core::{AuditKind, ConnectorId, ElicitationId, UserId};
use switchboard_mcp::elicitation::Asker;
use switchboard_store::{AuditEvent, User};
use time::OffsetDateTime;
use tokio::sync::oneshot;

use super::Connectors;
use crate::error::{Result, ServiceError};

/// A request for input of a call by hand, as listed to its caller.
#[derive(Clone, Debug)]
pub struct HandAsk {
    pub id: ElicitationId,
    pub connector: ConnectorId,
    pub connector_name: String,
    /// The `elicitation/create` params.
    pub request: Value,
    /// `pending`, or the person's choice once answered.
    pub state: &'static str,
    pub created_at: OffsetDateTime,
    pub expires_at: OffsetDateTime,
}

struct Waiting {
    user: UserId,
    ask: HandAsk,
    /// Taken by the answer.
    reply: Option<oneshot::Sender<ElicitationAnswer>>,
}

/// The requests of calls by hand running in this process.
#[derive(Clone, Default)]
pub(crate) struct HandAsks(Arc<Mutex<HashMap<ElicitationId, Waiting>>>);

impl std::fmt::Debug for HandAsks {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("HandAsks").field("waiting", &self.lock().len()).finish()
    }
}

/// Forgets a request once its call no longer waits for it.
struct Forget(HandAsks, ElicitationId);

impl Drop for Forget {
    fn drop(&mut self) {
        self.0.lock().remove(&self.1);
    }
}

impl HandAsks {
    fn lock(&self) -> std::sync::MutexGuard<'_, HashMap<ElicitationId, Waiting>> {
        self.0.lock().unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    /// The asker of one call by `user` to a connector: each request waits at most `wait`.
    pub(crate) fn asker(&self, user: UserId, connector: ConnectorId, connector_name: String, wait: Duration) -> Asker {
        let asks = self.clone();
        Arc::new(move |request: ElicitationRequest| {
            let asks = asks.clone();
            let now = OffsetDateTime::now_utc();
            let ask = HandAsk {
                id: ElicitationId::new(),
                connector,
                connector_name: connector_name.clone(),
                request: request.to_params(),
                state: "pending",
                created_at: now,
                expires_at: now + wait,
            };
            Box::pin(async move {
                let (reply, answer) = oneshot::channel();
                let id = ask.id;
                asks.lock().insert(id, Waiting { user, ask, reply: Some(reply) });
                let _forget = Forget(asks, id);
                match tokio::time::timeout(wait, answer).await {
                    Ok(Ok(answer)) => answer,
                    _ => ElicitationAnswer::cancel(),
                }
            })
        })
    }

    fn pending(&self, user: UserId, connector: ConnectorId) -> Vec<HandAsk> {
        let mut found: Vec<HandAsk> = self
            .lock()
            .values()
            .filter(|w| w.user == user && w.ask.connector == connector && w.reply.is_some())
            .map(|w| w.ask.clone())
            .collect();
        found.sort_by_key(|a| a.created_at);
        found
    }
}

impl Connectors {
    /// The requests for input that `user`'s calls by hand to the connector wait on.
    pub async fn hand_asks(&self, user: &User, connector: ConnectorId) -> Result<Vec<HandAsk>> {
        self.opened(user, connector).await?;
        Ok(self.0.hand_asks.pending(user.id, connector))
    }

    /// Answer one of them, once; an accepted form's content must fit its schema.
    pub async fn answer_hand_ask(
        &self,
        user: &User,
        connector: ConnectorId,
        id: ElicitationId,
        mut answer: ElicitationAnswer,
    ) -> Result<HandAsk> {
        self.opened(user, connector).await?;
        let not_found = || ServiceError::NotFound("no request for input under that id".into());
        let (ask, reply) = {
            let mut waiting = self.0.hand_asks.lock();
            let found = waiting.get_mut(&id).filter(|w| w.user == user.id && w.ask.connector == connector);
            let Some(found) = found else { return Err(not_found()) };
            if found.reply.is_none() {
                return Err(ServiceError::conflict(
                    "not_waiting",
                    format!("this request was already answered ({})", found.ask.state),
                ));
            }
            let schema = found.ask.request.get("requestedSchema").cloned().unwrap_or(Value::Null);
            let form = found.ask.request.get("mode").and_then(Value::as_str) != Some("url");
            match answer.action {
                ElicitationAction::Accept if form => {
                    let errors = elicitation::validate(&schema, answer.content.get_or_insert_default());
                    if !errors.is_empty() {
                        return Err(ServiceError::Invalid(format!(
                            "the answer does not fit the form: {}",
                            errors.join("; ")
                        )));
                    }
                }
                _ => answer.content = None,
            }
            found.ask.state = answer.action.as_str();
            (found.ask.clone(), found.reply.take())
        };
        let fields: Vec<String> = answer.content.iter().flat_map(|c| c.keys().cloned()).collect();
        self.0
            .audit
            .append(AuditEvent {
                kind: AuditKind::Elicitation,
                actor_id: Some(user.id),
                conversation_id: None,
                tool_call_id: None,
                connector_id: Some(connector),
                tool: None,
                classification: None,
                decision: None,
                status: Some(answer.action.as_str().into()),
                latency_us: None,
                detail: json!({
                    "source": "playground",
                    "elicitation_id": id,
                    "connector": ask.connector_name,
                    "mode": ask.request.get("mode").and_then(Value::as_str).unwrap_or("form"),
                    "action": answer.action.as_str(),
                    "fields": fields,
                    "content": if fields.is_empty() { Value::Null } else { Value::String(REDACTED.into()) },
                }),
            })
            .await?;
        if let Some(reply) = reply {
            let _ = reply.send(answer);
        }
        Ok(ask)
    }
}
