//! Publishing apps to the workspace and governing them afterwards: the safety
//! review, whom an app is shared with, which actions are on, raised
//! classifications, and the review of what a refresh found (pinned catalogs).

use std::sync::Arc;

use serde_json::json;
use switchboard_core::catalog::{Classification, Tool};
use switchboard_core::catalog_diff::{CatalogDiff, diff};
use switchboard_core::connector::{self, AppAccess, ConnectorStatus};
use switchboard_core::digest::json_digest;
use switchboard_core::review::{self, PublishedAction, Warning};
use switchboard_core::{AuditKind, ChangeId, ConnectorId, UserId};
use switchboard_store::{AuditEvent, CatalogChange, ConnectorTool, Publication, Recorded, Refreshed, StoreError, User};

use super::{Catalog, Connectors, refreshed_detail};
use crate::error::{Result, ServiceError};

/// What an owner or admin publishes.
#[derive(Clone, Debug)]
pub struct PublishRequest {
    /// Actions to turn on (by name); every other action is off.
    pub enabled_actions: Vec<String>,
    pub access: AppAccess,
}

/// One action in the safety review.
#[derive(Clone, Debug)]
pub struct ReviewedAction {
    pub tool: ConnectorTool,
    pub warnings: Vec<Warning>,
}

/// The safety review of an app before it is published.
#[derive(Clone, Debug)]
pub struct PublishReview {
    pub catalog: Arc<Catalog>,
    pub actions: Vec<ReviewedAction>,
}

impl Connectors {
    /// The connector if `user` may govern it (owners and admins).
    async fn governed(&self, user: &User, id: ConnectorId) -> Result<Arc<Catalog>> {
        let found = self.managed(user, id).await?;
        connector::may_govern(user.role)
            .map_err(|denied| ServiceError::forbidden("not_an_admin", denied.to_string()))?;
        Ok(found)
    }

    /// The actions of every published app but `except`, to spot shadowed names.
    async fn published_actions(&self, except: ConnectorId) -> Result<Vec<(String, String)>> {
        let mut out = vec![];
        for c in self.all().await?.iter().filter(|c| c.status == ConnectorStatus::Published && c.id != except) {
            match self.catalog(c.id).await {
                Ok(found) => out.extend(found.enabled().map(|t| (c.name.clone(), t.stored.tool.name.clone()))),
                Err(ServiceError::Store(StoreError::NotFound(_))) => {}
                Err(e) => return Err(e),
            }
        }
        Ok(out)
    }

    /// Every action of the app with its classification, badges and the plain
    /// warnings an admin should read before publishing it.
    pub async fn publish_review(&self, user: &User, id: ConnectorId) -> Result<PublishReview> {
        let catalog = self.governed(user, id).await?;
        let others = self.published_actions(id).await?;
        let others: Vec<PublishedAction<'_>> = others.iter().map(|(app, tool)| PublishedAction { app, tool }).collect();
        let actions = catalog
            .tools
            .iter()
            .map(|t| ReviewedAction { tool: t.stored.clone(), warnings: review::review(&t.stored.tool, &others) })
            .collect();
        Ok(PublishReview { catalog, actions })
    }

    /// Check that every group exists; the access without repeats.
    async fn checked_access(&self, access: AppAccess) -> Result<AppAccess> {
        let known = self.0.store.list_groups().await?;
        let mut groups = vec![];
        for g in access.groups {
            if !known.iter().any(|k| k.id == g) {
                return Err(ServiceError::Invalid(format!("there is no group {g}")));
            }
            if !groups.contains(&g) {
                groups.push(g);
            }
        }
        Ok(AppAccess { everyone: access.everyone, groups })
    }

