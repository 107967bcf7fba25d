//! A turn: the owner's message, the steps of a drive, and its end.
//!
//! A drive reads what it needs once — the offered actions, and the history, which
//! the turn's start reads in its own transaction — and then keeps them: each step appends the answer and its finished calls to the
//! history exactly as they were stored, so the model is sent what it would be
//! sent from a fresh read, without reading it again. A resume after a decision
//! is a new drive, so it reads the offered actions again.

use futures::StreamExt as _;
use serde_json::Value;
use switchboard_core::ConversationId;
use switchboard_core::conversation::{CallStatus, Mode, TurnState};
use switchboard_core::widget;
use switchboard_store::{
    Answer, Conversation, History, Note, StepRecord, StepUsage, StoreError, ToolCall, TurnMove, TurnRestart, TurnStart,
};
use tokio::sync::mpsc;
use tokio_util::sync::CancellationToken;

use super::meter::Meter;
use super::records::call_entry;
use super::{Agent, TurnEvents, Tx, emit, emit_failure};
use crate::error::AgentError;
use crate::events::{Citation, DoneReason, StatusText, TurnEvent};
use crate::history::{model_messages, system_prompt};
use crate::host::{HostError, OfferedTool};
use crate::model::{ModelEvent, ModelMessage, ModelRequest, ToolCallRequest, ToolSpec};

/// The note a turn stopped by its owner leaves in the thread.
pub(super) const STOPPED: &str = "Stopped.";

/// What a drive keeps between its steps.
struct Drive<'a> {
    /// As the turn began; `steps` is kept up to date here.
    conversation: Conversation,
    /// The actions offered during this drive.
    offered: Vec<OfferedTool>,
    /// Their specs, as the model is sent them.
    tools: Vec<ToolSpec>,
    /// What the model is sent: the stored conversation so far.
    history: Vec<ModelMessage>,
    client_session: &'a str,
    tx: &'a Tx,
    cancel: &'a CancellationToken,
    citations: Vec<Citation>,
}

/// How a turn ends.
struct Ending<'a> {
    reason: DoneReason,
    /// What the model said before the end, to keep.
    answer: Option<&'a str>,
    /// Why it ended, for the user: an `error` event and a note.
    error: Option<(&'static str, String)>,
    /// What the last model step used, kept with its answer.
    usage: Option<StepUsage>,
}

/// Why a turn cannot start while another runs or waits.
const BUSY: &str = "the conversation is busy: wait for the answer, decide the pending actions, or cancel";

impl Agent {
    /// Start a turn with the owner's message. `Conflict` while another turn runs
    /// or waits for decisions.
    pub async fn send_message(
        &self,
        conversation: &Conversation,
        text: &str,
        client_session: &str,
    ) -> Result<TurnEvents, AgentError> {
        let start = TurnStart {
            conversation: conversation.id,
            text,
            client_session,
            title: &title_from(text),
            instance: &self.config.instance,
        };
        let started = self.store.start_turn(start).await.map_err(|e| match e {
            StoreError::Conflict(_) => AgentError::Conflict(BUSY.into()),
            other => other.into(),
        })?;
        let running = Conversation { state: TurnState::Running, steps: 0, ..conversation.clone() };
        Ok(self.spawn_turn(running, started.history, client_session.to_owned()))
    }

    /// Answer the owner's last message again (Retry after a failure or a stop,
    /// Regenerate): what came after it is superseded. `Conflict` while another
    /// turn runs or waits for decisions; `NoMessage` when nothing was sent yet.
    pub async fn regenerate(
        &self,
        conversation: &Conversation,
        client_session: &str,
    ) -> Result<TurnEvents, AgentError> {
        self.restart(conversation, None, client_session).await
    }

    /// Replace the owner's last message with `text` and answer it: the message
    /// and what came after it are superseded. Refused as [`Agent::regenerate`].
    pub async fn resend(
        &self,
        conversation: &Conversation,
        text: &str,
        client_session: &str,
    ) -> Result<TurnEvents, AgentError> {
        self.restart(conversation, Some(text), client_session).await
    }

