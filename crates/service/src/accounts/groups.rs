//! Groups of users: admins manage them and their members, auditors read them.

use serde_json::json;
use switchboard_core::name::group_name;
use switchboard_core::permission::Action;
use switchboard_core::{AuditKind, GroupId, UserId};
use switchboard_store::{Group, GroupSummary, User};

use super::{Accounts, parse_email};
use crate::error::{Result, ServiceError};
use crate::policy::require;

impl Accounts {
    /// Every group, with its member count.
    pub async fn groups(&self, actor: &User) -> Result<Vec<GroupSummary>> {
        require(actor, Action::ViewGroups)?;
        Ok(self.store.list_groups().await?)
    }

    /// One group with its members; `id` as the caller received it.
    pub async fn group(&self, actor: &User, id: &str) -> Result<Group> {
        require(actor, Action::ViewGroups)?;
        Ok(self.store.group(group_id(id)?).await?)
    }

    /// Every group with its members.
    pub async fn groups_with_members(&self, actor: &User) -> Result<Vec<Group>> {
        require(actor, Action::ViewGroups)?;
        let mut groups = vec![];
        for summary in self.store.list_groups().await? {
            groups.push(self.store.group(summary.id).await?);
        }
        Ok(groups)
    }

    /// The names of the groups among `ids` that exist, whoever asks: for saying
    /// whom something the asker may already see is shared with.
    pub async fn group_names(&self, ids: &[GroupId]) -> Result<Vec<String>> {
        let groups = self.store.list_groups().await?;
        Ok(groups.into_iter().filter(|g| ids.contains(&g.id)).map(|g| g.name).collect())
    }

    pub async fn create_group(&self, actor: &User, name: &str) -> Result<GroupSummary> {
        require(actor, Action::ManageGroups)?;
        let name = group_name(name).map_err(ServiceError::invalid)?;
        let group = self.store.create_group(&name).await?;
        tracing::info!(actor = %actor.id, group = %group.id, "group created");
        self.record(actor, AuditKind::GroupCreated, json!({"group": {"id": group.id, "name": group.name}})).await?;
        Ok(group)
    }

    /// Delete a group; its memberships and grants go with it.
    pub async fn delete_group(&self, actor: &User, id: &str) -> Result<()> {
        require(actor, Action::ManageGroups)?;
        let id = group_id(id)?;
        let group = self.store.group(id).await?;
        self.store.delete_group(id).await?;
        tracing::info!(actor = %actor.id, group = %id, "group deleted");
        let members: Vec<String> = group.members.iter().map(|m| m.email.to_string()).collect();
        let detail = json!({"group": {"id": id, "name": group.name}, "members": members});
        self.record(actor, AuditKind::GroupDeleted, detail).await
    }

    /// Add a user, by email, to a group; the group as it is now.
    pub async fn add_group_member(&self, actor: &User, id: &str, email: &str) -> Result<Group> {
        require(actor, Action::ManageGroups)?;
        let id = group_id(id)?;
        let email = parse_email(email)?;
        let user = self
            .store
            .user_by_email(&email)
            .await?
            .ok_or_else(|| ServiceError::NotFound(format!("no user with email {email}; add the user first")))?;
        self.store.add_group_member(id, user.id).await?;
        tracing::info!(actor = %actor.id, group = %id, user = %user.id, "group member added");
        let group = self.store.group(id).await?;
        let detail =
            json!({"group": {"id": id, "name": group.name}, "user": {"id": user.id, "email": user.email.as_str()}});
        self.record(actor, AuditKind::GroupMemberAdded, detail).await?;
        Ok(group)
    }

    /// Remove a user from a group; both ids as the caller received them.
    pub async fn remove_group_member(&self, actor: &User, id: &str, user_id: &str) -> Result<()> {
        require(actor, Action::ManageGroups)?;
        let id = group_id(id)?;
        let user_id: UserId = user_id.parse().map_err(|_| ServiceError::not_found("group member"))?;
        self.store.remove_group_member(id, user_id).await?;
        tracing::info!(actor = %actor.id, group = %id, user = %user_id, "group member removed");
        // Names for the record, when they are still there to read.
        let group = self.store.group(id).await.ok().map(|g| g.name);
        let email = self.store.user(user_id).await.ok().map(|u| u.email.to_string());
        let detail = json!({"group": {"id": id, "name": group}, "user": {"id": user_id, "email": email}});
        self.record(actor, AuditKind::GroupMemberRemoved, detail).await
    }
}

/// A group id from a URL: a malformed one names no group, so it is "not found".
fn group_id(raw: &str) -> Result<GroupId> {
    raw.parse().map_err(|_| ServiceError::not_found("group"))
}
