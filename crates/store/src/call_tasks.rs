//! The task a tool call runs as on its server: recorded once the server created it,
//! its status kept as it changes, and found again at a start so it is followed
//! instead of being marked interrupted.

use switchboard_core::ToolCallId;
use switchboard_core::conversation::CallStatus;
use time::OffsetDateTime;

use crate::Store;
use crate::columns::Columns;
use crate::error::{Result, StoreError};
use crate::instance::InstanceId;
use crate::records::ToolCall;
use crate::time_ms::{from_ms, now, to_ms};

/// A tool call's task on its server, as recorded.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CallTask {
    pub task_id: String,
    /// `2025-11-25` or `2026-07-28`.
    pub dialect: String,
    /// The server session the task belongs to (`Mcp-Session-Id`), if any.
    pub session_id: Option<String>,
    pub protocol_version: String,
    /// The last status the server reported: `working`, `input_required`, `completed`, …
    pub status: String,
    pub status_message: Option<String>,
    /// When Switchboard cancels the task if it has not ended.
    pub deadline_at: OffsetDateTime,
}

const TASK: &str = "task_id, dialect, session_id, protocol_version, status, status_message, deadline_at";

fn task_from_row(row: &impl Columns) -> Result<CallTask> {
    Ok(CallTask {
        task_id: row.text("task_id")?,
        dialect: row.text("dialect")?,
        session_id: row.opt_text("session_id")?,
        protocol_version: row.text("protocol_version")?,
        status: row.text("status")?,
        status_message: row.opt_text("status_message")?,
        deadline_at: from_ms(row.int("deadline_at")?)?,
    })
}

impl Store {
    /// Record the task `call` runs as (again, when the call was followed anew).
    pub async fn record_call_task(&self, call: ToolCallId, task: &CallTask) -> Result<()> {
        let now = to_ms(now());
        sqlx::query(
            "INSERT INTO tool_call_tasks (call_id, task_id, dialect, session_id, protocol_version, status, \
             status_message, deadline_at, created_at, updated_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $9) \
             ON CONFLICT (call_id) DO UPDATE SET task_id = excluded.task_id, dialect = excluded.dialect, \
             session_id = excluded.session_id, protocol_version = excluded.protocol_version, \
             status = excluded.status, status_message = excluded.status_message, \
             deadline_at = excluded.deadline_at, updated_at = excluded.updated_at",
        )
        .bind(call.to_string())
        .bind(&task.task_id)
        .bind(&task.dialect)
        .bind(task.session_id.as_deref())
        .bind(&task.protocol_version)
        .bind(&task.status)
        .bind(task.status_message.as_deref())
        .bind(to_ms(task.deadline_at))
        .bind(now)
        .execute(&self.pool)
        .await?;
        Ok(())
    }

    /// Keep the status the server last reported for `call`'s task.
    pub async fn update_call_task(&self, call: ToolCallId, status: &str, message: Option<&str>) -> Result<()> {
        sqlx::query("UPDATE tool_call_tasks SET status = $2, status_message = $3, updated_at = $4 WHERE call_id = $1")
            .bind(call.to_string())
            .bind(status)
            .bind(message)
            .bind(to_ms(now()))
            .execute(&self.pool)
            .await?;
        Ok(())
    }

    /// The task `call` runs (or ran) as, if it was one.
    pub async fn call_task(&self, call: ToolCallId) -> Result<Option<CallTask>> {
        let sql = format!("SELECT {TASK} FROM tool_call_tasks WHERE call_id = $1");
        let row = sqlx::query(&sql).bind(call.to_string()).fetch_optional(&self.pool).await?;
        row.as_ref().map(task_from_row).transpose()
    }

    /// This instance's calls that still run as tasks (after a stop, to be followed
    /// again), oldest first, each with its task.
    pub async fn running_call_tasks(&self, instance: &InstanceId) -> Result<Vec<(ToolCall, CallTask)>> {
        let ids: Vec<String> = sqlx::query_scalar(
            "SELECT c.id FROM tool_calls c JOIN tool_call_tasks t ON t.call_id = c.id \
             WHERE c.status = $1 AND (c.instance_id = $2 OR c.instance_id IS NULL) ORDER BY c.created_at, c.position",
        )
        .bind(CallStatus::Running.as_str())
        .bind(instance.as_str())
        .fetch_all(&self.pool)
        .await?;
        let mut found = vec![];
        for id in ids {
            let id: ToolCallId = id.parse().map_err(|_| StoreError::Corrupt(format!("tool call id {id:?}")))?;
            let call = self.tool_call(id).await?;
            if let Some(task) = self.call_task(id).await? {
                found.push((call, task));
            }
        }
        Ok(found)
    }
}
