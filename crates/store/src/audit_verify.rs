//! Checking the audit trail's hash chain, from its first entry to its head.

use sqlx::Row;
use sqlx::any::AnyRow;
use switchboard_core::audit::{ChainedRecord, GENESIS_HASH, record_hash};

use crate::Store;
use crate::audit::COLUMNS;
use crate::error::Result;
use crate::records::{BrokenRecord, ChainProblem, VerifiedTrail};

/// Entries read at a time: memory stays bounded whatever the trail's length.
const PAGE: i64 = 1000;

/// The chain's head as stored.
struct Head {
    seq: i64,
    hash: String,
    chained_from: i64,
}

/// An entry's columns as stored, untyped: the hash is over this text.
struct Stored {
    seq: i64,
    id: String,
    at: i64,
    kind: String,
    actor: Option<String>,
    conversation: Option<String>,
    tool_call: Option<String>,
    connector: Option<String>,
    tool: Option<String>,
    classification: Option<String>,
    decision: Option<String>,
    status: Option<String>,
    latency_us: Option<i64>,
    detail: String,
    prev_hash: Option<String>,
    hash: Option<String>,
}

impl Stored {
    fn from_row(row: &AnyRow) -> Result<Self> {
        Ok(Self {
            seq: row.try_get("seq")?,
            id: row.try_get("id")?,
            at: row.try_get("at")?,
            kind: row.try_get("kind")?,
            actor: row.try_get("actor_id")?,
            conversation: row.try_get("conversation_id")?,
            tool_call: row.try_get("tool_call_id")?,
            connector: row.try_get("connector_id")?,
            tool: row.try_get("tool")?,
            classification: row.try_get("classification")?,
            decision: row.try_get("decision")?,
            status: row.try_get("status")?,
            latency_us: row.try_get("latency_us")?,
            detail: row.try_get("detail")?,
            prev_hash: row.try_get("prev_hash")?,
            hash: row.try_get("hash")?,
        })
    }

    /// The hash this entry's content has after `prev_hash`. A detail that is no
    /// longer JSON is hashed as the string it became, which no honest entry matches.
    fn computed_hash(&self, prev_hash: &str) -> String {
        let detail = serde_json::from_str(&self.detail).unwrap_or_else(|_| self.detail.clone().into());
        let record = ChainedRecord {
            seq: self.seq,
            id: &self.id,
            at_ms: self.at,
            kind: &self.kind,
            actor: self.actor.as_deref(),
            conversation: self.conversation.as_deref(),
            tool_call: self.tool_call.as_deref(),
            connector: self.connector.as_deref(),
            tool: self.tool.as_deref(),
            classification: self.classification.as_deref(),
            decision: self.decision.as_deref(),
            status: self.status.as_deref(),
            latency_us: self.latency_us,
            detail: &detail,
        };
        record_hash(prev_hash, &record)
    }

    fn broken(&self, problem: ChainProblem) -> BrokenRecord {
        BrokenRecord { seq: self.seq, id: self.id.parse().ok(), problem }
    }
}

impl Store {
    /// Walk the audit trail in sequence order, a page at a time, checking that
    /// the sequence has no gaps, that each chained entry points at the previous
    /// entry's hash and hashes to its own, and that the last entry is the head.
    /// Entries appended while the walk runs are left for the next one.
    ///
    /// The outer error is the database's; the inner one is the first entry at
    /// which the chain breaks.
    pub async fn verify_audit_trail(&self) -> Result<std::result::Result<VerifiedTrail, BrokenRecord>> {
        let head = self.audit_head().await?;
        let mut expected = 1;
        let mut prev = GENESIS_HASH.to_owned();
        let mut last_id = None;
        loop {
            let sql = format!("SELECT {COLUMNS} FROM audit_events WHERE seq >= $1 AND seq <= $2 ORDER BY seq LIMIT $3");
            let rows = sqlx::query(&sql).bind(expected).bind(head.seq).bind(PAGE).fetch_all(&self.pool).await?;
            let read = rows.len();
            for row in &rows {
                let entry = Stored::from_row(row)?;
                if entry.seq != expected {
                    let problem = ChainProblem::Gap { next: entry.seq };
                    return Ok(Err(BrokenRecord { seq: expected, id: None, problem }));
                }
                if entry.seq >= head.chained_from {
                    if entry.prev_hash.as_deref() != Some(prev.as_str()) {
                        let problem =
                            ChainProblem::PrevHashMismatch { stored: entry.prev_hash.clone(), expected: prev };
                        return Ok(Err(entry.broken(problem)));
                    }
                    let computed = entry.computed_hash(&prev);
                    if entry.hash.as_deref() != Some(computed.as_str()) {
                        return Ok(Err(
                            entry.broken(ChainProblem::HashMismatch { stored: entry.hash.clone(), computed })
                        ));
                    }
                    prev = computed;
                }
                last_id = entry.id.parse().ok();
                expected += 1;
            }
            if i64::try_from(read).unwrap_or(PAGE) < PAGE {
                break;
            }
        }
        let last = expected - 1;
        if last != head.seq {
            let problem = ChainProblem::HeadMismatch { head_seq: head.seq, last_seq: last };
            return Ok(Err(BrokenRecord { seq: expected, id: None, problem }));
        }
        if prev != head.hash {
            let problem = ChainProblem::HeadMismatch { head_seq: head.seq, last_seq: last };
            return Ok(Err(BrokenRecord { seq: last, id: last_id, problem }));
        }
        // An entry past the head is one no append made. Read the entries before the
        // head: an append committing in between only moves the head further.
        let beyond = sqlx::query("SELECT MAX(seq) AS seq FROM audit_events").fetch_one(&self.pool).await?;
        let beyond: Option<i64> = beyond.try_get("seq")?;
        let now = self.audit_head().await?;
        if let Some(max) = beyond.filter(|max| *max > now.seq) {
            let problem = ChainProblem::HeadMismatch { head_seq: now.seq, last_seq: max };
            return Ok(Err(BrokenRecord { seq: max, id: None, problem }));
        }
        Ok(Ok(VerifiedTrail { records: last, unchained: last.min(head.chained_from - 1), head_hash: head.hash }))
    }

    async fn audit_head(&self) -> Result<Head> {
        let row =
            sqlx::query("SELECT seq, hash, chained_from FROM audit_head WHERE id = 1").fetch_one(&self.pool).await?;
        Ok(Head { seq: row.try_get("seq")?, hash: row.try_get("hash")?, chained_from: row.try_get("chained_from")? })
    }
}
