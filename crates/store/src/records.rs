//! The rows the store hands out, already parsed into domain types.

use switchboard_core::catalog::Classification;
use switchboard_core::conversation::{CallStatus, Decision, DecisionKind, MessageRole, Mode, TurnState};
use switchboard_core::{
    AuditKind, ConnectorId, ConversationId, DeveloperModePolicy, Email, GroupId, MessageId, Role, TokenId, ToolCallId,
    UserId,
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
    /// Whom it is shared with once published.
    pub access: switchboard_core::connector::AppAccess,
    pub published_at: Option<OffsetDateTime>,
    pub published_by: Option<UserId>,
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

/// One tool of a connector's catalog, as stored: for a published app, the
/// definition pinned at publishing or at the last accepted change.
#[derive(Clone, Debug, PartialEq)]
pub struct ConnectorTool {
    pub tool: switchboard_core::catalog::Tool,
    pub enabled: bool,
    /// An admin raised this action to a write (never lowers).
    pub raised: bool,
}

impl ConnectorTool {
    /// The classification in force: the server's, raised by an admin's override.
    pub fn classification(&self) -> Classification {
        self.tool.effective_classification(self.raised.then_some(Classification::Write))
    }
}

/// Where a recorded change set is.
#[derive(Clone, Copy, Debug, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "lowercase")]
pub enum ChangeState {
    /// Awaiting an admin; the pinned definitions stay in force.
    Pending,
    Accepted,
    Rejected,
    /// A later refresh recorded a newer change set.
    Superseded,
}

impl ChangeState {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Pending => "pending",
            Self::Accepted => "accepted",
            Self::Rejected => "rejected",
            Self::Superseded => "superseded",
        }
    }

    pub fn parse(text: &str) -> Option<Self> {
        [Self::Pending, Self::Accepted, Self::Rejected, Self::Superseded].into_iter().find(|s| s.as_str() == text)
    }
}

/// What a refresh of a published app found that differs from its pinned
/// definitions (removals aside: those apply at once).
#[derive(Clone, Debug, PartialEq)]
pub struct CatalogChange {
    pub id: switchboard_core::ChangeId,
    pub connector_id: ConnectorId,
    pub state: ChangeState,
    /// `refresh` (a person asked) or `drift` (the background check).
    pub source: String,
    pub requested_by: Option<UserId>,
    /// The server's listing as it was, whole.
    pub listing: Vec<switchboard_core::catalog::Tool>,
    pub listing_digest: String,
    pub diff: switchboard_core::catalog_diff::CatalogDiff,
    pub protocol_version: String,
    pub created_at: OffsetDateTime,
    pub decided_by: Option<UserId>,
    pub decided_at: Option<OffsetDateTime>,
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
    /// Its owner pinned it: listed first.
    pub pinned: bool,
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
    /// Replaced by a later answer (regenerate, edit and resend): kept on
    /// record, no longer sent to the model.
    pub superseded: bool,
    /// For a model's answer: what its step used.
    pub usage: Option<StepUsage>,
}

/// What one model step used: recorded with the answer it wrote.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct StepUsage {
    /// `provider/model`, as resolved for the step.
    pub model: String,
    /// Tokens the provider reported (0 when it reported none).
    pub input_tokens: i64,
    pub output_tokens: i64,
    /// From the request to the end of the answer's stream.
    pub latency_ms: i64,
    /// From the request to the first text or tool call, when one came.
    pub first_token_ms: Option<i64>,
    /// Which step of its turn this was: 1 for the first.
    pub turn_step: i64,
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

/// A choice remembered in a conversation for a page session, as listed.
#[derive(Clone, Debug, PartialEq)]
pub struct RememberedTool {
    pub connector: ConnectorId,
    pub tool: String,
    pub decision: Decision,
    pub created_at: OffsetDateTime,
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
    /// A tool call, a decision, or an admin change such as `user.role_changed`.
    pub kind: AuditKind,
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
    /// A change an owner, admin or user made to the workspace or their account:
    /// `kind` names it (`user.role_changed`, `connector.deleted`, …), `detail` says
    /// what it was before and after. Never a secret.
    pub fn admin_change(
        actor: UserId,
        kind: AuditKind,
        connector_id: Option<ConnectorId>,
        detail: serde_json::Value,
    ) -> Self {
        Self {
            kind,
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

/// An audit entry as stored: its place in the chain, when, and what.
#[derive(Clone, Debug, PartialEq)]
pub struct AuditEntry {
    /// 1, 2, 3, … without gaps, in the order entries were committed.
    pub seq: i64,
    pub id: uuid::Uuid,
    pub at: OffsetDateTime,
    pub event: AuditEvent,
    /// The previous entry's hash, and this entry's; `None` for entries from before
    /// the trail was chained (see the `0008_audit_chain` migration).
    pub prev_hash: Option<String>,
    pub hash: Option<String>,
}

/// Which audit entries to read; every filter given must match.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct AuditFilter {
    pub actor: Option<UserId>,
    pub connector: Option<ConnectorId>,
    /// An action's name (`create_task`), whichever connector it belongs to.
    pub tool: Option<String>,
    pub kind: Option<AuditKind>,
    /// At or after.
    pub since: Option<OffsetDateTime>,
    /// Before.
    pub until: Option<OffsetDateTime>,
}

/// The audit trail checked from its first entry to its head.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct VerifiedTrail {
    /// Every entry, chained or not.
    pub records: i64,
    /// Entries written before the trail was chained: their sequence is checked
    /// for gaps, their content cannot be.
    pub unchained: i64,
    /// The last chained entry's hash (the genesis hash when there is none): kept
    /// elsewhere, it shows later whether the trail up to here was rewritten whole.
    pub head_hash: String,
}

/// The first entry at which the chain does not hold.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct BrokenRecord {
    /// The sequence number where the chain breaks.
    pub seq: i64,
    /// The entry stored there; `None` when it is missing.
    pub id: Option<uuid::Uuid>,
    pub problem: ChainProblem,
}

