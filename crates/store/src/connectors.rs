//! Connectors and their tool catalogs.

use std::collections::HashMap;

use sqlx::Row;
use sqlx::any::AnyRow;
use switchboard_core::catalog::Tool;
use switchboard_core::connector::{AppAccess, ConnectorStatus};
use switchboard_core::network::NetworkPolicy;
use switchboard_core::{ConnectorId, GroupId, UserId};

use crate::Store;
use crate::audit::append_in;
use crate::error::{Result, StoreError};
use crate::records::{AuditEvent, Connector, ConnectorTool, NewConnector};
use crate::time_ms::{from_ms, now, opt_from_ms, to_ms};

const COLUMNS: &str = "id, owner_id, name, description, url, command, transport, auth_mode, status, \
                       protocol_version, used_transport, server_info, created_at, refreshed_at";
const PUBLISHING: &str = "access_everyone, published_at, published_by";
const TOOL_COLUMNS: &str = "definition, enabled, classification_override";

/// A draft to publish, all at once or not at all.
#[derive(Clone, Debug)]
pub struct Publication<'a> {
    pub by: UserId,
    /// The server's listing as it is now: the definitions to pin.
    pub listing: &'a [Tool],
    pub protocol_version: &'a str,
    /// The actions to turn on; every other one is off.
    pub enabled: &'a [String],
    pub access: &'a AppAccess,
}

fn connector_from_row(row: &AnyRow) -> Result<Connector> {
    let id: String = row.try_get("id")?;
    let owner: String = row.try_get("owner_id")?;
    let status: String = row.try_get("status")?;
    let server_info: String = row.try_get("server_info")?;
    let command: Option<String> = row.try_get("command")?;
    let published_by: Option<String> = row.try_get("published_by")?;
    Ok(Connector {
        id: id.parse().map_err(|e| StoreError::corrupt("connector id", e))?,
        owner_id: owner.parse().map_err(|e| StoreError::corrupt("owner id", e))?,
        name: row.try_get("name")?,
        description: row.try_get("description")?,
        url: row.try_get("url")?,
        command: command
            .map(|c| serde_json::from_str(&c))
            .transpose()
            .map_err(|e| StoreError::corrupt("command", e))?,
        transport: row.try_get("transport")?,
        auth_mode: row.try_get("auth_mode")?,
        status: ConnectorStatus::parse(&status).ok_or_else(|| StoreError::corrupt("connector status", &status))?,
        access: AppAccess { everyone: row.try_get::<i64, _>("access_everyone")? != 0, groups: vec![] },
        published_at: opt_from_ms(row.try_get("published_at")?)?,
        published_by: published_by
            .map(|u| u.parse())
            .transpose()
            .map_err(|e| StoreError::corrupt("published by", e))?,
        protocol_version: row.try_get("protocol_version")?,
        used_transport: row.try_get("used_transport")?,
        server_info: serde_json::from_str(&server_info).map_err(|e| StoreError::corrupt("server info", e))?,
        created_at: from_ms(row.try_get("created_at")?)?,
        refreshed_at: from_ms(row.try_get("refreshed_at")?)?,
    })
}

fn tool_from_row(row: &AnyRow) -> Result<ConnectorTool> {
    let definition: String = row.try_get("definition")?;
    let raised: Option<String> = row.try_get("classification_override")?;
    Ok(ConnectorTool {
        tool: serde_json::from_str(&definition).map_err(|e| StoreError::corrupt("tool definition", e))?,
        enabled: row.try_get::<i64, _>("enabled")? != 0,
        raised: raised.as_deref() == Some("write"),
    })
}

/// The groups each published connector is shared with.
async fn access_groups<'e>(
    db: impl sqlx::Executor<'e, Database = sqlx::Any>,
    only: Option<ConnectorId>,
) -> Result<HashMap<ConnectorId, Vec<GroupId>>> {
    let rows = match only {
        Some(id) => {
            sqlx::query("SELECT connector_id, group_id FROM connector_access WHERE connector_id = $1 ORDER BY group_id")
                .bind(id.to_string())
                .fetch_all(db)
                .await?
        }
        None => {
            sqlx::query("SELECT connector_id, group_id FROM connector_access ORDER BY group_id").fetch_all(db).await?
        }
    };
    let mut out: HashMap<ConnectorId, Vec<GroupId>> = HashMap::new();
    for row in rows {
        let connector: String = row.try_get("connector_id")?;
        let group: String = row.try_get("group_id")?;
        out.entry(connector.parse().map_err(|e| StoreError::corrupt("connector id", e))?)
            .or_default()
            .push(group.parse().map_err(|e| StoreError::corrupt("group id", e))?);
    }
    Ok(out)
}

