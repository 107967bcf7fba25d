//! The JSON shapes of the connectors API.

use serde::{Deserialize, Serialize};
use serde_json::Value;
use switchboard_core::catalog::{Classification, Tool};
use switchboard_core::catalog_diff::CatalogDiff;
use switchboard_core::connector::AppAccess;
use switchboard_core::tool_auth::{AuthMode, tool_auth};
use switchboard_store::{Connector, ConnectorTool};
use time::OffsetDateTime;
use utoipa::ToSchema;
use uuid::Uuid;

/// Read or write, as a developer-mode host classifies an action.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, ToSchema)]
#[serde(rename_all = "lowercase")]
#[schema(as = Classification)]
pub(crate) enum ClassificationName {
    Read,
    Write,
}

impl From<Classification> for ClassificationName {
    fn from(c: Classification) -> Self {
        match c {
            Classification::Read => Self::Read,
            Classification::Write => Self::Write,
        }
    }
}

#[derive(Debug, Serialize, ToSchema)]
pub(crate) struct RiskView {
    /// A write that may destroy data (`destructiveHint`, true unless the server says false).
    pub(crate) destructive: bool,
    /// Reaches beyond the server's own data (`openWorldHint`, true unless the server says false).
    pub(crate) open_world: bool,
}

/// One action of a connector, with the definition the server advertised, whole.
#[derive(Debug, Serialize, ToSchema)]
pub(crate) struct ToolView {
    pub(crate) name: String,
    /// What people are shown: `title`, else `annotations.title`, else the name.
    pub(crate) display_name: String,
    pub(crate) description: Option<String>,
    /// The classification in force: `read` only when `annotations.readOnlyHint`
    /// is exactly `true` and no admin raised it to `write`.
    pub(crate) classification: ClassificationName,
    /// As the server describes it.
    pub(crate) advertised_classification: ClassificationName,
    /// An admin raised it to a write.
    pub(crate) raised: bool,
    pub(crate) risk: RiskView,
    pub(crate) enabled: bool,
    /// SHA-256 of the definition's canonical JSON: for a published app, the
    /// definition pinned at publishing or at the last accepted change.
    pub(crate) digest: String,
    /// The tool exactly as `tools/list` returned it.
    #[schema(value_type = Object)]
    pub(crate) definition: Value,
    /// In a mixed-auth app, what its calls need, from its `securitySchemes`:
    /// `none` (no token), `optional` (yours when you have one) or `oauth` (yours).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(crate) auth: Option<&'static str>,
    /// The widget its results render in (`mcp_app` or `apps_sdk`), when it links one:
    /// the playground frames `/widgets/apps/{id}/{name}`.
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schema(value_type = Option<String>, example = "mcp_app")]
    pub(crate) widget: Option<switchboard_core::widget::WidgetKind>,
}

impl ToolView {
    /// With what its calls need, when `auth_mode` is `mixed`.
    pub(crate) fn in_app(t: &ConnectorTool, auth_mode: &str) -> Self {
        let mut view = Self::from(t);
        if let Some(mode @ AuthMode::Mixed) = AuthMode::parse(auth_mode) {
            view.auth = Some(tool_auth(mode, &t.tool).as_str());
        }
        view
    }
}

impl From<&ConnectorTool> for ToolView {
    fn from(t: &ConnectorTool) -> Self {
        let badges = t.tool.risk_badges();
        Self {
            name: t.tool.name.clone(),
            display_name: t.tool.display_name().to_owned(),
            description: t.tool.description.clone(),
            classification: t.classification().into(),
            advertised_classification: t.tool.classification().into(),
            raised: t.raised,
            risk: RiskView { destructive: badges.destructive, open_world: badges.open_world },
            enabled: t.enabled,
            digest: t.tool.definition_digest(),
            definition: serde_json::to_value(&t.tool).unwrap_or(Value::Null),
            auth: None,
            widget: switchboard_core::widget::template(&t.tool).map(|t| t.kind),
        }
    }
}

