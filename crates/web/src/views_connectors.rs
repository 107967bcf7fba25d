//! The JSON shapes of the connectors API.

use serde::{Deserialize, Serialize};
use serde_json::Value;
use switchboard_core::catalog::Classification;
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
    /// `read` only when `annotations.readOnlyHint` is exactly `true`.
    pub(crate) classification: ClassificationName,
    pub(crate) risk: RiskView,
    pub(crate) enabled: bool,
    /// The tool exactly as `tools/list` returned it.
    #[schema(value_type = Object)]
    pub(crate) definition: Value,
}

impl From<&ConnectorTool> for ToolView {
    fn from(t: &ConnectorTool) -> Self {
        let badges = t.tool.risk_badges();
        Self {
            name: t.tool.name.clone(),
            display_name: t.tool.display_name().to_owned(),
            description: t.tool.description.clone(),
            classification: t.tool.classification().into(),
            risk: RiskView { destructive: badges.destructive, open_world: badges.open_world },
            enabled: t.enabled,
            definition: serde_json::to_value(&t.tool).unwrap_or(Value::Null),
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
    pub(crate) status: String,
    /// `Dev` for drafts.
    pub(crate) label: String,
    pub(crate) owner_id: Uuid,
    pub(crate) tool_count: usize,
    #[serde(with = "time::serde::rfc3339")]
    #[schema(value_type = String, format = DateTime)]
    pub(crate) created_at: OffsetDateTime,
    #[serde(with = "time::serde::rfc3339")]
    #[schema(value_type = String, format = DateTime)]
    pub(crate) refreshed_at: OffsetDateTime,
}

impl ConnectorView {
    pub(crate) fn new(c: &Connector, tool_count: usize) -> Self {
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
            tool_count,
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
    /// `none` (OAuth and mixed auth come with a later release).
    pub(crate) mode: String,
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
    pub(crate) enabled: bool,
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

/// What a refresh found, field by field. For a draft it is already applied.
#[derive(Debug, Serialize, ToSchema)]
pub(crate) struct CatalogDiffView {
    #[schema(value_type = Vec<Object>)]
    pub(crate) added: Vec<Value>,
    #[schema(value_type = Vec<Object>)]
    pub(crate) removed: Vec<Value>,
    pub(crate) changed: Vec<ToolChangeView>,
    pub(crate) applied: bool,
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
}
