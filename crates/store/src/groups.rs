//! Groups and their members.

use sqlx::Row;
use sqlx::any::AnyRow;
use switchboard_core::{Email, GroupId, UserId};

use crate::Store;
use crate::error::{Result, StoreError};
use crate::records::{Group, GroupMember, GroupSummary};
use crate::time_ms::{from_ms, now, to_ms};

const SUMMARY: &str = "SELECT g.id, g.name, g.created_at, \
     (SELECT COUNT(*) FROM group_members m WHERE m.group_id = g.id) AS member_count FROM groups g";

pub(crate) fn summary_from_row(row: &AnyRow) -> Result<GroupSummary> {
    let id: String = row.try_get("id")?;
    Ok(GroupSummary {
        id: id.parse().map_err(|_| StoreError::Corrupt(format!("group id {id:?}")))?,
        name: row.try_get("name")?,
        member_count: row.try_get("member_count")?,
        created_at: from_ms(row.try_get("created_at")?)?,
    })
}

impl Store {
    pub async fn create_group(&self, name: &str) -> Result<GroupSummary> {
        let id = GroupId::new();
        let created_at = now();
        sqlx::query("INSERT INTO groups (id, name, created_at) VALUES ($1, $2, $3)")
            .bind(id.to_string())
            .bind(name)
            .bind(to_ms(created_at))
            .execute(&self.pool)
            .await
            .map_err(|e| StoreError::unique(e, format!("a group named {name:?} already exists")))?;
        Ok(GroupSummary { id, name: name.to_owned(), member_count: 0, created_at })
    }

    pub async fn list_groups(&self) -> Result<Vec<GroupSummary>> {
        let sql = format!("{SUMMARY} ORDER BY g.name");
        let rows = sqlx::query(&sql).fetch_all(&self.pool).await?;
        rows.iter().map(summary_from_row).collect()
    }

    /// The groups a user belongs to.
    pub async fn groups_of_user(&self, user: UserId) -> Result<Vec<GroupSummary>> {
        let sql =
            format!("{SUMMARY} WHERE g.id IN (SELECT group_id FROM group_members WHERE user_id = $1) ORDER BY g.name");
        let rows = sqlx::query(&sql).bind(user.to_string()).fetch_all(&self.pool).await?;
        rows.iter().map(summary_from_row).collect()
    }

    pub async fn group(&self, id: GroupId) -> Result<Group> {
        let sql = format!("{SUMMARY} WHERE g.id = $1");
        let row = sqlx::query(&sql)
            .bind(id.to_string())
            .fetch_optional(&self.pool)
            .await?
            .ok_or(StoreError::NotFound("group"))?;
        let summary = summary_from_row(&row)?;
        let rows = sqlx::query(
            "SELECT u.id, u.email, u.name, m.added_at FROM group_members m \
             JOIN users u ON u.id = m.user_id WHERE m.group_id = $1 ORDER BY u.email",
        )
        .bind(id.to_string())
        .fetch_all(&self.pool)
        .await?;
        let members = rows
            .iter()
            .map(|row| {
                let user_id: String = row.try_get("id")?;
                let email: String = row.try_get("email")?;
                Ok(GroupMember {
                    user_id: user_id.parse().map_err(|_| StoreError::Corrupt(format!("user id {user_id:?}")))?,
                    email: Email::parse(&email).map_err(|e| StoreError::Corrupt(e.to_string()))?,
                    name: row.try_get("name")?,
                    added_at: from_ms(row.try_get("added_at")?)?,
                })
            })
            .collect::<Result<Vec<_>>>()?;
        Ok(Group { id: summary.id, name: summary.name, created_at: summary.created_at, members })
    }

    pub async fn delete_group(&self, id: GroupId) -> Result<()> {
        let done = sqlx::query("DELETE FROM groups WHERE id = $1").bind(id.to_string()).execute(&self.pool).await?;
        if done.rows_affected() == 0 {
            return Err(StoreError::NotFound("group"));
        }
        self.changed().await
    }

    pub async fn add_group_member(&self, group: GroupId, user: UserId) -> Result<()> {
        // Check both exist first, so the caller learns which one is missing.
        self.group_exists(group).await?;
        self.user(user).await?;
        sqlx::query("INSERT INTO group_members (group_id, user_id, added_at) VALUES ($1, $2, $3)")
            .bind(group.to_string())
            .bind(user.to_string())
            .bind(to_ms(now()))
            .execute(&self.pool)
            .await
            .map_err(|e| match &e {
                sqlx::Error::Database(db) if db.is_foreign_key_violation() => StoreError::NotFound("group or user"),
                _ => StoreError::unique(e, "the user is already a member of this group"),
            })?;
        self.changed().await
    }

    pub async fn remove_group_member(&self, group: GroupId, user: UserId) -> Result<()> {
        let done = sqlx::query("DELETE FROM group_members WHERE group_id = $1 AND user_id = $2")
            .bind(group.to_string())
            .bind(user.to_string())
            .execute(&self.pool)
            .await?;
        if done.rows_affected() == 0 {
            return Err(StoreError::NotFound("group member"));
        }
        self.changed().await
    }

    async fn group_exists(&self, id: GroupId) -> Result<()> {
        sqlx::query("SELECT id FROM groups WHERE id = $1")
            .bind(id.to_string())
            .fetch_optional(&self.pool)
            .await?
            .map(|_| ())
            .ok_or(StoreError::NotFound("group"))
    }
}
