//! The audit trail as owners, admins and auditors read it. Entries are written
//! by the services that make the changes, through the group-committing
//! [`AuditLog`](switchboard_store::AuditLog).
//!
//! Who may read it is the caller's check (`core::permission`, `Action::ReadAudit`).

use std::collections::HashMap;

use switchboard_core::{ConnectorId, UserId};
use switchboard_store::{AuditEntry, AuditFilter, Store, StoreError, User};

use crate::error::Result;

/// Entries read at a time by an export.
const EXPORT_PAGE: i64 = 500;

/// An entry with what a person reads beside it.
#[derive(Clone, Debug)]
pub struct AuditRecord {
    pub entry: AuditEntry,
    /// The actor, while they are still a user of the workspace.
    pub actor: Option<User>,
    /// The connector's name, while it still exists.
    pub connector_name: Option<String>,
}

/// A page of the trail, newest first.
#[derive(Clone, Debug)]
pub struct AuditPage {
    pub records: Vec<AuditRecord>,
    /// The sequence number to continue before, when there are older entries.
    pub next_before: Option<i64>,
}

/// Cheap to clone.
#[derive(Clone, Debug)]
pub struct Audit {
    store: Store,
}

impl Audit {
    pub(crate) fn new(store: Store) -> Self {
        Self { store }
    }

    /// Up to `limit` entries matching `filter`, newest first, before sequence
    /// number `before` (from the newest when `None`).
    pub async fn page(&self, filter: &AuditFilter, before: Option<i64>, limit: i64) -> Result<AuditPage> {
        let mut entries = self.store.audit_newest_first(filter, before, limit + 1).await?;
        let more = i64::try_from(entries.len()).is_ok_and(|n| n > limit);
        if more {
            entries.pop();
        }
        let next_before = if more { entries.last().map(|e| e.seq) } else { None };
        let records = Names::default().records(&self.store, entries).await?;
        Ok(AuditPage { records, next_before })
    }

    /// Every entry matching `filter` committed so far, oldest first, read a page
    /// at a time.
    pub async fn export(&self, filter: AuditFilter) -> Result<AuditExport> {
        let through = self.store.audit_head_seq().await?;
        Ok(AuditExport { store: self.store.clone(), filter, after: 0, through, names: Names::default(), done: false })
    }
}

/// An export under way: [`AuditExport::next_page`] until it gives `None`.
#[derive(Debug)]
pub struct AuditExport {
    store: Store,
    filter: AuditFilter,
    after: i64,
    /// The head when the export began: later entries are for the next export.
    through: i64,
    names: Names,
    done: bool,
}

impl AuditExport {
    /// The next entries, oldest first; `None` once every entry was given.
    pub async fn next_page(&mut self) -> Result<Option<Vec<AuditRecord>>> {
        if self.done {
            return Ok(None);
        }
        let entries = self.store.audit_oldest_first(&self.filter, self.after, self.through, EXPORT_PAGE).await?;
        if i64::try_from(entries.len()).is_ok_and(|n| n < EXPORT_PAGE) {
            self.done = true;
        }
        let Some(last) = entries.last() else { return Ok(None) };
        self.after = last.seq;
        Ok(Some(self.names.records(&self.store, entries).await?))
    }
}

/// Users and connector names looked up once per page or export.
#[derive(Debug, Default)]
struct Names {
    users: HashMap<UserId, Option<User>>,
    connectors: HashMap<ConnectorId, Option<String>>,
}

impl Names {
    async fn records(&mut self, store: &Store, entries: Vec<AuditEntry>) -> Result<Vec<AuditRecord>> {
        let mut records = Vec::with_capacity(entries.len());
        for entry in entries {
            let actor = match entry.event.actor_id {
                Some(id) => self.user(store, id).await?,
                None => None,
            };
            let connector_name = match entry.event.connector_id {
                Some(id) => self.connector(store, id).await?,
                None => None,
            };
            records.push(AuditRecord { entry, actor, connector_name });
        }
        Ok(records)
    }

    async fn user(&mut self, store: &Store, id: UserId) -> Result<Option<User>> {
        if let Some(known) = self.users.get(&id) {
            return Ok(known.clone());
        }
        let found = match store.user(id).await {
            Ok(user) => Some(user),
            Err(StoreError::NotFound(_)) => None,
            Err(e) => return Err(e.into()),
        };
        self.users.insert(id, found.clone());
        Ok(found)
    }

    async fn connector(&mut self, store: &Store, id: ConnectorId) -> Result<Option<String>> {
        if let Some(known) = self.connectors.get(&id) {
            return Ok(known.clone());
        }
        let found = match store.connector(id).await {
            Ok(c) => Some(c.name),
            Err(StoreError::NotFound(_)) => None,
            Err(e) => return Err(e.into()),
        };
        self.connectors.insert(id, found.clone());
        Ok(found)
    }
}
