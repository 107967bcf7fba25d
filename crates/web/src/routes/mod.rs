//! Handlers, one file per action, in folders named after the URL they serve.

pub(crate) mod groups;
pub(crate) mod health;
pub(crate) mod me;
pub(crate) mod session;
pub(crate) mod setup;
pub(crate) mod tokens;
pub(crate) mod users;
pub(crate) mod workspace;

use std::str::FromStr;

use crate::error::AppError;

/// An id from the URL; a malformed one names nothing, so it is a 404 like an unknown one.
pub(crate) fn parse_id<T: FromStr>(raw: &str, what: &str) -> Result<T, AppError> {
    raw.parse().map_err(|_| AppError::not_found(format!("{what} not found")))
}
