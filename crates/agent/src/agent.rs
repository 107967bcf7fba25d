//! The agent loop: a state machine over the persisted conversation.
//!
//! A turn starts when the owner sends a message (`idle → running`). Each step
//! streams the model's answer, records it with the tool calls it asks for, runs
//! the reads at once (in parallel) and parks the writes (`running →
//! awaiting_approval`). A decision on the last waiting call resumes the turn
//! (`awaiting_approval → running`). Every change is in the store before it is
//! reported, so a restart loses nothing; nothing of the loop lives only in memory
//! but the cancel switch of a turn running here.

use std::sync::Arc;

use futures::StreamExt as _;
use serde_json::{Map, Value, json};
use switchboard_core::approval::{self, Gate, Recorded};
use switchboard_core::conversation::{CallStatus, Decision, DecisionKind, Mode, Role, TurnState};
use switchboard_core::{ConversationId, ToolCallId, UserId, untrusted};
use switchboard_store::{AuditEvent, CallEnd, Conversation, NewToolCall, Store, ToolCall};
use tokio::sync::mpsc;
use tokio_util::sync::CancellationToken;

use crate::error::AgentError;
use crate::events::{Citation, DoneReason, StatusText, TurnEvent};
use crate::history::{model_messages, result_text, system_prompt};
use crate::host::{CallResult, OfferedTool, ToolHost};
use crate::model::{ModelEvent, ModelRequest, ToolCallRequest, ToolSpec};
use crate::provider::Providers;
use crate::resolve::{Resolution, resolve};
use crate::running::Running;

/// Limits of the loop.
#[derive(Clone, Debug)]
pub struct AgentConfig {
    /// Model steps per turn.
    pub step_limit: u32,
    /// Largest tool output a model is sent, in bytes.
    pub output_cap: usize,
    /// Largest answer per step, in tokens.
    pub max_tokens: u32,
}

impl Default for AgentConfig {
    fn default() -> Self {
        Self { step_limit: 10, output_cap: 16 * 1024, max_tokens: 4096 }
    }
}

/// The events of one request's part of a turn.
pub type TurnEvents = mpsc::Receiver<TurnEvent>;

/// Runs turns. Cheap to clone.
#[derive(Clone, Debug)]
pub struct Agent {
    store: Store,
    providers: Providers,
    host: Arc<dyn ToolHost>,
    config: AgentConfig,
    running: Running,
}

type Tx = mpsc::Sender<TurnEvent>;

async fn emit(tx: &Tx, event: TurnEvent) {
    // A client that went away does not stop the turn: it is all in the store.
    let _ = tx.send(event).await;
}

impl Agent {
    pub fn new(store: Store, providers: Providers, host: Arc<dyn ToolHost>, config: AgentConfig) -> Self {
        Self { store, providers, host, config, running: Running::default() }
    }

    pub fn providers(&self) -> &Providers {
        &self.providers
    }

    /// Start a turn with the owner's message. `Conflict` while another turn runs
    /// or waits for decisions.
    pub async fn send_message(
        &self,
        conversation: &Conversation,
        text: &str,
        client_session: &str,
    ) -> Result<TurnEvents, AgentError> {
        self.store.move_turn(conversation.id, TurnState::Idle, TurnState::Running, 0).await.map_err(|e| match e {
            switchboard_store::StoreError::Conflict(_) => AgentError::Conflict(
                "the conversation is busy: wait for the answer, decide the pending actions, or cancel".into(),
            ),
            other => other.into(),
        })?;
        let message = self.store.add_message(conversation.id, Role::User, text, Some(client_session)).await?;
        if message.seq == 1 {
            self.store.set_conversation_title(conversation.id, &title_from(text)).await?;
        }
        Ok(self.spawn(conversation.id, client_session.to_owned(), None))
    }