impl Store {
    /// Store a connector with its whole catalog and the audit entry `audit` makes
    /// for its id, all at once or not at all.
    pub async fn create_connector(
        &self,
        new: NewConnector,
        tools: &[Tool],
        audit: impl FnOnce(ConnectorId) -> AuditEvent,
    ) -> Result<Connector> {
        let id = ConnectorId::new();
        let now = now();
        let command = new
            .command
            .as_ref()
            .map(serde_json::to_string)
            .transpose()
            .map_err(|e| StoreError::corrupt("command", e))?;
        let server_info = new.server_info.to_string();
        let mut tx = self.pool.begin().await?;
        let sql = format!(
            "INSERT INTO connectors ({COLUMNS}) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $13)"
        );
        sqlx::query(&sql)
            .bind(id.to_string())
            .bind(new.owner_id.to_string())
            .bind(&new.name)
            .bind(&new.description)
            .bind(&new.url)
            .bind(&command)
            .bind(&new.transport)
            .bind(&new.auth_mode)
            .bind(ConnectorStatus::Draft.as_str())
            .bind(&new.protocol_version)
            .bind(&new.used_transport)
            .bind(&server_info)
            .bind(to_ms(now))
            .execute(&mut *tx)
            .await?;
        insert_tools_with(&mut tx, id, tools, &|_| (true, false)).await?;
        append_in(&mut tx, &[audit(id)]).await?;
        tx.commit().await?;
        self.changed().await?;
        self.connector(id).await
    }

    pub async fn connector(&self, id: ConnectorId) -> Result<Connector> {
        let sql = format!("SELECT {COLUMNS}, {PUBLISHING} FROM connectors WHERE id = $1");
        let row = sqlx::query(&sql).bind(id.to_string()).fetch_optional(&self.pool).await?;
        let mut connector = connector_from_row(&row.ok_or(StoreError::NotFound("connector"))?)?;
        connector.access.groups = access_groups(&self.pool, Some(id)).await?.remove(&id).unwrap_or_default();
        Ok(connector)
    }

    /// Every connector, newest first; callers filter by what the user may see.
    pub async fn list_connectors(&self) -> Result<Vec<Connector>> {
        let sql = format!("SELECT {COLUMNS}, {PUBLISHING} FROM connectors ORDER BY created_at DESC, name, id");
        let rows = sqlx::query(&sql).fetch_all(&self.pool).await?;
        let mut groups = access_groups(&self.pool, None).await?;
        rows.iter()
            .map(|row| {
                let mut c = connector_from_row(row)?;
                c.access.groups = groups.remove(&c.id).unwrap_or_default();
                Ok(c)
            })
            .collect()
    }

    /// The catalog in the order the server listed it.
    pub async fn connector_tools(&self, id: ConnectorId) -> Result<Vec<ConnectorTool>> {
        let sql = format!("SELECT {TOOL_COLUMNS} FROM connector_tools WHERE connector_id = $1 ORDER BY position, name");
        let rows = sqlx::query(&sql).bind(id.to_string()).fetch_all(&self.pool).await?;
        rows.iter().map(tool_from_row).collect()
    }

    /// How many tools a connector's catalog holds (without reading them).
    pub async fn tool_count(&self, id: ConnectorId) -> Result<usize> {
        let row = sqlx::query("SELECT COUNT(*) AS n FROM connector_tools WHERE connector_id = $1")
            .bind(id.to_string())
            .fetch_one(&self.pool)
            .await?;
        let n: i64 = row.try_get("n")?;
        Ok(usize::try_from(n).unwrap_or_default())
    }

