//! The audit writer's own SQLite connection, driven on its own thread.
//!
//! sqlx runs each SQLite connection on a worker thread and hands it every
//! statement as a message, so an append of one entry (begin, head, insert, head,
//! commit) is five round trips between threads. This writer owns a connection on
//! a thread of its own and runs a whole batch there: one hand-over in, one
//! acknowledgement out. Appends from other connections and processes still line
//! up on the database's write lock, as in `audit.rs`.

use std::path::Path;
use std::time::Duration;

use rusqlite::{Connection, OpenFlags, TransactionBehavior, params};
use tokio::sync::mpsc;

use crate::audit::{chain, insert_sql};
use crate::audit_log::{Ack, BatchFailure, MAX_BATCH};
use crate::error::writer_error;
use crate::records::AuditEvent;
use crate::time_ms::now;

/// How long a write waits for another writer's lock, as the pool's connections do.
const BUSY_TIMEOUT: Duration = Duration::from_secs(5);

/// Open the database at `file` for appending, or say why it cannot be.
pub(crate) fn open(file: &Path) -> Result<Connection, String> {
    let flags = OpenFlags::SQLITE_OPEN_READ_WRITE | OpenFlags::SQLITE_OPEN_NO_MUTEX;
    let conn = Connection::open_with_flags(file, flags).map_err(|e| e.to_string())?;
    conn.busy_timeout(BUSY_TIMEOUT).map_err(|e| e.to_string())?;
    conn.execute_batch("PRAGMA foreign_keys = ON; PRAGMA synchronous = NORMAL;").map_err(|e| e.to_string())?;
    Ok(conn)
}

/// Take whatever has queued up, append it in one transaction, acknowledge; until
/// every sender is gone. Runs on a thread of its own (it blocks).
pub(crate) fn write_batches(mut conn: Connection, mut pending: mpsc::Receiver<(AuditEvent, Ack)>) {
    let mut batch: Vec<(AuditEvent, Ack)> = Vec::with_capacity(MAX_BATCH);
    while let Some(first) = pending.blocking_recv() {
        batch.push(first);
        while batch.len() < MAX_BATCH {
            match pending.try_recv() {
                Ok(next) => batch.push(next),
                Err(_) => break,
            }
        }
        let (events, acks): (Vec<AuditEvent>, Vec<Ack>) = batch.drain(..).unzip();
        let outcome = append(&mut conn, &events).map_err(|e| {
            tracing::error!(error = %e, entries = events.len(), "could not write to the audit trail");
            BatchFailure::of(writer_error(&e))
        });
        for ack in acks {
            // A caller that went away no longer waits; its entry is stored all the same.
            let _ = ack.send(outcome.clone());
        }
    }
}

/// Append `events` in one transaction: all are stored, or none.
fn append(conn: &mut Connection, events: &[AuditEvent]) -> rusqlite::Result<()> {
    let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
    append_in(&tx, events)?;
    tx.commit()
}

/// Append `events` inside `tx`, which holds the write lock: the chain's head
/// advances in the same transaction (see `audit.rs`).
pub(crate) fn append_in(tx: &rusqlite::Transaction<'_>, events: &[AuditEvent]) -> rusqlite::Result<()> {
    if events.is_empty() {
        return Ok(());
    }
    let count = i64::try_from(events.len()).unwrap_or(i64::MAX);
    // Prepared once per connection, as the insert is: parsing them anew was a
    // visible part of the writer's time.
    let (last, prev): (i64, String) = tx
        .prepare_cached("UPDATE audit_head SET seq = seq + ?1 WHERE id = 1 RETURNING seq, hash")?
        .query_row([count], |row| Ok((row.get(0)?, row.get(1)?)))?;
    let rows = chain(events, last, prev, now());
    {
        let mut insert = tx.prepare_cached(&insert_sql())?;
        for row in &rows {
            insert.execute(params![
                row.seq,
                row.id_text,
                row.at_ms,
                row.kind,
                row.actor,
                row.conversation,
                row.tool_call,
                row.connector,
                row.tool,
                row.classification,
                row.decision,
                row.status,
                row.latency_us,
                row.detail,
                row.prev_hash,
                row.hash,
            ])?;
        }
    }
    if let Some(last) = rows.last() {
        tx.prepare_cached("UPDATE audit_head SET hash = ?1 WHERE id = 1")?.execute([&last.hash])?;
    }
    Ok(())
}