    async fn restart(
        &self,
        conversation: &Conversation,
        replacement: Option<&str>,
        client_session: &str,
    ) -> Result<TurnEvents, AgentError> {
        let restart =
            TurnRestart { conversation: conversation.id, replacement, client_session, instance: &self.config.instance };
        let started = self.store.restart_turn(restart).await.map_err(|e| match e {
            StoreError::Conflict(_) => AgentError::Conflict(BUSY.into()),
            StoreError::NotFound(_) => AgentError::NoMessage("there is no message to answer again: send one".into()),
            other => other.into(),
        })?;
        let running = Conversation { state: TurnState::Running, steps: 0, ..conversation.clone() };
        Ok(self.spawn_turn(running, started.history, client_session.to_owned()))
    }

    /// Run a new turn of `conversation` (running, as it was started, with the
    /// history its start read) in the background; its events come out of the receiver.
    fn spawn_turn(&self, conversation: Conversation, history: History, client_session: String) -> TurnEvents {
        let (tx, rx) = mpsc::channel(256);
        let agent = self.clone();
        tokio::spawn(async move {
            let id = conversation.id;
            let registered = agent.running.start(id);
            let offered = agent.host.offered(&conversation).await;
            let history = model_messages(&history.messages, &history.calls);
            let result =
                agent.drive_with(conversation, offered, history, &client_session, &tx, &registered.cancel).await;
            drop(registered);
            if let Err(e) = result {
                tracing::error!(conversation = %id, error = %e, "turn failed");
                let state = agent.end_failed(id).await;
                emit_failure(&tx, &e, state).await;
            }
        });
        rx
    }

