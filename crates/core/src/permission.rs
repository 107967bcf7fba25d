//! Who may do what: pure functions over roles, tested table-driven.
//!
//! Handlers call these; they never compare roles inline.

use crate::Role;

/// Something a signed-in user asks to do in the workspace.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Action {
    /// List users and read one.
    ViewUsers,
    /// Create, change and remove users (further limited by [`may_manage_user`]).
    ManageUsers,
    /// List groups and their members.
    ViewGroups,
    /// Create and delete groups, add and remove members.
    ManageGroups,
    /// Read workspace settings (developer-mode policy and its groups).
    ViewWorkspaceSettings,
    /// Change workspace settings.
    ManageWorkspaceSettings,
    /// Create, list and revoke one's own API tokens.
    ManageOwnTokens,
    /// Chat with a model using the connectors one may use.
    Converse,
    /// Export every conversation with its tool calls (compliance).
    ExportConversations,
    /// Read and export the audit trail.
    ReadAudit,
    /// Read the workspace's usage: tokens, turns and tool calls by user, app,
    /// model and day.
    ReadUsage,
}

impl Action {
    pub const ALL: [Action; 11] = [
        Action::ViewUsers,
        Action::ManageUsers,
        Action::ViewGroups,
        Action::ManageGroups,
        Action::ViewWorkspaceSettings,
        Action::ManageWorkspaceSettings,
        Action::ManageOwnTokens,
        Action::Converse,
        Action::ExportConversations,
        Action::ReadAudit,
        Action::ReadUsage,
    ];
}

/// Whether `role` may perform `action` at all.
pub fn permits(role: Role, action: Action) -> bool {
    use Action::*;
    match action {
        ManageOwnTokens | Converse => true,
        ViewUsers | ViewGroups | ViewWorkspaceSettings | ExportConversations | ReadAudit | ReadUsage => {
            matches!(role, Role::Owner | Role::Admin | Role::Auditor)
        }
        ManageUsers | ManageGroups | ManageWorkspaceSettings => role.is_admin(),
    }
}

/// Why a change to a user was refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum UserChangeDenied {
    #[error("your role may not manage users")]
    NotAnAdmin,
    #[error("only an owner may create, change or remove owners and admins")]
    OwnersAndAdminsNeedAnOwner,
    #[error("you cannot change your own role or remove yourself; ask another owner")]
    SelfChange,
}

/// A change one user asks to make to another user's account.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum UserChange {
    /// Create a user with this role.
    Create { role: Role },
    /// Change the role of a user that has `from`.
    ChangeRole { from: Role, to: Role },
    /// Remove a user that has `role`.
    Remove { role: Role },
}

/// Whether `actor` may make `change`; `is_self` says the target is the actor.
///
/// Owners manage everyone but themselves; admins manage members and auditors only
/// (they cannot create admins, promote anyone to admin or owner, or touch an owner or
/// another admin). Nobody changes their own role or removes themselves, so a
/// workspace always keeps at least one owner.
pub fn may_manage_user(actor: Role, change: UserChange, is_self: bool) -> Result<(), UserChangeDenied> {
    if !permits(actor, Action::ManageUsers) {
        return Err(UserChangeDenied::NotAnAdmin);
    }
    if is_self && !matches!(change, UserChange::Create { .. }) {
        return Err(UserChangeDenied::SelfChange);
    }
    let touches_admin_roles = match change {
        UserChange::Create { role } | UserChange::Remove { role } => role.is_admin(),
        UserChange::ChangeRole { from, to } => from.is_admin() || to.is_admin(),
    };
    if touches_admin_roles && actor != Role::Owner {
        return Err(UserChangeDenied::OwnersAndAdminsNeedAnOwner);
    }
    Ok(())
}

/// Whether `actor` may change the account of a user who has `role`: rename them,
/// set their password and, with `to`, give them another role. Each is a change
/// "to a user with this role" ([`may_manage_user`]), except that someone who
/// manages users may rename themselves and set their own password (but never
/// change their own role).
pub fn may_update_user(actor: Role, role: Role, to: Option<Role>, is_self: bool) -> Result<(), UserChangeDenied> {
    if is_self && to.is_none() {
        return if permits(actor, Action::ManageUsers) { Ok(()) } else { Err(UserChangeDenied::NotAnAdmin) };
    }
    may_manage_user(actor, UserChange::ChangeRole { from: role, to: to.unwrap_or(role) }, is_self)
}

