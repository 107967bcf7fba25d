//! The audit trail: appended to, never changed, hash-chained.
//!
//! Every append runs in a transaction that first advances the chain's head
//! (`UPDATE audit_head … RETURNING`): on PostgreSQL that takes the head row's
//! lock until the transaction ends, on SQLite the database's write lock, so
//! appends from every process sharing the database line up, each sees the hash
//! the previous one left, and sequence numbers have no gaps (a rolled-back append
//! gives its numbers back). A batch takes the head once for all its entries.
//! The hash of each entry is [`switchboard_core::audit::record_hash`].

use sqlx::any::AnyRow;
use sqlx::{AnyConnection, Row};
use switchboard_core::audit::{ChainedRecord, record_hash};
use switchboard_core::conversation::DecisionKind;
use time::OffsetDateTime;
use uuid::Uuid;

use crate::Store;
use crate::conversations::{classification_from_str, classification_str};
use crate::error::{Result, StoreError};
use crate::records::{AuditEntry, AuditEvent, AuditFilter};
use crate::time_ms::{from_ms, now, to_ms};

pub(crate) const COLUMNS: &str = "seq, id, at, kind, actor_id, conversation_id, tool_call_id, connector_id, tool, \
                                  classification, decision, status, latency_us, detail, prev_hash, hash";

fn entry_from_row(row: &AnyRow) -> Result<AuditEntry> {
    fn id<T: std::str::FromStr>(row: &AnyRow, name: &str) -> Result<Option<T>>
    where
        T::Err: std::fmt::Display,
    {
        let text: Option<String> = row.try_get(name)?;
        text.map(|t| t.parse().map_err(|e| StoreError::corrupt(name, e))).transpose()
    }
    let kind: String = row.try_get("kind")?;
    let classification: Option<String> = row.try_get("classification")?;
    let decision: Option<String> = row.try_get("decision")?;
    let detail: String = row.try_get("detail")?;
    Ok(AuditEntry {
        seq: row.try_get("seq")?,
        id: Uuid::parse_str(&row.try_get::<String, _>("id")?).map_err(|e| StoreError::corrupt("audit id", e))?,
        at: from_ms(row.try_get("at")?)?,
        event: AuditEvent {
            kind: kind.parse().map_err(|e| StoreError::corrupt("audit kind", e))?,
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
        prev_hash: row.try_get("prev_hash")?,
        hash: row.try_get("hash")?,
    })
}

/// An event's columns as the text stored, which is also the text hashed.
struct Columns {
    actor: Option<String>,
    conversation: Option<String>,
    tool_call: Option<String>,
    connector: Option<String>,
}

impl Columns {
    fn of(event: &AuditEvent) -> Self {
        Self {
            actor: event.actor_id.map(|u| u.to_string()),
            conversation: event.conversation_id.map(|c| c.to_string()),
            tool_call: event.tool_call_id.map(|c| c.to_string()),
            connector: event.connector_id.map(|c| c.to_string()),
        }
    }

    fn chained<'a>(&'a self, seq: i64, id: &'a str, at_ms: i64, event: &'a AuditEvent) -> ChainedRecord<'a> {
        ChainedRecord {
            seq,
            id,
            at_ms,
            kind: event.kind.as_str(),
            actor: self.actor.as_deref(),
            conversation: self.conversation.as_deref(),
            tool_call: self.tool_call.as_deref(),
            connector: self.connector.as_deref(),
            tool: event.tool.as_deref(),
            classification: event.classification.map(classification_str),
            decision: event.decision.map(DecisionKind::as_str),
            status: event.status.as_deref(),
            latency_us: event.latency_us,
            detail: &event.detail,
        }
    }
}

/// Where an appended entry went in the chain.
#[derive(Debug)]
pub(crate) struct Appended {
    seq: i64,
    id: Uuid,
    at: OffsetDateTime,
    prev_hash: String,
    hash: String,
}

impl Appended {
    fn entry(self, event: AuditEvent) -> AuditEntry {
        AuditEntry {
            seq: self.seq,
            id: self.id,
            at: self.at,
            event,
            prev_hash: Some(self.prev_hash),
            hash: Some(self.hash),
        }
    }
}

