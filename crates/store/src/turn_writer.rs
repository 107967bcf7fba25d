//! A running turn's writes on a SQLite file, on a thread with its own connection.
//!
//! Through sqlx each statement is a round trip to its SQLite worker thread: a
//! model step (begin, the state, the answer, its calls, the audit chain's head,
//! the entries, commit) was a dozen. This writer takes a whole [`TurnWrite`] in
//! one hand-over and answers once, as the audit writer does (`audit_sqlite.rs`);
//! a turn's start also reads the conversation's history there, in its transaction.
//! Other connections and processes line up on the database's write lock as before.

use std::path::Path;

use rusqlite::{Connection, TransactionBehavior};
use switchboard_core::ConversationId;
use tokio::sync::{mpsc, oneshot};

use crate::args::{Arg, Stmt, query_map, query_row, run};
use crate::conversations::{CALLS_SQL, MESSAGES_SQL, call_from_row, message_from_row};
use crate::error::{Result, StoreError, writer_error};
use crate::records::History;
use crate::turns::{TurnWrite, Written};

type Reply = oneshot::Sender<Result<Option<Written>>>;

/// Writes waiting for the thread before callers wait to hand theirs over.
const QUEUE: usize = 1024;

/// A handle to the writer thread. Cheap to clone; the thread ends when every
/// handle is gone.
#[derive(Clone, Debug)]
pub(crate) struct TurnWriter {
    queue: mpsc::Sender<(TurnWrite, Reply)>,
}

impl TurnWriter {
    /// Open the database at `file` and start the thread, or say why not (the
    /// store then writes turns through sqlx).
    pub(crate) fn start(file: &Path) -> std::result::Result<Self, String> {
        let conn = crate::audit_sqlite::open(file)?;
        let (queue, pending) = mpsc::channel(QUEUE);
        std::thread::Builder::new()
            .name("turn-writer".into())
            .spawn(move || write_each(conn, pending))
            .map_err(|e| e.to_string())?;
        Ok(Self { queue })
    }

    /// Run `write` on the thread; returns once it has committed (or changed nothing).
    pub(crate) async fn apply(&self, write: TurnWrite) -> Result<Option<Written>> {
        let (reply, done) = oneshot::channel();
        let stopped = || StoreError::Writer("the turn writer has stopped".into());
        self.queue.send((write, reply)).await.map_err(|_| stopped())?;
        match done.await {
            Ok(Ok(written)) => Ok(written),
            Ok(Err(e)) => Err(e),
            Err(_) => Err(stopped()),
        }
    }
}

/// Apply each write in its own transaction, until every sender is gone. Blocks.
fn write_each(mut conn: Connection, mut pending: mpsc::Receiver<(TurnWrite, Reply)>) {
    while let Some((write, reply)) = pending.blocking_recv() {
        let outcome = apply(&mut conn, &write).inspect_err(|e| {
            tracing::error!(error = %e, "could not write a turn's step");
        });
        // A caller that went away no longer waits; what committed stays committed.
        let _ = reply.send(outcome);
    }
}

fn apply(conn: &mut Connection, write: &TurnWrite) -> Result<Option<Written>> {
    let failed = |e: rusqlite::Error| writer_error(&e);
    let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate).map_err(failed)?;
    if run(&tx, &write.guard).map_err(failed)? == 0 {
        return Ok(None); // dropping the transaction rolls it back
    }
    let mut seqs = Vec::with_capacity(write.messages.len());
    for message in &write.messages {
        seqs.push(query_row(&tx, message, |row| row.get("seq")).map_err(failed)?);
    }
    for insert in &write.inserts {
        run(&tx, insert).map_err(failed)?;
    }
    crate::audit_sqlite::append_in(&tx, &write.audit).map_err(failed)?;
    let history = write.history.map(|conversation| read_history(&tx, conversation)).transpose()?;
    tx.commit().map_err(failed)?;
    Ok(Some(Written { seqs, history }))
}

/// The conversation's history as the transaction sees it.
fn read_history(conn: &Connection, conversation: ConversationId) -> Result<History> {
    let id = || vec![Arg::from(conversation.to_string())];
    Ok(History {
        messages: query_map(conn, &Stmt::new(MESSAGES_SQL.as_str(), id()), |row| message_from_row(row))?,
        calls: query_map(conn, &Stmt::new(CALLS_SQL.as_str(), id()), |row| call_from_row(row))?,
    })
}