/// The roles `actor` may give someone (create with, or change to): those
/// [`may_manage_user`] would allow.
pub fn assignable_roles(actor: Role) -> Vec<Role> {
    Role::ALL.into_iter().filter(|&role| may_manage_user(actor, UserChange::Create { role }, false).is_ok()).collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use Action::*;
    use Role::*;

    /// The whole role × action table, written out so a change to it is a visible diff.
    const TABLE: &[(Action, [bool; 4])] = &[
        //                       owner  admin  member auditor
        (ViewUsers, [true, true, false, true]),
        (ManageUsers, [true, true, false, false]),
        (ViewGroups, [true, true, false, true]),
        (ManageGroups, [true, true, false, false]),
        (ViewWorkspaceSettings, [true, true, false, true]),
        (ManageWorkspaceSettings, [true, true, false, false]),
        (ManageOwnTokens, [true, true, true, true]),
        (Converse, [true, true, true, true]),
        (ExportConversations, [true, true, false, true]),
        (ReadAudit, [true, true, false, true]),
        (ReadUsage, [true, true, false, true]),
    ];

    #[test]
    fn role_by_action_table() {
        assert_eq!(TABLE.len(), Action::ALL.len(), "every action has a row");
        for (action, expected) in TABLE {
            for (role, expect) in [Owner, Admin, Member, Auditor].into_iter().zip(expected) {
                assert_eq!(permits(role, *action), *expect, "{role} {action:?}");
            }
        }
    }

    fn check(actor: Role, change: UserChange, is_self: bool, expect: Result<(), UserChangeDenied>) {
        assert_eq!(may_manage_user(actor, change, is_self), expect, "{actor} {change:?} self={is_self}");
    }

    #[test]
    fn owners_manage_everyone_but_themselves() {
        for role in Role::ALL {
            check(Owner, UserChange::Create { role }, false, Ok(()));
            check(Owner, UserChange::Remove { role }, false, Ok(()));
            for to in Role::ALL {
                check(Owner, UserChange::ChangeRole { from: role, to }, false, Ok(()));
            }
        }
        check(Owner, UserChange::ChangeRole { from: Owner, to: Member }, true, Err(UserChangeDenied::SelfChange));
        check(Owner, UserChange::Remove { role: Owner }, true, Err(UserChangeDenied::SelfChange));
    }

    #[test]
    fn admins_manage_members_and_auditors_only() {
        let denied = Err(UserChangeDenied::OwnersAndAdminsNeedAnOwner);
        check(Admin, UserChange::Create { role: Member }, false, Ok(()));
        check(Admin, UserChange::Create { role: Auditor }, false, Ok(()));
        check(Admin, UserChange::Create { role: Admin }, false, denied);
        check(Admin, UserChange::Create { role: Owner }, false, denied);
        check(Admin, UserChange::ChangeRole { from: Member, to: Auditor }, false, Ok(()));
        check(Admin, UserChange::ChangeRole { from: Member, to: Admin }, false, denied);
        check(Admin, UserChange::ChangeRole { from: Admin, to: Member }, false, denied);
        check(Admin, UserChange::ChangeRole { from: Owner, to: Member }, false, denied);
        check(Admin, UserChange::Remove { role: Member }, false, Ok(()));
        check(Admin, UserChange::Remove { role: Admin }, false, denied);
        check(Admin, UserChange::Remove { role: Owner }, false, denied);
        check(Admin, UserChange::Remove { role: Admin }, true, Err(UserChangeDenied::SelfChange));
    }

    #[test]
    fn updating_a_user_is_a_change_to_their_role() {
        let check = |actor, role, to, is_self, expect: Result<(), UserChangeDenied>| {
            assert_eq!(may_update_user(actor, role, to, is_self), expect, "{actor} {role} to={to:?} self={is_self}");
        };
        // Renaming or setting a password: a change to someone with that role.
        check(Owner, Admin, None, false, Ok(()));
        check(Admin, Member, None, false, Ok(()));
        check(Admin, Admin, None, false, Err(UserChangeDenied::OwnersAndAdminsNeedAnOwner));
        check(Admin, Owner, None, false, Err(UserChangeDenied::OwnersAndAdminsNeedAnOwner));
        // One's own name and password, but never one's own role, even unchanged.
        check(Admin, Admin, None, true, Ok(()));
        check(Owner, Owner, None, true, Ok(()));
        check(Owner, Owner, Some(Owner), true, Err(UserChangeDenied::SelfChange));
        check(Admin, Admin, Some(Member), true, Err(UserChangeDenied::SelfChange));
        // Role changes follow who may manage whom.
        check(Admin, Member, Some(Auditor), false, Ok(()));
        check(Admin, Member, Some(Admin), false, Err(UserChangeDenied::OwnersAndAdminsNeedAnOwner));
        check(Owner, Member, Some(Admin), false, Ok(()));
        for actor in [Member, Auditor] {
            check(actor, Member, None, false, Err(UserChangeDenied::NotAnAdmin));
            check(actor, actor, None, true, Err(UserChangeDenied::NotAnAdmin));
        }
    }

    #[test]
    fn assignable_roles_follow_who_may_manage_whom() {
        assert_eq!(assignable_roles(Owner), Role::ALL.to_vec());
        assert_eq!(assignable_roles(Admin), vec![Member, Auditor]);
        assert_eq!(assignable_roles(Member), vec![]);
        assert_eq!(assignable_roles(Auditor), vec![]);
    }

    #[test]
    fn members_and_auditors_manage_nobody() {
        for actor in [Member, Auditor] {
            for role in Role::ALL {
                check(actor, UserChange::Create { role }, false, Err(UserChangeDenied::NotAnAdmin));
                check(actor, UserChange::Remove { role }, false, Err(UserChangeDenied::NotAnAdmin));
            }
        }
    }
}