/// One entry as it is inserted: every column's value, chained to the one before.
#[derive(Debug)]
pub(crate) struct ChainedRow {
    pub(crate) seq: i64,
    pub(crate) id: Uuid,
    pub(crate) id_text: String,
    pub(crate) at_ms: i64,
    pub(crate) kind: &'static str,
    pub(crate) actor: Option<String>,
    pub(crate) conversation: Option<String>,
    pub(crate) tool_call: Option<String>,
    pub(crate) connector: Option<String>,
    pub(crate) tool: Option<String>,
    pub(crate) classification: Option<&'static str>,
    pub(crate) decision: Option<&'static str>,
    pub(crate) status: Option<String>,
    pub(crate) latency_us: Option<i64>,
    pub(crate) detail: String,
    pub(crate) prev_hash: String,
    pub(crate) hash: String,
}

/// The statement that inserts one [`ChainedRow`], its values bound in field order.
pub(crate) fn insert_sql() -> String {
    format!(
        "INSERT INTO audit_events ({COLUMNS}) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16)"
    )
}

/// The rows that append `events` after the head `last_seq` (the sequence number
/// once the head has been advanced by their number) whose hash is `prev`: each
/// hashed over its canonical record and chained to the one before.
pub(crate) fn chain(events: &[AuditEvent], last_seq: i64, mut prev: String, at: OffsetDateTime) -> Vec<ChainedRow> {
    let at_ms = to_ms(at);
    let first = last_seq - i64::try_from(events.len()).unwrap_or(i64::MAX) + 1;
    let mut rows = Vec::with_capacity(events.len());
    for (seq, event) in (first..).zip(events) {
        let id = Uuid::now_v7();
        let id_text = id.to_string();
        let columns = Columns::of(event);
        let hash = record_hash(&prev, &columns.chained(seq, &id_text, at_ms, event));
        let prev_hash = std::mem::replace(&mut prev, hash.clone());
        rows.push(ChainedRow {
            seq,
            id,
            id_text,
            at_ms,
            kind: event.kind.as_str(),
            actor: columns.actor,
            conversation: columns.conversation,
            tool_call: columns.tool_call,
            connector: columns.connector,
            tool: event.tool.clone(),
            classification: event.classification.map(classification_str),
            decision: event.decision.map(DecisionKind::as_str),
            status: event.status.clone(),
            latency_us: event.latency_us,
            detail: event.detail.to_string(),
            prev_hash,
            hash,
        });
    }
    rows
}

/// Append `events` to the chain through `conn`, a transaction's connection (so
/// the entries are written with what they record, and the head stays locked until
/// it commits): advance the head by their number, hash and insert each, and leave
/// the last hash in the head.
pub(crate) async fn append_in(conn: &mut AnyConnection, events: &[AuditEvent]) -> Result<Vec<Appended>> {
    if events.is_empty() {
        return Ok(vec![]);
    }
    let count = i64::try_from(events.len()).map_err(|e| StoreError::AuditLog(e.to_string()))?;
    let head = sqlx::query("UPDATE audit_head SET seq = seq + $1 WHERE id = 1 RETURNING seq, hash")
        .bind(count)
        .fetch_one(&mut *conn)
        .await?;
    let at = now();
    let rows = chain(events, head.try_get("seq")?, head.try_get("hash")?, at);
    let insert = insert_sql();
    for row in &rows {
        sqlx::query(&insert)
            .bind(row.seq)
            .bind(&row.id_text)
            .bind(row.at_ms)
            .bind(row.kind)
            .bind(row.actor.as_deref())
            .bind(row.conversation.as_deref())
            .bind(row.tool_call.as_deref())
            .bind(row.connector.as_deref())
            .bind(row.tool.as_deref())
            .bind(row.classification)
            .bind(row.decision)
            .bind(row.status.as_deref())
            .bind(row.latency_us)
            .bind(&row.detail)
            .bind(&row.prev_hash)
            .bind(&row.hash)
            .execute(&mut *conn)
            .await?;
    }
    if let Some(last) = rows.last() {
        sqlx::query("UPDATE audit_head SET hash = $1 WHERE id = 1").bind(&last.hash).execute(&mut *conn).await?;
    }
    Ok(rows.into_iter().map(|r| Appended { seq: r.seq, id: r.id, at, prev_hash: r.prev_hash, hash: r.hash }).collect())
}

/// Bound values of a query built from a filter.
enum Bound {
    Text(String),
    Int(i64),
}

