//! The JSON shapes of the audit trail: a page of entries, and one line of its export.

use serde::Serialize;
use serde_json::Value;
use switchboard_core::conversation::DecisionKind;
use switchboard_service::{AuditPage, AuditRecord};
use time::OffsetDateTime;
use utoipa::ToSchema;
use uuid::Uuid;

use crate::views_connectors::ClassificationName;

/// Who made an entry: the id always, the email and name while they are a user.
#[derive(Debug, Serialize, ToSchema)]
pub(crate) struct AuditActorView {
    pub(crate) id: Uuid,
    pub(crate) email: Option<String>,
    pub(crate) name: Option<String>,
}

/// The app an entry is about: the id always, the name while it exists.
#[derive(Debug, Serialize, ToSchema)]
pub(crate) struct AuditConnectorView {
    pub(crate) id: Uuid,
    pub(crate) name: Option<String>,
}

/// One entry of the audit trail.
#[derive(Debug, Serialize, ToSchema)]
pub(crate) struct AuditEntryView {
    /// Its place in the chain: 1, 2, 3, … without gaps.
    pub(crate) seq: i64,
    pub(crate) id: Uuid,
    #[serde(with = "time::serde::rfc3339")]
    #[schema(value_type = String, format = DateTime)]
    pub(crate) at: OffsetDateTime,
    /// `tool_call`, `decision`, or an admin change such as `user.role_changed`.
    #[schema(example = "tool_call")]
    pub(crate) kind: String,
    pub(crate) actor: Option<AuditActorView>,
    pub(crate) connector: Option<AuditConnectorView>,
    pub(crate) conversation_id: Option<Uuid>,
    pub(crate) tool_call_id: Option<Uuid>,
    /// The action's name on its server.
    pub(crate) tool: Option<String>,
    pub(crate) classification: Option<ClassificationName>,
    /// `auto_read`, `approved`, `remembered`, `denied` or `remembered_deny`.
    #[schema(value_type = Option<String>, example = "approved")]
    pub(crate) decision: Option<DecisionKind>,
    pub(crate) status: Option<String>,
    pub(crate) latency_us: Option<i64>,
    /// Input, output, or what an admin change was before and after.
    #[schema(value_type = Object)]
    pub(crate) detail: Value,
    /// The previous entry's hash (`null` for entries from before the trail was chained).
    pub(crate) prev_hash: Option<String>,
    /// SHA-256 (hex) of `prev_hash` and this entry's canonical content.
    pub(crate) hash: Option<String>,
}

impl From<AuditRecord> for AuditEntryView {
    fn from(r: AuditRecord) -> Self {
        let AuditRecord { entry, actor, connector_name } = r;
        let e = entry.event;
        Self {
            seq: entry.seq,
            id: entry.id,
            at: entry.at,
            kind: e.kind.as_str().to_owned(),
            actor: e.actor_id.map(|id| AuditActorView {
                id: id.as_uuid(),
                email: actor.as_ref().map(|u| u.email.to_string()),
                name: actor.map(|u| u.name),
            }),
            connector: e.connector_id.map(|id| AuditConnectorView { id: id.as_uuid(), name: connector_name }),
            conversation_id: e.conversation_id.map(|c| c.as_uuid()),
            tool_call_id: e.tool_call_id.map(|c| c.as_uuid()),
            tool: e.tool,
            classification: e.classification.map(Into::into),
            decision: e.decision,
            status: e.status,
            latency_us: e.latency_us,
            detail: e.detail,
            prev_hash: entry.prev_hash,
            hash: entry.hash,
        }
    }
}

/// A page of entries, newest first.
#[derive(Debug, Serialize, ToSchema)]
pub(crate) struct AuditPageView {
    pub(crate) entries: Vec<AuditEntryView>,
    /// Pass as `cursor` for the next (older) page; `null` on the last page.
    pub(crate) next_cursor: Option<String>,
}

impl From<AuditPage> for AuditPageView {
    fn from(page: AuditPage) -> Self {
        Self {
            entries: page.records.into_iter().map(AuditEntryView::from).collect(),
            next_cursor: page.next_before.map(|seq| seq.to_string()),
        }
    }
}
