//! Developer mode: who may turn it on, and whether it is on.
//!
//! The workspace policy decides who is *allowed*; each allowed user then turns it on
//! for themselves (Settings → Apps & Connectors → Advanced). It is *active* only
//! when both hold, so tightening the policy switches it off for those it no longer
//! allows without touching their stored preference.

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Serialize};

use crate::{GroupId, Role};

/// The workspace's developer-mode policy.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum DeveloperModePolicy {
    /// Nobody may use developer mode.
    Off,
    /// Owners and admins may.
    Admins,
    /// Owners and admins, plus members of the granted groups.
    Rbac,
}

impl DeveloperModePolicy {
    pub const ALL: [DeveloperModePolicy; 3] = [Self::Off, Self::Admins, Self::Rbac];

    pub fn as_str(self) -> &'static str {
        match self {
            Self::Off => "off",
            Self::Admins => "admins",
            Self::Rbac => "rbac",
        }
    }
}

impl Default for DeveloperModePolicy {
    /// A fresh self-hosted install is usually run by the developer who owns it,
    /// so owners and admins may turn developer mode on without a policy change.
    fn default() -> Self {
        Self::Admins
    }
}

impl fmt::Display for DeveloperModePolicy {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("unknown developer-mode policy {0:?}: expected off, admins or rbac")]
pub struct UnknownPolicy(pub String);

impl FromStr for DeveloperModePolicy {
    type Err = UnknownPolicy;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Self::ALL.into_iter().find(|p| p.as_str() == s).ok_or_else(|| UnknownPolicy(s.to_owned()))
    }
}

/// Whether the policy lets a user with `role`, in `user_groups`, use developer mode.
pub fn is_allowed(
    policy: DeveloperModePolicy,
    granted_groups: &[GroupId],
    role: Role,
    user_groups: &[GroupId],
) -> bool {
    match policy {
        DeveloperModePolicy::Off => false,
        DeveloperModePolicy::Admins => role.is_admin(),
        DeveloperModePolicy::Rbac => role.is_admin() || user_groups.iter().any(|g| granted_groups.contains(g)),
    }
}

/// Whether developer mode is in effect: allowed by policy and turned on by the user.
pub fn is_active(allowed: bool, enabled_by_user: bool) -> bool {
    allowed && enabled_by_user
}

/// Whether a user may set their own toggle to `enable`. Turning it off is always allowed.
pub fn may_toggle(allowed: bool, enable: bool) -> bool {
    allowed || !enable
}

#[cfg(test)]
mod tests {
    use super::*;
    use DeveloperModePolicy::*;
    use Role::*;

    #[test]
    fn policy_by_role_table() {
        let granted = GroupId::new();
        let other = GroupId::new();
        // (policy, role, in granted group, expected)
        let table = [
            (Off, Owner, true, false),
            (Off, Admin, true, false),
            (Off, Member, true, false),
            (Off, Auditor, true, false),
            (Admins, Owner, false, true),
            (Admins, Admin, false, true),
            (Admins, Member, true, false),
            (Admins, Auditor, true, false),
            (Rbac, Owner, false, true),
            (Rbac, Admin, false, true),
            (Rbac, Member, true, true),
            (Rbac, Member, false, false),
            (Rbac, Auditor, true, true),
            (Rbac, Auditor, false, false),
        ];
        for (policy, role, in_group, expect) in table {
            let groups = if in_group { vec![other, granted] } else { vec![other] };
            assert_eq!(is_allowed(policy, &[granted], role, &groups), expect, "{policy} {role} in_group={in_group}");
        }
    }

    #[test]
    fn active_needs_both_policy_and_toggle() {
        assert!(is_active(true, true));
        assert!(!is_active(true, false));
        assert!(!is_active(false, true));
        assert!(!is_active(false, false));
    }

    #[test]
    fn turning_off_is_always_allowed() {
        assert!(may_toggle(false, false));
        assert!(!may_toggle(false, true));
        assert!(may_toggle(true, true));
    }

    #[test]
    fn policies_parse_from_their_names() {
        for p in DeveloperModePolicy::ALL {
            assert_eq!(p.as_str().parse(), Ok(p));
        }
        assert!("on".parse::<DeveloperModePolicy>().is_err());
    }
}