/// The `WHERE` clause of `filter` (with `seq` bounds), and what it binds.
fn where_clause(filter: &AuditFilter, seq_bounds: &[(&str, i64)]) -> (String, Vec<Bound>) {
    let mut clauses = vec![];
    let mut bound = vec![];
    let mut add = |clause: &str, value: Bound| {
        bound.push(value);
        clauses.push(format!("{clause} ${}", bound.len()));
    };
    for (op, seq) in seq_bounds {
        add(&format!("seq {op}"), Bound::Int(*seq));
    }
    if let Some(actor) = filter.actor {
        add("actor_id =", Bound::Text(actor.to_string()));
    }
    if let Some(connector) = filter.connector {
        add("connector_id =", Bound::Text(connector.to_string()));
    }
    if let Some(tool) = &filter.tool {
        add("tool =", Bound::Text(tool.clone()));
    }
    if let Some(kind) = filter.kind {
        add("kind =", Bound::Text(kind.as_str().to_owned()));
    }
    if let Some(since) = filter.since {
        add("at >=", Bound::Int(to_ms(since)));
    }
    if let Some(until) = filter.until {
        add("at <", Bound::Int(to_ms(until)));
    }
    let sql = if clauses.is_empty() { String::new() } else { format!("WHERE {}", clauses.join(" AND ")) };
    (sql, bound)
}

impl Store {
    /// Append one entry. Many writers at once should share [`AuditLog`](crate::AuditLog),
    /// which commits them together.
    pub async fn append_audit(&self, event: &AuditEvent) -> Result<AuditEntry> {
        let mut tx = self.pool.begin().await?;
        let mut appended = append_in(&mut tx, std::slice::from_ref(event)).await?;
        tx.commit().await?;
        let appended = appended.pop().ok_or_else(|| StoreError::AuditLog("nothing was appended".into()))?;
        Ok(appended.entry(event.clone()))
    }

    /// Append entries in one transaction, taking the chain's head once: all are
    /// stored, or none.
    pub async fn append_audit_batch(&self, events: &[AuditEvent]) -> Result<()> {
        let mut tx = self.pool.begin().await?;
        append_in(&mut tx, events).await?;
        tx.commit().await?;
        Ok(())
    }

    /// Entries at or after `since`, in chain order, at most `limit`.
    pub async fn audit_events(&self, since: OffsetDateTime, limit: i64) -> Result<Vec<AuditEntry>> {
        let sql = format!("SELECT {COLUMNS} FROM audit_events WHERE at >= $1 ORDER BY seq LIMIT $2");
        let rows = sqlx::query(&sql).bind(to_ms(since)).bind(limit).fetch_all(&self.pool).await?;
        rows.iter().map(entry_from_row).collect()
    }

    /// Entries matching `filter`, newest first: at most `limit` of those before
    /// sequence number `before` (from the newest when `None`).
    pub async fn audit_newest_first(
        &self,
        filter: &AuditFilter,
        before: Option<i64>,
        limit: i64,
    ) -> Result<Vec<AuditEntry>> {
        let bounds: Vec<(&str, i64)> = before.map(|b| ("<", b)).into_iter().collect();
        let (clause, bound) = where_clause(filter, &bounds);
        let sql = format!("SELECT {COLUMNS} FROM audit_events {clause} ORDER BY seq DESC LIMIT {limit}");
        self.audit_query(&sql, bound).await
    }

    /// Entries matching `filter`, oldest first: at most `limit` of those after
    /// sequence number `after` up to `through`.
    pub async fn audit_oldest_first(
        &self,
        filter: &AuditFilter,
        after: i64,
        through: i64,
        limit: i64,
    ) -> Result<Vec<AuditEntry>> {
        let (clause, bound) = where_clause(filter, &[(">", after), ("<=", through)]);
        let sql = format!("SELECT {COLUMNS} FROM audit_events {clause} ORDER BY seq LIMIT {limit}");
        self.audit_query(&sql, bound).await
    }

    /// The sequence number of the last entry committed (0 when there is none).
    pub async fn audit_head_seq(&self) -> Result<i64> {
        let row = sqlx::query("SELECT seq FROM audit_head WHERE id = 1").fetch_one(&self.pool).await?;
        Ok(row.try_get("seq")?)
    }

    async fn audit_query(&self, sql: &str, bound: Vec<Bound>) -> Result<Vec<AuditEntry>> {
        let mut query = sqlx::query(sql);
        for value in bound {
            query = match value {
                Bound::Text(text) => query.bind(text),
                Bound::Int(int) => query.bind(int),
            };
        }
        let rows = query.fetch_all(&self.pool).await?;
        rows.iter().map(entry_from_row).collect()
    }
}
