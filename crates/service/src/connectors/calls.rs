//! Calling an action by hand (the playground): checked, sent, audited.

use std::sync::Arc;

use serde_json::{Map, Value, json};
use switchboard_core::{AuditKind, ConnectorId};
use switchboard_mcp::{CallWatch, UpstreamOutcome};
use switchboard_store::{AuditEvent, User};

use super::{Catalog, Connectors};
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
        self.call_by_hand_watched(user, call, CallWatch::default()).await
    }

    /// [`Connectors::call_by_hand`], telling `watch` the call's progress and, when it
    /// runs as a task, its status; `watch.stop` cancels the task upstream.
    pub async fn call_by_hand_watched(
        &self,
        user: &User,
        call: HandCall<'_>,
        watch: CallWatch,
    ) -> Result<UpstreamOutcome> {
        let (found, arguments) = self.checked(user, &call).await?;
        let name = call.tool;
        let tool =
            found.tool(name).ok_or_else(|| ServiceError::NotFound(format!("the connector has no tool {name:?}")))?;
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
        // The server's requests for input go to the person, who sees them beside the call.
        let wait = self.0.config.options.call_timeout;
        let asker = self.0.hand_asks.asker(user.id, c.id, c.name.clone(), wait);
        let call = self.call_upstream(user.id, c, &tool.stored.tool, arguments, watch);
        let outcome = match Box::pin(switchboard_mcp::elicitation::asking(asker, call)).await {
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

    /// Whether `user` may make `call` as it is: what [`Connectors::call_by_hand`]
    /// checks before sending, for an answer before a followed call's stream starts.
    pub async fn check_call_by_hand(&self, user: &User, call: &HandCall<'_>) -> Result<()> {
        self.checked(user, call).await.map(|_| ())
    }

    /// The connector `user` may use, with the action turned on and `call`'s arguments,
    /// which fit its definition in force.
    async fn checked(&self, user: &User, call: &HandCall<'_>) -> Result<(Arc<Catalog>, Map<String, Value>)> {
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
        let Value::Object(arguments) = &call.arguments else {
            return Err(ServiceError::Invalid("arguments must be a JSON object".into()));
        };
        let errors = tool.schema_errors(&call.arguments).map_err(ServiceError::InvalidToolSchema)?;
        if !errors.is_empty() {
            return Err(ServiceError::InvalidArguments(errors));
        }
        let arguments = arguments.clone();
        Ok((found, arguments))
    }
}
