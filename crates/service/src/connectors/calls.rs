//! Calling an action by hand (the playground): checked, sent, audited.

use serde_json::{Value, json};
use switchboard_core::{AuditKind, ConnectorId};
use switchboard_mcp::{CallWatch, UpstreamOutcome};
use switchboard_store::{AuditEvent, User};

use super::Connectors;
use crate::error::{Result, ServiceError};

/// A call by hand, as the person asked for it.
#[derive(Clone, Debug)]
pub struct HandCall<'a> {
    pub connector: ConnectorId,
    pub tool: &'a str,
    /// Must be a JSON object that fits the tool's `inputSchema`.
    pub arguments: Value,
}

impl Connectors {
    /// Call one action by hand. The connector must be one `user` may use, the
    /// action turned on, the arguments fit its definition in force; the call and
    /// its outcome are in the audit trail before this returns.
    pub async fn call_by_hand(&self, user: &User, call: HandCall<'_>) -> Result<UpstreamOutcome> {
        let (found, standing) = self.opened(user, call.connector).await?;
        let name = call.tool;
        let tool = found
            .tool(name)
            // Whoever may only use the app knows nothing of its actions that are off.
            .filter(|t| t.stored.enabled || standing.manage)
            .ok_or_else(|| ServiceError::NotFound(format!("the connector has no tool {name:?}")))?;
        if !tool.stored.enabled {
            return Err(ServiceError::conflict(
                "tool_disabled",
                format!("{name} is turned off; turn it on to call it"),
            ));
        }
        if !call.arguments.is_object() {
            return Err(ServiceError::Invalid("arguments must be a JSON object".into()));
        }
        let errors = tool.schema_errors(&call.arguments).map_err(ServiceError::InvalidToolSchema)?;
        if !errors.is_empty() {
            return Err(ServiceError::InvalidArguments(errors));
        }
        let Value::Object(arguments) = call.arguments else {
            return Err(ServiceError::Invalid("arguments must be a JSON object".into()));
        };

        let c = &found.connector;
        let audit = |status: &str, latency_us: Option<i64>, result: Value, arguments: Value| AuditEvent {
            kind: AuditKind::ToolCall,
            actor_id: Some(user.id),
            conversation_id: None,
            tool_call_id: None,
            connector_id: Some(c.id),
            tool: Some(name.to_owned()),
            classification: Some(tool.stored.classification()),
            decision: None,
            status: Some(status.into()),
            latency_us,
            detail: json!({"source": "playground", "arguments": arguments, "result": result}),
        };
        let recorded_arguments = Value::Object(arguments.clone());
        let outcome = match self.call_upstream(user.id, c, &tool.stored.tool, arguments, CallWatch::default()).await {
            Ok(outcome) => outcome,
            Err(e) => {
                let reason = json!({"error": e.to_string()});
                self.0.audit.append(audit("failed", None, reason, recorded_arguments)).await?;
                return Err(e);
            }
        };
        let latency_us = i64::try_from(outcome.latency.as_micros()).ok();
        self.0.audit.append(audit("completed", latency_us, outcome.result.clone(), recorded_arguments)).await?;
        tracing::debug!(actor = %user.id, connector = %c.id, tool = %name, micros = outcome.latency.as_micros() as u64, "playground call");
        Ok(outcome)
    }
}
