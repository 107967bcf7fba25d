//! The rows the store hands out, already parsed into domain types.

use switchboard_core::catalog::Classification;
use switchboard_core::conversation::{CallStatus, Decision, DecisionKind, MessageRole, Mode, TurnState};
use switchboard_core::{
    ConnectorId, ConversationId, DeveloperModePolicy, Email, GroupId, MessageId, Role, TokenId, ToolCallId, UserId,
};
use time::OffsetDateTime;

use crate::instance::InstanceId;

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

/// A password set for someone by someone else (an admin's reset).
#[derive(Clone, Copy, Debug)]
pub struct PasswordReset<'a> {
    pub password_hash: &'a str,
    /// Also revoke every personal API token of the user (their browser sessions
    /// end whatever this says).
    pub revoke_tokens: bool,
}

/// A signed-in browser session, found by the digest of its cookie value.
#[derive(Clone, Debug)]
pub struct LoginSession {
    pub user: User,
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

/// A live API token and whom it belongs to.
#[derive(Clone, Debug)]
pub struct TokenHolder {
    pub token_id: TokenId,
    pub user: User,
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
    /// `provider/model` for new conversations; `None`: the server's configured default.
    pub default_model: Option<String>,
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

/// A conversation with a model.
#[derive(Clone, Debug, PartialEq)]
pub struct Conversation {
    pub id: ConversationId,
    pub owner_id: UserId,
    pub title: String,
    /// `provider/model`.
    pub model: String,
    pub mode: Mode,
    /// The connectors chosen for it (knowledge mode chooses its own at each step).
    pub connectors: Vec<ConnectorId>,
    pub state: TurnState,
    /// Model steps taken in the current turn.
    pub steps: u32,
    pub created_at: OffsetDateTime,
    pub updated_at: OffsetDateTime,
}

#[derive(Clone, Debug)]
pub struct NewConversation {
    pub owner_id: UserId,
    pub title: String,
    pub model: String,
    pub mode: Mode,
    pub connectors: Vec<ConnectorId>,
}

#[derive(Clone, Debug, PartialEq)]
pub struct Message {
    pub id: MessageId,
    pub conversation_id: ConversationId,
    pub seq: i64,
    pub role: MessageRole,
    pub content: String,
    /// The page session that sent it (user messages).
    pub client_session: Option<String>,
    pub created_at: OffsetDateTime,
}

/// One tool call the model asked for, with everything that happened to it.
#[derive(Clone, Debug, PartialEq)]
pub struct ToolCall {
    pub id: ToolCallId,
    pub conversation_id: ConversationId,
    /// The assistant message that asked for it.
    pub message_id: MessageId,
    pub position: i64,
    pub provider_call_id: String,
    /// The name the model called.
    pub name: String,
    /// What it resolved to; `None` when the model invented the name.
    pub connector_id: Option<ConnectorId>,
    pub connector_name: Option<String>,
    pub tool: Option<String>,
    pub classification: Option<Classification>,
    /// Exactly as the model wrote them.
    pub arguments: String,
    pub arguments_digest: Option<String>,
    /// The digest of the tool's definition in force when the model asked for the
    /// call (`Tool::definition_digest`); `None` when the name resolved to no tool.
    pub definition_digest: Option<String>,
    pub status: CallStatus,
    pub decision: Option<DecisionKind>,
    pub decided_by: Option<UserId>,
    pub decided_at: Option<OffsetDateTime>,
    pub client_session: Option<String>,
    pub outcome: Option<CallOutcome>,
    pub created_at: OffsetDateTime,
}

/// How a call ended.
#[derive(Clone, Debug, PartialEq)]
pub struct CallOutcome {
    /// The MCP result, or `{"error": …}` when there is none.
    pub result: serde_json::Value,
    pub is_error: bool,
    /// What the model was sent.
    pub model_content: String,
    /// The JSON-RPC messages of the call, when it was sent.
    pub exchange: Option<serde_json::Value>,
    pub latency_us: Option<i64>,
    pub finished_at: OffsetDateTime,
}

/// How a call ends, to record.
#[derive(Clone, Copy, Debug)]
pub struct CallEnd<'a> {
    pub status: CallStatus,
    pub result: &'a serde_json::Value,
    pub is_error: bool,
    pub model_content: &'a str,
    pub exchange: Option<&'a serde_json::Value>,
    pub latency_us: Option<i64>,
}

/// A tool call to record as the model asks for it.
#[derive(Clone, Debug)]
pub struct NewToolCall {
    pub provider_call_id: String,
    pub name: String,
    pub connector_id: Option<ConnectorId>,
    pub connector_name: Option<String>,
    pub tool: Option<String>,
    pub classification: Option<Classification>,
    pub arguments: String,
    pub arguments_digest: Option<String>,
    /// The digest of the tool's definition the call was planned with.
    pub definition_digest: Option<String>,
    pub status: CallStatus,
    pub decision: Option<DecisionKind>,
    /// Who the decision is by, when it is a remembered one.
    pub decided_by: Option<UserId>,
    pub client_session: Option<String>,
    /// Set when the call is over before it starts (invalid, remembered denial).
    pub outcome: Option<(serde_json::Value, String)>,
}

/// The owner's choice for a tool, remembered for a conversation and page session,
/// bound to the definition of the tool it was made on.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RememberedChoice {
    pub decision: Decision,
    /// `Tool::definition_digest` of that definition; empty for a choice remembered
    /// before definitions were recorded, which matches none.
    pub definition_digest: String,
}

