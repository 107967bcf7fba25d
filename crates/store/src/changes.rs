//! Change sets of published apps: what a refresh found that differs from the
//! pinned definitions, kept until an admin accepts or rejects it.

use sqlx::Row;
use sqlx::any::AnyRow;
use switchboard_core::catalog::Tool;
use switchboard_core::catalog_diff::CatalogDiff;
use switchboard_core::connector::ConnectorStatus;
use switchboard_core::{ChangeId, ConnectorId, UserId};
use time::OffsetDateTime;

use crate::Store;
use crate::audit::append_in;
use crate::connectors::insert_tools_with;
use crate::error::{Result, StoreError};
use crate::records::{AuditEvent, CatalogChange, ChangeState};
use crate::time_ms::{from_ms, now, opt_from_ms, to_ms};

const COLUMNS: &str = "id, connector_id, state, source, requested_by, listing, listing_digest, diff, \
                       protocol_version, created_at, decided_by, decided_at";

/// A fresh listing of a published app, as a refresh found it.
#[derive(Clone, Debug)]
pub struct Refreshed<'a> {
    /// `refresh` or `drift`.
    pub source: &'a str,
    pub requested_by: Option<UserId>,
    pub listing: &'a [Tool],
    pub listing_digest: &'a str,
    /// Against the definitions in force.
    pub diff: &'a CatalogDiff,
    pub protocol_version: &'a str,
}

/// What recording a refresh did.
#[derive(Clone, Debug, PartialEq)]
pub enum Recorded {
    /// Nothing to review: the listing matches the pinned definitions (removals aside).
    NothingNew,
    /// A new change set awaits review (an older pending one was superseded).
    Pending(CatalogChange),
    /// The same listing as the change set already pending.
    AlreadyPending(CatalogChange),
    /// The same listing as one an admin rejected: not asked again.
    Rejected(CatalogChange),
}

fn id_of<T: std::str::FromStr>(text: Option<String>, what: &str) -> Result<Option<T>>
where
    T::Err: std::fmt::Display,
{
    text.map(|t| t.parse().map_err(|e| StoreError::corrupt(what, e))).transpose()
}

fn change_from_row(row: &AnyRow) -> Result<CatalogChange> {
    let state: String = row.try_get("state")?;
    let listing: String = row.try_get("listing")?;
    let diff: String = row.try_get("diff")?;
    Ok(CatalogChange {
        id: id_of(Some(row.try_get("id")?), "change id")?.ok_or_else(|| StoreError::corrupt("change id", ""))?,
        connector_id: id_of(Some(row.try_get("connector_id")?), "connector id")?
            .ok_or_else(|| StoreError::corrupt("connector id", ""))?,
        state: ChangeState::parse(&state).ok_or_else(|| StoreError::corrupt("change state", &state))?,
        source: row.try_get("source")?,
        requested_by: id_of(row.try_get("requested_by")?, "requested by")?,
        listing: serde_json::from_str(&listing).map_err(|e| StoreError::corrupt("change listing", e))?,
        listing_digest: row.try_get("listing_digest")?,
        diff: serde_json::from_str(&diff).map_err(|e| StoreError::corrupt("change diff", e))?,
        protocol_version: row.try_get("protocol_version")?,
        created_at: from_ms(row.try_get("created_at")?)?,
        decided_by: id_of(row.try_get("decided_by")?, "decided by")?,
        decided_at: opt_from_ms(row.try_get("decided_at")?)?,
    })
}

