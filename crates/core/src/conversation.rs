//! The states of a conversation and of its tool calls, and how each was decided.

use serde::{Deserialize, Serialize};

/// Which actions a conversation is offered.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Mode {
    /// Every enabled action of the chosen connectors.
    #[default]
    Default,
    /// Read actions only (research).
    ReadOnly,
    /// Company knowledge: the `search` and `fetch` actions of every accessible
    /// connector that offers both, read-only, with answers citing fetched items.
    Knowledge,
}

/// Where a conversation's turn is.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum TurnState {
    /// Nothing running; a new message may be sent.
    Idle,
    /// The model or a tool is working.
    Running,
    /// At least one write action waits for the user's decision.
    AwaitingApproval,
}

/// Where one tool call is.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum CallStatus {
    /// A write action waiting for the user.
    AwaitingApproval,
    /// Sent to the MCP server, no answer yet.
    Running,
    /// The server answered (its result may still be `isError`).
    Completed,
    /// The server could not be reached or failed (no result).
    Failed,
    /// Never sent: the user (or a remembered choice) denied it.
    Denied,
    /// Never sent: unknown tool, invalid JSON or arguments that fail the schema.
    Invalid,
    /// Never sent: the turn was cancelled while it waited.
    Cancelled,
    /// Switchboard stopped while the call was running: it may or may not have run,
    /// and it is never sent again.
    Interrupted,
}

/// How a tool call came to run, or not.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum DecisionKind {
    /// A read action: runs without asking.
    AutoRead,
    /// The user approved this call.
    Approved,
    /// A remembered approval of this tool in this conversation and page session.
    Remembered,
    /// The user denied this call.
    Denied,
    /// A remembered denial.
    RememberedDeny,
}

/// Who wrote a message.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum MessageRole {
    User,
    Assistant,
    /// Shown to the user, never sent to the model: a provider failure, the step limit.
    Error,
    /// Shown to the user, never sent to the model: the owner stopped the turn.
    Stopped,
}

/// The user's answer to a write action.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Decision {
    Approve,
    Deny,
}

macro_rules! str_enum {
    ($ty:ident { $($variant:ident => $s:literal),+ $(,)? }) => {
        impl $ty {
            pub fn as_str(self) -> &'static str {
                match self { $(Self::$variant => $s),+ }
            }

            pub fn parse(s: &str) -> Option<Self> {
                match s { $($s => Some(Self::$variant),)+ _ => None }
            }
        }
    };
}

str_enum!(Mode { Default => "default", ReadOnly => "read_only", Knowledge => "knowledge" });
str_enum!(TurnState { Idle => "idle", Running => "running", AwaitingApproval => "awaiting_approval" });
str_enum!(CallStatus {
    AwaitingApproval => "awaiting_approval",
    Running => "running",
    Completed => "completed",
    Failed => "failed",
    Denied => "denied",
    Invalid => "invalid",
    Cancelled => "cancelled",
    Interrupted => "interrupted",
});
str_enum!(DecisionKind {
    AutoRead => "auto_read",
    Approved => "approved",
    Remembered => "remembered",
    Denied => "denied",
    RememberedDeny => "remembered_deny",
});
str_enum!(MessageRole { User => "user", Assistant => "assistant", Error => "error", Stopped => "stopped" });
str_enum!(Decision { Approve => "approve", Deny => "deny" });

impl CallStatus {
    /// Whether the call is over (it has a result for the model).
    pub fn is_final(self) -> bool {
        !matches!(self, Self::AwaitingApproval | Self::Running)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_round_trip_and_match_serde() {
        for s in [
            CallStatus::AwaitingApproval,
            CallStatus::Running,
            CallStatus::Completed,
            CallStatus::Failed,
            CallStatus::Denied,
            CallStatus::Invalid,
            CallStatus::Cancelled,
            CallStatus::Interrupted,
        ] {
            assert_eq!(CallStatus::parse(s.as_str()), Some(s));
            assert_eq!(serde_json::to_value(s).expect("serialises"), s.as_str());
        }
        for m in [Mode::Default, Mode::ReadOnly, Mode::Knowledge] {
            assert_eq!(Mode::parse(m.as_str()), Some(m));
            assert_eq!(serde_json::to_value(m).expect("serialises"), m.as_str());
        }
        assert_eq!(Mode::parse("research"), None);
        assert!(!CallStatus::Running.is_final());
        assert!(CallStatus::Interrupted.is_final());
    }
}