/// What is wrong at a [`BrokenRecord`].
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum ChainProblem {
    /// The stored hash is not the hash of the stored content (or there is none).
    HashMismatch { stored: Option<String>, computed: String },
    /// The entry does not point at the previous entry's hash.
    PrevHashMismatch { stored: Option<String>, expected: String },
    /// The sequence jumps from `seq - 1` to `next`: the entries between are gone.
    Gap { next: i64 },
    /// The head does not match the last entry: entries were cut off the end, or
    /// the head was changed.
    HeadMismatch { head_seq: i64, last_seq: i64 },
}

impl std::fmt::Display for BrokenRecord {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let seq = self.seq;
        match &self.id {
            Some(id) => write!(f, "record {seq} ({id}): ")?,
            None => write!(f, "record {seq}: ")?,
        }
        match &self.problem {
            ChainProblem::HashMismatch { stored: Some(stored), computed } => {
                write!(f, "hash mismatch: its content hashes to {computed}, the record says {stored}")
            }
            ChainProblem::HashMismatch { stored: None, computed } => {
                write!(f, "hash mismatch: the record has no hash; its content hashes to {computed}")
            }
            ChainProblem::PrevHashMismatch { stored, expected } => write!(
                f,
                "prev_hash mismatch: the previous record's hash is {expected}, the record says {}",
                stored.as_deref().unwrap_or("nothing")
            ),
            ChainProblem::Gap { next } => {
                write!(f, "missing: the trail jumps from {} to {next}", seq - 1)
            }
            ChainProblem::HeadMismatch { head_seq, last_seq } if head_seq != last_seq => {
                write!(f, "head mismatch: the head says the trail has {head_seq} records, it ends at record {last_seq}")
            }
            ChainProblem::HeadMismatch { .. } => {
                write!(f, "head mismatch: the head's hash is not the last record's hash")
            }
        }
    }
}

/// A change of a turn's state, by the instance that makes it.
#[derive(Clone, Copy, Debug)]
pub struct TurnMove<'a> {
    pub from: TurnState,
    pub to: TurnState,
    /// Model steps taken in the turn after the change.
    pub steps: u32,
    pub instance: &'a InstanceId,
    /// A note for the user written with the change (why the turn ended).
    pub note: Option<Note<'a>>,
}

/// A note for the user in the thread, never sent to the model: why a turn ended.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Note<'a> {
    /// It failed: a provider error, the step limit, tools that could not be listed.
    Error(&'a str),
    /// Its owner stopped it.
    Stopped(&'a str),
}

impl<'a> Note<'a> {
    pub fn role(self) -> MessageRole {
        match self {
            Self::Error(_) => MessageRole::Error,
            Self::Stopped(_) => MessageRole::Stopped,
        }
    }

    pub fn text(self) -> &'a str {
        match self {
            Self::Error(text) | Self::Stopped(text) => text,
        }
    }
}

/// Answer the owner's last message again, as a new turn: what came after it is
/// superseded.
#[derive(Clone, Copy, Debug)]
pub struct TurnRestart<'a> {
    pub conversation: ConversationId,
    /// `Some`: the last message is superseded too, and this is sent in its place.
    pub replacement: Option<&'a str>,
    /// The page session that asks.
    pub client_session: &'a str,
    /// The instance that runs the turn.
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
    pub note: Option<Note<'a>>,
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
    /// What the step that wrote it used.
    pub usage: Option<&'a StepUsage>,
}

/// A conversation's messages and tool calls, in order: what a turn sends the
/// model, read in the same transaction that starts the turn.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct History {
    pub messages: Vec<Message>,
    pub calls: Vec<ToolCall>,
}

/// A turn just started: the owner's message it answers, and the conversation
/// with that message, as it stood when the turn began.
#[derive(Clone, Debug, PartialEq)]
pub struct StartedTurn {
    pub message: Message,
    pub history: History,
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
