//! Connectors (apps): who may create, see, use, publish and change them.
//!
//! A new connector is a **draft**: visible to its creator while developer mode is
//! in effect for them (labelled `Dev`), and to owners and admins. Creating one
//! needs developer mode in effect, or an admin role; a local command (stdio) needs
//! an owner or admin and the operator's consent at start-up.
//!
//! Owners and admins **publish** a draft to the workspace (labelled `custom`):
//! then everyone it is shared with may see and use it, through its enabled
//! actions only, with or without developer mode, and only owners and admins may
//! change it. Owners and admins see and manage every app.

use serde::{Deserialize, Serialize};

use crate::{GroupId, Role, UserId};

/// Where a connector is in its life.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum ConnectorStatus {
    Draft,
    Published,
}

impl ConnectorStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Draft => "draft",
            Self::Published => "published",
        }
    }

    pub fn parse(text: &str) -> Option<Self> {
        match text {
            "draft" => Some(Self::Draft),
            "published" => Some(Self::Published),
            _ => None,
        }
    }

    /// The label shown beside the name: `Dev` for drafts, `custom` once published.
    pub fn label(self) -> &'static str {
        match self {
            Self::Draft => "Dev",
            Self::Published => "custom",
        }
    }
}

/// Whom a published app is shared with.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct AppAccess {
    /// Everyone in the workspace.
    pub everyone: bool,
    /// Members of these groups (when not everyone).
    pub groups: Vec<GroupId>,
}

impl AppAccess {
    /// Whether someone in `groups` is among those it is shared with.
    pub fn includes(&self, groups: &[GroupId]) -> bool {
        self.everyone || self.groups.iter().any(|g| groups.contains(g))
    }
}

/// The person asking, as far as apps are concerned.
#[derive(Clone, Copy, Debug)]
pub struct Viewer<'a> {
    pub role: Role,
    pub user: UserId,
    /// Whether developer mode is in effect for them (allowed and turned on).
    pub developer_mode: bool,
    pub groups: &'a [GroupId],
}

/// The app asked about.
#[derive(Clone, Copy, Debug)]
pub struct App<'a> {
    pub owner: UserId,
    pub status: ConnectorStatus,
    pub access: &'a AppAccess,
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

/// Why a workspace change to an app was refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum GovernDenied {
    #[error("only owners and admins may publish apps, change published apps or review their changes")]
    NotAnAdmin,
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

/// Whether `viewer` sees `app` and may use it (chat with it, call its enabled
/// actions): owners and admins always; a draft's creator while developer mode is
/// in effect; anyone a published app is shared with.
pub fn may_view(viewer: Viewer<'_>, app: App<'_>) -> bool {
    if viewer.role.is_admin() {
        return true;
    }
    match app.status {
        ConnectorStatus::Draft => viewer.user == app.owner && viewer.developer_mode,
        ConnectorStatus::Published => app.access.includes(viewer.groups),
    }
}

/// Whether `viewer` may work on `app` (toggle actions, refresh, delete, call any
/// action from the playground): whoever sees a draft; owners and admins only once
/// it is published.
pub fn may_manage(viewer: Viewer<'_>, app: App<'_>) -> bool {
    match app.status {
        ConnectorStatus::Draft => may_view(viewer, app),
        ConnectorStatus::Published => viewer.role.is_admin(),
    }
}

/// Whether `role` may publish, unpublish, share, pin and review apps for the
/// workspace.
pub fn may_govern(role: Role) -> Result<(), GovernDenied> {
    if role.is_admin() { Ok(()) } else { Err(GovernDenied::NotAnAdmin) }
}

#[cfg(test)]
mod tests {
    use super::*;
    use ConnectorStatus::*;
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

    /// Every role × developer mode × app state × group membership, for seeing
    /// (and using) and for managing.
    #[test]
    fn who_may_see_use_and_manage() {
        let (me, other) = (UserId::new(), UserId::new());
        let (team, elsewhere) = (GroupId::new(), GroupId::new());
        let nobody = AppAccess::default();
        let everyone = AppAccess { everyone: true, groups: vec![] };
        let team_only = AppAccess { everyone: false, groups: vec![team] };
        // (app state, owner, access, my groups) → expected (view, manage) per role
        // and developer mode, as rows of (Owner, Admin, Member, Auditor) with
        // developer mode off then on.
        type Row<'a> =
            (&'a str, ConnectorStatus, UserId, &'a AppAccess, &'a [GroupId], [(bool, bool); 4], [(bool, bool); 4]);
        let y = (true, true);
        let n = (false, false);
        let see = (true, false);
        let rows: [Row<'_>; 8] = [
            ("my draft", Draft, me, &nobody, &[], [y, y, n, n], [y, y, y, y]),
            ("another's draft", Draft, other, &nobody, &[team], [y, y, n, n], [y, y, n, n]),
            ("published to nobody", Published, other, &nobody, &[team], [y, y, n, n], [y, y, n, n]),
            ("my app published to nobody", Published, me, &nobody, &[], [y, y, n, n], [y, y, n, n]),
            ("published to everyone", Published, other, &everyone, &[], [y, y, see, see], [y, y, see, see]),
            (
                "published to my group",
                Published,
                other,
                &team_only,
                &[elsewhere, team],
                [y, y, see, see],
                [y, y, see, see],
            ),
            ("published to another group", Published, other, &team_only, &[elsewhere], [y, y, n, n], [y, y, n, n]),
            ("published to a group, I am in none", Published, me, &team_only, &[], [y, y, n, n], [y, y, n, n]),
        ];
        for (what, status, owner, access, groups, off, on) in rows {
            for (developer_mode, expected) in [(false, off), (true, on)] {
                for (role, (view, manage)) in [Owner, Admin, Member, Auditor].into_iter().zip(expected) {
                    let viewer = Viewer { role, user: me, developer_mode, groups };
                    let app = App { owner, status, access };
                    assert_eq!(may_view(viewer, app), view, "{what}: {role} dev={developer_mode} view");
                    assert_eq!(may_manage(viewer, app), manage, "{what}: {role} dev={developer_mode} manage");
                }
            }
        }
    }

    #[test]
    fn only_owners_and_admins_govern() {
        for (role, allowed) in [(Owner, true), (Admin, true), (Member, false), (Auditor, false)] {
            assert_eq!(may_govern(role).is_ok(), allowed, "{role}");
        }
    }

    #[test]
    fn labels_and_names() {
        assert_eq!(Draft.label(), "Dev");
        assert_eq!(Published.label(), "custom");
        for status in [Draft, Published] {
            assert_eq!(ConnectorStatus::parse(status.as_str()), Some(status));
        }
        assert_eq!(ConnectorStatus::parse("Published"), None);
    }
}
