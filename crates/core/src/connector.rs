//! Connectors: who may create, see and change them.
//!
//! A new connector is a **draft**: visible to its creator (labelled `Dev`) and to
//! owners and admins. Creating one needs developer mode in effect, or an admin
//! role; a local command (stdio) needs an owner or admin and the operator's
//! consent at start-up.

use serde::{Deserialize, Serialize};

use crate::{Role, UserId};

/// Where a connector is in its life.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum ConnectorStatus {
    Draft,
}

impl ConnectorStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Draft => "draft",
        }
    }

    /// The label shown beside the name (`Dev` for drafts).
    pub fn label(self) -> &'static str {
        match self {
            Self::Draft => "Dev",
        }
    }
}

/// Why a connector may not be created.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum CreateDenied {
    #[error("creating apps needs developer mode: turn it on in Settings → Apps & Connectors → Advanced")]
    NeedsDeveloperMode,
    #[error("local commands are turned off on this server; the operator enables them with --allow-local-commands")]
    LocalCommandsDisabled,
    #[error("only owners and admins may add local commands")]
    LocalCommandsNeedAnAdmin,
}

/// Whether a user may create a connector (of a local command, when `local`).
pub fn may_create(
    role: Role,
    developer_mode_active: bool,
    local: bool,
    local_commands_enabled: bool,
) -> Result<(), CreateDenied> {
    if !(developer_mode_active || role.is_admin()) {
        return Err(CreateDenied::NeedsDeveloperMode);
    }
    if local && !local_commands_enabled {
        return Err(CreateDenied::LocalCommandsDisabled);
    }
    if local && !role.is_admin() {
        return Err(CreateDenied::LocalCommandsNeedAnAdmin);
    }
    Ok(())
}

/// Whether a user sees a connector: drafts are for their creator and admins.
/// The creator sees their drafts only while developer mode is in effect.
pub fn may_view(role: Role, user: UserId, developer_mode_active: bool, owner: UserId, status: ConnectorStatus) -> bool {
    match status {
        ConnectorStatus::Draft => role.is_admin() || (user == owner && developer_mode_active),
    }
}

/// Whether a user may change a connector (toggle tools, refresh, call it from the
/// playground, delete it): whoever may see a draft may work on it.
pub fn may_manage(
    role: Role,
    user: UserId,
    developer_mode_active: bool,
    owner: UserId,
    status: ConnectorStatus,
) -> bool {
    may_view(role, user, developer_mode_active, owner, status)
}

#[cfg(test)]
mod tests {
    use super::*;
    use Role::*;

    #[test]
    fn who_may_create() {
        // (role, developer mode, local, local enabled, expected)
        let table = [
            (Member, true, false, false, Ok(())),
            (Member, false, false, false, Err(CreateDenied::NeedsDeveloperMode)),
            (Auditor, false, false, false, Err(CreateDenied::NeedsDeveloperMode)),
            (Admin, false, false, false, Ok(())),
            (Owner, false, false, false, Ok(())),
            (Member, true, true, true, Err(CreateDenied::LocalCommandsNeedAnAdmin)),
            (Admin, false, true, false, Err(CreateDenied::LocalCommandsDisabled)),
            (Admin, false, true, true, Ok(())),
            (Owner, true, true, true, Ok(())),
        ];
        for (role, dev, local, enabled, expect) in table {
            assert_eq!(
                may_create(role, dev, local, enabled),
                expect,
                "{role} dev={dev} local={local} enabled={enabled}"
            );
        }
    }

    #[test]
    fn drafts_are_for_their_creator_and_admins() {
        let (me, other) = (UserId::new(), UserId::new());
        let draft = ConnectorStatus::Draft;
        assert!(may_view(Member, me, true, me, draft));
        assert!(!may_view(Member, me, false, me, draft), "developer mode off hides one's drafts");
        assert!(!may_view(Member, me, true, other, draft));
        assert!(!may_view(Auditor, me, true, other, draft));
        assert!(may_view(Admin, me, false, other, draft));
        assert!(may_view(Owner, me, false, other, draft));
        assert_eq!(may_manage(Member, me, true, other, draft), may_view(Member, me, true, other, draft));
        assert_eq!(draft.label(), "Dev");
    }
}