    /// Run the calls just decided in the background, then the rest of the turn
    /// once nothing waits; the events come out of the receiver.
    pub(super) fn spawn_resume(
        &self,
        id: ConversationId,
        client_session: String,
        decided: Vec<ToolCall>,
    ) -> TurnEvents {
        let (tx, rx) = mpsc::channel(256);
        let agent = self.clone();
        tokio::spawn(async move {
            if let Err(e) = agent.resume(id, decided, &client_session, &tx).await {
                tracing::error!(conversation = %id, error = %e, "turn failed");
                let state = agent.end_failed(id).await;
                emit_failure(&tx, &e, state).await;
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
        // Registered before the approved calls run, so that Stop reaches a call that runs as a task.
        let registered = self.running.start(id);
        // Read again: what was turned off while the call waited is not sent.
        let offered = self.host.offered(&conversation).await;
        let available = offered.as_deref().unwrap_or_default();
        let runs = decided.into_iter().map(|call| {
            let conversation = &conversation;
            async move {
                if call.status == CallStatus::Denied {
                    emit(tx, TurnEvent::ToolResult(call)).await;
                } else {
                    self.execute(conversation, call, available, tx).await;
                }
            }
        });
        futures::future::join_all(runs).await;
        // Other decisions of the step may have finished their calls meanwhile.
        let calls = self.store.tool_calls(id).await?;
        if calls.iter().any(|c| !c.status.is_final()) {
            let (state, reason) = (TurnState::AwaitingApproval, DoneReason::AwaitingApproval);
            emit(tx, TurnEvent::Done { state, reason, citations: vec![] }).await;
            return Ok(());
        }
        let change = TurnMove {
            from: TurnState::AwaitingApproval,
            to: TurnState::Running,
            steps: conversation.steps,
            instance: &self.config.instance,
            note: None,
        };
        match self.store.move_turn(id, change).await {
            Ok(()) => {}
            // Another decision, finishing at the same moment, goes on with the turn.
            Err(StoreError::Conflict(_)) => {
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
        // Every call is final, so none changes any more: the history is complete.
        let messages = self.store.messages(id).await?;
        let history = model_messages(&messages, &calls);
        let running = Conversation { state: TurnState::Running, ..conversation };
        self.drive_with(running, offered, history, client_session, tx, &registered.cancel).await
    }

    /// Drive the running turn with the actions offered (or end it when they could
    /// not be listed) and its history.
    pub(super) async fn drive_with(
        &self,
        conversation: Conversation,
        offered: Result<Vec<OfferedTool>, HostError>,
        history: Vec<ModelMessage>,
        client_session: &str,
        tx: &Tx,
        cancel: &CancellationToken,
    ) -> Result<(), AgentError> {
        let mut drive = Drive {
            tools: vec![],
            offered: vec![],
            history: vec![],
            conversation,
            client_session,
            tx,
            cancel,
            citations: vec![],
        };
        let offered = match offered {
            Ok(offered) => offered,
            Err(e) => {
                let message = format!("The tools of this conversation could not be listed: {e}");
                let error = Some(("tools_unavailable", message));
                return self.end(drive, Ending { reason: DoneReason::Failed, answer: None, error, usage: None }).await;
            }
        };
        drive.history = history;
        drive.tools = offered
            .iter()
            .map(|t| ToolSpec {
                name: t.name.clone(),
                description: t.tool.description.clone().unwrap_or_else(|| t.tool.display_name().to_owned()),
                input_schema: t.tool.input_schema.clone(),
            })
            .collect();
        drive.offered = offered;
        self.drive(drive).await
    }

    /// Steps until the model answers, a write waits, the limit, a failure or cancel.
    async fn drive(&self, mut drive: Drive<'_>) -> Result<(), AgentError> {
        let tx = drive.tx;
        loop {
            if drive.cancel.is_cancelled() {
                return self
                    .end(drive, Ending { reason: DoneReason::Cancelled, answer: None, error: None, usage: None })
                    .await;
            }
            if drive.conversation.steps >= self.config.step_limit {
                let message = format!(
                    "Stopped after {} model steps in one turn (the limit); send a message to go on.",
                    self.config.step_limit
                );
                let error = Some(("step_limit", message));
                return self
                    .end(drive, Ending { reason: DoneReason::StepLimit, answer: None, error, usage: None })
                    .await;
            }
            let resolved = match self.providers.resolve(Some(&drive.conversation.model)) {
                Ok(r) => r,
                Err(e) => {
                    let error = Some(("model", e.to_string()));
                    return self
                        .end(drive, Ending { reason: DoneReason::Failed, answer: None, error, usage: None })
                        .await;
                }
            };
            let request = ModelRequest {
                model: resolved.model.clone(),
                system: Some(system_prompt(drive.conversation.mode)),
                messages: drive.history.clone(),
                tools: drive.tools.clone(),
                max_tokens: self.config.max_tokens,
            };

            // The model's answer, streamed.
            let mut text = String::new();
            let mut requested: Vec<ToolCallRequest> = vec![];
            let mut failure: Option<String> = None;
            let mut cancelled = false;
            let mut meter = Meter::new(resolved.qualified(), drive.conversation.steps);
            let started = tokio::select! {
                s = resolved.provider.stream(request) => Some(s),
                _ = drive.cancel.cancelled() => None,
            };
            match started {
                None => cancelled = true,
                Some(Err(e)) => failure = Some(e.to_string()),
                Some(Ok(mut stream)) => loop {
                    let next = tokio::select! {
                        n = stream.next() => n,
                        _ = drive.cancel.cancelled() => { cancelled = true; break; }
                    };
                    match next {
                        Some(Ok(ModelEvent::TextDelta(delta))) => {
                            meter.first_token();
                            text.push_str(&delta);
                            emit(tx, TurnEvent::TextDelta(delta)).await;
                        }
                        Some(Ok(ModelEvent::ToolCall(call))) => {
                            meter.first_token();
                            requested.push(call);
                        }
                        Some(Ok(ModelEvent::Finished { usage, .. })) => {
                            meter.tokens(usage);
                            break;
                        }
                        None => break,
                        Some(Err(e)) => {
                            failure = Some(e.to_string());
                            break;
                        }
                    }
                },
            }
            let usage = meter.finish();
            if failure.is_some() || cancelled {
                // What was said so far is kept; calls of a broken answer are not run.
                let answer = (!text.is_empty()).then_some(text.as_str());
                let usage = Some(usage);
                let ending = match failure {
                    Some(message) => {
                        Ending { reason: DoneReason::Failed, answer, error: Some(("provider", message)), usage }
                    }
                    None => Ending { reason: DoneReason::Cancelled, answer, error: None, usage },
                };
                return self.end(drive, ending).await;
            }
            if requested.is_empty() {
                let ending =
                    Ending { reason: DoneReason::Answered, answer: Some(&text), error: None, usage: Some(usage) };
                return self.end(drive, ending).await;
            }
            if !self.step(&mut drive, &text, &requested, &usage).await? {
                return Ok(());
            }
        }
    }

    /// Record the answer and its calls, run the reads and park the writes.
    /// Whether the turn goes on to another step.
    async fn step(
        &self,
        drive: &mut Drive<'_>,
        text: &str,
        requested: &[ToolCallRequest],
        usage: &StepUsage,
    ) -> Result<bool, AgentError> {
        let (conversation, tx) = (&drive.conversation, drive.tx);
        let mut new_calls = Vec::with_capacity(requested.len());
        for call in requested {
            new_calls.push(self.plan(conversation, call, &drive.offered, drive.client_session).await?);
        }
        // With nothing to run, the turn waits from the moment the step is recorded;
        // with reads to run, once they are over.
        let runs = new_calls.iter().any(|c| c.status == CallStatus::Running);
        let waits = new_calls.iter().any(|c| c.status == CallStatus::AwaitingApproval);
        let steps = conversation.steps + 1;
        let owner = conversation.owner_id;
        let step = StepRecord {
            conversation: conversation.id,
            answer: Some(Answer { text, calls: &new_calls, usage: Some(usage) }),
            note: None,
            steps,
            to: if waits && !runs { TurnState::AwaitingApproval } else { TurnState::Running },
            instance: &self.config.instance,
        };
        // Calls over before they start are audited with the step.
        let recorded = self
            .store
            .record_step(step, |call| if call.status.is_final() { vec![call_entry(call, owner)] } else { vec![] })
            .await?;
        drive.conversation.steps = steps;
        if let Some(answer) = &recorded.answer {
            emit(tx, TurnEvent::StepUsage { message: answer.id, usage: usage.clone() }).await;
        }
        for call in &recorded.calls {
            let offered = drive
                .offered
                .iter()
                .find(|t| Some(t.connector_id) == call.connector_id && Some(&t.tool.name) == call.tool.as_ref());
            let status_text = offered.and_then(|t| StatusText::of(&t.tool));
            let widget = offered.and_then(|t| widget::template(&t.tool)).map(|t| t.kind);
            emit(tx, TurnEvent::ToolCallProposed { call: call.clone(), status_text, widget }).await;
            if call.status.is_final() {
                emit(tx, TurnEvent::ToolResult(call.clone())).await;
            }
        }

        let conversation = &drive.conversation;
        let sends = recorded.calls.iter().map(|c| async {
            if c.status == CallStatus::Running {
                self.execute(conversation, c.clone(), &drive.offered, tx).await
            } else {
                c.clone()
            }
        });
        let calls = futures::future::join_all(sends).await;
        if conversation.mode == Mode::Knowledge {
            let fetched = calls.iter().filter(|c| c.tool.as_deref() == Some("fetch"));
            drive.citations.extend(fetched.filter_map(citation_of));
        }
        if waits {
            if runs {
                let change = TurnMove {
                    from: TurnState::Running,
                    to: TurnState::AwaitingApproval,
                    steps,
                    instance: &self.config.instance,
                    note: None,
                };
                self.store.move_turn(conversation.id, change).await?;
            }
            for call in calls.iter().filter(|c| c.status == CallStatus::AwaitingApproval) {
                emit(tx, TurnEvent::AwaitingApproval(call.clone())).await;
            }
            let citations = std::mem::take(&mut drive.citations);
            let (state, reason) = (TurnState::AwaitingApproval, DoneReason::AwaitingApproval);
            emit(tx, TurnEvent::Done { state, reason, citations }).await;
            return Ok(false);
        }
        if let Some(answer) = &recorded.answer {
            drive.history.extend(model_messages(std::slice::from_ref(answer), &calls));
        }
        Ok(true)
    }

    /// End the turn, in one write: what the model said, a note saying why if
    /// it failed, `running → idle`; then the last events.
    async fn end(&self, drive: Drive<'_>, ending: Ending<'_>) -> Result<(), AgentError> {
        let Ending { reason, answer, error, usage } = ending;
        let note = match (&error, reason) {
            (Some((_, message)), _) => Some(Note::Error(message)),
            (None, DoneReason::Cancelled) => Some(Note::Stopped(STOPPED)),
            (None, _) => None,
        };
        let step = StepRecord {
            conversation: drive.conversation.id,
            answer: answer.map(|text| Answer { text, calls: &[], usage: usage.as_ref() }),
            note,
            steps: drive.conversation.steps,
            to: TurnState::Idle,
            instance: &self.config.instance,
        };
        let recorded = self.store.record_step(step, |_| vec![]).await?;
        if let (Some(answer), Some(usage)) = (recorded.answer, usage) {
            emit(drive.tx, TurnEvent::StepUsage { message: answer.id, usage }).await;
        }
        if let Some((code, message)) = error {
            emit(drive.tx, TurnEvent::Error { code, message }).await;
        }
        emit(drive.tx, TurnEvent::Done { state: TurnState::Idle, reason, citations: drive.citations }).await;
        Ok(())
    }
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
