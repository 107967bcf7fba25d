//! Handlers, one file per action, in folders named after the URL they serve.

pub(crate) mod compliance;
pub(crate) mod connectors;
pub(crate) mod conversations;
pub(crate) mod doctor;
pub(crate) mod groups;
pub(crate) mod health;
pub(crate) mod me;
pub(crate) mod models;
pub(crate) mod oauth;
pub(crate) mod session;
pub(crate) mod setup;
pub(crate) mod tokens;
pub(crate) mod users;
pub(crate) mod workspace;

use std::str::FromStr;

use switchboard_core::SecretString;

use crate::error::AppError;

/// Hash a new password on the blocking pool (Argon2 takes tens of milliseconds);
/// a password that breaks the length rules is a 422 saying which rule.
pub(crate) async fn hash_new_password(password: SecretString) -> Result<String, AppError> {
    tokio::task::spawn_blocking(move || switchboard_core::credentials::hash_password(&password))
        .await
        .map_err(|e| AppError::Internal(e.to_string()))?
        .map_err(|e| AppError::invalid(e.to_string()))
}

/// An id from the URL; a malformed one names nothing, so it is a 404 like an unknown one.
pub(crate) fn parse_id<T: FromStr>(raw: &str, what: &str) -> Result<T, AppError> {
    raw.parse().map_err(|_| AppError::not_found(format!("{what} not found")))
}
