//! What a turn reports as it goes; the web layer streams these as SSE.

use switchboard_core::catalog::Tool;
use switchboard_core::conversation::TurnState;
use switchboard_core::widget::WidgetKind;
use switchboard_core::{ElicitationId, MessageId, ToolCallId};
use switchboard_store::{Elicitation, StepUsage, ToolCall};

use crate::host::CallProgress;

/// One thing that happened in a turn.
#[derive(Clone, Debug, PartialEq)]
pub enum TurnEvent {
    /// A piece of the model's answer.
    TextDelta(String),
    /// The model asked for a tool call (recorded, not yet run), with the tool's
    /// status texts (`openai/toolInvocation/invoking` and `…/invoked`) if it has them,
    /// and the kind of widget its result renders in, if it links one.
    ToolCallProposed { call: ToolCall, status_text: Option<StatusText>, widget: Option<WidgetKind> },
    /// A running call's server reported progress.
    ToolProgress { call: ToolCallId, progress: CallProgress },
    /// A running call's server asks the owner for input (recorded, pending).
    Elicitation(Elicitation),
    /// A request for input ended unanswered (time ran out, the turn was stopped, the call ended).
    ElicitationEnded { id: ElicitationId, call: ToolCallId },
    /// A call that runs as a task on its server: the task's status (`working`,
    /// `input_required`, `completed`, `failed`, `cancelled`) and status message.
    ToolTask { call: ToolCallId, status: String, message: Option<String> },
    /// A write action waits for the owner's decision.
    AwaitingApproval(ToolCall),
    /// A call is over: it ran, failed, was denied or was invalid.
    ToolResult(ToolCall),
    /// A model step's answer was stored as `message`, with what the step used.
    StepUsage { message: MessageId, usage: StepUsage },
    /// Something went wrong; the turn ends after this.
    Error { code: &'static str, message: String },
    /// The turn stopped here, in `state`.
    Done { state: TurnState, reason: DoneReason, citations: Vec<Citation> },
}

/// Why a turn stopped.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum DoneReason {
    /// The model answered.
    Answered,
    /// Waiting for decisions.
    AwaitingApproval,
    /// The step limit was reached.
    StepLimit,
    /// The owner cancelled it.
    Cancelled,
    /// The provider failed.
    Failed,
}

impl DoneReason {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Answered => "answered",
            Self::AwaitingApproval => "awaiting_approval",
            Self::StepLimit => "step_limit",
            Self::Cancelled => "cancelled",
            Self::Failed => "failed",
        }
    }
}

/// An item fetched in knowledge mode, which the answer cites.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize)]
pub struct Citation {
    pub id: String,
    pub title: Option<String>,
    pub url: Option<String>,
}

/// What a tool asks hosts to show while it runs and once it has run.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct StatusText {
    pub invoking: Option<String>,
    pub invoked: Option<String>,
}

impl StatusText {
    /// From the tool's `_meta`, when it says anything (each at most 64 characters).
    pub fn of(tool: &Tool) -> Option<StatusText> {
        let meta = tool.meta.as_ref()?;
        let text = |key: &str| {
            meta.get(key).and_then(serde_json::Value::as_str).map(|s| s.chars().take(64).collect::<String>())
        };
        let status = StatusText {
            invoking: text("openai/toolInvocation/invoking"),
            invoked: text("openai/toolInvocation/invoked"),
        };
        (status.invoking.is_some() || status.invoked.is_some()).then_some(status)
    }
}
