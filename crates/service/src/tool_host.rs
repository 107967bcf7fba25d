//! The connectors side of the agent loop: which actions a conversation's owner
//! may use now, in the definition in force, and calling them through the owner's
//! kept upstream sessions. Everything but the call itself is read from memory.

use std::sync::Arc;

use serde_json::{Map, Value};
use switchboard_agent::{
    Ask, AskSink, AuthRequired, CallControl, CallProgress, CallResult, HostError, HostFuture, OfferedTool, TaskNews,
    TaskOutcome, ToolHost,
};
use switchboard_core::approval;
use switchboard_core::conversation::Mode;
use switchboard_core::elicitation::ElicitationAnswer;
use switchboard_core::tool_names::{self, Action};
use switchboard_core::widget;
use switchboard_mcp::elicitation::{Asker, asking};
use switchboard_mcp::{
    CallWatch, Progress, ProgressWatcher, StopSwitch, TaskDialect, TaskRef, TaskUpdate, TaskWatcher, UpstreamOutcome,
    stop_switch,
};
use switchboard_store::{CallTask, Connector, Conversation, StoreError};

use crate::access::Access;
use crate::connectors::{Catalog, Connectors, catalog::schema_errors};
use crate::error::ServiceError;

/// Implements the agent's [`ToolHost`] over the connectors service.
#[derive(Clone, Debug)]
pub(crate) struct ServiceToolHost {
    pub(crate) access: Access,
    pub(crate) connectors: Connectors,
}

fn unreadable(e: ServiceError) -> HostError {
    tracing::error!(error = %e, "could not read a conversation's connectors");
    HostError::new("the workspace's data could not be read")
}

impl ServiceToolHost {
    /// Asks the person through `asks`, waiting as long as a call itself may take.
    async fn asker(&self, asks: AskSink) -> Result<Asker, HostError> {
        let wait = self.connectors.client_options().await.map_err(unreadable)?.call_timeout;
        Ok(Arc::new(move |request| {
            let (reply, answer) = tokio::sync::oneshot::channel();
            let sent = asks.send(Ask { request, wait, reply }).is_ok();
            Box::pin(async move {
                if !sent {
                    return ElicitationAnswer::cancel();
                }
                answer.await.unwrap_or_else(|_| ElicitationAnswer::cancel())
            })
        }))
    }

    /// The connectors a conversation draws on that its owner may use now.
    async fn usable(&self, conversation: &Conversation) -> Result<Vec<Arc<Catalog>>, HostError> {
        let owner = self.access.user(conversation.owner_id).await.map_err(unreadable)?;
        let ids: Vec<_> = match conversation.mode {
            Mode::Knowledge => self.connectors.all().await.map_err(unreadable)?.iter().map(|c| c.id).collect(),
            Mode::Default | Mode::ReadOnly => conversation.connectors.clone(),
        };
        let mut usable = vec![];
        for id in ids {
            let found = match self.connectors.catalog(id).await {
                Ok(found) => found,
                // Deleted since the conversation began: its actions are gone.
                Err(ServiceError::Store(StoreError::NotFound(_))) => continue,
                Err(e) => return Err(unreadable(e)),
            };
            if self.connectors.standing_on(&owner, &found).await.map_err(unreadable)?.view {
                usable.push(found);
            }
        }
        Ok(usable)
    }
}

