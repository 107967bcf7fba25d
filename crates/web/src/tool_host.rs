//! The connectors side of the agent loop: which actions a conversation's owner
//! may use now, in the definition in force, and calling them through the kept
//! upstream sessions.

use std::sync::{Arc, Weak};

use serde_json::{Map, Value};
use switchboard_agent::{CallProgress, CallResult, HostError, HostFuture, OfferedTool, ProgressSink, ToolHost};
use switchboard_core::approval;
use switchboard_core::connector;
use switchboard_core::conversation::Mode;
use switchboard_core::tool_names::{self, Action};
use switchboard_mcp::{Progress, ProgressWatcher};
use switchboard_store::{Connector, Conversation, StoreError};

use crate::routes::connectors::{call_kept, kept_session};
use crate::routes::me::me_view;
use crate::state::{AppState, Inner};

/// Holds the state weakly: the state holds the agent, which holds this.
#[derive(Debug)]
pub(crate) struct WebToolHost(pub(crate) Weak<Inner>);

impl WebToolHost {
    fn state(&self) -> Result<AppState, HostError> {
        self.0.upgrade().map(AppState::from_inner).ok_or_else(|| HostError("the server is shutting down".into()))
    }
}

fn store_failed(e: StoreError) -> HostError {
    tracing::error!(error = %e, "store failed while listing a conversation's tools");
    HostError("the workspace's data could not be read".into())
}

/// The connectors a conversation draws on, that its owner may use now.
async fn usable_connectors(state: &AppState, conversation: &Conversation) -> Result<Vec<Connector>, HostError> {
    let owner = state.store.user(conversation.owner_id).await.map_err(store_failed)?;
    let developer_mode = me_view(state, &owner)
        .await
        .map_err(|_| HostError("the owner's access could not be read".into()))?
        .developer_mode
        .active;
    let candidates = match conversation.mode {
        Mode::Knowledge => state.store.list_connectors().await.map_err(store_failed)?,
        Mode::Default | Mode::ReadOnly => {
            let mut found = vec![];
            for id in &conversation.connectors {
                match state.store.connector(*id).await {
                    Ok(c) => found.push(c),
                    // Deleted since the conversation began: its actions are gone.
                    Err(StoreError::NotFound(_)) => {}
                    Err(e) => return Err(store_failed(e)),
                }
            }
            found
        }
    };
    Ok(candidates
        .into_iter()
        .filter(|c| connector::may_view(owner.role, owner.id, developer_mode, c.owner_id, c.status))
        .collect())
}

impl ToolHost for WebToolHost {
    fn offered<'a>(&'a self, conversation: &'a Conversation) -> HostFuture<'a, Result<Vec<OfferedTool>, HostError>> {
        Box::pin(async move {
            let state = self.state()?;
            let mut picked = vec![];
            for c in usable_connectors(&state, conversation).await? {
                let tools = state.store.connector_tools(c.id).await.map_err(store_failed)?;
                let enabled: Vec<_> = tools.into_iter().filter(|t| t.enabled).map(|t| t.tool).collect();
                let enabled: Vec<_> = if conversation.mode == Mode::Knowledge {
                    let has = |n: &str| enabled.iter().any(|t| t.name == n);
                    if !(has("search") && has("fetch")) {
                        continue;
                    }
                    enabled.into_iter().filter(|t| t.name == "search" || t.name == "fetch").collect()
                } else {
                    enabled
                };
                for tool in enabled {
                    let classification = tool.effective_classification(None);
                    if approval::offered(conversation.mode, classification) {
                        picked.push((c.id, c.name.clone(), tool, classification));
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
        let Ok(state) = self.state() else { return vec!["the server is shutting down".into()] };
        match state.schemas.errors(&tool.tool.input_schema, arguments) {
            Ok(errors) => errors
                .into_iter()
                .map(|(path, message)| if path.is_empty() { message } else { format!("{path}: {message}") })
                .collect(),
            Err(e) => vec![format!("the server's inputSchema for this tool is not a valid JSON Schema: {e}")],
        }
    }

    fn call<'a>(
        &'a self,
        _conversation: &'a Conversation,
        tool: &'a OfferedTool,
        arguments: Map<String, Value>,
        progress: ProgressSink,
    ) -> HostFuture<'a, Result<CallResult, HostError>> {
        Box::pin(async move {
            let state = self.state()?;
            let c = state.store.connector(tool.connector_id).await.map_err(|e| match e {
                StoreError::NotFound(_) => HostError("the connector was deleted".into()),
                other => store_failed(other),
            })?;
            kept_session(&state, &c)
                .await
                .map_err(|e| HostError(format!("could not connect to {}: {}", c.name, e.detail())))?;
            let watcher: ProgressWatcher = Arc::new(move |p: Progress| {
                let _ = progress.send(CallProgress { progress: p.progress, total: p.total, message: p.message });
            });
            match call_kept(&state, &c, &tool.tool.name, arguments, Some(watcher)).await {
                Ok(outcome) => Ok(CallResult {
                    is_error: outcome.result["isError"] == true,
                    result: outcome.result,
                    exchange: serde_json::to_value(&outcome.exchange).unwrap_or_default(),
                    latency: outcome.latency,
                }),
                Err(e) => Err(HostError(format!("the MCP server {} failed: {e}", c.name))),
            }
        })
    }
}