    /// One tool of a connector's catalog, by name.
    pub async fn connector_tool(&self, id: ConnectorId, name: &str) -> Result<ConnectorTool> {
        let sql = format!("SELECT {TOOL_COLUMNS} FROM connector_tools WHERE connector_id = $1 AND name = $2");
        let row = sqlx::query(&sql)
            .bind(id.to_string())
            .bind(name)
            .fetch_optional(&self.pool)
            .await?
            .ok_or(StoreError::NotFound("tool"))?;
        tool_from_row(&row)
    }

    /// Turn a tool on or off, with its audit entry, in one transaction.
    pub async fn set_tool_enabled(
        &self,
        id: ConnectorId,
        name: &str,
        enabled: bool,
        audit: &AuditEvent,
    ) -> Result<ConnectorTool> {
        let mut tx = self.pool.begin().await?;
        let done = sqlx::query("UPDATE connector_tools SET enabled = $1 WHERE connector_id = $2 AND name = $3")
            .bind(i64::from(enabled))
            .bind(id.to_string())
            .bind(name)
            .execute(&mut *tx)
            .await?;
        self.finish_tool_change(tx, done.rows_affected(), id, name, audit).await
    }

    /// The end of a change to one tool: "not found" when no row changed, else its
    /// audit entry in the same transaction, and the tool as it is now.
    async fn finish_tool_change(
        &self,
        mut tx: sqlx::Transaction<'static, sqlx::Any>,
        changed: u64,
        id: ConnectorId,
        name: &str,
        audit: &AuditEvent,
    ) -> Result<ConnectorTool> {
        if changed == 0 {
            tx.rollback().await?;
            return Err(StoreError::NotFound("tool"));
        }
        append_in(&mut tx, std::slice::from_ref(audit)).await?;
        tx.commit().await?;
        self.changed().await?;
        self.connector_tool(id, name).await
    }

    /// Why a conditional update of connector `id` changed nothing: it does not
    /// exist ("not found"), or it is not in the state the update needs (`Conflict`).
    pub(crate) async fn not_in_state(&self, id: ConnectorId, conflict: &str) -> StoreError {
        match self.connector(id).await {
            Ok(_) => StoreError::Conflict(conflict.to_owned()),
            Err(e) => e,
        }
    }

    /// Raise an action to a write (`true`), or take back an admin's raise
    /// (`false`): never below what the server advertised.
    pub async fn set_tool_raised(
        &self,
        id: ConnectorId,
        name: &str,
        raised: bool,
        audit: &AuditEvent,
    ) -> Result<ConnectorTool> {
        let mut tx = self.pool.begin().await?;
        let done = sqlx::query(
            "UPDATE connector_tools SET classification_override = $1 WHERE connector_id = $2 AND name = $3",
        )
        .bind(raised.then_some("write"))
        .bind(id.to_string())
        .bind(name)
        .execute(&mut *tx)
        .await?;
        self.finish_tool_change(tx, done.rows_affected(), id, name, audit).await
    }

    /// Publish a draft: pin `listing` as its catalog with exactly `enabled` on,
    /// share it with `access`. Of two publishing at once one wins; the other, and
    /// a connector already published, gets `Conflict`. Nothing is half-applied.
    pub async fn publish_connector(
        &self,
        id: ConnectorId,
        publication: Publication<'_>,
        audit: &AuditEvent,
    ) -> Result<Connector> {
        let now = now();
        let mut tx = self.pool.begin().await?;
        let done = sqlx::query(
            "UPDATE connectors SET status = $1, published_at = $2, published_by = $3, access_everyone = $4, \
             protocol_version = $5, refreshed_at = $2 WHERE id = $6 AND status = $7",
        )
        .bind(ConnectorStatus::Published.as_str())
        .bind(to_ms(now))
        .bind(publication.by.to_string())
        .bind(i64::from(publication.access.everyone))
        .bind(publication.protocol_version)
        .bind(id.to_string())
        .bind(ConnectorStatus::Draft.as_str())
        .execute(&mut *tx)
        .await?;
        if done.rows_affected() == 0 {
            drop(tx);
            return Err(self
                .not_in_state(id, "the app is already published; change its actions or access instead")
                .await);
        }
        let raised: Vec<String> = {
            let rows = sqlx::query(
                "SELECT name FROM connector_tools WHERE connector_id = $1 AND classification_override IS NOT NULL",
            )
            .bind(id.to_string())
            .fetch_all(&mut *tx)
            .await?;
            rows.iter().map(|r| r.try_get("name")).collect::<std::result::Result<_, _>>()?
        };
        sqlx::query("DELETE FROM connector_tools WHERE connector_id = $1")
            .bind(id.to_string())
            .execute(&mut *tx)
            .await?;
        let flags = |t: &Tool| (publication.enabled.contains(&t.name), raised.contains(&t.name));
        insert_tools_with(&mut tx, id, publication.listing, &flags).await?;
        write_access(&mut tx, id, publication.access).await?;
        append_in(&mut tx, std::slice::from_ref(audit)).await?;
        tx.commit().await?;
        self.changed().await?;
        self.connector(id).await
    }

