//! Workspace → Audit log: the trail newest first, filtered by a plain GET form;
//! `audit.js` loads older pages from the API.

use askama::Template;
use axum::extract::{Query, State};
use axum::http::HeaderMap;
use axum::response::Response;
use serde::Deserialize;
use switchboard_core::AuditKind;
use switchboard_core::permission::{Action, permits};
use switchboard_service::AuditRecord;
use time::format_description::well_known::Rfc3339;
use time::{Date, OffsetDateTime, Time};

use super::{Shell, human_time, page_error, render, visible, visitor};
use crate::error::AppError;
use crate::routes::audit::filter::FilterQuery;
use crate::state::AppState;

/// Entries on the first page; "Load more" asks the API for as many again.
const PAGE: i64 = 50;

#[derive(Template)]
#[template(path = "audit.html")]
struct AuditLogPage {
    shell: Shell,
    tab: &'static str,
    can_read_audit: bool,
    entries: Vec<EntryRow>,
    /// Where "Load more" continues; empty when there is nothing older.
    cursor: String,
    /// The filters as the API takes them (`actor=…&since=…`), for "Load more" and the export.
    api_query: String,
    form: FormValues,
    filtered: bool,
    users: Vec<Choice>,
    apps: Vec<Choice>,
    kinds: Vec<Choice>,
    limit: i64,
}

/// What the filter form sends: the API's filters, with days for the time window.
#[derive(Debug, Default, Deserialize)]
pub(crate) struct FormValues {
    #[serde(default)]
    actor: String,
    #[serde(default)]
    connector: String,
    #[serde(default)]
    tool: String,
    #[serde(default)]
    kind: String,
    /// `YYYY-MM-DD`: from the start of that day (UTC).
    #[serde(default)]
    from: String,
    /// `YYYY-MM-DD`: through the end of that day (UTC).
    #[serde(default)]
    to: String,
}

/// An option of a filter's `<select>`.
struct Choice {
    value: String,
    label: String,
    selected: bool,
}

/// Who or what an entry names: a label to show, and the id behind it.
struct Party {
    label: String,
    id: String,
    /// Still there to name (a user of the workspace, an app that exists).
    known: bool,
}

struct EntryRow {
    seq: i64,
    id: String,
    at: String,
    at_iso: String,
    kind: &'static str,
    /// For an admin change: whom or what it changed.
    subject: String,
    actor: Option<Party>,
    app: Option<Party>,
    tool: String,
    status: String,
    decision: String,
    classification: &'static str,
    latency: String,
    detail: String,
    hash: String,
}

impl EntryRow {
    fn new(record: AuditRecord) -> Self {
        let AuditRecord { entry, actor, connector_name } = record;
        let e = &entry.event;
        Self {
            seq: entry.seq,
            id: entry.id.to_string(),
            at: human_time(entry.at),
            at_iso: entry.at.format(&Rfc3339).unwrap_or_default(),
            kind: e.kind.as_str(),
            subject: if e.kind.is_admin_change() { visible(&subject(&e.detail)) } else { String::new() },
            actor: e.actor_id.map(|id| match &actor {
                Some(user) => Party {
                    label: visible(&format!("{} <{}>", user.name, user.email)),
                    id: id.to_string(),
                    known: true,
                },
                None => Party { label: "a removed user".into(), id: id.to_string(), known: false },
            }),
            app: e.connector_id.map(|id| match &connector_name {
                Some(name) => Party { label: visible(name), id: id.to_string(), known: true },
                None => Party { label: "a deleted app".into(), id: id.to_string(), known: false },
            }),
            tool: e.tool.as_deref().map(visible).unwrap_or_default(),
            status: e.status.clone().unwrap_or_default(),
            decision: e.decision.map(|d| d.as_str().replace('_', " ")).unwrap_or_default(),
            classification: match e.classification {
                Some(switchboard_core::catalog::Classification::Read) => "read",
                Some(switchboard_core::catalog::Classification::Write) => "write",
                None => "",
            },
            latency: e.latency_us.map(|us| format!("{:.1} ms", us as f64 / 1000.0)).unwrap_or_default(),
            detail: visible(&serde_json::to_string_pretty(&e.detail).unwrap_or_default()),
            hash: entry.hash.clone().unwrap_or_else(|| "none (written before the trail was chained)".into()),
        }
    }
}

