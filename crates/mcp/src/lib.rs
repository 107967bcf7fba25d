//! Switchboard's upstream MCP client.
//!
//! [`UpstreamSession::connect`] reaches an MCP server over Streamable HTTP (the stateless
//! 2026-07-28 protocol through `server/discover`, falling back to the
//! initialize-based versions), over the HTTP+SSE transport of 2024-11-05 for
//! servers that predate Streamable HTTP, or as a local command over stdio, lists its whole
//! tool catalog and calls its tools. Every outbound HTTP connection goes through
//! the workspace's address policy ([`switchboard_core::network`]), checked on the
//! address actually connected to and on every redirect.
//!
//! Architecture invariant: this crate knows MCP and HTTP-as-a-client; it knows no
//! SQL and none of Switchboard's own routes.

mod auth_discovery;
mod diagnosis;
mod doctor;
pub mod elicitation;
mod endpoint;
mod error;
mod handshakes;
pub mod headless;
mod http_client;
mod legacy_sse;
pub mod oauth;
mod options;
mod pool;
mod probe;
mod recording;
mod session;
mod stderr_tail;
mod stdio;
mod streamable;
mod tasks;
mod tool_fields;
mod wire;

pub use diagnosis::{Step, diagnose};
pub use doctor::{DoctorReport, ServerIdentity, examine};
pub use endpoint::{Endpoint, HttpTransport, INHERITED_ENV, StdioCommand};
pub use error::{Cause, McpError};
pub use http_client::install_crypto_provider;
pub use options::{ClientOptions, Elicitation, Handshake};
pub use pool::{PoolLimits, SessionPool};
pub use recording::{Direction, Exchanged, Progress, ProgressWatcher};
/// Whether the workspace's address policy lets Switchboard reach `url` (checked
/// again on every connection).
pub async fn check_address(url: &url::Url, policy: &switchboard_core::network::NetworkPolicy) -> Result<(), McpError> {
    http_client::preflight(url, policy).await
}
pub use legacy_sse::{legacy_endpoint_url, legacy_sse_events};
pub use session::{RESULT_REFERENCE, ResourceBody, ResourceRead, UpstreamOutcome, UpstreamSession};
pub use tasks::{
    CallWatch, CancelReason, MAX_POLL, MIN_POLL, Stop, StopSwitch, TaskDialect, TaskEnd, TaskRef, TaskUpdate,
    TaskWatcher, resume_task_in_session, stop_switch,
};
pub use wire::{ServerMessage, parse_server_message};
