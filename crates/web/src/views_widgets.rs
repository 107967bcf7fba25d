//! JSON shapes of widgets' API: a widget's tool calls and what it reads and keeps.

use serde::{Deserialize, Serialize};
use serde_json::Value;
use switchboard_core::conversation::{CallStatus, Decision, DecisionKind};
use switchboard_store::WidgetCall;
use time::OffsetDateTime;
use utoipa::ToSchema;
use uuid::Uuid;

use crate::views_connectors::ClassificationName;

/// A tool call a widget asks its host for.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct WidgetCallRequest {
    /// The tool's name on the widget's own app.
    pub(crate) name: String,
    /// Must be a JSON object that fits the tool's `inputSchema`.
    #[serde(default = "empty_object")]
    #[schema(value_type = Object)]
    pub(crate) arguments: Value,
}

fn empty_object() -> Value {
    Value::Object(serde_json::Map::new())
}

/// The owner's decision on a widget's write.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct WidgetDecisionRequest {
    /// `approve` or `deny`.
    #[schema(value_type = String, example = "approve")]
    pub(crate) decision: Decision,
}

/// A resource of the widget's own app to read.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct WidgetResourceRequest {
    pub(crate) uri: String,
}

/// The state a widget keeps with its message (at most 64 KiB of JSON).
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct WidgetStateRequest {
    #[schema(value_type = Object)]
    pub(crate) state: Value,
}

/// A tool call a widget made, as it stands.
#[derive(Debug, Serialize, ToSchema)]
pub(crate) struct WidgetCallView {
    pub(crate) id: Uuid,
    /// The call whose widget made this one.
    pub(crate) widget_of: Uuid,
    pub(crate) connector_id: Uuid,
    pub(crate) tool: String,
    pub(crate) classification: ClassificationName,
    #[schema(value_type = Object)]
    pub(crate) arguments: Value,
    /// `awaiting_approval`, `running`, `completed`, `failed` or `denied`.
    #[schema(value_type = String, example = "completed")]
    pub(crate) status: CallStatus,
    /// `auto_read`, `approved` or `denied`.
    #[schema(value_type = Option<String>, example = "auto_read")]
    pub(crate) decision: Option<DecisionKind>,
    /// The MCP result, or `{"error": …}`.
    #[schema(value_type = Option<Object>)]
    pub(crate) result: Option<Value>,
    pub(crate) is_error: bool,
    pub(crate) latency_ms: Option<f64>,
    #[serde(with = "time::serde::rfc3339")]
    #[schema(value_type = String, format = DateTime)]
    pub(crate) created_at: OffsetDateTime,
}

impl From<&WidgetCall> for WidgetCallView {
    fn from(c: &WidgetCall) -> Self {
        Self {
            id: c.id.as_uuid(),
            widget_of: c.parent_call_id.as_uuid(),
            connector_id: c.connector_id.as_uuid(),
            tool: c.tool.clone(),
            classification: c.classification.into(),
            arguments: c.arguments.clone(),
            status: c.status,
            decision: c.decision,
            result: c.result.clone(),
            is_error: c.is_error,
            latency_ms: c.latency_us.map(|us| us as f64 / 1000.0),
            created_at: c.created_at,
        }
    }
}
