//! What widgets keep: the tool calls a widget makes (checked like the model's,
//! decided once, closed once, each change with its audit entries in one
//! transaction) and the state an Apps SDK widget saves with its message.

use serde_json::Value;
use switchboard_core::catalog::Classification;
use switchboard_core::conversation::{CallStatus, DecisionKind};
use switchboard_core::{ConnectorId, ConversationId, ToolCallId, UserId};
use time::OffsetDateTime;

use crate::Store;
use crate::audit::append_in;
use crate::columns::{Columns, json_column, parse};
use crate::conversations::{classification_from_str, classification_str};
use crate::error::{Result, StoreError};
use crate::records::AuditEvent;
use crate::time_ms::{from_ms, now, opt_from_ms, to_ms};

const WIDGET_CALL: &str = "id, conversation_id, parent_call_id, connector_id, tool, classification, arguments, \
                           arguments_digest, definition_digest, status, decision, decided_by, result, is_error, \
                           latency_us, created_at, finished_at";

/// A tool call a widget made.
#[derive(Clone, Debug, PartialEq)]
pub struct WidgetCall {
    pub id: ToolCallId,
    pub conversation_id: ConversationId,
    /// The call whose widget made this one.
    pub parent_call_id: ToolCallId,
    pub connector_id: ConnectorId,
    pub tool: String,
    pub classification: Classification,
    pub arguments: Value,
    pub arguments_digest: String,
    pub definition_digest: String,
    /// `awaiting_approval`, `running`, `completed`, `failed` or `denied`.
    pub status: CallStatus,
    pub decision: Option<DecisionKind>,
    pub decided_by: Option<UserId>,
    /// The MCP result, or `{"error": …}`.
    pub result: Option<Value>,
    pub is_error: bool,
    pub latency_us: Option<i64>,
    pub created_at: OffsetDateTime,
    pub finished_at: Option<OffsetDateTime>,
}

/// A widget's call to record: running now (`decision` says why) or awaiting the owner.
#[derive(Clone, Debug)]
pub struct NewWidgetCall {
    pub conversation_id: ConversationId,
    pub parent_call_id: ToolCallId,
    pub connector_id: ConnectorId,
    pub tool: String,
    pub classification: Classification,
    pub arguments: Value,
    pub arguments_digest: String,
    pub definition_digest: String,
    /// `None`: it waits for the owner's decision.
    pub decision: Option<DecisionKind>,
}

/// How a widget's call ended.
#[derive(Clone, Debug)]
pub struct WidgetCallEnd {
    pub status: CallStatus,
    pub result: Value,
    pub is_error: bool,
    pub latency_us: Option<i64>,
}

fn widget_call_from_row(row: &impl Columns) -> Result<WidgetCall> {
    let status = row.text("status")?;
    let decision = row.opt_text("decision")?;
    Ok(WidgetCall {
        id: parse("widget call id", &row.text("id")?)?,
        conversation_id: parse("conversation id", &row.text("conversation_id")?)?,
        parent_call_id: parse("tool call id", &row.text("parent_call_id")?)?,
        connector_id: parse("connector id", &row.text("connector_id")?)?,
        tool: row.text("tool")?,
        classification: classification_from_str(&row.text("classification")?)?,
        arguments: json_column(row, "arguments")?.unwrap_or_default(),
        arguments_digest: row.text("arguments_digest")?,
        definition_digest: row.text("definition_digest")?,
        status: CallStatus::parse(&status).ok_or_else(|| StoreError::corrupt("call status", &status))?,
        decision: decision
            .map(|d| DecisionKind::parse(&d).ok_or_else(|| StoreError::corrupt("decision", &d)))
            .transpose()?,
        decided_by: row.opt_text("decided_by")?.map(|u| parse("decided by", &u)).transpose()?,
        result: json_column(row, "result")?,
        is_error: row.int("is_error")? != 0,
        latency_us: row.opt_int("latency_us")?,
        created_at: from_ms(row.int("created_at")?)?,
        finished_at: opt_from_ms(row.opt_int("finished_at")?)?,
    })
}

impl Store {
    /// Record a widget's call, with `audit`'s entries in the same transaction.
    pub async fn insert_widget_call(
        &self,
        new: NewWidgetCall,
        by: UserId,
        audit: impl FnOnce(&WidgetCall) -> Vec<AuditEvent>,
    ) -> Result<WidgetCall> {
        let now = now();
        let status = if new.decision.is_some() { CallStatus::Running } else { CallStatus::AwaitingApproval };
        let call = WidgetCall {
            id: ToolCallId::new(),
            conversation_id: new.conversation_id,
            parent_call_id: new.parent_call_id,
            connector_id: new.connector_id,
            tool: new.tool,
            classification: new.classification,
            arguments: new.arguments,
            arguments_digest: new.arguments_digest,
            definition_digest: new.definition_digest,
            status,
            decision: new.decision,
            decided_by: new.decision.filter(|d| *d != DecisionKind::AutoRead).map(|_| by),
            result: None,
            is_error: false,
            latency_us: None,
            created_at: now,
            finished_at: None,
        };
        let mut tx = self.pool.begin().await?;
        sqlx::query(
            "INSERT INTO widget_calls (id, conversation_id, parent_call_id, connector_id, tool, classification, \
             arguments, arguments_digest, definition_digest, status, decision, decided_by, is_error, created_at) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, 0, $13)",
        )
        .bind(call.id.to_string())
        .bind(call.conversation_id.to_string())
        .bind(call.parent_call_id.to_string())
        .bind(call.connector_id.to_string())
        .bind(&call.tool)
        .bind(classification_str(call.classification))
        .bind(call.arguments.to_string())
        .bind(&call.arguments_digest)
        .bind(&call.definition_digest)
        .bind(call.status.as_str())
        .bind(call.decision.map(DecisionKind::as_str))
        .bind(call.decided_by.map(|u| u.to_string()))
        .bind(to_ms(now))
        .execute(&mut *tx)
        .await?;
        append_in(&mut tx, &audit(&call)).await?;
        tx.commit().await?;
        Ok(call)
    }

