//! The workspace's users: owners and admins manage them, auditors read them.

use serde_json::json;
use switchboard_core::name::person_name;
use switchboard_core::permission::{Action, UserChange, may_manage_user, may_update_user};
use switchboard_core::{AuditKind, Role, SecretString, UserId};
use switchboard_store::{NewUser, PasswordReset, User};

use super::{Accounts, hash_new_password, parse_email};
use crate::error::{Result, ServiceError};
use crate::policy::require;

/// A user to add, as the admin typed it.
#[derive(Debug)]
pub struct NewAccount<'a> {
    pub email: &'a str,
    pub name: &'a str,
    pub role: Role,
    /// `None`: they cannot sign in with a password until one is set.
    pub password: Option<SecretString>,
}

/// What to change of a user; what is `None` stays as it is.
#[derive(Debug, Default)]
pub struct AccountChange<'a> {
    pub name: Option<&'a str>,
    pub role: Option<Role>,
    /// A new password: someone else's is a reset, which ends their sessions.
    pub password: Option<SecretString>,
    /// With a reset, whether their API tokens are revoked too (default: yes).
    pub revoke_tokens: Option<bool>,
}

impl Accounts {
    /// Every user of the workspace.
    pub async fn users(&self, actor: &User) -> Result<Vec<User>> {
        require(actor, Action::ViewUsers)?;
        Ok(self.store.list_users().await?)
    }

    /// One user; `id` as the caller received it (a malformed one is "not found").
    pub async fn user(&self, actor: &User, id: &str) -> Result<User> {
        require(actor, Action::ViewUsers)?;
        Ok(self.store.user(user_id(id)?).await?)
    }

    /// Add a user. Admins add members and auditors; owners add anyone.
    pub async fn create_user(&self, actor: &User, new: NewAccount<'_>) -> Result<User> {
        let role = new.role;
        may_manage_user(actor.role, UserChange::Create { role }, false)?;
        let email = parse_email(new.email)?;
        let name = person_name(new.name).map_err(ServiceError::invalid)?;
        let password_hash = match new.password {
            Some(password) => Some(hash_new_password(password).await?),
            None => None,
        };
        let user = self.store.create_user(NewUser { email, name, role, password_hash }).await?;
        tracing::info!(actor = %actor.id, user = %user.id, %role, "user created");
        let detail = json!({
            "user": {"id": user.id, "email": user.email.as_str(), "name": user.name, "role": role.as_str()},
            "with_password": user.has_password,
        });
        self.record(actor, AuditKind::UserCreated, detail).await?;
        Ok(user)
    }

    /// Change a user's name, role or password. A role change ends their sessions;
    /// so does resetting someone else's password, which also revokes their API
    /// tokens unless `revoke_tokens` is `false`, all in one transaction. One
    /// audit entry per change made.
    pub async fn update_user(&self, actor: &User, id: &str, change: AccountChange<'_>) -> Result<User> {
        require(actor, Action::ManageUsers)?;
        let id = user_id(id)?;
        let target = self.store.user(id).await?;
        let is_self = target.id == actor.id;
        may_update_user(actor.role, target.role, change.role, is_self)?;
        if change.revoke_tokens.is_some() && change.password.is_none() {
            return Err(ServiceError::Invalid(
                "revoke_tokens goes with password: it says what a password reset revokes".into(),
            ));
        }
        let name = change.name.map(person_name).transpose().map_err(ServiceError::invalid)?;
        let password_hash = match change.password {
            Some(password) => Some(hash_new_password(password).await?),
            None => None,
        };
        let mut user = target;
        let who = json!({"id": id, "email": user.email.as_str()});
        let mut changes = vec![];
        if let Some(name) = name.filter(|n| *n != user.name) {
            let before = std::mem::take(&mut user.name);
            user = self.store.set_user_name(id, &name).await?;
            changes.push((AuditKind::UserRenamed, json!({"user": who, "from": before, "to": user.name})));
        }
        if let Some(role) = change.role.filter(|r| *r != user.role) {
            let before = user.role;
            user = self.store.set_user_role(id, role).await?;
            self.store.delete_sessions_of(id).await?;
            changes.push((
                AuditKind::UserRoleChanged,
                json!({"user": who, "from": before.as_str(), "to": user.role.as_str()}),
            ));
        }
        if let Some(hash) = password_hash {
            // Never the password or its hash: who set one, for whom, and what it revoked.
            if is_self {
                user = self.store.set_user_password(id, &hash).await?;
                changes.push((AuditKind::UserPasswordReset, json!({"user": who, "by_self": true})));
            } else {
                let revoke_tokens = change.revoke_tokens.unwrap_or(true);
                let reset = PasswordReset { password_hash: &hash, revoke_tokens };
                let (reset_user, revoked) = self.store.reset_password(id, reset).await?;
                user = reset_user;
                tracing::info!(actor = %actor.id, user = %id, revoked_tokens = revoked, "password reset");
                changes.push((
                    AuditKind::UserPasswordReset,
                    json!({"user": who, "by_self": false, "sessions_ended": true, "tokens_revoked": revoked}),
                ));
            }
        }
        tracing::info!(actor = %actor.id, user = %id, "user updated");
        for (kind, detail) in changes {
            self.record(actor, kind, detail).await?;
        }
        Ok(user)
    }

    /// Remove a user with their sessions, tokens and memberships.
    pub async fn remove_user(&self, actor: &User, id: &str) -> Result<()> {
        require(actor, Action::ManageUsers)?;
        let id = user_id(id)?;
        let target = self.store.user(id).await?;
        may_manage_user(actor.role, UserChange::Remove { role: target.role }, target.id == actor.id)?;
        self.store.delete_user(id).await?;
        tracing::info!(actor = %actor.id, user = %id, "user removed");
        let detail = json!({"user": {"id": id, "email": target.email.as_str(), "name": target.name, "role": target.role.as_str()}});
        self.record(actor, AuditKind::UserRemoved, detail).await
    }

    /// A user by id whoever asks, while they exist: for naming the creator of
    /// something the asker may already see (an app's page).
    pub async fn user_if_any(&self, id: UserId) -> Result<Option<User>> {
        match self.store.user(id).await {
            Ok(user) => Ok(Some(user)),
            Err(switchboard_store::StoreError::NotFound(_)) => Ok(None),
            Err(e) => Err(e.into()),
        }
    }
}

/// A user id from a URL: a malformed one names nobody, so it is "not found".
fn user_id(raw: &str) -> Result<UserId> {
    raw.parse().map_err(|_| ServiceError::not_found("user"))
}
