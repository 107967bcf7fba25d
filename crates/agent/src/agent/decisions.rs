//! The owner's decisions on waiting calls, and cancel.

use std::time::Duration;

use serde_json::json;
use switchboard_core::approval;
use switchboard_core::conversation::{CallStatus, Decision, DecisionKind, TurnState};
use switchboard_core::{ConnectorId, ConversationId, ToolCallId, UserId};
use switchboard_store::{
    Conversation, DecisionRecord, Interruption, NewRememberedChoice, Note, RememberedTool, StoreError, ToolCall,
    TurnMove,
};

use super::execution::failed;
use super::records::{call_entry, decision_entry};
use super::turn::STOPPED;
use super::{Agent, TurnEvents};
use crate::error::AgentError;

/// A decision on a waiting write action, as its decider sent it.
#[derive(Clone, Copy, Debug)]
pub struct DecideCall<'a> {
    pub call: ToolCallId,
    pub decision: Decision,
    /// Apply the same choice to later calls of the action, for this page session.
    pub remember: bool,
    pub actor: UserId,
    /// The page session the decision comes from.
    pub client_session: &'a str,
}

/// How long a failed turn's end is retried in the background (a full disk freed, a
/// database back) before a cancel or the next start is left to end it.
const END_RETRY_FOR: Duration = Duration::from_secs(600);

/// What a call of a turn whose driver stopped on a failed write is left with once ended.
const ABANDONED_CALL: &str = "this call was cut off when its turn could not be saved; it may or may not have \
                              taken effect, and it was not sent again";

impl Agent {
    /// Record the owner's decision on a waiting write action, run it if approved,
    /// and resume the turn once no call of its step waits any more.
    pub async fn decide(&self, conversation: &Conversation, request: DecideCall<'_>) -> Result<TurnEvents, AgentError> {
        let DecideCall { call: call_id, decision, remember, actor, client_session } = request;
        let no_such_call =
            || AgentError::NotWaiting("no tool call of this conversation waits for a decision under that id".into());
        let call = match self.store.tool_call(call_id).await {
            Err(StoreError::NotFound(_)) => return Err(no_such_call()),
            found => found?,
        };
        if call.conversation_id != conversation.id {
            return Err(no_such_call());
        }
        approval::may_decide(actor, conversation.owner_id, call.status).map_err(|e| match e {
            approval::DecisionRefused::NotOwner => AgentError::Forbidden(e.to_string()),
            approval::DecisionRefused::NotAwaiting(_) => AgentError::NotWaiting(e.to_string()),
        })?;
        let kind = match decision {
            Decision::Approve => DecisionKind::Approved,
            Decision::Deny => DecisionKind::Denied,
        };
        let first = self.record_decision(&call, kind, actor, client_session).await.map_err(|e| match e {
            AgentError::Conflict(message) => AgentError::NotWaiting(message),
            other => other,
        })?;
        let mut decided = vec![first];
        // Remembered for the definition of the tool the call was made with: once the
        // server changes the tool, the owner is asked again.
        if remember
            && let (Some(connector), Some(tool), Some(definition)) =
                (call.connector_id, call.tool.as_deref(), call.definition_digest.as_deref())
        {
            self.store
                .remember_decision(NewRememberedChoice {
                    conversation: conversation.id,
                    connector,
                    tool,
                    client_session,
                    definition_digest: definition,
                    decision,
                })
                .await?;
            // The same action waiting beside it in this step follows the remembered choice.
            let kind = match decision {
                Decision::Approve => DecisionKind::Remembered,
                Decision::Deny => DecisionKind::RememberedDeny,
            };
            for other in self.store.tool_calls(conversation.id).await? {
                if other.id != call.id
                    && other.message_id == call.message_id
                    && other.status == CallStatus::AwaitingApproval
                    && other.connector_id == call.connector_id
                    && other.tool == call.tool
                    && other.definition_digest == call.definition_digest
                    && let Ok(d) = self.record_decision(&other, kind, actor, client_session).await
                {
                    decided.push(d);
                }
            }
        }
        Ok(self.spawn_resume(conversation.id, client_session.to_owned(), decided))
    }

    /// Record a decision on `call` with its audit entries (and, for a denial, the
    /// entry of the call, which is over).
    async fn record_decision(
        &self,
        call: &ToolCall,
        kind: DecisionKind,
        actor: UserId,
        client_session: &str,
    ) -> Result<ToolCall, AgentError> {
        let denied = matches!(kind, DecisionKind::Denied | DecisionKind::RememberedDeny).then(|| {
            let message = format!("the user denied this call of {}; do not retry it unless they ask", call.name);
            (json!({"error": message}), message)
        });
        let decision = DecisionRecord { kind, by: actor, client_session, denied, instance: &self.config.instance };
        let decided = self
            .store
            .decide_call(call, decision, |decided| {
                let mut entries = vec![decision_entry(decided, actor)];
                if decided.status == CallStatus::Denied {
                    // Only the owner decides.
                    entries.push(call_entry(decided, actor));
                }
                entries
            })
            .await?;
        Ok(decided)
    }

