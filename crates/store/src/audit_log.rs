//! One writer for the audit trail, committing concurrent entries together.
//!
//! Each entry on its own would be a transaction (and, on SQLite, a turn of the
//! write lock and a WAL append). [`AuditLog`] hands entries to one task that
//! takes whatever has queued up while the previous commit ran and stores it in
//! one transaction; each caller waits for the commit that holds its entry, so an
//! entry acknowledged to a caller is in the database.
//!
//! On a SQLite file the writer is a thread with a connection of its own
//! (`audit_sqlite.rs`); on PostgreSQL (and SQLite in memory) a task on the pool.

use tokio::sync::{mpsc, oneshot};

use crate::Store;
use crate::error::{Result, StoreError};
use crate::records::AuditEvent;

/// Most entries committed in one transaction.
pub(crate) const MAX_BATCH: usize = 256;
/// Entries waiting for the writer before callers wait to hand theirs over.
const QUEUE: usize = 4096;

pub(crate) type Ack = oneshot::Sender<std::result::Result<(), BatchFailure>>;

/// Why a batch did not commit, told to each of its callers: a full disk, which a
/// person can have fixed, or anything else, which is in the log.
#[derive(Clone, Debug)]
pub(crate) enum BatchFailure {
    StorageFull(String),
    Other(String),
}

impl BatchFailure {
    pub(crate) fn of(err: StoreError) -> Self {
        match err {
            StoreError::StorageFull(detail) => Self::StorageFull(detail),
            other => Self::Other(other.to_string()),
        }
    }

    fn into_error(self) -> StoreError {
        match self {
            Self::StorageFull(detail) => StoreError::StorageFull(detail),
            Self::Other(reason) => StoreError::AuditLog(reason),
        }
    }
}

/// A handle to the writer task. Cheap to clone; the task ends when every handle is gone.
#[derive(Clone, Debug)]
pub struct AuditLog {
    queue: mpsc::Sender<(AuditEvent, Ack)>,
}

impl AuditLog {
    /// Start the writer: a thread of its own for a SQLite file, else a task on
    /// the current Tokio runtime.
    pub fn start(store: Store) -> Self {
        let (queue, pending) = mpsc::channel(QUEUE);
        let own = store.sqlite_file.as_deref().map(|file| {
            crate::audit_sqlite::open(file).map_err(|e| {
                tracing::warn!(error = %e, "the audit writer could not open its own connection; it uses the pool's");
            })
        });
        match own {
            Some(Ok(conn)) => {
                let spawned = std::thread::Builder::new()
                    .name("audit-writer".into())
                    .spawn(move || crate::audit_sqlite::write_batches(conn, pending));
                if let Err(e) = spawned {
                    tracing::error!(error = %e, "could not start the audit writer's thread");
                }
            }
            _ => {
                tokio::spawn(write_batches(store, pending));
            }
        }
        Self { queue }
    }

    /// Append `event`, returning once the transaction holding it has committed.
    pub async fn append(&self, event: AuditEvent) -> Result<()> {
        let (ack, committed) = oneshot::channel();
        let stopped = || StoreError::AuditLog("the writer has stopped".into());
        self.queue.send((event, ack)).await.map_err(|_| stopped())?;
        match committed.await {
            Ok(Ok(())) => Ok(()),
            Ok(Err(failure)) => Err(failure.into_error()),
            Err(_) => Err(stopped()),
        }
    }
}

async fn write_batches(store: Store, mut pending: mpsc::Receiver<(AuditEvent, Ack)>) {
    let mut batch = Vec::with_capacity(MAX_BATCH);
    while pending.recv_many(&mut batch, MAX_BATCH).await > 0 {
        let (events, acks): (Vec<AuditEvent>, Vec<Ack>) = batch.drain(..).unzip();
        let outcome = store.append_audit_batch(&events).await.map_err(|e| {
            tracing::error!(error = %e, entries = events.len(), "could not write to the audit trail");
            BatchFailure::of(e)
        });
        for ack in acks {
            // A caller that went away no longer waits; its entry is stored all the same.
            let _ = ack.send(outcome.clone());
        }
    }
}
