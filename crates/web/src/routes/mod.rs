//! Handlers, one file per action, in folders named after the URL they serve.

pub(crate) mod audit;
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
pub(crate) mod usage;
pub(crate) mod users;
pub(crate) mod widgets;
pub(crate) mod workspace;

use std::str::FromStr;

use time::OffsetDateTime;
use time::format_description::well_known::Rfc3339;

use crate::error::AppError;

/// An id from the URL; a malformed one names nothing, so it is a 404 like an unknown one.
pub(crate) fn parse_id<T: FromStr>(raw: &str, what: &str) -> Result<T, AppError> {
    raw.parse().map_err(|_| AppError::not_found(format!("{what} not found")))
}

/// A time from the query string named `name`: RFC 3339, or `default` when absent
/// or empty; anything else is a 422 that shows the format.
pub(crate) fn instant(raw: Option<&str>, name: &str, default: OffsetDateTime) -> Result<OffsetDateTime, AppError> {
    match raw {
        None | Some("") => Ok(default),
        Some(s) => OffsetDateTime::parse(s, &Rfc3339)
            .map_err(|_| AppError::invalid(format!("{name} must be an RFC 3339 time such as 2026-01-31T00:00:00Z"))),
    }
}
