//! What the loop needs from the layer that knows connectors, permissions and MCP
//! sessions: the actions a conversation may use now, and a way to call one.

use std::future::Future;
use std::pin::Pin;
use std::time::Duration;

use serde_json::{Map, Value};
use switchboard_core::ConnectorId;
use switchboard_core::catalog::{Classification, Tool};
use switchboard_core::elicitation::{ElicitationAnswer, ElicitationRequest};
use switchboard_store::{CallTask, Conversation};
use tokio_util::sync::CancellationToken;

/// A boxed future, so the host can be a trait object.
pub type HostFuture<'a, T> = Pin<Box<dyn Future<Output = T> + Send + 'a>>;

/// One action offered to the model, in the definition in force.
#[derive(Clone, Debug, PartialEq)]
pub struct OfferedTool {
    /// The namespaced name the model sees.
    pub name: String,
    pub connector_id: ConnectorId,
    pub connector_name: String,
    pub tool: Tool,
    pub classification: Classification,
}

/// What a sent call came back with.
#[derive(Clone, Debug, PartialEq)]
pub struct CallResult {
    /// The MCP `CallToolResult`.
    pub result: Value,
    pub is_error: bool,
    /// The JSON-RPC messages of the call.
    pub exchange: Value,
    pub latency: Duration,
    /// Set when the call ran as a task on its server.
    pub task: Option<TaskOutcome>,
}

/// How a call that ran as a task ended.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TaskOutcome {
    /// `completed`, `failed` or `cancelled`.
    pub status: String,
    /// Switchboard cancelled it upstream: the turn was stopped, or the task outlived its deadline.
    pub cancelled: bool,
}

/// How far a running call has got, as its server reports it.
#[derive(Clone, Debug, PartialEq)]
pub struct CallProgress {
    pub progress: f64,
    pub total: Option<f64>,
    pub message: Option<String>,
}

/// Where a host sends the progress of a call while it runs.
pub type ProgressSink = tokio::sync::mpsc::UnboundedSender<CallProgress>;

/// A call's server asks the person for input (elicitation); the answer goes to `reply`.
#[derive(Debug)]
pub struct Ask {
    pub request: ElicitationRequest,
    /// How long the call can wait for the answer; then it is answered `cancel`.
    pub wait: Duration,
    pub reply: tokio::sync::oneshot::Sender<ElicitationAnswer>,
}

/// Where a host sends a call's requests for the person's input while it runs.
pub type AskSink = tokio::sync::mpsc::UnboundedSender<Ask>;

/// What a host reports about a call that runs as a task.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum TaskNews {
    /// The server created the task; what it takes to follow it again (status `working`).
    Created(CallTask),
    /// Its status or status message changed.
    Status { status: String, message: Option<String> },
}

/// Where a host sends what it learns of a call's task.
pub type TaskSink = tokio::sync::mpsc::UnboundedSender<TaskNews>;

/// What a call reports while it runs, and the switch that stops it.
#[derive(Clone, Debug)]
pub struct CallControl {
    pub progress: ProgressSink,
    pub task: TaskSink,
    /// Thrown by the turn's Stop: a call that runs as a task is cancelled upstream
    /// (any other call is left to finish, as it may already have taken effect).
    pub stop: CancellationToken,
    /// The server's requests for the person's input (elicitation) during the call.
    pub ask: AskSink,
}

/// Why an action could not be listed or called; worded for the person.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("{message}")]
pub struct HostError {
    pub message: String,
    /// Set when what the call lacks is the person's own connection to the app
    /// (OAuth): the page offers to connect, and the call can be asked for again.
    pub auth_required: Option<AuthRequired>,
}

impl HostError {
    pub fn new(message: impl Into<String>) -> Self {
        Self { message: message.into(), auth_required: None }
    }
}

/// A call that needs the person to connect (or connect again) their account to an app.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct AuthRequired {
    pub connector: ConnectorId,
    /// `needs_connect`, `needs_reconnect` or `needs_scope`.
    pub state: String,
    /// With `needs_scope`: the scopes the server asked for.
    pub scope: Option<String>,
}

/// The connectors side of a conversation.
pub trait ToolHost: Send + Sync + std::fmt::Debug {
    /// The actions this conversation's owner may use now: enabled, of the chosen
    /// connectors (or, in knowledge mode, of every accessible one that offers
    /// `search` and `fetch`), filtered by the mode, each with its namespaced name.
    fn offered<'a>(&'a self, conversation: &'a Conversation) -> HostFuture<'a, Result<Vec<OfferedTool>, HostError>>;

    /// The errors of `arguments` against the tool's `inputSchema` (empty: valid).
    fn validate(&self, tool: &OfferedTool, arguments: &Value) -> Vec<String>;

    /// Send the call to the tool's server, reporting its progress and its task (if it
    /// runs as one) to `control`.
    fn call<'a>(
        &'a self,
        conversation: &'a Conversation,
        tool: &'a OfferedTool,
        arguments: Map<String, Value>,
        control: CallControl,
    ) -> HostFuture<'a, Result<CallResult, HostError>>;

    /// Follow `task`, which an earlier call of `tool` runs as (before a restart), to its end.
    fn resume<'a>(
        &'a self,
        conversation: &'a Conversation,
        tool: &'a OfferedTool,
        task: &'a CallTask,
        control: CallControl,
    ) -> HostFuture<'a, Result<CallResult, HostError>>;
}