impl ToolHost for ServiceToolHost {
    fn offered<'a>(&'a self, conversation: &'a Conversation) -> HostFuture<'a, Result<Vec<OfferedTool>, HostError>> {
        Box::pin(async move {
            let mut picked = vec![];
            for found in self.usable(conversation).await? {
                let enabled: Vec<_> = found.enabled().map(|t| &t.stored).collect();
                let enabled: Vec<_> = if conversation.mode == Mode::Knowledge {
                    let has = |n: &str| enabled.iter().any(|t| t.tool.name == n);
                    if !(has("search") && has("fetch")) {
                        continue;
                    }
                    enabled.into_iter().filter(|t| t.tool.name == "search" || t.tool.name == "fetch").collect()
                } else {
                    enabled
                };
                // Tools that run only as tasks wait until tasks are supported; tools
                // the server keeps for its widgets are never offered to the model.
                let offered = enabled.into_iter().filter(|t| widget::visible_to_model(&t.tool));
                for tool in offered {
                    let classification = tool.classification();
                    if approval::offered(conversation.mode, classification) {
                        picked.push((
                            found.connector.id,
                            found.connector.name.clone(),
                            tool.tool.clone(),
                            classification,
                        ));
                    }
                }
            }
            let actions: Vec<Action<'_>> = picked
                .iter()
                .map(|(id, name, tool, _)| Action { connector: *id, connector_name: name, tool: &tool.name })
                .collect();
            let names = tool_names::namespaced(&actions);
            Ok(picked
                .into_iter()
                .zip(names)
                .map(|((connector_id, connector_name, tool, classification), name)| OfferedTool {
                    name,
                    connector_id,
                    connector_name,
                    tool,
                    classification,
                })
                .collect())
        })
    }

    fn validate(&self, tool: &OfferedTool, arguments: &Value) -> Vec<String> {
        // The compiled schema of the kept catalog when it is the same definition.
        let kept = self.connectors.kept_catalog(tool.connector_id);
        let errors = match kept.as_ref().and_then(|c| c.tool(&tool.tool.name)).filter(|t| t.stored.tool == tool.tool) {
            Some(kept) => kept.schema_errors(arguments),
            None => schema_errors(&tool.tool.input_schema, arguments),
        };
        match errors {
            Ok(errors) => errors
                .into_iter()
                .map(|(path, message)| if path.is_empty() { message } else { format!("{path}: {message}") })
                .collect(),
            Err(e) => vec![format!("the server's inputSchema for this tool is not a valid JSON Schema: {e}")],
        }
    }

    fn call<'a>(
        &'a self,
        conversation: &'a Conversation,
        tool: &'a OfferedTool,
        arguments: Map<String, Value>,
        control: CallControl,
    ) -> HostFuture<'a, Result<CallResult, HostError>> {
        Box::pin(async move {
            let (found, owner) = self.still_usable(conversation, tool).await?;
            let c = &found.connector;
            let asker = self.asker(control.ask.clone()).await?;
            let stop = control.stop.clone().cancelled_owned();
            let (watch, switch) = watch_for(control);
            let call = self.connectors.call_upstream(owner, c, &tool.tool, arguments, watch);
            // The server's requests for input during the call go to the person.
            let outcome = asking(asker, stopping(Box::pin(call), stop, switch)).await;
            result_of(c, outcome)
        })
    }

    fn resume<'a>(
        &'a self,
        conversation: &'a Conversation,
        tool: &'a OfferedTool,
        task: &'a CallTask,
        control: CallControl,
    ) -> HostFuture<'a, Result<CallResult, HostError>> {
        Box::pin(async move {
            let found = self.connectors.catalog(tool.connector_id).await.map_err(|e| match e {
                ServiceError::Store(StoreError::NotFound(_)) => HostError::new("the connector was deleted"),
                other => unreadable(other),
            })?;
            let c = &found.connector;
            let Some(task) = task_ref(task) else {
                return Err(HostError::new(format!(
                    "the recorded task of dialect {:?} is not one Switchboard knows",
                    task.dialect
                )));
            };
            let stop = control.stop.clone().cancelled_owned();
            let (watch, switch) = watch_for(control);
            let followed = self.connectors.resume_upstream_task(conversation.owner_id, c, &tool.tool, &task, watch);
            let outcome = stopping(Box::pin(followed), stop, switch).await;
            result_of(c, outcome)
        })
    }
}

