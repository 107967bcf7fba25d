//! What to do with each call the model asks for, and sending it.

use serde_json::{Map, Value, json};
use switchboard_core::approval::{self, Gate, Recorded};
use switchboard_core::catalog::Classification;
use switchboard_core::conversation::{CallStatus, DecisionKind};
use switchboard_core::{ToolCallId, untrusted};
use switchboard_store::{CallEnd, CallTask, Conversation, NewToolCall, ToolCall};
use tokio::sync::mpsc;

use super::asking::AskedBy;
use super::records::call_entry;
use super::{Agent, Tx, emit};
use crate::error::AgentError;
use crate::events::TurnEvent;
use crate::history::result_text;
use crate::host::{CallControl, CallResult, HostError, OfferedTool, TaskNews};
use crate::model::ToolCallRequest;
use crate::resolve::{Resolution, resolve};

impl Agent {
    /// A model's call as it is to be recorded: invalid, denied by a remembered
    /// choice, to run now, or to wait for the owner.
    pub(super) async fn plan(
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
            definition_digest: None,
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
            new.definition_digest = Some(tool.tool.definition_digest());
        }
        match resolution {
            Resolution::Unknown { reason } | Resolution::BadArguments { reason, .. } => {
                let content = format!("Error: {reason}");
                new.outcome = Some((json!({"error": reason}), content));
            }
            Resolution::Valid { tool, arguments } => {
                new.arguments_digest = Some(approval::arguments_digest(&Value::Object(arguments)));
                // Only writes follow a remembered choice, and only one made on this definition.
                let remembered = match tool.classification {
                    Classification::Read => None,
                    Classification::Write => {
                        self.store
                            .remembered_decision(conversation.id, tool.connector_id, &tool.tool.name, client_session)
                            .await?
                    }
                };
                let remembered = remembered
                    .as_ref()
                    .map(|r| approval::Remembered { decision: r.decision, definition_digest: &r.definition_digest });
                let definition = new.definition_digest.as_deref().unwrap_or_default();
                match approval::gate(tool.classification, remembered, definition) {
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

    /// Send one call whose decision is recorded, record how it ended with its
    /// audit entry, and report it. Returns the finished call, or the call as it
    /// was when its end could not be recorded.
    pub(super) async fn execute(
        &self,
        conversation: &Conversation,
        call: ToolCall,
        offered: &[OfferedTool],
        tx: &Tx,
    ) -> ToolCall {
        let tool_name = call.tool.clone().unwrap_or_default();
        let available = offered.iter().find(|t| Some(t.connector_id) == call.connector_id && t.tool.name == tool_name);
        let arguments: Map<String, Value> = serde_json::from_str(&call.arguments).unwrap_or_default();
        let digest = approval::arguments_digest(&Value::Object(arguments.clone()));
        let recorded = match (call.decision, call.arguments_digest.as_deref()) {
            (Some(kind), Some(d)) => Some(Recorded { kind, arguments_digest: d }),
            _ => None,
        };
        let outcome = match available {
            None => Err(HostError::new(format!(
                "{} is no longer available in this conversation (turned off, removed, or its connector deleted)",
                call.name
            ))),
            Some(tool) if !approval::may_send(tool.classification, recorded.as_ref(), &digest) => {
                Err(HostError::new(format!("{} was not approved, so it was not sent", call.name)))
            }
            Some(tool) => self.call_reporting_progress(conversation, tool, Send::New(arguments), call.id, tx).await,
        };
        self.record_outcome(conversation, call, outcome, tx).await
    }

    /// Follow the task a call runs as, which a stop of this instance cut off, to its end;
    /// record and report the end as [`Agent::execute`] does.
    pub(super) async fn execute_resumed(
        &self,
        conversation: &Conversation,
        call: ToolCall,
        task: CallTask,
        offered: &[OfferedTool],
        tx: &Tx,
    ) -> ToolCall {
        let tool_name = call.tool.clone().unwrap_or_default();
        let available = offered.iter().find(|t| Some(t.connector_id) == call.connector_id && t.tool.name == tool_name);
        let outcome = match available {
            None => Err(HostError::new(format!(
                "Switchboard stopped while {} ran as a task, and after the restart the action was no longer \
                 available in this conversation, so its task was not followed; it may or may not have taken effect",
                call.name
            ))),
            Some(tool) => {
                let followed = self.call_reporting_progress(conversation, tool, Send::Resumed(task), call.id, tx).await;
                followed.map_err(|HostError { message, auth_required }| HostError {
                    message: format!(
                        "Switchboard stopped while this call ran as a task and could not follow the task again \
                         ({message}); it may or may not have taken effect"
                    ),
                    auth_required,
                })
            }
        };
        self.record_outcome(conversation, call, outcome, tx).await
    }

    /// Record how `call` ended with its audit entry, and report it.
    async fn record_outcome(
        &self,
        conversation: &Conversation,
        call: ToolCall,
        outcome: Result<CallResult, HostError>,
        tx: &Tx,
    ) -> ToolCall {
        let connector_name = call.connector_name.clone().unwrap_or_default();
        let tool_name = call.tool.clone().unwrap_or_default();
        let owner = conversation.owner_id;
        let audit = |finished: &ToolCall| vec![call_entry(finished, owner)];
        let finished = match outcome {
            Ok(result) if result.task.as_ref().is_some_and(|t| t.cancelled) => {
                // Cancelled upstream by Stop or the task deadline: the result says which.
                let content = format!("Error: {}", result_text(&result.result));
                let end = CallEnd {
                    status: CallStatus::Cancelled,
                    result: &result.result,
                    is_error: true,
                    model_content: &content,
                    exchange: Some(&result.exchange),
                    latency_us: i64::try_from(result.latency.as_micros()).ok(),
                };
                self.store.finish_call(&call, end, audit).await
            }
            Ok(result) => {
                let content = untrusted::for_model(
                    &connector_name,
                    &tool_name,
                    &result_text(&result.result),
                    self.config.output_cap,
                );
                let end = CallEnd {
                    status: CallStatus::Completed,
                    result: &result.result,
                    is_error: result.is_error,
                    model_content: &content,
                    exchange: Some(&result.exchange),
                    latency_us: i64::try_from(result.latency.as_micros()).ok(),
                };
                self.store.finish_call(&call, end, audit).await
            }
            Err(HostError { message, auth_required }) => {
                let content = format!("Error: {message}");
                let mut result = json!({"error": message});
                if let Some(auth) = auth_required {
                    // The page offers the person to connect; the model only reads the words.
                    result["auth_required"] =
                        json!({"connector_id": auth.connector, "state": auth.state, "scope": auth.scope});
                }
                self.store.finish_call(&call, failed(CallStatus::Failed, &result, &content), audit).await
            }
        };
        match finished {
            Ok(finished) => {
                emit(tx, TurnEvent::ToolResult(finished.clone())).await;
                finished
            }
            Err(e) => {
                tracing::error!(call = %call.id, error = %e, "could not record a tool call's outcome");
                call
            }
        }
    }

    /// Run the call (or follow its task again), reporting its server's progress and
    /// its task's status as they come; the task is recorded as soon as it exists, so
    /// a restart follows it again. The turn's Stop cancels a task upstream.
    async fn call_reporting_progress(
        &self,
        conversation: &Conversation,
        tool: &OfferedTool,
        send: Send,
        id: ToolCallId,
        tx: &Tx,
    ) -> Result<CallResult, HostError> {
        let (sink, mut progress) = mpsc::unbounded_channel();
        let (task_sink, mut tasks) = mpsc::unbounded_channel();
        let stop = self.running.token(conversation.id).unwrap_or_default();
        let (asks, mut asked) = mpsc::unbounded_channel();
        let control = CallControl { progress: sink, task: task_sink, stop, ask: asks };
        let call = match &send {
            Send::New(arguments) => self.host.call(conversation, tool, arguments.clone(), control),
            Send::Resumed(task) => self.host.resume(conversation, tool, task, control),
        };
        tokio::pin!(call);
        // The server's requests for the person's input, each waiting for its answer.
        let call_over = tokio_util::sync::CancellationToken::new();
        let mut waiting = futures::stream::FuturesUnordered::new();
        loop {
            tokio::select! {
                biased;
                Some(news) = tasks.recv() => self.note_task(id, news, tx).await,
                Some(p) = progress.recv() => emit(tx, TurnEvent::ToolProgress { call: id, progress: p }).await,
                result = &mut call => {
                    // Requests still waiting are answered `cancel` and marked so.
                    call_over.cancel();
                    while futures::StreamExt::next(&mut waiting).await.is_some() {}
                    // What came just before the answer is still reported, in order.
                    while let Ok(news) = tasks.try_recv() {
                        self.note_task(id, news, tx).await;
                    }
                    while let Ok(p) = progress.try_recv() {
                        emit(tx, TurnEvent::ToolProgress { call: id, progress: p }).await;
                    }
                    return result;
                }
                Some(ask) = asked.recv() => {
                    let by = AskedBy {
                        conversation,
                        call: id,
                        connector_name: &tool.connector_name,
                        call_over: &call_over,
                    };
                    waiting.push(self.ask_person(by, ask, tx));
                }
                Some(()) = futures::StreamExt::next(&mut waiting), if !waiting.is_empty() => {}
            }
        }
    }

    /// Keep what a call's task reported, and report it.
    async fn note_task(&self, id: ToolCallId, news: TaskNews, tx: &Tx) {
        let (status, message) = match news {
            TaskNews::Created(task) => {
                if let Err(e) = self.store.record_call_task(id, &task).await {
                    // The call goes on; only a restart would not find its task.
                    tracing::warn!(call = %id, error = %e, "could not record a call's task");
                }
                (task.status, task.status_message)
            }
            TaskNews::Status { status, message } => {
                if let Err(e) = self.store.update_call_task(id, &status, message.as_deref()).await {
                    tracing::debug!(call = %id, error = %e, "could not record a task's status");
                }
                (status, message)
            }
        };
        emit(tx, TurnEvent::ToolTask { call: id, status, message }).await;
    }
}

/// A call sent now, or the task of one sent before a restart.
enum Send {
    New(Map<String, Value>),
    Resumed(CallTask),
}

/// The end of a call that has no result from its server.
pub(super) fn failed<'a>(status: CallStatus, result: &'a Value, model_content: &'a str) -> CallEnd<'a> {
    CallEnd { status, result, is_error: true, model_content, exchange: None, latency_us: None }
}
