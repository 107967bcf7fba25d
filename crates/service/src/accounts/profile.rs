//! What each person changes of their own account: their name, their password
//! and whether developer mode is on for them.

use serde_json::json;
use switchboard_core::name::person_name;
use switchboard_core::{AuditKind, SecretString, developer_mode};
use switchboard_store::{SignInAttempt, User};

use super::{Accounts, hash_new_password};
use crate::error::{Result, ServiceError};
use crate::sign_in::check_password;

/// A person's change of their own password.
#[derive(Debug)]
pub struct PasswordChange<'a> {
    /// The attempt it counts as ([`SignIns::attempt`](crate::SignIns::attempt)):
    /// a wrong current password is a failed sign-in.
    pub attempt: SignInAttempt,
    pub current: SecretString,
    pub new: SecretString,
    /// The browser session it was sent from, which stays signed in.
    pub keep_session: Option<&'a str>,
}

impl Accounts {
    /// Change one's own display name; the account as it is now.
    pub async fn rename_self(&self, actor: &User, name: &str) -> Result<User> {
        let name = person_name(name).map_err(ServiceError::invalid)?;
        let mut user = actor.clone();
        if name != user.name {
            let before = std::mem::take(&mut user.name);
            user = self.store.set_user_name(user.id, &name).await?;
            let who = json!({"id": user.id, "email": user.email.as_str()});
            self.record(actor, AuditKind::UserRenamed, json!({"user": who, "from": before, "to": user.name})).await?;
            tracing::info!(user = %user.id, "renamed themselves");
        }
        Ok(user)
    }

    /// Turn one's own developer mode on (when the workspace policy allows them) or off.
    pub async fn set_developer_mode(&self, actor: &User, enabled: bool) -> Result<User> {
        let allowed = self.access.standing(actor).await?.developer_mode.allowed;
        if !developer_mode::may_toggle(allowed, enabled) {
            return Err(ServiceError::forbidden(
                "developer_mode_not_allowed",
                "the workspace's developer-mode policy does not include you; ask an admin to grant it",
            ));
        }
        let user = self.store.set_developer_mode(actor.id, enabled).await?;
        tracing::info!(user = %user.id, enabled, "developer mode toggled");
        Ok(user)
    }

    /// Change one's own password after checking the current one. Every other
    /// browser session of theirs ends; API tokens are kept.
    pub async fn change_own_password(&self, actor: &User, change: PasswordChange<'_>) -> Result<()> {
        if check_password(&self.store, &change.attempt, actor.email.as_str(), change.current).await?.is_none() {
            // The attempt stays recorded: it counts as a failure.
            tracing::warn!(user = %actor.id, "password change refused: wrong current password");
            return Err(ServiceError::forbidden(
                "wrong_password",
                "the current password is wrong; nothing was changed",
            ));
        }
        let hash = hash_new_password(change.new).await?;
        let (user, ended) = self.store.change_own_password(actor.id, &hash, change.keep_session).await?;
        // Never the password or its hash: who changed theirs and how many sessions ended.
        let who = json!({"id": user.id, "email": user.email.as_str()});
        let detail =
            json!({"user": who, "by_self": true, "current_password_checked": true, "other_sessions_ended": ended});
        self.record(actor, AuditKind::UserPasswordReset, detail).await?;
        tracing::info!(user = %user.id, sessions_ended = ended, "changed their password");
        Ok(())
    }
}