/// Whom or what an admin change names, in a few words: the user, group, token
/// or app in its detail, or the parts of the settings it changed. `audit.js`
/// says the same of the entries it loads.
fn subject(detail: &serde_json::Value) -> String {
    let mut parts: Vec<String> = ["/user/email", "/group/name", "/token/name", "/name"]
        .into_iter()
        .filter_map(|pointer| detail.pointer(pointer).and_then(|v| v.as_str()).map(str::to_owned))
        .collect();
    if parts.is_empty()
        && let Some(object) = detail.as_object()
    {
        let settings = ["developer_mode", "default_model", "network"];
        let mut changed: Vec<&String> = object.keys().filter(|k| settings.contains(&k.as_str())).collect();
        changed.sort();
        parts.extend(changed.into_iter().map(|k| k.replace('_', " ")));
    }
    parts.join(" · ")
}

/// A day from the form as the start of that day in UTC, `days` later.
fn day(raw: &str, name: &str, days: i64) -> Result<Option<String>, AppError> {
    let raw = raw.trim();
    if raw.is_empty() {
        return Ok(None);
    }
    let format = time::macros::format_description!("[year]-[month]-[day]");
    let date =
        Date::parse(raw, &format).map_err(|_| AppError::invalid(format!("{name} must be a day such as 2026-01-31")))?;
    let start = OffsetDateTime::new_utc(date, Time::MIDNIGHT) + time::Duration::days(days);
    Ok(Some(start.format(&Rfc3339).map_err(|e| AppError::Internal(e.to_string()))?))
}

pub(crate) async fn page(
    State(state): State<AppState>,
    Query(form): Query<FormValues>,
    headers: HeaderMap,
) -> Response {
    let visitor = match visitor(&state, &headers, "/workspace/audit").await {
        Ok(v) => v,
        Err(redirect) => return redirect,
    };
    if !permits(visitor.session.user.role, Action::ReadAudit) {
        return page_error(AppError::role("the audit log is for owners, admins and auditors"));
    }
    match build(&state, &visitor, form).await {
        Ok(page) => render(&page),
        Err(e) => page_error(e),
    }
}

async fn build(state: &AppState, visitor: &super::Visitor, form: FormValues) -> Result<AuditLogPage, AppError> {
    let query = FilterQuery {
        actor: Some(form.actor.clone()),
        connector: Some(form.connector.clone()),
        tool: Some(form.tool.clone()),
        kind: Some(form.kind.clone()),
        since: day(&form.from, "from", 0)?,
        until: day(&form.to, "to", 1)?,
    };
    let filter = query.parse()?;
    let page = state.services.audit().page(&filter, None, PAGE).await?;
    let users = state
        .services
        .accounts()
        .users(&visitor.session.user)
        .await?
        .into_iter()
        .map(|u| Choice {
            selected: filter.actor == Some(u.id),
            value: u.id.to_string(),
            label: visible(&format!("{} <{}>", u.name, u.email)),
        })
        .collect();
    let apps = state
        .services
        .connectors()
        .all()
        .await?
        .iter()
        .map(|c| Choice { selected: filter.connector == Some(c.id), value: c.id.to_string(), label: visible(&c.name) })
        .collect();
    let kinds = AuditKind::ALL
        .into_iter()
        .map(|k| Choice {
            selected: filter.kind == Some(k),
            value: k.as_str().to_owned(),
            label: k.as_str().to_owned(),
        })
        .collect();
    let filtered = filter != Default::default();
    Ok(AuditLogPage {
        shell: visitor.shell("Audit log", "workspace", Some("audit.js")),
        tab: "audit",
        can_read_audit: true,
        entries: page.records.into_iter().map(EntryRow::new).collect(),
        cursor: page.next_before.map(|seq| seq.to_string()).unwrap_or_default(),
        api_query: query.to_query(),
        form,
        filtered,
        users,
        apps,
        kinds,
        limit: PAGE,
    })
}