#[derive(Debug, Serialize, ToSchema)]
pub(crate) struct ConnectorView {
    pub(crate) id: Uuid,
    pub(crate) name: String,
    pub(crate) description: String,
    pub(crate) url: Option<String>,
    /// For local commands: `{argv, env, cwd}`, shown exactly as it runs.
    #[schema(value_type = Option<Object>)]
    pub(crate) command: Option<Value>,
    /// What was asked: `auto`, `streamable_http`, `sse` or `stdio`.
    pub(crate) transport: String,
    /// What the connection used.
    pub(crate) used_transport: String,
    pub(crate) protocol_version: String,
    #[schema(value_type = Object)]
    pub(crate) server_info: Value,
    pub(crate) auth_mode: String,
    /// `draft` or `published`.
    pub(crate) status: String,
    /// `Dev` for drafts, `custom` once published.
    pub(crate) label: String,
    pub(crate) owner_id: Uuid,
    /// Whom a published app is shared with.
    pub(crate) access: AccessView,
    #[serde(with = "time::serde::rfc3339::option")]
    #[schema(value_type = Option<String>, format = DateTime)]
    pub(crate) published_at: Option<OffsetDateTime>,
    pub(crate) tool_count: usize,
    /// Whether the signed-in user may change it (its actions, refresh, delete);
    /// otherwise they may only use its enabled actions.
    pub(crate) can_manage: bool,
    #[serde(with = "time::serde::rfc3339")]
    #[schema(value_type = String, format = DateTime)]
    pub(crate) created_at: OffsetDateTime,
    #[serde(with = "time::serde::rfc3339")]
    #[schema(value_type = String, format = DateTime)]
    pub(crate) refreshed_at: OffsetDateTime,
}

/// Whom a published app is shared with.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct AccessView {
    /// Everyone in the workspace.
    #[serde(default)]
    pub(crate) everyone: bool,
    /// Group ids (when not everyone).
    #[serde(default)]
    pub(crate) groups: Vec<Uuid>,
}

impl From<&AppAccess> for AccessView {
    fn from(a: &AppAccess) -> Self {
        Self { everyone: a.everyone, groups: a.groups.iter().map(|g| g.as_uuid()).collect() }
    }
}

impl From<AccessView> for AppAccess {
    fn from(a: AccessView) -> Self {
        Self { everyone: a.everyone, groups: a.groups.into_iter().map(Into::into).collect() }
    }
}

impl ConnectorView {
    /// The app as `standing` lets its viewer see it: every action for those who
    /// may change it, the enabled ones for those who only use it.
    pub(crate) fn for_viewer(found: &switchboard_service::Catalog, standing: switchboard_service::AppStanding) -> Self {
        let count = if standing.manage { found.tools.len() } else { found.enabled().count() };
        Self::new(&found.connector, count, standing.manage)
    }

    pub(crate) fn new(c: &Connector, tool_count: usize, can_manage: bool) -> Self {
        Self {
            id: c.id.as_uuid(),
            name: c.name.clone(),
            description: c.description.clone(),
            url: c.url.clone(),
            command: c.command.clone(),
            transport: c.transport.clone(),
            used_transport: c.used_transport.clone(),
            protocol_version: c.protocol_version.clone(),
            server_info: c.server_info.clone(),
            auth_mode: c.auth_mode.clone(),
            status: c.status.as_str().to_owned(),
            label: c.status.label().to_owned(),
            owner_id: c.owner_id.as_uuid(),
            access: AccessView::from(&c.access),
            published_at: c.published_at,
            tool_count,
            can_manage,
            created_at: c.created_at,
            refreshed_at: c.refreshed_at,
        }
    }
}

/// A connector just created: its tools and anything worth a second look.
#[derive(Debug, Serialize, ToSchema)]
pub(crate) struct CreatedConnectorView {
    pub(crate) connector: ConnectorView,
    pub(crate) tools: Vec<ToolView>,
    pub(crate) warnings: Vec<String>,
    /// OAuth apps: where the creator connects their account, after which the
    /// tools are listed.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(crate) connect_url: Option<String>,
}

/// Where a person starts connecting their account to an OAuth app.
pub(crate) fn connect_url(id: switchboard_core::ConnectorId) -> String {
    format!("/api/v1/connectors/{id}/oauth/start")
}