    /// Publish a draft: connect again (an app that no longer connects is refused
    /// with the diagnosis), pin the catalog the server lists now with exactly the
    /// chosen actions on, and share it. Of two publishing at once, one wins.
    pub async fn publish(&self, user: &User, id: ConnectorId, request: PublishRequest) -> Result<Arc<Catalog>> {
        let found = self.governed(user, id).await?;
        if found.connector.status == ConnectorStatus::Published {
            return Err(ServiceError::conflict(
                "already_published",
                "the app is already published; change its actions or access instead",
            ));
        }
        let access = self.checked_access(request.access).await?;
        let (listing, version) = self.list_now(user.id, &found.connector).await?;
        let mut enabled: Vec<String> = vec![];
        for name in request.enabled_actions {
            if !listing.iter().any(|t| t.name == name) {
                return Err(ServiceError::Invalid(format!("the server lists no action {name:?}")));
            }
            if !enabled.contains(&name) {
                enabled.push(name);
            }
        }
        let entry = AuditEvent::admin_change(
            user.id,
            AuditKind::ConnectorPublished,
            Some(id),
            json!({
                "name": found.connector.name,
                "enabled_actions": enabled,
                "access": access,
                "pinned": listing.iter().map(|t| json!({"tool": t.name, "digest": t.definition_digest()})).collect::<Vec<_>>(),
            }),
        );
        let publication = Publication {
            by: user.id,
            listing: &listing,
            protocol_version: &version,
            enabled: &enabled,
            access: &access,
        };
        self.0.store.publish_connector(id, publication, &entry).await.map_err(|e| match e {
            StoreError::Conflict(message) => ServiceError::conflict("already_published", message),
            other => other.into(),
        })?;
        self.0.sessions.evict_matching(|(_, c)| *c == id).await;
        tracing::info!(actor = %user.id, connector = %id, actions = enabled.len(), "app published");
        self.catalog(id).await
    }

    /// Take a published app back to a draft.
    pub async fn unpublish(&self, user: &User, id: ConnectorId) -> Result<Arc<Catalog>> {
        let found = self.governed(user, id).await?;
        let entry = AuditEvent::admin_change(
            user.id,
            AuditKind::ConnectorUnpublished,
            Some(id),
            json!({"name": found.connector.name}),
        );
        self.0.store.unpublish_connector(id, &entry).await.map_err(not_published)?;
        tracing::info!(actor = %user.id, connector = %id, "app unpublished");
        self.catalog(id).await
    }

    /// Share a published app with `access` instead.
    pub async fn set_access(&self, user: &User, id: ConnectorId, access: AppAccess) -> Result<Arc<Catalog>> {
        let found = self.governed(user, id).await?;
        let access = self.checked_access(access).await?;
        let entry = AuditEvent::admin_change(
            user.id,
            AuditKind::ConnectorAccessChanged,
            Some(id),
            json!({"name": found.connector.name, "before": found.connector.access, "after": access}),
        );
        self.0.store.set_connector_access(id, &access, &entry).await.map_err(not_published)?;
        self.catalog(id).await
    }

    /// Set an action's classification: `Write` raises a read action so that it
    /// asks for confirmation; `Read` only takes back such a raise, never lowers
    /// what the server advertised.
    pub async fn set_tool_classification(
        &self,
        user: &User,
        id: ConnectorId,
        name: &str,
        to: Classification,
    ) -> Result<ConnectorTool> {
        let found = self.governed(user, id).await?;
        let tool =
            found.tool(name).ok_or_else(|| ServiceError::NotFound(format!("the connector has no tool {name:?}")))?;
        let advertised = tool.stored.tool.classification();
        if to == Classification::Read && advertised == Classification::Write {
            return Err(ServiceError::Invalid(format!(
                "{name} is a write action as its server describes it; a classification can be raised, never lowered"
            )));
        }
        let raised = to == Classification::Write && advertised == Classification::Read;
        let before = tool.stored.classification();
        let after = if raised { Classification::Write } else { advertised };
        let entry = AuditEvent {
            tool: Some(name.to_owned()),
            ..AuditEvent::admin_change(
                user.id,
                AuditKind::ToolClassificationChanged,
                Some(id),
                json!({"before": before, "after": after}),
            )
        };
        Ok(self.0.store.set_tool_raised(id, name, raised, &entry).await?)
    }

    /// The change sets recorded for one app, newest first.
    pub async fn changes(&self, user: &User, id: ConnectorId) -> Result<Vec<CatalogChange>> {
        self.governed(user, id).await?;
        Ok(self.0.store.catalog_changes(Some(id)).await?)
    }

    /// Every change set awaiting review in the workspace.
    pub async fn pending_changes(&self, user: &User) -> Result<Vec<CatalogChange>> {
        connector::may_govern(user.role)
            .map_err(|denied| ServiceError::forbidden("not_an_admin", denied.to_string()))?;
        Ok(self.0.store.catalog_changes(None).await?)
    }

    /// Accept a pending change set: its listing becomes the pinned catalog (new
    /// actions off).
    pub async fn accept_change(&self, user: &User, id: ConnectorId, change: ChangeId) -> Result<CatalogChange> {
        self.governed(user, id).await?;
        let pending = self.0.store.catalog_change(id, change).await.map_err(decided)?;
        let entry = AuditEvent::admin_change(user.id, AuditKind::ChangeAccepted, Some(id), change_detail(&pending));
        let accepted = self.0.store.accept_change(id, change, user.id, &entry).await.map_err(decided)?;
        self.0.sessions.evict_matching(|(_, c)| *c == id).await;
        Ok(accepted)
    }