    /// Take a published app back to a draft: nobody but its creator (in
    /// developer mode) and admins sees it; a pending change set is dropped.
    pub async fn unpublish_connector(&self, id: ConnectorId, audit: &AuditEvent) -> Result<Connector> {
        let mut tx = self.pool.begin().await?;
        let done = sqlx::query(
            "UPDATE connectors SET status = $1, published_at = NULL, published_by = NULL WHERE id = $2 AND status = $3",
        )
        .bind(ConnectorStatus::Draft.as_str())
        .bind(id.to_string())
        .bind(ConnectorStatus::Published.as_str())
        .execute(&mut *tx)
        .await?;
        if done.rows_affected() == 0 {
            drop(tx);
            return Err(self.not_in_state(id, "the app is not published").await);
        }
        sqlx::query("UPDATE connector_changes SET state = 'superseded' WHERE connector_id = $1 AND state = 'pending'")
            .bind(id.to_string())
            .execute(&mut *tx)
            .await?;
        append_in(&mut tx, std::slice::from_ref(audit)).await?;
        tx.commit().await?;
        self.changed().await?;
        self.connector(id).await
    }

    /// Share a published app with `access` instead of whom it was shared with.
    pub async fn set_connector_access(
        &self,
        id: ConnectorId,
        access: &AppAccess,
        audit: &AuditEvent,
    ) -> Result<Connector> {
        let mut tx = self.pool.begin().await?;
        let done = sqlx::query("UPDATE connectors SET access_everyone = $1 WHERE id = $2 AND status = $3")
            .bind(i64::from(access.everyone))
            .bind(id.to_string())
            .bind(ConnectorStatus::Published.as_str())
            .execute(&mut *tx)
            .await?;
        if done.rows_affected() == 0 {
            drop(tx);
            return Err(self.not_in_state(id, "the app is not published: publish it to share it").await);
        }
        write_access(&mut tx, id, access).await?;
        append_in(&mut tx, std::slice::from_ref(audit)).await?;
        tx.commit().await?;
        self.changed().await?;
        self.connector(id).await
    }

    /// Replace a draft's catalog with a fresh listing, with its audit entry, in
    /// one transaction. Tools that stay keep their on/off choice and an admin's
    /// raise; new tools arrive enabled.
    pub async fn replace_tools(
        &self,
        id: ConnectorId,
        tools: &[Tool],
        protocol_version: &str,
        audit: &AuditEvent,
    ) -> Result<()> {
        let previous = self.connector_tools(id).await?;
        let mut tx = self.pool.begin().await?;
        let done = sqlx::query("UPDATE connectors SET protocol_version = $1, refreshed_at = $2 WHERE id = $3")
            .bind(protocol_version)
            .bind(to_ms(now()))
            .bind(id.to_string())
            .execute(&mut *tx)
            .await?;
        if done.rows_affected() == 0 {
            return Err(StoreError::NotFound("connector"));
        }
        sqlx::query("DELETE FROM connector_tools WHERE connector_id = $1")
            .bind(id.to_string())
            .execute(&mut *tx)
            .await?;
        let flags = |t: &Tool| match previous.iter().find(|p| p.tool.name == t.name) {
            Some(p) => (p.enabled, p.raised),
            None => (true, false),
        };
        insert_tools_with(&mut tx, id, tools, &flags).await?;
        append_in(&mut tx, std::slice::from_ref(audit)).await?;
        tx.commit().await?;
        self.changed().await
    }

