//! Workspace settings: the developer-mode policy and the groups it grants, and the
//! default model.

use sqlx::Row;
use switchboard_core::{DeveloperModePolicy, GroupId};

use crate::Store;
use crate::error::{Result, StoreError};
use crate::groups::summary_from_row;
use crate::records::WorkspaceSettings;

impl Store {
    pub async fn workspace_settings(&self) -> Result<WorkspaceSettings> {
        let row = sqlx::query("SELECT developer_mode_policy, default_model FROM workspace WHERE id = 1")
            .fetch_one(&self.pool)
            .await?;
        let policy: String = row.try_get("developer_mode_policy")?;
        let default_model: Option<String> = row.try_get("default_model")?;
        let rows = sqlx::query(
            "SELECT g.id, g.name, g.created_at, \
             (SELECT COUNT(*) FROM group_members m WHERE m.group_id = g.id) AS member_count \
             FROM groups g JOIN developer_mode_groups d ON d.group_id = g.id ORDER BY g.name",
        )
        .fetch_all(&self.pool)
        .await?;
        Ok(WorkspaceSettings {
            developer_mode_policy: policy
                .parse()
                .map_err(|e: switchboard_core::developer_mode::UnknownPolicy| StoreError::Corrupt(e.to_string()))?,
            developer_mode_groups: rows.iter().map(summary_from_row).collect::<Result<_>>()?,
            default_model,
        })
    }

    /// The workspace's default model for new conversations, if it has one.
    pub async fn default_model(&self) -> Result<Option<String>> {
        let row = sqlx::query("SELECT default_model FROM workspace WHERE id = 1").fetch_one(&self.pool).await?;
        Ok(row.try_get("default_model")?)
    }

    /// Set (or, with `None`, clear) the workspace's default model.
    pub async fn set_default_model(&self, model: Option<&str>) -> Result<()> {
        sqlx::query("UPDATE workspace SET default_model = $1 WHERE id = 1").bind(model).execute(&self.pool).await?;
        self.changed().await
    }

    /// Replace the developer-mode policy and its granted groups in one transaction.
    pub async fn set_developer_mode_policy(
        &self,
        policy: DeveloperModePolicy,
        groups: &[GroupId],
    ) -> Result<WorkspaceSettings> {
        let mut tx = self.pool.begin().await?;
        sqlx::query("UPDATE workspace SET developer_mode_policy = $1 WHERE id = 1")
            .bind(policy.as_str())
            .execute(&mut *tx)
            .await?;
        sqlx::query("DELETE FROM developer_mode_groups").execute(&mut *tx).await?;
        for group in groups {
            let exists = sqlx::query("SELECT id FROM groups WHERE id = $1")
                .bind(group.to_string())
                .fetch_optional(&mut *tx)
                .await?;
            if exists.is_none() {
                return Err(StoreError::NotFound("group"));
            }
            sqlx::query("INSERT INTO developer_mode_groups (group_id) VALUES ($1) ON CONFLICT (group_id) DO NOTHING")
                .bind(group.to_string())
                .execute(&mut *tx)
                .await?;
        }
        tx.commit().await?;
        self.changed().await?;
        self.workspace_settings().await
    }
}