    /// The owner's decision on a widget's call that waits for one: decided once,
    /// whatever races (a second decision is a conflict).
    pub async fn decide_widget_call(
        &self,
        call: &WidgetCall,
        kind: DecisionKind,
        by: UserId,
        audit: impl FnOnce(&WidgetCall) -> Vec<AuditEvent>,
    ) -> Result<WidgetCall> {
        let denied = kind == DecisionKind::Denied;
        let now = now();
        let status = if denied { CallStatus::Denied } else { CallStatus::Running };
        let result = denied.then(|| serde_json::json!({"error": "the person denied this call"}));
        let mut tx = self.pool.begin().await?;
        let done = sqlx::query(
            "UPDATE widget_calls SET status = $2, decision = $3, decided_by = $4, result = $5, is_error = $6, \
             finished_at = $7 WHERE id = $1 AND status = $8",
        )
        .bind(call.id.to_string())
        .bind(status.as_str())
        .bind(kind.as_str())
        .bind(by.to_string())
        .bind(result.as_ref().map(Value::to_string))
        .bind(i64::from(denied))
        .bind(denied.then(|| to_ms(now)))
        .bind(CallStatus::AwaitingApproval.as_str())
        .execute(&mut *tx)
        .await?;
        if done.rows_affected() == 0 {
            tx.rollback().await?;
            let current = self.widget_call(call.id).await?;
            return Err(StoreError::Conflict(format!(
                "this call is not waiting for a decision (it is {})",
                current.status.as_str()
            )));
        }
        let decided = WidgetCall {
            status,
            decision: Some(kind),
            decided_by: Some(by),
            is_error: denied,
            finished_at: denied.then_some(now),
            result,
            ..call.clone()
        };
        append_in(&mut tx, &audit(&decided)).await?;
        tx.commit().await?;
        Ok(decided)
    }

    /// Close a running widget call with how it ended (once).
    pub async fn finish_widget_call(
        &self,
        call: &WidgetCall,
        end: WidgetCallEnd,
        audit: impl FnOnce(&WidgetCall) -> Vec<AuditEvent>,
    ) -> Result<WidgetCall> {
        let now = now();
        let mut tx = self.pool.begin().await?;
        let done = sqlx::query(
            "UPDATE widget_calls SET status = $2, result = $3, is_error = $4, latency_us = $5, finished_at = $6 \
             WHERE id = $1 AND status = $7",
        )
        .bind(call.id.to_string())
        .bind(end.status.as_str())
        .bind(end.result.to_string())
        .bind(i64::from(end.is_error))
        .bind(end.latency_us)
        .bind(to_ms(now))
        .bind(CallStatus::Running.as_str())
        .execute(&mut *tx)
        .await?;
        if done.rows_affected() == 0 {
            tx.rollback().await?;
            return Err(StoreError::Conflict("this call is not running".into()));
        }
        let finished = WidgetCall {
            status: end.status,
            result: Some(end.result),
            is_error: end.is_error,
            latency_us: end.latency_us,
            finished_at: Some(now),
            ..call.clone()
        };
        append_in(&mut tx, &audit(&finished)).await?;
        tx.commit().await?;
        Ok(finished)
    }

    pub async fn widget_call(&self, id: ToolCallId) -> Result<WidgetCall> {
        let row = sqlx::query(&format!("SELECT {WIDGET_CALL} FROM widget_calls WHERE id = $1"))
            .bind(id.to_string())
            .fetch_optional(&self.pool)
            .await?
            .ok_or_else(|| StoreError::NotFound("widget call"))?;
        widget_call_from_row(&row)
    }

    /// A conversation's widget calls, oldest first.
    pub async fn widget_calls(&self, conversation: ConversationId) -> Result<Vec<WidgetCall>> {
        let rows = sqlx::query(&format!(
            "SELECT {WIDGET_CALL} FROM widget_calls WHERE conversation_id = $1 ORDER BY created_at, id"
        ))
        .bind(conversation.to_string())
        .fetch_all(&self.pool)
        .await?;
        rows.iter().map(widget_call_from_row).collect()
    }

    /// The state a widget saved for `call`, if any.
    pub async fn widget_state(&self, call: ToolCallId) -> Result<Option<Value>> {
        let row = sqlx::query("SELECT state FROM widget_states WHERE tool_call_id = $1")
            .bind(call.to_string())
            .fetch_optional(&self.pool)
            .await?;
        row.map(|r| json_column(&r, "state")).transpose().map(Option::flatten)
    }

    /// Replace the state a widget keeps for `call` of `conversation`.
    pub async fn set_widget_state(&self, conversation: ConversationId, call: ToolCallId, state: &Value) -> Result<()> {
        sqlx::query(
            "INSERT INTO widget_states (tool_call_id, conversation_id, state, updated_at) VALUES ($1, $2, $3, $4) \
             ON CONFLICT (tool_call_id) DO UPDATE SET state = excluded.state, updated_at = excluded.updated_at",
        )
        .bind(call.to_string())
        .bind(conversation.to_string())
        .bind(state.to_string())
        .bind(to_ms(now()))
        .execute(&self.pool)
        .await?;
        Ok(())
    }
}
