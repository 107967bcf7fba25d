//! Workspace settings.

pub(crate) mod get_workspace_settings;
pub(crate) mod list_pending_changes;
pub(crate) mod update_workspace_settings;

use switchboard_core::network::NetworkPolicy;
use switchboard_store::WorkspaceSettings;

use crate::views::{ConversationSettings, DeveloperModeSettingsView, GroupRef, WorkspaceSettingsView};

impl WorkspaceSettingsView {
    pub(crate) fn new(s: &WorkspaceSettings, network: NetworkPolicy) -> Self {
        Self {
            developer_mode: DeveloperModeSettingsView {
                policy: s.developer_mode_policy.into(),
                groups: s.developer_mode_groups.iter().map(GroupRef::from).collect(),
            },
            network: network.into(),
            conversations: ConversationSettings { default_model: s.default_model.clone() },
        }
    }
}