    /// Delete a connector with its catalog, and append its audit entry, in one transaction.
    pub async fn delete_connector(&self, id: ConnectorId, audit: &AuditEvent) -> Result<()> {
        let mut tx = self.pool.begin().await?;
        let done = sqlx::query("DELETE FROM connectors WHERE id = $1").bind(id.to_string()).execute(&mut *tx).await?;
        if done.rows_affected() == 0 {
            tx.rollback().await?;
            return Err(StoreError::NotFound("connector"));
        }
        append_in(&mut tx, std::slice::from_ref(audit)).await?;
        tx.commit().await?;
        self.changed().await
    }

    /// The workspace's outbound address policy.
    pub async fn network_policy(&self) -> Result<NetworkPolicy> {
        let row = sqlx::query(
            "SELECT network_allow_private, network_allow_link_local, network_allow_cloud_metadata FROM workspace WHERE id = 1",
        )
        .fetch_one(&self.pool)
        .await?;
        Ok(NetworkPolicy {
            allow_private: row.try_get::<i64, _>("network_allow_private")? != 0,
            allow_link_local: row.try_get::<i64, _>("network_allow_link_local")? != 0,
            allow_cloud_metadata: row.try_get::<i64, _>("network_allow_cloud_metadata")? != 0,
        })
    }

    pub async fn set_network_policy(&self, policy: NetworkPolicy) -> Result<NetworkPolicy> {
        sqlx::query(
            "UPDATE workspace SET network_allow_private = $1, network_allow_link_local = $2, \
             network_allow_cloud_metadata = $3 WHERE id = 1",
        )
        .bind(i64::from(policy.allow_private))
        .bind(i64::from(policy.allow_link_local))
        .bind(i64::from(policy.allow_cloud_metadata))
        .execute(&self.pool)
        .await?;
        self.changed().await?;
        self.network_policy().await
    }
}

/// Insert `tools` in their listed order, each with `(enabled, raised)` from `flags`.
pub(crate) async fn insert_tools_with(
    tx: &mut sqlx::Transaction<'static, sqlx::Any>,
    id: ConnectorId,
    tools: &[Tool],
    flags: &(dyn Fn(&Tool) -> (bool, bool) + Sync),
) -> Result<()> {
    for (position, tool) in tools.iter().enumerate() {
        let definition = serde_json::to_string(tool).map_err(|e| StoreError::corrupt("tool definition", e))?;
        let (enabled, raised) = flags(tool);
        sqlx::query(
            "INSERT INTO connector_tools (connector_id, name, position, definition, enabled, classification_override) \
             VALUES ($1, $2, $3, $4, $5, $6)",
        )
        .bind(id.to_string())
        .bind(&tool.name)
        .bind(position as i64)
        .bind(definition)
        .bind(i64::from(enabled))
        .bind(raised.then_some("write"))
        .execute(&mut **tx)
        .await
        .map_err(|e| StoreError::unique(e, format!("the server listed the tool {:?} twice", tool.name)))?;
    }
    Ok(())
}

async fn write_access(
    tx: &mut sqlx::Transaction<'static, sqlx::Any>,
    id: ConnectorId,
    access: &AppAccess,
) -> Result<()> {
    sqlx::query("DELETE FROM connector_access WHERE connector_id = $1").bind(id.to_string()).execute(&mut **tx).await?;
    for group in &access.groups {
        sqlx::query("INSERT INTO connector_access (connector_id, group_id) VALUES ($1, $2)")
            .bind(id.to_string())
            .bind(group.to_string())
            .execute(&mut **tx)
            .await
            .map_err(|e| match e {
                sqlx::Error::Database(db) if db.is_foreign_key_violation() => StoreError::NotFound("group"),
                sqlx::Error::Database(db) if db.is_unique_violation() => {
                    StoreError::Conflict("a group is named twice".into())
                }
                other => other.into(),
            })?;
    }
    Ok(())
}