    /// Record the owner's decision on a waiting write action, run it if approved,
    /// and resume the turn once no call of its step waits any more.
    pub async fn decide(
        &self,
        conversation: &Conversation,
        call_id: ToolCallId,
        decision: Decision,
        remember: bool,
        actor: UserId,
        client_session: &str,
    ) -> Result<TurnEvents, AgentError> {
        let no_such_call =
            || AgentError::NotWaiting("no tool call of this conversation waits for a decision under that id".into());
        let call = match self.store.tool_call(call_id).await {
            Err(switchboard_store::StoreError::NotFound(_)) => return Err(no_such_call()),
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
        if remember && let (Some(connector), Some(tool)) = (call.connector_id, call.tool.as_deref()) {
            self.store.remember_decision(conversation.id, connector, tool, client_session, decision).await?;
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
                    && let Ok(d) = self.record_decision(&other, kind, actor, client_session).await
                {
                    decided.push(d);
                }
            }
        }
        Ok(self.spawn(conversation.id, client_session.to_owned(), Some(decided)))
    }

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
        let decided = self.store.decide_call(call.id, kind, actor, client_session, denied).await?;
        self.audit_decision(&decided, actor).await;
        if decided.status == CallStatus::Denied {
            // Only the owner decides.
            self.audit_call(&decided, actor).await;
        }
        Ok(decided)
    }

    /// Stop the turn: a running one stops before its next step (a call already
    /// sent is left to finish); waiting calls are cancelled.
    pub async fn cancel(&self, conversation: &Conversation) -> Result<TurnState, AgentError> {
        let current = self.store.conversation(conversation.id).await?;
        match current.state {
            TurnState::Idle => Ok(TurnState::Idle),
            TurnState::Running => {
                if self.running.cancel(conversation.id) {
                    Ok(TurnState::Running)
                } else {
                    Err(AgentError::Conflict("the turn is running on another server; try again there".into()))
                }
            }
            TurnState::AwaitingApproval => {
                for call in self.store.tool_calls(conversation.id).await? {
                    if call.status == CallStatus::AwaitingApproval {
                        let message = "the user cancelled the turn before deciding on this call";
                        let _ = self
                            .store
                            .finish_call(call.id, failed(CallStatus::Cancelled, &json!({"error": message}), message))
                            .await;
                    }
                }
                self.store
                    .move_turn(conversation.id, TurnState::AwaitingApproval, TurnState::Idle, current.steps)
                    .await?;
                Ok(TurnState::Idle)
            }
        }
    }

    /// After a start: calls that were running when the server stopped are marked
    /// interrupted (never sent again) and their turns end.
    pub async fn recover(&self) -> Result<Vec<ConversationId>, AgentError> {
        let message = "Switchboard stopped while this call was running; it may or may not have taken effect, \
                       and it was not sent again";
        let touched = self.store.interrupt_unfinished(&json!({"error": message}), message).await?;
        for id in &touched {
            let _ = self
                .store
                .add_message(
                    *id,
                    Role::Error,
                    "The server stopped during this turn; what was running then was not sent again.",
                    None,
                )
                .await;
        }
        Ok(touched)
    }

    fn spawn(&self, id: ConversationId, client_session: String, decided: Option<Vec<ToolCall>>) -> TurnEvents {
        let (tx, rx) = mpsc::channel(256);
        let agent = self.clone();
        tokio::spawn(async move {
            let result = match decided {
                None => {
                    let cancel = agent.running.start(id);
                    let r = agent.drive(id, &client_session, &tx, &cancel).await;
                    agent.running.finish(id);
                    r
                }
                Some(calls) => agent.resume(id, calls, &client_session, &tx).await,
            };
            if let Err(e) = result {
                tracing::error!(conversation = %id, error = %e, "turn failed");
                emit(&tx, TurnEvent::Error { code: "internal", message: "the turn failed; see the server log".into() })
                    .await;
                emit(&tx, TurnEvent::Done { state: TurnState::Idle, reason: DoneReason::Failed, citations: vec![] })
                    .await;
            }
        });
        rx
    }

    /// After decisions: run what was approved, then go on when nothing waits.
    async fn resume(
        &self,
        id: ConversationId,
        decided: Vec<ToolCall>,
        client_session: &str,
        tx: &Tx,
    ) -> Result<(), AgentError> {
        let conversation = self.store.conversation(id).await?;
        let offered = self.host.offered(&conversation).await.unwrap_or_default();
        let runs = decided.into_iter().map(|call| {
            let (conversation, offered) = (&conversation, &offered);
            async move {
                if call.status == CallStatus::Denied {
                    emit(tx, TurnEvent::ToolResult(call)).await;
                } else {
                    self.execute(conversation, call, offered, tx).await;
                }
            }
        });
        futures::future::join_all(runs).await;
        let message = self.store.tool_calls(id).await?;
        let waiting: Vec<ToolCall> = message.into_iter().filter(|c| !c.status.is_final()).collect();
        if !waiting.is_empty() {
            emit(
                tx,
                TurnEvent::Done {
                    state: TurnState::AwaitingApproval,
                    reason: DoneReason::AwaitingApproval,
                    citations: vec![],
                },
            )
            .await;
            return Ok(());
        }
        match self.store.move_turn(id, TurnState::AwaitingApproval, TurnState::Running, conversation.steps).await {
            Ok(()) => {}
            // Another decision, finishing at the same moment, goes on with the turn.
            Err(switchboard_store::StoreError::Conflict(_)) => {
                let state = self.store.conversation(id).await?.state;
                let reason = match state {
                    // Cancelled while the approved call ran.
                    TurnState::Idle => DoneReason::Cancelled,
                    TurnState::AwaitingApproval => DoneReason::AwaitingApproval,
                    // Another decision goes on with the turn, in its own stream.
                    TurnState::Running => DoneReason::Answered,
                };
                emit(tx, TurnEvent::Done { state, reason, citations: vec![] }).await;
                return Ok(());
            }
            Err(e) => return Err(e.into()),
        }
        let cancel = self.running.start(id);
        let r = self.drive(id, client_session, tx, &cancel).await;
        self.running.finish(id);
        r
    }

    /// Steps until the model answers, a write waits, the limit, a failure or cancel.
    async fn drive(
        &self,
        id: ConversationId,
        client_session: &str,
        tx: &Tx,
        cancel: &CancellationToken,
    ) -> Result<(), AgentError> {
        let mut citations = vec![];
        loop {
            let conversation = self.store.conversation(id).await?;
            if cancel.is_cancelled() {
                return self.end(&conversation, tx, DoneReason::Cancelled, None, citations).await;
            }
            if conversation.steps >= self.config.step_limit {
                let message = format!(
                    "Stopped after {} model steps in one turn (the limit); send a message to go on.",
                    self.config.step_limit
                );
                return self
                    .end(&conversation, tx, DoneReason::StepLimit, Some(("step_limit", message)), citations)
                    .await;
            }
            let offered = match self.host.offered(&conversation).await {
                Ok(offered) => offered,
                Err(e) => {
                    let message = format!("The tools of this conversation could not be listed: {e}");
                    return self
                        .end(&conversation, tx, DoneReason::Failed, Some(("tools_unavailable", message)), citations)
                        .await;
                }
            };
            let resolved = match self.providers.resolve(Some(&conversation.model)) {
                Ok(r) => r,
                Err(e) => {
                    return self
                        .end(&conversation, tx, DoneReason::Failed, Some(("model", e.to_string())), citations)
                        .await;
                }
            };
            let messages = self.store.messages(id).await?;
            let calls = self.store.tool_calls(id).await?;
            let request = ModelRequest {
                model: resolved.model.clone(),
                system: Some(system_prompt(conversation.mode)),
                messages: model_messages(&messages, &calls),
                tools: offered
                    .iter()
                    .map(|t| ToolSpec {
                        name: t.name.clone(),
                        description: t.tool.description.clone().unwrap_or_else(|| t.tool.display_name().to_owned()),
                        input_schema: t.tool.input_schema.clone(),
                    })
                    .collect(),
                max_tokens: self.config.max_tokens,
            };

            // The model's answer, streamed.
            let mut text = String::new();
            let mut requested: Vec<ToolCallRequest> = vec![];
            let mut failure: Option<String> = None;
            let mut cancelled = false;
            let started = tokio::select! {
                s = resolved.provider.stream(request) => Some(s),
                _ = cancel.cancelled() => None,
            };
            match started {
                None => cancelled = true,
                Some(Err(e)) => failure = Some(e.to_string()),
                Some(Ok(mut stream)) => loop {
                    let next = tokio::select! {
                        n = stream.next() => n,
                        _ = cancel.cancelled() => { cancelled = true; break; }
                    };
                    match next {
                        Some(Ok(ModelEvent::TextDelta(delta))) => {
                            text.push_str(&delta);
                            emit(tx, TurnEvent::TextDelta(delta)).await;
                        }
                        Some(Ok(ModelEvent::ToolCall(call))) => requested.push(call),
                        Some(Ok(ModelEvent::Finished { .. })) | None => break,
                        Some(Err(e)) => {
                            failure = Some(e.to_string());
                            break;
                        }
                    }
                },
            }
            if failure.is_some() || cancelled {
                // What was said so far is kept; calls of a broken answer are not run.
                if !text.is_empty() {
                    self.store.add_assistant_message(id, &text, &[]).await?;
                }
                let (reason, error) = match failure {
                    Some(message) => (DoneReason::Failed, Some(("provider", message))),
                    None => (DoneReason::Cancelled, None),
                };
                let conversation = self.store.conversation(id).await?;
                return self.end(&conversation, tx, reason, error, citations).await;
            }

            // Record the answer and its calls, decided as far as they can be.
            let mut new_calls = vec![];
            for call in &requested {
                new_calls.push(self.plan(&conversation, call, &offered, client_session).await?);
            }
            let (_, recorded) = self.store.add_assistant_message(id, &text, &new_calls).await?;
            let steps = conversation.steps + 1;
            self.store.move_turn(id, TurnState::Running, TurnState::Running, steps).await?;
            for call in &recorded {
                let status_text = offered
                    .iter()
                    .find(|t| Some(t.connector_id) == call.connector_id && Some(&t.tool.name) == call.tool.as_ref())
                    .and_then(|t| StatusText::of(&t.tool));
                emit(tx, TurnEvent::ToolCallProposed { call: call.clone(), status_text }).await;
                if call.status.is_final() {
                    self.audit_call(call, conversation.owner_id).await;
                    emit(tx, TurnEvent::ToolResult(call.clone())).await;
                }
            }
            if recorded.is_empty() {
                let conversation = self.store.conversation(id).await?;
                return self.end(&conversation, tx, DoneReason::Answered, None, citations).await;
            }

            let runs = recorded
                .iter()
                .filter(|c| c.status == CallStatus::Running)
                .map(|c| self.execute(&conversation, c.clone(), &offered, tx));
            for finished in futures::future::join_all(runs).await.into_iter().flatten() {
                if conversation.mode == Mode::Knowledge && finished.tool.as_deref() == Some("fetch") {
                    citations.extend(citation_of(&finished));
                }
            }
            let waiting: Vec<&ToolCall> =
                recorded.iter().filter(|c| c.status == CallStatus::AwaitingApproval).collect();
            if !waiting.is_empty() {
                self.store.move_turn(id, TurnState::Running, TurnState::AwaitingApproval, steps).await?;
                for call in waiting {
                    emit(tx, TurnEvent::AwaitingApproval(call.clone())).await;
                }
                emit(
                    tx,
                    TurnEvent::Done {
                        state: TurnState::AwaitingApproval,
                        reason: DoneReason::AwaitingApproval,
                        citations,
                    },
                )
                .await;
                return Ok(());
            }
        }
    }

    /// End the turn: an error message if any, `running → idle`, the last events.
    async fn end(
        &self,
        conversation: &Conversation,
        tx: &Tx,
        reason: DoneReason,
        error: Option<(&'static str, String)>,
        citations: Vec<Citation>,
    ) -> Result<(), AgentError> {
        if let Some((code, message)) = error {
            self.store.add_message(conversation.id, Role::Error, &message, None).await?;
            emit(tx, TurnEvent::Error { code, message }).await;
        }
        self.store.move_turn(conversation.id, TurnState::Running, TurnState::Idle, conversation.steps).await?;
        emit(tx, TurnEvent::Done { state: TurnState::Idle, reason, citations }).await;
        Ok(())
    }

    /// A model's call as it is to be recorded: invalid, denied by a remembered
    /// choice, to run now, or to wait for the owner.
    async fn plan(
        &self,
        conversation: &Conversation,
        call: &ToolCallRequest,
        offered: &[OfferedTool],
        client_session: &str,
    ) -> Result<NewToolCall, AgentError> {
        let mut new = NewToolCall {
            provider_call_id: call.id.clone(),
            name: call.name.clone(),
            connector_id: None,
            connector_name: None,
            tool: None,
            classification: None,
            arguments: call.arguments.clone(),
            arguments_digest: None,
            status: CallStatus::Invalid,
            decision: None,
            decided_by: None,
            client_session: Some(client_session.to_owned()),
            outcome: None,
        };
        let resolution = resolve(call, offered, |tool, args| self.host.validate(tool, args));
        let tool = match &resolution {
            Resolution::Valid { tool, .. } | Resolution::BadArguments { tool, .. } => Some(*tool),
            Resolution::Unknown { .. } => None,
        };
        if let Some(tool) = tool {
            new.connector_id = Some(tool.connector_id);
            new.connector_name = Some(tool.connector_name.clone());
            new.tool = Some(tool.tool.name.clone());
            new.classification = Some(tool.classification);
        }
        match resolution {
            Resolution::Unknown { reason } | Resolution::BadArguments { reason, .. } => {
                let content = format!("Error: {reason}");
                new.outcome = Some((json!({"error": reason}), content));
            }
            Resolution::Valid { tool, arguments } => {
                new.arguments_digest = Some(approval::arguments_digest(&Value::Object(arguments)));
                let remembered = self
                    .store
                    .remembered_decision(conversation.id, tool.connector_id, &tool.tool.name, client_session)
                    .await?;
                match approval::gate(tool.classification, remembered) {
                    Gate::Run(kind) => {
                        new.status = CallStatus::Running;
                        new.decision = Some(kind);
                        if kind == DecisionKind::Remembered {
                            new.decided_by = Some(conversation.owner_id);
                        }
                    }
                    Gate::Refuse(kind) => {
                        let message = format!(
                            "the user denied {} for this conversation; do not retry it unless they ask",
                            call.name
                        );
                        new.status = CallStatus::Denied;
                        new.decision = Some(kind);
                        new.decided_by = Some(conversation.owner_id);
                        new.outcome = Some((json!({"error": message}), message));
                    }
                    Gate::Ask => new.status = CallStatus::AwaitingApproval,
                }
            }
        }
        Ok(new)
    }

    /// Send one call whose decision is recorded, record how it ended and report it.
    /// Returns the finished call, if it could be recorded.
    async fn execute(
        &self,
        conversation: &Conversation,
        call: ToolCall,
        offered: &[OfferedTool],
        tx: &Tx,
    ) -> Option<ToolCall> {
        let connector_name = call.connector_name.clone().unwrap_or_default();
        let tool_name = call.tool.clone().unwrap_or_default();
        let available = offered.iter().find(|t| Some(t.connector_id) == call.connector_id && t.tool.name == tool_name);
        let arguments: Map<String, Value> = serde_json::from_str(&call.arguments).unwrap_or_default();
        let digest = approval::arguments_digest(&Value::Object(arguments.clone()));
        let recorded = match (call.decision, call.arguments_digest.as_deref()) {
            (Some(kind), Some(d)) => Some(Recorded { kind, arguments_digest: d }),
            _ => None,
        };
        let outcome = match available {
            None => Err(format!(
                "{} is no longer available in this conversation (turned off, removed, or its connector deleted)",
                call.name
            )),
            Some(tool) if !approval::may_send(tool.classification, recorded.as_ref(), &digest) => {
                Err(format!("{} was not approved, so it was not sent", call.name))
            }
            Some(tool) => self.call_reporting_progress(conversation, tool, arguments, call.id, tx).await,
        };
        let finished = match outcome {
            Ok(result) => {
                let content = untrusted::for_model(
                    &connector_name,
                    &tool_name,
                    &result_text(&result.result),
                    self.config.output_cap,
                );
                let latency = i64::try_from(result.latency.as_micros()).ok();
                self.store
                    .finish_call(
                        call.id,
                        CallEnd {
                            status: CallStatus::Completed,
                            result: &result.result,
                            is_error: result.is_error,
                            model_content: &content,
                            exchange: Some(&result.exchange),
                            latency_us: latency,
                        },
                    )
                    .await
            }
            Err(message) => {
                let content = format!("Error: {message}");
                self.store.finish_call(call.id, failed(CallStatus::Failed, &json!({"error": message}), &content)).await
            }
        };
        match finished {
            Ok(finished) => {
                self.audit_call(&finished, conversation.owner_id).await;
                emit(tx, TurnEvent::ToolResult(finished.clone())).await;
                Some(finished)
            }
            Err(e) => {
                tracing::error!(call = %call.id, error = %e, "could not record a tool call's outcome");
                None
            }
        }
    }

    /// Run the call, reporting its server's progress as it comes.
    async fn call_reporting_progress(
        &self,
        conversation: &Conversation,
        tool: &OfferedTool,
        arguments: Map<String, Value>,
        id: ToolCallId,
        tx: &Tx,
    ) -> Result<CallResult, String> {
        let (sink, mut progress) = mpsc::unbounded_channel();
        let call = self.host.call(conversation, tool, arguments, sink);
        tokio::pin!(call);
        loop {
            tokio::select! {
                result = &mut call => {
                    // What came just before the answer is still reported, in order.
                    while let Ok(p) = progress.try_recv() {
                        emit(tx, TurnEvent::ToolProgress { call: id, progress: p }).await;
                    }
                    return result.map_err(|e| e.0);
                }
                Some(p) = progress.recv() => emit(tx, TurnEvent::ToolProgress { call: id, progress: p }).await,
            }
        }
    }

    /// Append a finished call to the audit trail; `owner` is the conversation's.
    async fn audit_call(&self, call: &ToolCall, owner: UserId) {
        let outcome = call.outcome.as_ref();
        let event = AuditEvent {
            kind: "tool_call".into(),
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
        };
        if let Err(e) = self.store.append_audit(&event).await {
            tracing::error!(call = %call.id, error = %e, "could not write the audit trail");
        }
    }

    async fn audit_decision(&self, call: &ToolCall, actor: UserId) {
        let event = AuditEvent {
            kind: "decision".into(),
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
        };
        if let Err(e) = self.store.append_audit(&event).await {
            tracing::error!(call = %call.id, error = %e, "could not write the audit trail");
        }
    }
}

