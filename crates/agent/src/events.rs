//! What a turn reports as it goes; the web layer streams these as SSE.

use switchboard_core::conversation::TurnState;
use switchboard_store::ToolCall;

/// One thing that happened in a turn.
#[derive(Clone, Debug, PartialEq)]
pub enum TurnEvent {
    /// A piece of the model's answer.
    TextDelta(String),
    /// The model asked for a tool call (recorded, not yet run).
    ToolCallProposed(ToolCall),
    /// A write action waits for the owner's decision.
    AwaitingApproval(ToolCall),
    /// A call is over: it ran, failed, was denied or was invalid.
    ToolResult(ToolCall),
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
