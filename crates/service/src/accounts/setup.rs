//! The workspace's first owner, created once.

use switchboard_core::Role;
use switchboard_core::name::person_name;
use switchboard_store::{NewUser, User};

use super::{Accounts, hash_new_password, parse_email};
use crate::error::{Result, ServiceError};

impl Accounts {
    /// Whether the first owner has been created.
    pub async fn is_set_up(&self) -> Result<bool> {
        Ok(self.store.is_set_up().await?)
    }

    /// "Conflict" once the workspace has its owner: setting up is then over.
    pub async fn require_not_set_up(&self) -> Result<()> {
        if self.is_set_up().await? {
            return Err(ServiceError::conflict(
                "already_set_up",
                "the workspace already has an owner; sign in instead",
            ));
        }
        Ok(())
    }

    /// Create the first owner (the caller checked the one-time setup token); a
    /// setup that lost a race to another is the store's `AlreadySetUp`.
    pub async fn set_up_owner(
        &self,
        email: &str,
        name: &str,
        password: switchboard_core::SecretString,
    ) -> Result<User> {
        let email = parse_email(email)?;
        let name = person_name(name).map_err(ServiceError::invalid)?;
        let password_hash = Some(hash_new_password(password).await?);
        let user = self.store.complete_setup(NewUser { email, name, role: Role::Owner, password_hash }).await?;
        tracing::info!(user = %user.id, "workspace set up: owner created");
        Ok(user)
    }
}
