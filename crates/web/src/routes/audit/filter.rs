//! The filters both audit routes take, checked: a value that names nothing
//! valid is a 422 saying what is expected.

use serde::Deserialize;
use switchboard_core::{AuditKind, ConnectorId, UserId};
use switchboard_store::AuditFilter;
use time::OffsetDateTime;
use utoipa::IntoParams;

use crate::error::AppError;
use crate::routes::instant;

/// Longest action name accepted as a filter.
const MAX_TOOL: usize = 200;

#[derive(Debug, Default, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub(crate) struct FilterQuery {
    /// A user id: entries made by that user.
    pub(crate) actor: Option<String>,
    /// An app (connector) id: entries about that app.
    pub(crate) connector: Option<String>,
    /// An action's name, such as `create_task`.
    pub(crate) tool: Option<String>,
    /// `tool_call`, `decision`, or an admin change such as `user.role_changed`.
    pub(crate) kind: Option<String>,
    /// RFC 3339; entries at or after it.
    pub(crate) since: Option<String>,
    /// RFC 3339; entries before it.
    pub(crate) until: Option<String>,
}

/// An optional query value: absent and empty are the same.
fn given(raw: &Option<String>) -> Option<&str> {
    raw.as_deref().map(str::trim).filter(|s| !s.is_empty())
}

impl FilterQuery {
    /// The filters given, as a query string for the audit routes (empty when none).
    pub(crate) fn to_query(&self) -> String {
        let pairs = [
            ("actor", &self.actor),
            ("connector", &self.connector),
            ("tool", &self.tool),
            ("kind", &self.kind),
            ("since", &self.since),
            ("until", &self.until),
        ];
        pairs
            .into_iter()
            .filter_map(|(name, value)| given(value).map(|v| format!("{name}={}", encode(v))))
            .collect::<Vec<_>>()
            .join("&")
    }

    pub(crate) fn parse(&self) -> Result<AuditFilter, AppError> {
        let actor: Option<UserId> = given(&self.actor)
            .map(|raw| raw.parse().map_err(|_| AppError::invalid("actor must be a user id")))
            .transpose()?;
        let connector: Option<ConnectorId> = given(&self.connector)
            .map(|raw| raw.parse().map_err(|_| AppError::invalid("connector must be an app id")))
            .transpose()?;
        let tool = given(&self.tool).map(str::to_owned);
        if tool.as_ref().is_some_and(|t| t.chars().count() > MAX_TOOL) {
            return Err(AppError::invalid(format!("tool must be an action name of at most {MAX_TOOL} characters")));
        }
        let kind: Option<AuditKind> = given(&self.kind)
            .map(|raw| {
                raw.parse().map_err(|_| {
                    let known: Vec<&str> = AuditKind::ALL.iter().map(|k| k.as_str()).collect();
                    AppError::invalid(format!("unknown kind {raw:?}; the kinds are {}", known.join(", ")))
                })
            })
            .transpose()?;
        let since = given(&self.since).map(|s| instant(Some(s), "since", OffsetDateTime::UNIX_EPOCH)).transpose()?;
        let until = given(&self.until).map(|s| instant(Some(s), "until", OffsetDateTime::UNIX_EPOCH)).transpose()?;
        if let (Some(since), Some(until)) = (since, until)
            && since >= until
        {
            return Err(AppError::invalid("since must be before until"));
        }
        Ok(AuditFilter { actor, connector, tool, kind, since, until })
    }
}

/// `value` percent-encoded for a query string: everything but unreserved characters.
fn encode(value: &str) -> String {
    value
        .bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' => (b as char).to_string(),
            _ => format!("%{b:02X}"),
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn filters_become_a_query_string() {
        let query = FilterQuery {
            tool: Some("create task&x".into()),
            kind: Some("user.created".into()),
            since: Some("2026-01-31T00:00:00+01:00".into()),
            actor: Some("  ".into()),
            ..FilterQuery::default()
        };
        assert_eq!(
            query.to_query(),
            "tool=create%20task%26x&kind=user.created&since=2026-01-31T00%3A00%3A00%2B01%3A00"
        );
        assert_eq!(FilterQuery::default().to_query(), "");
    }
}