    /// Reject a pending change set: the pinned definitions stay in force.
    pub async fn reject_change(&self, user: &User, id: ConnectorId, change: ChangeId) -> Result<CatalogChange> {
        self.governed(user, id).await?;
        let pending = self.0.store.catalog_change(id, change).await.map_err(decided)?;
        let entry = AuditEvent::admin_change(user.id, AuditKind::ChangeRejected, Some(id), change_detail(&pending));
        self.0.store.reject_change(id, change, user.id, &entry).await.map_err(decided)
    }

    /// Record what a listing of a published app differs by.
    #[allow(clippy::too_many_arguments)]
    pub(crate) async fn record_listing(
        &self,
        id: ConnectorId,
        by: Option<UserId>,
        source: &str,
        listing: &[Tool],
        version: &str,
        changes: &CatalogDiff,
        entry: &AuditEvent,
    ) -> Result<Recorded> {
        let digest = json_digest(&serde_json::to_value(listing).unwrap_or_default());
        let refreshed = Refreshed {
            source,
            requested_by: by,
            listing,
            listing_digest: &digest,
            diff: changes,
            protocol_version: version,
        };
        let recorded = self.0.store.record_refresh(id, refreshed, entry).await.map_err(not_published)?;
        if let Recorded::Pending(change) = &recorded {
            tracing::warn!(connector = %id, change = %change.id, source, added = change.diff.added.len(),
                changed = change.diff.changed.len(), "a published app's server changed its tools: review pending");
        }
        Ok(recorded)
    }

    /// List every published app's tools again and record what changed (the
    /// background check). Returns how many apps have a new change set.
    pub async fn check_drift(&self) -> Result<usize> {
        let mut found_new = 0;
        let published: Vec<_> =
            self.all().await?.iter().filter(|c| c.status == ConnectorStatus::Published).map(|c| c.id).collect();
        for id in published {
            let found = match self.catalog(id).await {
                Ok(found) => found,
                Err(ServiceError::Store(StoreError::NotFound(_))) => continue,
                Err(e) => return Err(e),
            };
            let (listing, version) = match self.list_now(found.connector.owner_id, &found.connector).await {
                Ok(listed) => listed,
                Err(e) => {
                    tracing::warn!(connector = %id, error = %e, "could not check a published app for changes");
                    continue;
                }
            };
            let current: Vec<Tool> = found.tools.iter().map(|t| t.stored.tool.clone()).collect();
            let changes = diff(&current, &listing);
            if changes.is_empty() {
                continue;
            }
            // The background check acts for nobody: its record names the app's creator
            // as the one whose app changed, in `detail`, and no actor.
            let entry = AuditEvent {
                actor_id: None,
                ..AuditEvent::admin_change(
                    found.connector.owner_id,
                    AuditKind::ConnectorRefreshed,
                    Some(id),
                    refreshed_detail(&found.connector.name, &changes, false, "drift"),
                )
            };
            match self.record_listing(id, None, "drift", &listing, &version, &changes, &entry).await {
                Ok(Recorded::Pending(_)) => found_new += 1,
                Ok(_) => {}
                // Unpublished meanwhile.
                Err(ServiceError::Conflict { .. }) => {}
                Err(e) => return Err(e),
            }
        }
        Ok(found_new)
    }
}

fn not_published(e: StoreError) -> ServiceError {
    match e {
        StoreError::Conflict(message) => ServiceError::conflict("not_published", message),
        other => other.into(),
    }
}

fn decided(e: StoreError) -> ServiceError {
    match e {
        StoreError::Conflict(message) => ServiceError::conflict("change_decided", message),
        StoreError::NotFound(_) => ServiceError::not_found("change"),
        other => other.into(),
    }
}

fn change_detail(c: &CatalogChange) -> serde_json::Value {
    json!({
        "change": c.id,
        "added": c.diff.added.iter().map(|t| &t.name).collect::<Vec<_>>(),
        "removed": c.diff.removed.iter().map(|t| &t.name).collect::<Vec<_>>(),
        "changed": c.diff.changed.iter().map(|t| &t.tool).collect::<Vec<_>>(),
        "listing_digest": c.listing_digest,
    })
}