/// Where a person connects again to grant the scopes a server asked for (a step-up).
pub(crate) fn step_up_url(id: switchboard_core::ConnectorId, scope: &str) -> String {
    let query: String = url::form_urlencoded::Serializer::new(String::new()).append_pair("scope", scope).finish();
    format!("{}?{query}", connect_url(id))
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct CommandRequest {
    /// Program and arguments, run without a shell.
    pub(crate) argv: Vec<String>,
    #[serde(default)]
    pub(crate) env: std::collections::BTreeMap<String, String>,
    pub(crate) cwd: Option<String>,
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct AuthRequest {
    /// `none`, `oauth` (the MCP authorization specification: each person
    /// connects their own account) or `mixed` (listed without a token; each
    /// tool's `securitySchemes` says whether its calls carry the person's token).
    pub(crate) mode: String,
    /// OAuth: a client registered with the authorization server beforehand;
    /// without one, Switchboard registers itself (RFC 7591) where the server allows.
    pub(crate) client_id: Option<String>,
    /// OAuth: the secret of that client, stored encrypted and never shown again.
    #[schema(value_type = Option<String>)]
    pub(crate) client_secret: Option<switchboard_core::SecretString>,
    /// OAuth: the scopes to ask for, space-separated (default: what the server names).
    pub(crate) scopes: Option<String>,
    /// OAuth: for a server that publishes no OAuth metadata at all (every discovery URL
    /// answers 404), authorize at the 2025-03-26 specification's default endpoints at its
    /// origin (`/authorize`, `/token`, `/register`). Default `false`: without metadata
    /// nothing says the server checks PKCE with S256, so such a server is refused.
    /// PKCE S256 and the resource indicator are sent all the same.
    pub(crate) legacy_endpoints: Option<bool>,
}

/// A person's connection to an OAuth app. Never a token.
#[derive(Debug, Serialize, ToSchema)]
pub(crate) struct OAuthConnectionView {
    /// `connected`, `needs_connect` or `needs_reconnect`.
    pub(crate) state: String,
    /// Why you must reconnect (with `needs_reconnect`), in words.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(crate) reason: Option<String>,
    pub(crate) issuer: Option<String>,
    pub(crate) scopes: Vec<String>,
    /// When the access token expires (it is renewed before then when refreshable).
    #[serde(with = "time::serde::rfc3339::option")]
    #[schema(value_type = Option<String>, format = DateTime)]
    pub(crate) expires_at: Option<OffsetDateTime>,
    /// A refresh token is kept, so the connection outlives the access token.
    pub(crate) refreshable: bool,
    /// Where to send the browser to connect (or reconnect).
    pub(crate) connect_url: String,
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct CreateConnectorRequest {
    pub(crate) name: String,
    #[serde(default)]
    pub(crate) description: String,
    /// The server's MCP URL (Streamable HTTP), e.g. `https://example.com/mcp`.
    pub(crate) url: Option<String>,
    /// A local command instead of a URL (operators must allow local commands).
    pub(crate) command: Option<CommandRequest>,
    /// `auto` (default), `streamable_http`, `sse` or `stdio`.
    pub(crate) transport: Option<String>,
    pub(crate) auth: Option<AuthRequest>,
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct UpdateToolRequest {
    /// Turn the action on or off.
    pub(crate) enabled: Option<bool>,
    /// `write` raises a read action so that every call asks for confirmation
    /// (owners and admins); `read` only takes such a raise back: an action its
    /// server describes as a write cannot be lowered.
    pub(crate) classification: Option<ClassificationInput>,
}

#[derive(Clone, Copy, Debug, Deserialize, ToSchema)]
#[serde(rename_all = "lowercase")]
pub(crate) enum ClassificationInput {
    Read,
    Write,
}

impl From<ClassificationInput> for Classification {
    fn from(c: ClassificationInput) -> Self {
        match c {
            ClassificationInput::Read => Self::Read,
            ClassificationInput::Write => Self::Write,
        }
    }
}

#[derive(Debug, Serialize, ToSchema)]
pub(crate) struct FieldChangeView {
    pub(crate) field: String,
    #[schema(value_type = Option<Object>)]
    pub(crate) before: Option<Value>,
    #[schema(value_type = Option<Object>)]
    pub(crate) after: Option<Value>,
}

#[derive(Debug, Serialize, ToSchema)]
pub(crate) struct ToolChangeView {
    pub(crate) tool: String,
    pub(crate) fields: Vec<FieldChangeView>,
}

/// What differs between two catalogs, field by field.
#[derive(Debug, Serialize, ToSchema)]
pub(crate) struct CatalogDiffView {
    #[schema(value_type = Vec<Object>)]
    pub(crate) added: Vec<Value>,
    #[schema(value_type = Vec<Object>)]
    pub(crate) removed: Vec<Value>,
    pub(crate) changed: Vec<ToolChangeView>,
}

impl From<&CatalogDiff> for CatalogDiffView {
    fn from(d: &CatalogDiff) -> Self {
        let value = |t: &Tool| serde_json::to_value(t).unwrap_or_default();
        Self {
            added: d.added.iter().map(value).collect(),
            removed: d.removed.iter().map(value).collect(),
            changed: d
                .changed
                .iter()
                .map(|c| ToolChangeView {
                    tool: c.tool.clone(),
                    fields: c
                        .fields
                        .iter()
                        .map(|f| FieldChangeView {
                            field: f.field.clone(),
                            before: f.before.clone(),
                            after: f.after.clone(),
                        })
                        .collect(),
                })
                .collect(),
        }
    }
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct CallToolRequest {
    #[serde(default = "empty_object")]
    #[schema(value_type = Object)]
    pub(crate) arguments: Value,
}

fn empty_object() -> Value {
    Value::Object(Default::default())
}

/// The MCP result of a playground call and the JSON-RPC exchange behind it.
#[derive(Debug, Serialize, ToSchema)]
pub(crate) struct CallToolView {
    /// `content`, `structuredContent`, `isError` as the server returned them.
    #[schema(value_type = Object)]
    pub(crate) result: Value,
    pub(crate) is_error: bool,
    /// The result was larger than the cap and was cut down.
    pub(crate) truncated: bool,
    pub(crate) bytes: usize,
    pub(crate) latency_ms: f64,
    /// Every JSON-RPC message of the call in the order it crossed, each as
    /// `{direction: client_to_server | server_to_client, message}`: the `tools/call`
    /// request, progress and log notifications, the server's requests and our
    /// answers, a cancellation, the response. A message over the result cap is a
    /// stand-in with its `jsonrpc`, `id`, `method` and `switchboard/cut: {bytes, max}`.
    #[schema(value_type = Vec<Object>)]
    pub(crate) exchange: Value,
    /// Set when the call ran as a task on its server.
    pub(crate) task: Option<CallTaskView>,
}

/// The task a playground call ran as.
#[derive(Debug, Serialize, ToSchema)]
pub(crate) struct CallTaskView {
    pub(crate) task_id: String,
    /// The last status: `completed`, `failed` or `cancelled`.
    pub(crate) status: String,
    /// `stop` or `deadline` when Switchboard cancelled it.
    pub(crate) cancelled_by: Option<&'static str>,
}

/// One Server-Sent Event of a followed playground call, as it goes over the wire:
/// `event` names it (`progress`, `task`, `result`, `error`) and `data` is the
/// [`CallEventView`] as JSON text, whose `type` is the same name.
#[derive(Debug, Serialize, ToSchema)]
pub(crate) struct CallEventEnvelope {
    /// `progress`, `task`, `result` or `error`.
    pub(crate) event: String,
    /// JSON: `{type: "progress", progress, total, message}`, `{type: "task", status,
    /// message}`, `{type: "result", call}` (the body of the plain call) or
    /// `{type: "error", code, detail}`.
    pub(crate) data: String,
}

/// One event of a playground call's stream: its progress and its task's status
/// while it runs, then its result (or why it failed).
#[derive(Debug, Serialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub(crate) enum CallEventView {
    /// The server's `notifications/progress`.
    Progress { progress: f64, total: Option<f64>, message: Option<String> },
    /// The call runs as a task: its status and status message.
    Task { status: String, message: Option<String> },
    /// The call is over.
    Result { call: CallToolView },
    /// The call could not be made: the problem's `code` and `detail`.
    Error { code: String, detail: String },
}

impl CallEventView {
    pub(crate) fn name(&self) -> &'static str {
        match self {
            Self::Progress { .. } => "progress",
            Self::Task { .. } => "task",
            Self::Result { .. } => "result",
            Self::Error { .. } => "error",
        }
    }
}