/// A choice to remember: for `tool` of `connector` in `conversation`, for the
/// page session `client_session`, made on the definition `definition_digest`.
#[derive(Clone, Copy, Debug)]
pub struct NewRememberedChoice<'a> {
    pub conversation: ConversationId,
    pub connector: ConnectorId,
    pub tool: &'a str,
    pub client_session: &'a str,
    pub definition_digest: &'a str,
    pub decision: Decision,
}

/// One entry of the audit trail.
#[derive(Clone, Debug, PartialEq)]
pub struct AuditEvent {
    /// `tool_call`, `decision`, or an admin change such as `connector.published`.
    pub kind: String,
    pub actor_id: Option<UserId>,
    pub conversation_id: Option<ConversationId>,
    pub tool_call_id: Option<ToolCallId>,
    pub connector_id: Option<ConnectorId>,
    pub tool: Option<String>,
    pub classification: Option<Classification>,
    pub decision: Option<DecisionKind>,
    pub status: Option<String>,
    pub latency_us: Option<i64>,
    /// Input, output and anything else worth keeping.
    pub detail: serde_json::Value,
}

impl AuditEvent {
    /// A change an owner or admin made to the workspace: `kind` names it
    /// (`connector.published`, `user.role_changed`, …), `detail` says what it was
    /// before and after. Never a secret.
    pub fn admin_change(
        actor: UserId,
        kind: &str,
        connector_id: Option<ConnectorId>,
        detail: serde_json::Value,
    ) -> Self {
        Self {
            kind: kind.to_owned(),
            actor_id: Some(actor),
            conversation_id: None,
            tool_call_id: None,
            connector_id,
            tool: None,
            classification: None,
            decision: None,
            status: None,
            latency_us: None,
            detail,
        }
    }
}

/// An audit entry as stored.
#[derive(Clone, Debug, PartialEq)]
pub struct AuditEntry {
    pub id: uuid::Uuid,
    pub at: OffsetDateTime,
    pub event: AuditEvent,
}

/// A change of a turn's state, by the instance that makes it.
#[derive(Clone, Copy, Debug)]
pub struct TurnMove<'a> {
    pub from: TurnState,
    pub to: TurnState,
    /// Model steps taken in the turn after the change.
    pub steps: u32,
    pub instance: &'a InstanceId,
}

/// A turn to start with the owner's message.
#[derive(Clone, Copy, Debug)]
pub struct TurnStart<'a> {
    pub conversation: ConversationId,
    pub text: &'a str,
    /// The page session that sent it.
    pub client_session: &'a str,
    /// The conversation's title, when this is its first message.
    pub title: &'a str,
    /// The instance that runs the turn.
    pub instance: &'a InstanceId,
}

/// What a step of a running turn leaves, to record together.
#[derive(Clone, Copy, Debug)]
pub struct StepRecord<'a> {
    pub conversation: ConversationId,
    /// The model's answer, when there is one to keep.
    pub answer: Option<Answer<'a>>,
    /// A note for the user after the answer (why the turn stopped).
    pub note: Option<&'a str>,
    /// Model steps taken in the turn after this one.
    pub steps: u32,
    /// The state the turn goes to from `running`.
    pub to: TurnState,
    /// The instance that runs the turn.
    pub instance: &'a InstanceId,
}

/// A model's answer: its text and the calls it asks for.
#[derive(Clone, Copy, Debug)]
pub struct Answer<'a> {
    pub text: &'a str,
    pub calls: &'a [NewToolCall],
}

/// What [`StepRecord`] wrote, as it is stored.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct RecordedStep {
    pub answer: Option<Message>,
    /// The calls of the answer, in order.
    pub calls: Vec<ToolCall>,
    pub note: Option<Message>,
}

/// A decision on a waiting call, to record.
#[derive(Clone, Debug)]
pub struct DecisionRecord<'a> {
    pub kind: DecisionKind,
    pub by: UserId,
    /// The page session it comes from.
    pub client_session: &'a str,
    /// For a denial: the result recorded and what the model is sent.
    pub denied: Option<(serde_json::Value, String)>,
    /// The instance that sends the call when it is approved.
    pub instance: &'a InstanceId,
}

/// What calls and turns cut off by a stop are left with.
#[derive(Clone, Copy, Debug)]
pub struct Interruption<'a> {
    /// The result of an interrupted call.
    pub result: &'a serde_json::Value,
    /// What the model is sent for it.
    pub model_content: &'a str,
    /// The note each touched conversation gets.
    pub note: &'a str,
}
