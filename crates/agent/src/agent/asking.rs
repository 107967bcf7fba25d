//! A running call's requests for the person's input (elicitation): recorded as
//! pending, shown at the call, answered once by the conversation's owner, or
//! answered `cancel` when the time runs out, the turn is stopped or the call ends.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use serde_json::{Value, json};
use switchboard_core::elicitation::{self, ElicitationAction, ElicitationAnswer, REDACTED};
use switchboard_core::{AuditKind, ConnectorId, ConversationId, ElicitationId, ToolCallId, UserId};
use switchboard_store::{AuditEvent, Conversation, Elicitation, ElicitationState, NewElicitation, StoreError};
use time::OffsetDateTime;
use tokio::sync::oneshot;

use super::{Agent, Tx, emit};
use crate::error::AgentError;
use crate::events::TurnEvent;
use crate::host::Ask;

/// The requests this process waits on, with where each answer goes.
#[derive(Clone, Debug, Default)]
pub(crate) struct Waiting(Arc<Mutex<Waiters>>);

type Waiters = HashMap<ElicitationId, (ConversationId, oneshot::Sender<ElicitationAnswer>)>;

impl Waiting {
    fn lock(&self) -> std::sync::MutexGuard<'_, Waiters> {
        self.0.lock().unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    /// Stop waiting for answers to the requests of `conversation` (its turn was
    /// stopped): each is marked expired and its server answered `cancel`.
    pub(crate) fn stop(&self, conversation: ConversationId) {
        self.lock().retain(|_, (of, _)| *of != conversation);
    }
}

/// An answer to a request, as the owner sent it.
#[derive(Clone, Debug)]
pub struct AnswerElicitation {
    pub elicitation: ElicitationId,
    pub answer: ElicitationAnswer,
    pub actor: UserId,
}

/// The call a request belongs to.
pub(super) struct AskedBy<'a> {
    pub(super) conversation: &'a Conversation,
    pub(super) call: ToolCallId,
    pub(super) connector_name: &'a str,
    /// Cancelled once the call has ended.
    pub(super) call_over: &'a tokio_util::sync::CancellationToken,
}

impl Agent {
    /// Record the request, show it, wait for the owner's answer and hand it to the call.
    pub(super) async fn ask_person(&self, by: AskedBy<'_>, ask: Ask, tx: &Tx) {
        let Ask { request, wait, mut reply } = ask;
        let params = request.to_params();
        let new = NewElicitation {
            conversation_id: by.conversation.id,
            call_id: by.call,
            connector_name: by.connector_name,
            request: &params,
            instance: &self.config.instance,
            expires_at: OffsetDateTime::now_utc() + wait,
        };
        let record = match self.store.insert_elicitation(new).await {
            Ok(record) => record,
            Err(e) => {
                tracing::error!(call = %by.call, error = %e, "could not record a request for input; answering cancel");
                let _ = reply.send(ElicitationAnswer::cancel());
                return;
            }
        };
        let (answered, answer) = oneshot::channel();
        self.waiting.lock().insert(record.id, (by.conversation.id, answered));
        emit(tx, TurnEvent::Elicitation(record.clone())).await;
        // Dropped unanswered when the turn is stopped (`Waiting::stop`).
        let answer = tokio::select! {
            answer = answer => answer.ok(),
            () = tokio::time::sleep(wait) => None,
            () = reply.closed() => None,
            () = by.call_over.cancelled() => None,
        };
        self.waiting.lock().remove(&record.id);
        let answer = match answer {
            Some(answer) => answer,
            None => {
                if let Err(e) = self.store.expire_elicitation(record.id).await {
                    tracing::warn!(elicitation = %record.id, error = %e, "could not mark a request for input expired");
                }
                emit(tx, TurnEvent::ElicitationEnded { id: record.id, call: by.call }).await;
                ElicitationAnswer::cancel()
            }
        };
        let _ = reply.send(answer);
    }

    /// Record the owner's answer to a request of one of the conversation's calls and
    /// hand it to the call, once. The content of an accepted form must fit its schema.
    pub async fn answer_elicitation(
        &self,
        conversation: &Conversation,
        request: AnswerElicitation,
    ) -> Result<Elicitation, AgentError> {
        let AnswerElicitation { elicitation: id, mut answer, actor } = request;
        let found = match self.store.elicitation(id).await {
            Err(StoreError::NotFound(_)) => return Err(AgentError::NotFound("elicitation")),
            found => found?,
        };
        if found.conversation_id != conversation.id || actor != conversation.owner_id {
            return Err(AgentError::NotFound("elicitation"));
        }
        if found.state != ElicitationState::Pending {
            return Err(AgentError::NotWaiting(format!(
                "this request was already answered or has ended (it is {})",
                found.state.as_str()
            )));
        }
        let schema = found.request.get("requestedSchema").cloned().unwrap_or(Value::Null);
        let form = found.request.get("mode").and_then(Value::as_str) != Some("url");
        match answer.action {
            ElicitationAction::Accept if form => {
                let content = answer.content.get_or_insert_default();
                let errors = elicitation::validate(&schema, content);
                if !errors.is_empty() {
                    return Err(AgentError::Invalid(format!(
                        "the answer does not fit the form: {}",
                        errors.join("; ")
                    )));
                }
            }
            // Only an accepted form carries content.
            _ => answer.content = None,
        }
        if !self.waiting.lock().contains_key(&id) {
            return Err(AgentError::NotWaiting(
                "the call that asked is not waiting here any more (it ended, or runs on another Switchboard server)"
                    .into(),
            ));
        }
        let fields: Vec<String> = answer.content.iter().flat_map(|c| c.keys().cloned()).collect();
        let connector = self.store.tool_call(found.call_id).await.ok().and_then(|c| c.connector_id);
        let audit = |answered: &Elicitation| vec![answer_entry(answered, (conversation, connector), actor, &fields)];
        let answered = self.store.answer_elicitation(id, answer.action, actor, audit).await.map_err(|e| match e {
            StoreError::Conflict(message) => AgentError::NotWaiting(message),
            other => other.into(),
        })?;
        match self.waiting.lock().remove(&id) {
            Some((_, waiting)) => {
                let _ = waiting.send(answer);
            }
            None => tracing::warn!(elicitation = %id, "a request for input ended just as it was answered"),
        }
        Ok(answered)
    }
}

/// The audit entry of an answer: who chose what, and which fields were filled (never their values).
fn answer_entry(
    answered: &Elicitation,
    by: (&Conversation, Option<ConnectorId>),
    actor: UserId,
    fields: &[String],
) -> AuditEvent {
    let (conversation, connector_id) = by;
    let mode = answered.request.get("mode").and_then(Value::as_str).unwrap_or("form");
    AuditEvent {
        kind: AuditKind::Elicitation,
        actor_id: Some(actor),
        conversation_id: Some(conversation.id),
        tool_call_id: Some(answered.call_id),
        connector_id,
        tool: None,
        classification: None,
        decision: None,
        status: Some(answered.state.as_str().into()),
        latency_us: None,
        detail: json!({
            "elicitation_id": answered.id,
            "connector": answered.connector_name,
            "mode": mode,
            "action": answered.state.as_str(),
            "fields": fields,
            "content": if fields.is_empty() { Value::Null } else { Value::String(REDACTED.into()) },
        }),
    }
}
