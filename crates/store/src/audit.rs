//! The audit trail: appended to, never changed.

use sqlx::Row;
use sqlx::any::AnyRow;
use switchboard_core::conversation::DecisionKind;
use time::OffsetDateTime;
use uuid::Uuid;

use crate::Store;
use crate::conversations::{classification_from_str, classification_str};
use crate::error::{Result, StoreError};
use crate::records::{AuditEntry, AuditEvent};
use crate::time_ms::{from_ms, now, to_ms};

const COLUMNS: &str = "id, at, kind, actor_id, conversation_id, tool_call_id, connector_id, tool, classification, \
                       decision, status, latency_us, detail";

fn entry_from_row(row: &AnyRow) -> Result<AuditEntry> {
    fn id<T: std::str::FromStr>(row: &AnyRow, name: &str) -> Result<Option<T>>
    where
        T::Err: std::fmt::Display,
    {
        let text: Option<String> = row.try_get(name)?;
        text.map(|t| t.parse().map_err(|e| StoreError::corrupt(name, e))).transpose()
    }
    let classification: Option<String> = row.try_get("classification")?;
    let decision: Option<String> = row.try_get("decision")?;
    let detail: String = row.try_get("detail")?;
    Ok(AuditEntry {
        id: Uuid::parse_str(&row.try_get::<String, _>("id")?).map_err(|e| StoreError::corrupt("audit id", e))?,
        at: from_ms(row.try_get("at")?)?,
        event: AuditEvent {
            kind: row.try_get("kind")?,
            actor_id: id(row, "actor_id")?,
            conversation_id: id(row, "conversation_id")?,
            tool_call_id: id(row, "tool_call_id")?,
            connector_id: id(row, "connector_id")?,
            tool: row.try_get("tool")?,
            classification: classification.map(|c| classification_from_str(&c)).transpose()?,
            decision: decision
                .map(|d| DecisionKind::parse(&d).ok_or_else(|| StoreError::corrupt("decision", d)))
                .transpose()?,
            status: row.try_get("status")?,
            latency_us: row.try_get("latency_us")?,
            detail: serde_json::from_str(&detail).map_err(|e| StoreError::corrupt("audit detail", e))?,
        },
    })
}

impl Store {
    /// Append one entry. Many writers at once should share [`AuditLog`], which
    /// commits them together.
    pub async fn append_audit(&self, event: &AuditEvent) -> Result<AuditEntry> {
        insert_audit(&self.pool, event).await
    }

    /// Append entries in one transaction: all are stored, or none.
    pub async fn append_audit_batch(&self, events: &[AuditEvent]) -> Result<()> {
        if let [event] = events {
            // One statement commits by itself: no BEGIN and COMMIT round trips.
            return insert_audit(&self.pool, event).await.map(drop);
        }
        let mut tx = self.pool.begin().await?;
        for event in events {
            insert_audit(&mut *tx, event).await?;
        }
        tx.commit().await?;
        Ok(())
    }

    /// Entries at or after `since`, oldest first, at most `limit`.
    pub async fn audit_events(&self, since: OffsetDateTime, limit: i64) -> Result<Vec<AuditEntry>> {
        let sql = format!("SELECT {COLUMNS} FROM audit_events WHERE at >= $1 ORDER BY at, id LIMIT $2");
        let rows = sqlx::query(&sql).bind(to_ms(since)).bind(limit).fetch_all(&self.pool).await?;
        rows.iter().map(entry_from_row).collect()
    }
}

/// Append `event` through `db` (a transaction's connection, so that the entry is
/// written with what it records, or the pool).
pub(crate) async fn insert_audit<'e>(
    db: impl sqlx::Executor<'e, Database = sqlx::Any>,
    event: &AuditEvent,
) -> Result<AuditEntry> {
    let id = Uuid::now_v7();
    let sql =
        format!("INSERT INTO audit_events ({COLUMNS}) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13)");
    let at = now();
    sqlx::query(&sql)
        .bind(id.to_string())
        .bind(to_ms(at))
        .bind(&event.kind)
        .bind(event.actor_id.map(|u| u.to_string()))
        .bind(event.conversation_id.map(|c| c.to_string()))
        .bind(event.tool_call_id.map(|c| c.to_string()))
        .bind(event.connector_id.map(|c| c.to_string()))
        .bind(&event.tool)
        .bind(event.classification.map(classification_str))
        .bind(event.decision.map(DecisionKind::as_str))
        .bind(&event.status)
        .bind(event.latency_us)
        .bind(event.detail.to_string())
        .execute(db)
        .await?;
    Ok(AuditEntry { id, at, event: event.clone() })
}
