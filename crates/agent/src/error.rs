use switchboard_store::StoreError;

use crate::provider::ModelChoiceError;

/// Why the agent refused a request; the web layer maps each to a status.
#[derive(Debug, thiserror::Error)]
pub enum AgentError {
    #[error("{0} not found")]
    NotFound(&'static str),
    #[error("{0}")]
    Forbidden(String),
    /// The conversation or call is not in a state that allows this.
    #[error("{0}")]
    Conflict(String),
    /// The tool call named does not wait for a decision (unknown, or decided).
    #[error("{0}")]
    NotWaiting(String),
    /// What was sent does not fit what it answers (a form's schema).
    #[error("{0}")]
    Invalid(String),
    /// Nothing to answer again: the conversation has no message of its owner.
    #[error("{0}")]
    NoMessage(String),
    #[error(transparent)]
    Model(#[from] ModelChoiceError),
    #[error(transparent)]
    Store(StoreError),
}

impl From<StoreError> for AgentError {
    fn from(e: StoreError) -> Self {
        match e {
            StoreError::NotFound(what) => Self::NotFound(what),
            StoreError::Conflict(message) => Self::Conflict(message),
            other => Self::Store(other),
        }
    }
}