/// The end of a call that has no result from its server.
fn failed<'a>(status: CallStatus, result: &'a Value, model_content: &'a str) -> CallEnd<'a> {
    CallEnd { status, result, is_error: true, model_content, exchange: None, latency_us: None }
}

/// A conversation's title: the start of its first message, on one line.
fn title_from(text: &str) -> String {
    let line: String = text.split_whitespace().collect::<Vec<_>>().join(" ");
    let mut title: String = line.chars().take(60).collect();
    if line.chars().count() > 60 {
        title.push('…');
    }
    if title.is_empty() { "New conversation".into() } else { title }
}

/// The item a `fetch` call returned (`{id, title, url}` as structured content or
/// as JSON text), to cite.
fn citation_of(call: &ToolCall) -> Option<Citation> {
    let outcome = call.outcome.as_ref().filter(|o| !o.is_error)?;
    let item = outcome.result.get("structuredContent").cloned().or_else(|| {
        outcome.result["content"]
            .as_array()?
            .iter()
            .find_map(|c| c["text"].as_str().and_then(|t| serde_json::from_str::<Value>(t).ok()))
    })?;
    let text = |k: &str| item.get(k).and_then(Value::as_str).map(str::to_owned);
    Some(Citation { id: text("id")?, title: text("title"), url: text("url") })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn titles_are_one_short_line() {
        assert_eq!(title_from("  What is\non the   board? "), "What is on the board?");
        assert_eq!(title_from(&"é".repeat(70)).chars().count(), 61);
        assert_eq!(title_from("   "), "New conversation");
    }
}
