//! The role checks services start with (`core::permission`), as the services'
//! errors: a refused role is "forbidden" with the stable code `insufficient_role`.

use switchboard_core::permission::{Action, UserChangeDenied, permits};
use switchboard_store::User;

use crate::error::{Result, ServiceError};

/// Refuse unless `actor`'s role permits `action`.
pub(crate) fn require(actor: &User, action: Action) -> Result<()> {
    if permits(actor.role, action) {
        return Ok(());
    }
    Err(ServiceError::forbidden("insufficient_role", format!("your role ({}) may not do this", actor.role)))
}

impl From<UserChangeDenied> for ServiceError {
    fn from(denied: UserChangeDenied) -> Self {
        ServiceError::forbidden("insufficient_role", denied.to_string())
    }
}