impl Store {
    /// Record a refresh of a published app: actions the server no longer lists
    /// are removed at once; added and changed ones go into a pending change set
    /// (superseding an older one), unless the same listing is pending already or
    /// was rejected.
    pub async fn record_refresh(
        &self,
        id: ConnectorId,
        refreshed: Refreshed<'_>,
        audit: &AuditEvent,
    ) -> Result<Recorded> {
        let mut tx = self.pool.begin().await?;
        let done = sqlx::query("UPDATE connectors SET refreshed_at = $1 WHERE id = $2 AND status = $3")
            .bind(to_ms(now()))
            .bind(id.to_string())
            .bind(ConnectorStatus::Published.as_str())
            .execute(&mut *tx)
            .await?;
        if done.rows_affected() == 0 {
            drop(tx);
            return Err(self.not_in_state(id, "the app is not published").await);
        }
        for gone in &refreshed.diff.removed {
            sqlx::query("DELETE FROM connector_tools WHERE connector_id = $1 AND name = $2")
                .bind(id.to_string())
                .bind(&gone.name)
                .execute(&mut *tx)
                .await?;
        }
        let outcome = if refreshed.diff.added.is_empty() && refreshed.diff.changed.is_empty() {
            sqlx::query(
                "UPDATE connector_changes SET state = 'superseded' WHERE connector_id = $1 AND state = 'pending'",
            )
            .bind(id.to_string())
            .execute(&mut *tx)
            .await?;
            Recorded::NothingNew
        } else {
            let sql = format!(
                "SELECT {COLUMNS} FROM connector_changes WHERE connector_id = $1 AND listing_digest = $2 \
                 AND state IN ('pending', 'rejected') ORDER BY created_at DESC LIMIT 1"
            );
            let same = sqlx::query(&sql)
                .bind(id.to_string())
                .bind(refreshed.listing_digest)
                .fetch_optional(&mut *tx)
                .await?
                .map(|row| change_from_row(&row))
                .transpose()?;
            match same {
                Some(c) if c.state == ChangeState::Pending => Recorded::AlreadyPending(c),
                Some(c) => Recorded::Rejected(c),
                None => {
                    sqlx::query(
                        "UPDATE connector_changes SET state = 'superseded' WHERE connector_id = $1 AND state = 'pending'",
                    )
                    .bind(id.to_string())
                    .execute(&mut *tx)
                    .await?;
                    let change = CatalogChange {
                        id: ChangeId::new(),
                        connector_id: id,
                        state: ChangeState::Pending,
                        source: refreshed.source.to_owned(),
                        requested_by: refreshed.requested_by,
                        listing: refreshed.listing.to_vec(),
                        listing_digest: refreshed.listing_digest.to_owned(),
                        diff: refreshed.diff.clone(),
                        protocol_version: refreshed.protocol_version.to_owned(),
                        created_at: now(),
                        decided_by: None,
                        decided_at: None,
                    };
                    insert_change(&mut tx, &change).await?;
                    Recorded::Pending(change)
                }
            }
        };
        append_in(&mut tx, std::slice::from_ref(audit)).await?;
        tx.commit().await?;
        self.changed().await?;
        Ok(outcome)
    }

    /// One change set of `connector`; another app's is "not found".
    pub async fn catalog_change(&self, connector: ConnectorId, id: ChangeId) -> Result<CatalogChange> {
        let sql = format!("SELECT {COLUMNS} FROM connector_changes WHERE id = $1 AND connector_id = $2");
        let row = sqlx::query(&sql)
            .bind(id.to_string())
            .bind(connector.to_string())
            .fetch_optional(&self.pool)
            .await?
            .ok_or(StoreError::NotFound("change"))?;
        change_from_row(&row)
    }

    /// The change sets of one app (newest first), or those awaiting review in the
    /// whole workspace when `connector` is `None`.
    pub async fn catalog_changes(&self, connector: Option<ConnectorId>) -> Result<Vec<CatalogChange>> {
        let rows = match connector {
            Some(id) => {
                let sql = format!(
                    "SELECT {COLUMNS} FROM connector_changes WHERE connector_id = $1 ORDER BY created_at DESC, id DESC LIMIT 100"
                );
                sqlx::query(&sql).bind(id.to_string()).fetch_all(&self.pool).await?
            }
            None => {
                let sql = format!(
                    "SELECT {COLUMNS} FROM connector_changes WHERE state = 'pending' ORDER BY created_at DESC, id DESC"
                );
                sqlx::query(&sql).fetch_all(&self.pool).await?
            }
        };
        rows.iter().map(change_from_row).collect()
    }

