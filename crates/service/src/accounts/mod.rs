//! People's accounts: users, groups and their members, personal API tokens, one's
//! own profile, and the workspace's first owner. Every change is checked against
//! `core::permission` and recorded in the audit trail right after the store made
//! it (the store writes these without an entry of its own); the caches of
//! [`Access`] drop what such a change touches before it returns (the store's
//! change counter, see [`freshness`](crate::freshness)).

mod groups;
mod profile;
mod setup;
mod tokens;
mod users;

use serde_json::Value;
use switchboard_core::{AuditKind, SecretString};
use switchboard_store::{AuditEvent, AuditLog, Store, User};

pub use profile::PasswordChange;
pub use tokens::NewToken;
pub use users::{AccountChange, NewAccount};

use crate::access::Access;
use crate::error::{Result, ServiceError};

/// Cheap to clone.
#[derive(Clone, Debug)]
pub struct Accounts {
    store: Store,
    access: Access,
    log: AuditLog,
}

impl Accounts {
    pub(crate) fn new(store: Store, access: Access, log: AuditLog) -> Self {
        Self { store, access, log }
    }

    /// Record a change `actor` just made, once it is committed.
    async fn record(&self, actor: &User, kind: AuditKind, detail: Value) -> Result<()> {
        Ok(self.log.append(AuditEvent::admin_change(actor.id, kind, None, detail)).await?)
    }
}

/// Hash a new password on the blocking pool (Argon2 takes tens of milliseconds);
/// a password that breaks the length rules is "invalid", saying which rule.
pub(crate) async fn hash_new_password(password: SecretString) -> Result<String> {
    tokio::task::spawn_blocking(move || switchboard_core::credentials::hash_password(&password))
        .await
        .map_err(|e| ServiceError::Internal(e.to_string()))?
        .map_err(ServiceError::invalid)
}

/// An email address as a person typed it.
fn parse_email(raw: &str) -> Result<switchboard_core::Email> {
    switchboard_core::Email::parse(raw).map_err(ServiceError::invalid)
}
