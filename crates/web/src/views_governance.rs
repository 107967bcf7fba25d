//! The JSON shapes of publishing and governing apps.

use serde::{Deserialize, Serialize};
use switchboard_core::review::{Warning, WarningKind};
use switchboard_service::{PublishReview, Refresh};
use switchboard_store::{CatalogChange, Recorded};
use time::OffsetDateTime;
use utoipa::ToSchema;
use uuid::Uuid;

use crate::views_connectors::{AccessView, CatalogDiffView, ConnectorView, ToolView};

/// A plain-language warning about one action.
#[derive(Debug, Serialize, ToSchema)]
pub(crate) struct WarningView {
    /// `write`, `destructive`, `open_world`, `no_annotations`, `addresses_model`,
    /// `hidden_text`, `long_description`, `shadows_another_app` or `needs_tasks`.
    pub(crate) kind: String,
    pub(crate) message: String,
}

impl From<&Warning> for WarningView {
    fn from(w: &Warning) -> Self {
        let kind = serde_json::to_value(w.kind).ok().and_then(|v| v.as_str().map(str::to_owned)).unwrap_or_default();
        Self { kind, message: w.message.clone() }
    }
}

/// One action in the safety review.
#[derive(Debug, Serialize, ToSchema)]
pub(crate) struct ReviewedActionView {
    #[serde(flatten)]
    pub(crate) tool: ToolView,
    pub(crate) warnings: Vec<WarningView>,
}

/// Counts over the review, for its headline.
#[derive(Debug, Serialize, ToSchema)]
pub(crate) struct ReviewSummary {
    pub(crate) actions: usize,
    pub(crate) writes: usize,
    pub(crate) destructive: usize,
    pub(crate) open_world: usize,
    /// Actions whose description speaks to the model or hides text.
    pub(crate) suspicious: usize,
}

/// What an owner or admin reads before publishing an app.
#[derive(Debug, Serialize, ToSchema)]
pub(crate) struct PublishReviewView {
    pub(crate) connector: ConnectorView,
    pub(crate) summary: ReviewSummary,
    pub(crate) actions: Vec<ReviewedActionView>,
}

impl PublishReviewView {
    pub(crate) fn new(review: &PublishReview) -> Self {
        let has =
            |kind: WarningKind| review.actions.iter().filter(|a| a.warnings.iter().any(|w| w.kind == kind)).count();
        let summary = ReviewSummary {
            actions: review.actions.len(),
            writes: has(WarningKind::Write),
            destructive: has(WarningKind::Destructive),
            open_world: has(WarningKind::OpenWorld),
            suspicious: review
                .actions
                .iter()
                .filter(|a| {
                    a.warnings.iter().any(|w| matches!(w.kind, WarningKind::AddressesModel | WarningKind::HiddenText))
                })
                .count(),
        };
        Self {
            connector: ConnectorView::new(&review.catalog.connector, review.catalog.tools.len(), true),
            summary,
            actions: review
                .actions
                .iter()
                .map(|a| ReviewedActionView {
                    tool: ToolView::from(&a.tool),
                    warnings: a.warnings.iter().map(WarningView::from).collect(),
                })
                .collect(),
        }
    }
}

/// Publish a draft to the workspace.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct PublishRequestBody {
    /// The actions to turn on, by name; every other action is off.
    pub(crate) enabled_actions: Vec<String>,
    pub(crate) access: AccessView,
}

/// A change set a refresh of a published app recorded.
#[derive(Debug, Serialize, ToSchema)]
pub(crate) struct ChangeView {
    pub(crate) id: Uuid,
    pub(crate) connector_id: Uuid,
    /// `pending`, `accepted`, `rejected` or `superseded`.
    pub(crate) state: String,
    /// `refresh` (a person asked) or `drift` (the background check).
    pub(crate) source: String,
    pub(crate) requested_by: Option<Uuid>,
    /// Against the pinned definitions when it was recorded: removed actions were
    /// dropped at once; added ones arrive turned off when accepted; changed ones
    /// keep their old definition until then.
    pub(crate) diff: CatalogDiffView,
    /// SHA-256 of the server's whole listing.
    pub(crate) listing_digest: String,
    #[serde(with = "time::serde::rfc3339")]
    #[schema(value_type = String, format = DateTime)]
    pub(crate) created_at: OffsetDateTime,
    pub(crate) decided_by: Option<Uuid>,
    #[serde(with = "time::serde::rfc3339::option")]
    #[schema(value_type = Option<String>, format = DateTime)]
    pub(crate) decided_at: Option<OffsetDateTime>,
}

impl From<&CatalogChange> for ChangeView {
    fn from(c: &CatalogChange) -> Self {
        Self {
            id: c.id.as_uuid(),
            connector_id: c.connector_id.as_uuid(),
            state: c.state.as_str().to_owned(),
            source: c.source.clone(),
            requested_by: c.requested_by.map(|u| u.as_uuid()),
            diff: CatalogDiffView::from(&c.diff),
            listing_digest: c.listing_digest.clone(),
            created_at: c.created_at,
            decided_by: c.decided_by.map(|u| u.as_uuid()),
            decided_at: c.decided_at,
        }
    }
}

/// What a refresh found, field by field, and what became of it.
#[derive(Debug, Serialize, ToSchema)]
pub(crate) struct RefreshView {
    #[serde(flatten)]
    pub(crate) diff: CatalogDiffView,
    /// The new catalog is in force (drafts). A published app keeps its pinned
    /// definitions until an admin accepts `change`.
    pub(crate) applied: bool,
    /// For a published app: `nothing_new`, `pending` (a new change set),
    /// `already_pending` or `rejected_before` (the same listing was rejected).
    pub(crate) review: Option<String>,
    pub(crate) change: Option<ChangeView>,
}

impl From<&Refresh> for RefreshView {
    fn from(r: &Refresh) -> Self {
        let (review, change) = match &r.recorded {
            None => (None, None),
            Some(Recorded::NothingNew) => (Some("nothing_new"), None),
            Some(Recorded::Pending(c)) => (Some("pending"), Some(ChangeView::from(c))),
            Some(Recorded::AlreadyPending(c)) => (Some("already_pending"), Some(ChangeView::from(c))),
            Some(Recorded::Rejected(c)) => (Some("rejected_before"), Some(ChangeView::from(c))),
        };
        Self { diff: CatalogDiffView::from(&r.diff), applied: r.applied, review: review.map(str::to_owned), change }
    }
}
