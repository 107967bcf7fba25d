//! What lets servers keep reads in memory: a counter of changes.
//!
//! Every write that changes something a server may keep in memory (users, API
//! tokens, browser sessions, groups, workspace settings, connectors and their
//! tools) calls [`Store::changed`] once it is done. That bumps two counters:
//! [`Store::local_changes`], in this process, so its caches drop what they hold
//! before the write returns; and the `generation` column of the workspace row, which
//! other processes sharing the database poll ([`Store::generation`]).

use std::sync::atomic::Ordering;

use sqlx::Row;

use crate::Store;
use crate::error::Result;

impl Store {
    /// The database's change counter; it moves whenever any process writes cached data.
    pub async fn generation(&self) -> Result<i64> {
        let row = sqlx::query("SELECT generation FROM workspace WHERE id = 1").fetch_one(&self.pool).await?;
        Ok(row.try_get("generation")?)
    }

    /// How many cached-data writes this process has made (through any clone of this store).
    pub fn local_changes(&self) -> u64 {
        self.changes.load(Ordering::Acquire)
    }

    /// Record that cached data changed. Called after the write it follows has
    /// committed, so whoever sees the new count reads the new data.
    pub(crate) async fn changed(&self) -> Result<()> {
        self.changes.fetch_add(1, Ordering::AcqRel);
        sqlx::query("UPDATE workspace SET generation = generation + 1 WHERE id = 1").execute(&self.pool).await?;
        Ok(())
    }
}
