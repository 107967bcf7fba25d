//! The rows the store hands out, already parsed into domain types.

use switchboard_core::{DeveloperModePolicy, Email, GroupId, Role, TokenId, UserId};
use time::OffsetDateTime;

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct User {
    pub id: UserId,
    pub email: Email,
    pub name: String,
    pub role: Role,
    /// The user's own developer-mode toggle (whether it is in effect also depends on policy).
    pub developer_mode: bool,
    pub has_password: bool,
    pub created_at: OffsetDateTime,
}

/// A user to create. `password_hash` is an Argon2id PHC string, never a password.
#[derive(Clone, Debug)]
pub struct NewUser {
    pub email: Email,
    pub name: String,
    pub role: Role,
    pub password_hash: Option<String>,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct GroupSummary {
    pub id: GroupId,
    pub name: String,
    pub member_count: i64,
    pub created_at: OffsetDateTime,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct GroupMember {
    pub user_id: UserId,
    pub email: Email,
    pub name: String,
    pub added_at: OffsetDateTime,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Group {
    pub id: GroupId,
    pub name: String,
    pub created_at: OffsetDateTime,
    pub members: Vec<GroupMember>,
}

/// A signed-in browser session, found by the digest of its cookie value.
#[derive(Clone, Debug)]
pub struct Session {
    pub user: User,
    pub csrf_token: switchboard_core::SecretString,
    pub expires_at: OffsetDateTime,
}

/// A personal API token as listed: never the token itself.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ApiToken {
    pub id: TokenId,
    pub user_id: UserId,
    pub name: String,
    /// The last four characters, so a person can tell tokens apart.
    pub hint: String,
    pub created_at: OffsetDateTime,
    pub expires_at: Option<OffsetDateTime>,
    pub last_used_at: Option<OffsetDateTime>,
}

#[derive(Clone, Debug)]
pub struct NewApiToken {
    pub user_id: UserId,
    pub name: String,
    pub digest: String,
    pub hint: String,
    pub expires_at: Option<OffsetDateTime>,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct WorkspaceSettings {
    pub developer_mode_policy: DeveloperModePolicy,
    /// Groups whose members may use developer mode under the `rbac` policy.
    pub developer_mode_groups: Vec<GroupSummary>,
}

/// A connected MCP server.
#[derive(Clone, Debug, PartialEq)]
pub struct Connector {
    pub id: switchboard_core::ConnectorId,
    pub owner_id: UserId,
    pub name: String,
    pub description: String,
    /// Set for HTTP connectors.
    pub url: Option<String>,
    /// Set for local commands: `{argv, env, cwd}`.
    pub command: Option<serde_json::Value>,
    /// What was asked: `auto`, `streamable_http`, `sse` or `stdio`.
    pub transport: String,
    pub auth_mode: String,
    pub status: switchboard_core::connector::ConnectorStatus,
    pub protocol_version: String,
    /// What the connection actually used.
    pub used_transport: String,
    pub server_info: serde_json::Value,
    pub created_at: OffsetDateTime,
    pub refreshed_at: OffsetDateTime,
}

#[derive(Clone, Debug)]
pub struct NewConnector {
    pub owner_id: UserId,
    pub name: String,
    pub description: String,
    pub url: Option<String>,
    pub command: Option<serde_json::Value>,
    pub transport: String,
    pub auth_mode: String,
    pub protocol_version: String,
    pub used_transport: String,
    pub server_info: serde_json::Value,
}

/// One tool of a connector's catalog, as stored, with its toggle.
#[derive(Clone, Debug, PartialEq)]
pub struct ConnectorTool {
    pub tool: switchboard_core::catalog::Tool,
    pub enabled: bool,
}
