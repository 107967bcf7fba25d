//! The JSON shapes of the doctor: the request, and the report that the API returns
//! and `switchboard doctor --json` prints.

use serde::{Deserialize, Serialize};
use switchboard_core::doctor::{Check, Status};
use switchboard_mcp::DoctorReport;
use utoipa::ToSchema;

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct DoctorRequest {
    /// The server's MCP endpoint, e.g. `https://example.com/mcp` (or `/sse` for the legacy transport).
    pub(crate) url: String,
}

/// A readiness report for one MCP server.
#[derive(Debug, Serialize, ToSchema)]
#[schema(as = DoctorReport)]
pub struct DoctorView {
    url: String,
    /// No check failed (warnings do not count).
    ok: bool,
    /// `streamable_http` or `sse`, once a session could be opened.
    #[schema(required = true)]
    transport: Option<String>,
    /// The version Switchboard's handshake settled on, e.g. `2026-07-28`.
    #[schema(required = true)]
    protocol_version: Option<String>,
    /// The server's `serverInfo`, once a session could be opened.
    #[schema(required = true)]
    server: Option<ServerView>,
    checks: Vec<CheckView>,
}

#[derive(Debug, Serialize, ToSchema)]
#[schema(as = DoctorServer)]
struct ServerView {
    name: String,
    version: String,
}

/// One check, in the order the doctor ran them.
#[derive(Debug, Serialize, ToSchema)]
#[schema(as = DoctorCheck)]
struct CheckView {
    /// Stable: `reachability`, `transport`, `protocol_versions`, `auth`,
    /// `protected_resource_metadata`, `authorization_server_metadata`, `pkce`,
    /// `offline_access`, `client_registration`, `catalog`, `tool_count`, `names`,
    /// `schema`, `annotations`, `descriptions`, `parameters`.
    id: String,
    title: String,
    status: CheckStatus,
    detail: String,
    /// What to change; `null` when there is nothing to do.
    #[schema(required = true)]
    hint: Option<String>,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, ToSchema)]
#[serde(rename_all = "lowercase")]
#[schema(as = DoctorCheckStatus)]
enum CheckStatus {
    Pass,
    Warn,
    Fail,
}

impl From<&DoctorReport> for DoctorView {
    fn from(r: &DoctorReport) -> Self {
        DoctorView {
            url: r.url.clone(),
            ok: r.ok(),
            transport: r.transport.clone(),
            protocol_version: r.protocol_version.clone(),
            server: r.server.as_ref().map(|s| ServerView { name: s.name.clone(), version: s.version.clone() }),
            checks: r.checks.iter().map(CheckView::from).collect(),
        }
    }
}

impl From<&Check> for CheckView {
    fn from(c: &Check) -> Self {
        CheckView {
            id: c.id.to_owned(),
            title: c.title.to_owned(),
            status: match c.status {
                Status::Pass => CheckStatus::Pass,
                Status::Warn => CheckStatus::Warn,
                Status::Fail => CheckStatus::Fail,
            },
            detail: c.detail.clone(),
            hint: c.hint.clone(),
        }
    }
}
