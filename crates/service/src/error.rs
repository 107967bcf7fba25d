//! The one error type of the services. Each variant means something to a caller:
//! the web layer turns them into statuses and problem codes, the agent into words.

use switchboard_mcp::McpError;
use switchboard_store::StoreError;

#[derive(Debug, thiserror::Error)]
pub enum ServiceError {
    /// Unknown, or not the caller's to see (the two are not told apart): the message.
    #[error("{0}")]
    NotFound(String),
    /// The caller may see it but not do this; `code` is stable.
    #[error("{message}")]
    Forbidden { code: &'static str, message: String },
    /// The state does not allow it now; `code` is stable.
    #[error("{message}")]
    Conflict { code: &'static str, message: String },
    /// Input that breaks a rule, saying which.
    #[error("{0}")]
    Invalid(String),
    /// Arguments that do not fit a tool's `inputSchema`: `(instance path, message)`.
    #[error("the arguments do not match the tool's inputSchema")]
    InvalidArguments(Vec<(String, String)>),
    /// The server's own `inputSchema` is not a valid JSON Schema.
    #[error("the server's inputSchema for this tool is not a valid JSON Schema: {0}")]
    InvalidToolSchema(String),
    /// The server could not be reached; `steps` is the diagnosis, step by step.
    #[error("could not connect to the MCP server: {message}")]
    ConnectionFailed { message: String, steps: serde_json::Value },
    /// The server was reached but failed (listing, calling).
    #[error("the MCP server failed: {0}")]
    Upstream(#[source] McpError),
    /// An OAuth step failed (discovery, registration, the callback, a token
    /// request); `code` is stable, the message says what to do.
    #[error("{message}")]
    OAuth { code: &'static str, message: String },
    /// The connector needs the person's OAuth connection, which they lack
    /// (`needs_connect`), which can no longer be renewed (`needs_reconnect`), or
    /// which lacks scopes the server asked for (`needs_scope`: `scope` names them,
    /// and connecting again asks for them with those granted before).
    #[error("{message}")]
    AuthRequired {
        connector: switchboard_core::ConnectorId,
        state: &'static str,
        message: String,
        scope: Option<String>,
    },
    /// Too many attempts of a kind (failed sign-ins); try again after `retry_after`.
    #[error("{message}")]
    Limited { code: &'static str, message: String, retry_after: std::time::Duration },
    #[error(transparent)]
    Store(#[from] StoreError),
    /// A fault of ours; logged, never shown.
    #[error("internal: {0}")]
    Internal(String),
}

impl ServiceError {
    /// "`what` not found".
    pub(crate) fn not_found(what: &str) -> Self {
        Self::NotFound(format!("{what} not found"))
    }

    pub(crate) fn conflict(code: &'static str, message: impl Into<String>) -> Self {
        Self::Conflict { code, message: message.into() }
    }

    /// Input that breaks a rule: the rule's own words.
    pub(crate) fn invalid(rule: impl std::fmt::Display) -> Self {
        Self::Invalid(rule.to_string())
    }

    pub(crate) fn forbidden(code: &'static str, message: impl Into<String>) -> Self {
        Self::Forbidden { code, message: message.into() }
    }
}

pub type Result<T> = std::result::Result<T, ServiceError>;