impl ServiceToolHost {
    /// The connector of an offered action and the conversation's owner, if the action
    /// is still what was offered: the app may since have been unpublished or no longer
    /// shared, the action turned off, removed or redefined.
    async fn still_usable(
        &self,
        conversation: &Conversation,
        tool: &OfferedTool,
    ) -> Result<(Arc<Catalog>, switchboard_core::UserId), HostError> {
        let found = self.connectors.catalog(tool.connector_id).await.map_err(|e| match e {
            ServiceError::Store(StoreError::NotFound(_)) => HostError::new("the connector was deleted"),
            other => unreadable(other),
        })?;
        let owner = self.access.user(conversation.owner_id).await.map_err(unreadable)?;
        if !self.connectors.standing_on(&owner, &found).await.map_err(unreadable)?.view {
            return Err(HostError::new("the app is no longer available to this conversation's owner"));
        }
        match found.tool(&tool.tool.name) {
            None => return Err(HostError::new("the action no longer exists on its app")),
            Some(kept) if !kept.stored.enabled => return Err(HostError::new("the action has been turned off")),
            Some(kept) if kept.stored.tool != tool.tool => {
                return Err(HostError::new("the action's definition changed since it was offered; ask again"));
            }
            Some(_) => {}
        }
        Ok((found, owner.id))
    }
}

/// The upstream watch of a call: its progress and task reported to the agent's
/// sinks, and a stop the turn's Stop throws (see [`stopping`]).
fn watch_for(control: CallControl) -> (CallWatch, StopSwitch) {
    let CallControl { progress, task, stop: _, ask: _ } = control;
    let on_progress: ProgressWatcher = Arc::new(move |p: Progress| {
        let _ = progress.send(CallProgress { progress: p.progress, total: p.total, message: p.message });
    });
    let on_task: TaskWatcher = Arc::new(move |update: TaskUpdate| {
        let news = match update {
            TaskUpdate::Created(t) => TaskNews::Created(CallTask {
                task_id: t.task_id,
                dialect: t.dialect.as_str().to_owned(),
                session_id: t.session_id,
                protocol_version: t.protocol_version,
                status: "working".to_owned(),
                status_message: None,
                deadline_at: time::OffsetDateTime::from(t.deadline),
            }),
            TaskUpdate::Status { status, message } => TaskNews::Status { status, message },
        };
        let _ = task.send(news);
    });
    let (switch, stop) = stop_switch();
    (CallWatch { progress: Some(on_progress), task: Some(on_task), stop: Some(stop), ..CallWatch::default() }, switch)
}

/// Run `call`, throwing `switch` when the turn's `stop` is cancelled (the call's task,
/// if it runs as one, is then cancelled upstream and the call ends soon after).
async fn stopping<T>(call: impl Future<Output = T>, stop: impl Future<Output = ()>, switch: StopSwitch) -> T {
    tokio::pin!(call);
    tokio::select! {
        done = &mut call => return done,
        () = stop => switch.stop(),
    }
    call.await
}

/// A recorded task as the MCP client follows it.
fn task_ref(task: &CallTask) -> Option<TaskRef> {
    Some(TaskRef {
        task_id: task.task_id.clone(),
        dialect: TaskDialect::parse(&task.dialect)?,
        session_id: task.session_id.clone(),
        protocol_version: task.protocol_version.clone(),
        deadline: task.deadline_at.into(),
    })
}

/// A call's outcome in the agent's words.
fn result_of(c: &Connector, outcome: Result<UpstreamOutcome, ServiceError>) -> Result<CallResult, HostError> {
    match outcome {
        Ok(outcome) => Ok(CallResult {
            is_error: outcome.result["isError"] == true,
            result: outcome.result,
            exchange: serde_json::to_value(&outcome.exchange).unwrap_or_default(),
            latency: outcome.latency,
            task: outcome.task.map(|t| TaskOutcome { cancelled: t.cancelled_by.is_some(), status: t.status }),
        }),
        Err(ServiceError::ConnectionFailed { message, .. }) => {
            Err(HostError::new(format!("could not connect to {}: {message}", c.name)))
        }
        Err(ServiceError::Upstream(e)) => {
            tracing::warn!(error = %e.chain(), connector = %c.id, "an MCP server failed a call");
            Err(HostError::new(format!("the MCP server {} failed: {e}", c.name)))
        }
        Err(ServiceError::AuthRequired { connector, state, message, scope }) => Err(HostError {
            message: format!("{}: {message} (the person must do this in Switchboard; do not retry before)", c.name),
            auth_required: Some(AuthRequired { connector, state: state.to_owned(), scope }),
        }),
        Err(e @ ServiceError::OAuth { .. }) => Err(HostError::new(format!("{}: {e}", c.name))),
        Err(other) => Err(unreadable(other)),
    }
}
