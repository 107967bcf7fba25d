//! The one error type of the web layer, rendered as RFC 9457 problem+json.
//!
//! Client errors carry a stable `code` and a message a person can act on; server
//! errors carry a generic body and the detail goes to the log.

use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde::Serialize;
use switchboard_service::ServiceError;
use switchboard_store::StoreError;
use utoipa::ToSchema;

#[derive(Debug, thiserror::Error)]
pub(crate) enum AppError {
    /// A request the client can fix: status, stable code, message.
    #[error("{code}: {detail}")]
    Client { status: StatusCode, code: &'static str, detail: String },
    /// A client error with structured details (a connection diagnosis, schema errors).
    #[error("{code}: {detail}")]
    Detailed { status: StatusCode, code: &'static str, detail: String, details: serde_json::Value },
    /// Too many requests of a kind (failed sign-ins): 429 with `Retry-After`.
    #[error("{code}: {detail}")]
    Limited { code: &'static str, detail: String, retry_after: std::time::Duration },
    /// The database or another dependency is not available right now.
    #[error("unavailable: {0}")]
    Unavailable(String),
    /// The database's disk is full: nothing was saved until someone frees space.
    #[error("storage full: {0}")]
    StorageFull(String),
    /// A fault of ours; the detail is logged, never returned.
    #[error("internal: {0}")]
    Internal(String),
}

impl AppError {
    pub(crate) fn new(status: StatusCode, code: &'static str, detail: impl Into<String>) -> Self {
        Self::Client { status, code, detail: detail.into() }
    }

    pub(crate) fn bad_request(code: &'static str, detail: impl Into<String>) -> Self {
        Self::new(StatusCode::BAD_REQUEST, code, detail)
    }

    pub(crate) fn unauthorized(code: &'static str, detail: impl Into<String>) -> Self {
        Self::new(StatusCode::UNAUTHORIZED, code, detail)
    }

    pub(crate) fn forbidden(code: &'static str, detail: impl Into<String>) -> Self {
        Self::new(StatusCode::FORBIDDEN, code, detail)
    }

    pub(crate) fn not_found(detail: impl Into<String>) -> Self {
        Self::new(StatusCode::NOT_FOUND, "not_found", detail)
    }

    pub(crate) fn conflict(code: &'static str, detail: impl Into<String>) -> Self {
        Self::new(StatusCode::CONFLICT, code, detail)
    }

    pub(crate) fn invalid(detail: impl Into<String>) -> Self {
        Self::new(StatusCode::UNPROCESSABLE_ENTITY, "invalid_input", detail)
    }

    /// The stable code and the message a client error shows; a server error's
    /// generic ones (its detail stays in the log).
    pub(crate) fn code_and_detail(&self) -> (&'static str, String) {
        match self {
            Self::Client { code, detail, .. }
            | Self::Detailed { code, detail, .. }
            | Self::Limited { code, detail, .. } => (code, detail.clone()),
            Self::Unavailable(detail) | Self::StorageFull(detail) | Self::Internal(detail) => {
                tracing::error!(error = %detail, "a request failed on our side");
                ("internal", "something went wrong on our side; try again".to_owned())
            }
        }
    }

    /// The 403 for a role that may not do this.
    pub(crate) fn role(detail: impl Into<String>) -> Self {
        Self::forbidden("insufficient_role", detail)
    }
}

impl From<switchboard_agent::AgentError> for AppError {
    fn from(err: switchboard_agent::AgentError) -> Self {
        use switchboard_agent::AgentError;
        match err {
            AgentError::NotFound(what) => Self::not_found(format!("{what} not found")),
            AgentError::Forbidden(detail) => Self::forbidden("not_conversation_owner", detail),
            AgentError::Conflict(detail) => Self::conflict("conversation_busy", detail),
            AgentError::NotWaiting(detail) => Self::conflict("not_waiting", detail),
            AgentError::NoMessage(detail) => Self::conflict("no_message", detail),
            AgentError::Invalid(detail) => Self::new(StatusCode::UNPROCESSABLE_ENTITY, "invalid_answer", detail),
            AgentError::Model(e) => Self::invalid(e.to_string()),
            AgentError::Store(e) => e.into(),
        }
    }
}

impl From<ServiceError> for AppError {
    fn from(err: ServiceError) -> Self {
        match err {
            ServiceError::NotFound(detail) => Self::not_found(detail),
            ServiceError::Forbidden { code, message } => Self::forbidden(code, message),
            ServiceError::Conflict { code, message } => Self::conflict(code, message),
            ServiceError::Invalid(detail) => Self::invalid(detail),
            ServiceError::InvalidArguments(errors) => {
                let count = errors.len();
                let errors: Vec<serde_json::Value> = errors
                    .into_iter()
                    .map(|(path, message)| serde_json::json!({"path": path, "message": message}))
                    .collect();
                Self::Detailed {
                    status: StatusCode::UNPROCESSABLE_ENTITY,
                    code: "invalid_arguments",
                    detail: format!(
                        "the arguments do not match the tool's inputSchema ({count} error{})",
                        if count == 1 { "" } else { "s" }
                    ),
                    details: serde_json::json!({"errors": errors}),
                }
            }
            e @ ServiceError::InvalidToolSchema(_) => {
                Self::new(StatusCode::BAD_GATEWAY, "invalid_tool_schema", e.to_string())
            }
            ServiceError::ConnectionFailed { message, steps } => Self::Detailed {
                status: StatusCode::UNPROCESSABLE_ENTITY,
                code: "connection_failed",
                detail: format!("could not connect to the MCP server: {message}"),
                details: serde_json::json!({"steps": steps}),
            },
            ServiceError::Upstream(e) => {
                // People read what failed; the log gets the libraries' whole story.
                tracing::warn!(error = %e.chain(), "an MCP server failed");
                let status = if matches!(e, switchboard_mcp::McpError::Timeout(_)) {
                    StatusCode::GATEWAY_TIMEOUT
                } else {
                    StatusCode::BAD_GATEWAY
                };
                Self::new(status, "upstream_failed", format!("the MCP server failed: {e}"))
            }
            ServiceError::OAuth { code, message } => Self::new(StatusCode::UNPROCESSABLE_ENTITY, code, message),
            ServiceError::AuthRequired { connector, state, message, scope } => Self::Detailed {
                status: StatusCode::CONFLICT,
                code: "auth_required",
                detail: message,
                details: serde_json::json!({
                    "connector_id": connector,
                    "state": state,
                    "connect_url": match &scope {
                        Some(scope) => crate::views_connectors::step_up_url(connector, scope),
                        None => crate::views_connectors::connect_url(connector),
                    },
                    "scopes": scope.as_deref().map(|s| s.split_whitespace().collect::<Vec<_>>()),
                }),
            },
            ServiceError::Limited { code, message, retry_after } => {
                Self::Limited { code, detail: message, retry_after }
            }
            ServiceError::Store(e) => e.into(),
            ServiceError::Internal(detail) => Self::Internal(detail),
        }
    }
}

impl From<StoreError> for AppError {
    fn from(err: StoreError) -> Self {
        match err {
            StoreError::NotFound(what) => Self::not_found(format!("{what} not found")),
            StoreError::Conflict(detail) => Self::conflict("conflict", detail),
            StoreError::AlreadySetUp => {
                Self::conflict("already_set_up", "the workspace already has an owner; sign in instead")
            }
            StoreError::StorageFull(detail) => Self::StorageFull(detail),
            err if err.is_unavailable() => Self::Unavailable(err.to_string()),
            other => Self::Internal(other.to_string()),
        }
    }
}

/// What a person is told when the database's disk is full: a 503, since freeing space
/// ends it, with its own code, since waiting alone does not.
pub(crate) const STORAGE_FULL: &str =
    "the database has no space left on its disk, so nothing was saved: free some space, then try again";

/// An RFC 9457 problem document with a stable `code`.
#[derive(Debug, Serialize, ToSchema)]
pub(crate) struct Problem {
    /// A URI naming the kind of problem (`urn:switchboard:problem:<code>`).
    #[serde(rename = "type")]
    pub(crate) kind: String,
    pub(crate) title: String,
    pub(crate) status: u16,
    pub(crate) detail: String,
    /// Stable machine-readable code, e.g. `invalid_json`, `insufficient_role`.
    pub(crate) code: String,
    /// Structured details for some codes: `connection_failed` carries the diagnosis
    /// steps, `invalid_arguments` the schema errors.
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schema(value_type = Option<Object>)]
    pub(crate) details: Option<serde_json::Value>,
}

pub(crate) fn problem_response(status: StatusCode, code: &str, detail: &str) -> Response {
    problem_with(status, code, detail, None)
}

fn problem_with(status: StatusCode, code: &str, detail: &str, details: Option<serde_json::Value>) -> Response {
    let body = Problem {
        kind: format!("urn:switchboard:problem:{code}"),
        title: status.canonical_reason().unwrap_or("Error").to_owned(),
        status: status.as_u16(),
        detail: detail.to_owned(),
        code: code.to_owned(),
        details,
    };
    let mut response = (status, axum::Json(body)).into_response();
    response.headers_mut().insert(header::CONTENT_TYPE, HeaderValue::from_static("application/problem+json"));
    response
}

impl IntoResponse for AppError {
    fn into_response(self) -> Response {
        match self {
            Self::Client { status, code, detail } => {
                let mut response = problem_response(status, code, &detail);
                if status == StatusCode::UNAUTHORIZED {
                    response
                        .headers_mut()
                        .insert(header::WWW_AUTHENTICATE, HeaderValue::from_static("Bearer realm=\"switchboard\""));
                }
                response
            }
            Self::Detailed { status, code, detail, details } => problem_with(status, code, &detail, Some(details)),
            Self::Limited { code, detail, retry_after } => {
                let mut response = problem_response(StatusCode::TOO_MANY_REQUESTS, code, &detail);
                let seconds = retry_after.as_secs() + u64::from(retry_after.subsec_nanos() > 0);
                response.headers_mut().insert(header::RETRY_AFTER, HeaderValue::from(seconds.max(1)));
                response
            }
            Self::Unavailable(detail) => {
                tracing::warn!(%detail, "dependency unavailable");
                problem_response(
                    StatusCode::SERVICE_UNAVAILABLE,
                    "unavailable",
                    "the database is not reachable right now; try again shortly",
                )
            }
            Self::StorageFull(detail) => {
                tracing::error!(%detail, "the database's disk is full");
                problem_response(StatusCode::SERVICE_UNAVAILABLE, "storage_full", STORAGE_FULL)
            }
            Self::Internal(detail) => {
                tracing::error!(%detail, "internal error");
                problem_response(
                    StatusCode::INTERNAL_SERVER_ERROR,
                    "internal",
                    "something went wrong on our side; the details are in the server log",
                )
            }
        }
    }
}

pub(crate) type ApiResult<T> = Result<T, AppError>;
