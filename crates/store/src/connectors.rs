//! Connectors and their tool catalogs.

use sqlx::Row;
use sqlx::any::AnyRow;
use switchboard_core::ConnectorId;
use switchboard_core::catalog::Tool;
use switchboard_core::connector::ConnectorStatus;
use switchboard_core::network::NetworkPolicy;

use crate::Store;
use crate::audit::append_in;
use crate::error::{Result, StoreError};
use crate::records::{AuditEvent, Connector, ConnectorTool, NewConnector};
use crate::time_ms::{from_ms, now, to_ms};

const COLUMNS: &str = "id, owner_id, name, description, url, command, transport, auth_mode, status, \
                       protocol_version, used_transport, server_info, created_at, refreshed_at";

fn connector_from_row(row: &AnyRow) -> Result<Connector> {
    let id: String = row.try_get("id")?;
    let owner: String = row.try_get("owner_id")?;
    let status: String = row.try_get("status")?;
    let server_info: String = row.try_get("server_info")?;
    let command: Option<String> = row.try_get("command")?;
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
        status: match status.as_str() {
            "draft" => ConnectorStatus::Draft,
            other => return Err(StoreError::corrupt("connector status", other)),
        },
        protocol_version: row.try_get("protocol_version")?,
        used_transport: row.try_get("used_transport")?,
        server_info: serde_json::from_str(&server_info).map_err(|e| StoreError::corrupt("server info", e))?,
        created_at: from_ms(row.try_get("created_at")?)?,
        refreshed_at: from_ms(row.try_get("refreshed_at")?)?,
    })
}

fn tool_from_row(row: &AnyRow) -> Result<ConnectorTool> {
    let definition: String = row.try_get("definition")?;
    Ok(ConnectorTool {
        tool: serde_json::from_str(&definition).map_err(|e| StoreError::corrupt("tool definition", e))?,
        enabled: row.try_get::<i64, _>("enabled")? != 0,
    })
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
        insert_tools(&mut tx, id, tools, &[]).await?;
        append_in(&mut tx, &[audit(id)]).await?;
        tx.commit().await?;
        self.changed().await?;
        self.connector(id).await
    }

    pub async fn connector(&self, id: ConnectorId) -> Result<Connector> {
        let sql = format!("SELECT {COLUMNS} FROM connectors WHERE id = $1");
        let row = sqlx::query(&sql).bind(id.to_string()).fetch_optional(&self.pool).await?;
        connector_from_row(&row.ok_or(StoreError::NotFound("connector"))?)
    }

    /// Every connector, newest first; callers filter by what the user may see.
    pub async fn list_connectors(&self) -> Result<Vec<Connector>> {
        let sql = format!("SELECT {COLUMNS} FROM connectors ORDER BY created_at DESC, name");
        let rows = sqlx::query(&sql).fetch_all(&self.pool).await?;
        rows.iter().map(connector_from_row).collect()
    }

    /// The catalog in the order the server listed it.
    pub async fn connector_tools(&self, id: ConnectorId) -> Result<Vec<ConnectorTool>> {
        let rows =
            sqlx::query("SELECT definition, enabled FROM connector_tools WHERE connector_id = $1 ORDER BY position")
                .bind(id.to_string())
                .fetch_all(&self.pool)
                .await?;
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
        let row = sqlx::query("SELECT definition, enabled FROM connector_tools WHERE connector_id = $1 AND name = $2")
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
        if done.rows_affected() == 0 {
            tx.rollback().await?;
            return Err(StoreError::NotFound("tool"));
        }
        append_in(&mut tx, std::slice::from_ref(audit)).await?;
        tx.commit().await?;
        self.changed().await?;
        let row = sqlx::query("SELECT definition, enabled FROM connector_tools WHERE connector_id = $1 AND name = $2")
            .bind(id.to_string())
            .bind(name)
            .fetch_one(&self.pool)
            .await?;
        tool_from_row(&row)
    }

    /// Replace a draft's catalog with a fresh listing, with its audit entry, in
    /// one transaction. Tools that stay keep their on/off choice; new tools arrive
    /// enabled.
    pub async fn replace_tools(
        &self,
        id: ConnectorId,
        tools: &[Tool],
        protocol_version: &str,
        audit: &AuditEvent,
    ) -> Result<()> {
        let previous = self.connector_tools(id).await?;
        let disabled: Vec<&str> = previous.iter().filter(|t| !t.enabled).map(|t| t.tool.name.as_str()).collect();
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
        insert_tools(&mut tx, id, tools, &disabled).await?;
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

async fn insert_tools(
    tx: &mut sqlx::Transaction<'static, sqlx::Any>,
    id: ConnectorId,
    tools: &[Tool],
    disabled: &[&str],
) -> Result<()> {
    for (position, tool) in tools.iter().enumerate() {
        let definition = serde_json::to_string(tool).map_err(|e| StoreError::corrupt("tool definition", e))?;
        sqlx::query("INSERT INTO connector_tools (connector_id, name, position, definition, enabled) VALUES ($1, $2, $3, $4, $5)")
            .bind(id.to_string())
            .bind(&tool.name)
            .bind(position as i64)
            .bind(definition)
            .bind(i64::from(!disabled.contains(&tool.name.as_str())))
            .execute(&mut **tx)
            .await
            .map_err(|e| StoreError::unique(e, format!("the server listed the tool {:?} twice", tool.name)))?;
    }
    Ok(())
}