    /// Accept a pending change set: its listing becomes the pinned catalog, in
    /// the server's order. Actions that stay keep their toggle and raise; new
    /// ones arrive turned off. Deciding twice, or a superseded set, is `Conflict`.
    pub async fn accept_change(
        &self,
        connector: ConnectorId,
        id: ChangeId,
        by: UserId,
        audit: &AuditEvent,
    ) -> Result<CatalogChange> {
        let mut tx = self.pool.begin().await?;
        decide(&mut tx, connector, id, by, ChangeState::Accepted).await?;
        let sql = format!("SELECT {COLUMNS} FROM connector_changes WHERE id = $1");
        let change = change_from_row(&sqlx::query(&sql).bind(id.to_string()).fetch_one(&mut *tx).await?)?;
        let rows =
            sqlx::query("SELECT name, enabled, classification_override FROM connector_tools WHERE connector_id = $1")
                .bind(connector.to_string())
                .fetch_all(&mut *tx)
                .await?;
        let mut kept = std::collections::HashMap::new();
        for row in &rows {
            let name: String = row.try_get("name")?;
            let raised: Option<String> = row.try_get("classification_override")?;
            kept.insert(name, (row.try_get::<i64, _>("enabled")? != 0, raised.is_some()));
        }
        sqlx::query("DELETE FROM connector_tools WHERE connector_id = $1")
            .bind(connector.to_string())
            .execute(&mut *tx)
            .await?;
        let flags = |t: &Tool| kept.get(&t.name).copied().unwrap_or((false, false));
        insert_tools_with(&mut tx, connector, &change.listing, &flags).await?;
        sqlx::query("UPDATE connectors SET protocol_version = $1 WHERE id = $2")
            .bind(&change.protocol_version)
            .bind(connector.to_string())
            .execute(&mut *tx)
            .await?;
        append_in(&mut tx, std::slice::from_ref(audit)).await?;
        tx.commit().await?;
        self.changed().await?;
        Ok(change)
    }

    /// Reject a pending change set: the pinned definitions stay; the same listing
    /// is not asked about again.
    pub async fn reject_change(
        &self,
        connector: ConnectorId,
        id: ChangeId,
        by: UserId,
        audit: &AuditEvent,
    ) -> Result<CatalogChange> {
        let mut tx = self.pool.begin().await?;
        decide(&mut tx, connector, id, by, ChangeState::Rejected).await?;
        append_in(&mut tx, std::slice::from_ref(audit)).await?;
        tx.commit().await?;
        self.changed().await?;
        self.catalog_change(connector, id).await
    }

    /// Claim the background check of published apps when nobody (on any replica
    /// sharing the database) has run it within `interval`: at most one wins.
    pub async fn claim_drift_check(&self, at: OffsetDateTime, interval: std::time::Duration) -> Result<bool> {
        let due = to_ms(at) - i64::try_from(interval.as_millis()).unwrap_or(i64::MAX);
        let done = sqlx::query(
            "UPDATE workspace SET drift_checked_at = $1 WHERE id = 1 AND (drift_checked_at IS NULL OR drift_checked_at <= $2)",
        )
        .bind(to_ms(at))
        .bind(due)
        .execute(&self.pool)
        .await?;
        Ok(done.rows_affected() == 1)
    }
}

async fn decide(
    tx: &mut sqlx::Transaction<'static, sqlx::Any>,
    connector: ConnectorId,
    id: ChangeId,
    by: UserId,
    to: ChangeState,
) -> Result<()> {
    let done = sqlx::query(
        "UPDATE connector_changes SET state = $1, decided_by = $2, decided_at = $3 \
         WHERE id = $4 AND connector_id = $5 AND state = 'pending'",
    )
    .bind(to.as_str())
    .bind(by.to_string())
    .bind(to_ms(now()))
    .bind(id.to_string())
    .bind(connector.to_string())
    .execute(&mut **tx)
    .await?;
    if done.rows_affected() == 1 {
        return Ok(());
    }
    let row = sqlx::query("SELECT state FROM connector_changes WHERE id = $1 AND connector_id = $2")
        .bind(id.to_string())
        .bind(connector.to_string())
        .fetch_optional(&mut **tx)
        .await?;
    match row {
        None => Err(StoreError::NotFound("change")),
        Some(row) => {
            let state: String = row.try_get("state")?;
            Err(StoreError::Conflict(match state.as_str() {
                "superseded" => "a later refresh replaced this change set: review the newest one".into(),
                decided => format!("this change set was already {decided}"),
            }))
        }
    }
}

async fn insert_change(tx: &mut sqlx::Transaction<'static, sqlx::Any>, c: &CatalogChange) -> Result<()> {
    let sql = format!(
        "INSERT INTO connector_changes ({COLUMNS}) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, NULL, NULL)"
    );
    sqlx::query(&sql)
        .bind(c.id.to_string())
        .bind(c.connector_id.to_string())
        .bind(c.state.as_str())
        .bind(&c.source)
        .bind(c.requested_by.map(|u| u.to_string()))
        .bind(serde_json::to_string(&c.listing).map_err(|e| StoreError::corrupt("change listing", e))?)
        .bind(&c.listing_digest)
        .bind(serde_json::to_string(&c.diff).map_err(|e| StoreError::corrupt("change diff", e))?)
        .bind(&c.protocol_version)
        .bind(to_ms(c.created_at))
        .execute(&mut **tx)
        .await?;
    Ok(())
}