    /// The choices remembered in the conversation for the page session.
    pub async fn remembered(
        &self,
        conversation: &Conversation,
        client_session: &str,
    ) -> Result<Vec<RememberedTool>, AgentError> {
        Ok(self.store.remembered_decisions(conversation.id, client_session).await?)
    }

    /// Revoke a remembered choice: the next call of the tool in this page session
    /// asks again. `NotFound` when none is remembered.
    pub async fn forget(
        &self,
        conversation: &Conversation,
        connector: ConnectorId,
        tool: &str,
        client_session: &str,
    ) -> Result<(), AgentError> {
        Ok(self.store.forget_decision(conversation.id, connector, tool, client_session).await?)
    }

    /// End the turn this server started and no longer drives; false when it is not such a turn.
    async fn end_abandoned(&self, id: ConversationId) -> Result<bool, AgentError> {
        let result = json!({"error": ABANDONED_CALL});
        let interruption = Interruption {
            result: &result,
            model_content: ABANDONED_CALL,
            note: "This turn stopped because it could not be saved; what was saved before is kept.",
        };
        Ok(self.store.end_abandoned_turn(id, &self.config.instance, interruption).await?)
    }

    /// After this server's driver of `id`'s turn failed (a step or its end could not
    /// be saved), end the turn as a cancel would: at once, or, when that cannot be
    /// saved either, in the background until it can (for at most [`END_RETRY_FOR`];
    /// a cancel, or recovery at the next start, ends it after that). Returns the
    /// state the conversation is in, `running` while its end waits.
    pub(super) async fn end_failed(&self, id: ConversationId) -> TurnState {
        match self.end_abandoned(id).await {
            Ok(true) => TurnState::Idle,
            // Not running here any more (it waits for a decision, say): as stored.
            Ok(false) => self.store.conversation(id).await.map_or(TurnState::Running, |c| c.state),
            Err(e) => {
                tracing::warn!(conversation = %id, error = %e, "the failed turn's end could not be saved yet; retrying");
                let agent = self.clone();
                tokio::spawn(async move { agent.end_failed_later(id).await });
                TurnState::Running
            }
        }
    }

    async fn end_failed_later(&self, id: ConversationId) {
        let deadline = tokio::time::Instant::now() + END_RETRY_FOR;
        let mut pause = Duration::from_millis(500);
        while tokio::time::Instant::now() < deadline {
            tokio::time::sleep(pause).await;
            match self.end_abandoned(id).await {
                Ok(_) => return,
                Err(e) => {
                    tracing::debug!(conversation = %id, error = %e, "the failed turn's end still cannot be saved")
                }
            }
            pause = (pause * 2).min(Duration::from_secs(15));
        }
        tracing::warn!(conversation = %id, "gave up ending the failed turn; a cancel or the next start ends it");
    }

    /// Stop the turn: a running one stops before its next step (a call already
    /// sent is left to finish); waiting calls are cancelled.
    pub async fn cancel(&self, conversation: &Conversation) -> Result<TurnState, AgentError> {
        let current = self.store.conversation(conversation.id).await?;
        // A call waiting for the person's input (a running one, or an approved write
        // that runs while the turn awaits other decisions) is answered `cancel`.
        self.waiting.stop(conversation.id);
        match current.state {
            TurnState::Idle => Ok(TurnState::Idle),
            TurnState::Running => {
                if self.running.cancel(conversation.id) {
                    Ok(TurnState::Running)
                } else if self.end_abandoned(conversation.id).await? {
                    // This server started the turn and no longer drives it: its driver
                    // stopped on a failed write and could not record its end.
                    Ok(TurnState::Idle)
                } else {
                    Err(AgentError::Conflict("the turn is running on another server; try again there".into()))
                }
            }
            TurnState::AwaitingApproval => {
                // An approved call that runs as a task here is cancelled upstream.
                self.running.cancel(conversation.id);
                for call in self.store.tool_calls(conversation.id).await? {
                    if call.status == CallStatus::AwaitingApproval {
                        let message = "the user cancelled the turn before deciding on this call";
                        let result = json!({"error": message});
                        let end = failed(CallStatus::Cancelled, &result, message);
                        let _ = self.store.finish_call(&call, end, |_| vec![]).await;
                    }
                }
                let change = TurnMove {
                    from: TurnState::AwaitingApproval,
                    to: TurnState::Idle,
                    steps: current.steps,
                    instance: &self.config.instance,
                    note: Some(Note::Stopped(STOPPED)),
                };
                self.store.move_turn(conversation.id, change).await?;
                Ok(TurnState::Idle)
            }
        }
    }
}
