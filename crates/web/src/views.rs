//! The JSON shapes of the API: what handlers return and accept.
//!
//! Domain types from `core` and `store` are mapped here, so a change of a stored
//! field never changes the API by accident.

use serde::{Deserialize, Serialize};
use switchboard_core::network::NetworkPolicy;
use switchboard_core::{DeveloperModePolicy, Role, SecretString};
use switchboard_store::{ApiToken, Group, GroupMember, GroupSummary, User};
use time::OffsetDateTime;
use utoipa::ToSchema;
use uuid::Uuid;

/// A workspace role.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "lowercase")]
#[schema(as = Role)]
pub(crate) enum RoleName {
    Owner,
    Admin,
    Member,
    Auditor,
}

impl From<Role> for RoleName {
    fn from(r: Role) -> Self {
        match r {
            Role::Owner => Self::Owner,
            Role::Admin => Self::Admin,
            Role::Member => Self::Member,
            Role::Auditor => Self::Auditor,
        }
    }
}

impl From<RoleName> for Role {
    fn from(r: RoleName) -> Self {
        match r {
            RoleName::Owner => Self::Owner,
            RoleName::Admin => Self::Admin,
            RoleName::Member => Self::Member,
            RoleName::Auditor => Self::Auditor,
        }
    }
}

/// Who may use developer mode: nobody, owners and admins, or admins plus granted groups.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "lowercase")]
#[schema(as = DeveloperModePolicy)]
pub(crate) enum PolicyName {
    Off,
    Admins,
    Rbac,
}

impl From<DeveloperModePolicy> for PolicyName {
    fn from(p: DeveloperModePolicy) -> Self {
        match p {
            DeveloperModePolicy::Off => Self::Off,
            DeveloperModePolicy::Admins => Self::Admins,
            DeveloperModePolicy::Rbac => Self::Rbac,
        }
    }
}

impl From<PolicyName> for DeveloperModePolicy {
    fn from(p: PolicyName) -> Self {
        match p {
            PolicyName::Off => Self::Off,
            PolicyName::Admins => Self::Admins,
            PolicyName::Rbac => Self::Rbac,
        }
    }
}

#[derive(Debug, Serialize, ToSchema)]
pub(crate) struct UserView {
    pub(crate) id: Uuid,
    pub(crate) email: String,
    pub(crate) name: String,
    pub(crate) role: RoleName,
    /// The user's own developer-mode toggle.
    pub(crate) developer_mode_enabled: bool,
    /// False for users who sign in only through single sign-on.
    pub(crate) has_password: bool,
    #[serde(with = "time::serde::rfc3339")]
    #[schema(value_type = String, format = DateTime)]
    pub(crate) created_at: OffsetDateTime,
}

impl From<&User> for UserView {
    fn from(u: &User) -> Self {
        Self {
            id: u.id.as_uuid(),
            email: u.email.to_string(),
            name: u.name.clone(),
            role: u.role.into(),
            developer_mode_enabled: u.developer_mode,
            has_password: u.has_password,
            created_at: u.created_at,
        }
    }
}

#[derive(Debug, Serialize, ToSchema)]
pub(crate) struct GroupRef {
    pub(crate) id: Uuid,
    pub(crate) name: String,
}

impl From<&GroupSummary> for GroupRef {
    fn from(g: &GroupSummary) -> Self {
        Self { id: g.id.as_uuid(), name: g.name.clone() }
    }
}

/// Developer mode as it applies to one user.
#[derive(Debug, Serialize, ToSchema)]
pub(crate) struct DeveloperModeView {
    /// The user's own toggle.
    pub(crate) enabled: bool,
    /// Whether the workspace policy lets this user use developer mode.
    pub(crate) allowed: bool,
    /// Both of the above: developer mode is in effect.
    pub(crate) active: bool,
    pub(crate) policy: PolicyName,
}

/// The signed-in user.
#[derive(Debug, Serialize, ToSchema)]
pub(crate) struct MeView {
    pub(crate) id: Uuid,
    pub(crate) email: String,
    pub(crate) name: String,
    pub(crate) role: RoleName,
    pub(crate) groups: Vec<GroupRef>,
    pub(crate) developer_mode: DeveloperModeView,
}

#[derive(Debug, Serialize, ToSchema)]
pub(crate) struct GroupView {
    pub(crate) id: Uuid,
    pub(crate) name: String,
    pub(crate) member_count: i64,
    #[serde(with = "time::serde::rfc3339")]
    #[schema(value_type = String, format = DateTime)]
    pub(crate) created_at: OffsetDateTime,
}

impl From<&GroupSummary> for GroupView {
    fn from(g: &GroupSummary) -> Self {
        Self { id: g.id.as_uuid(), name: g.name.clone(), member_count: g.member_count, created_at: g.created_at }
    }
}

#[derive(Debug, Serialize, ToSchema)]
pub(crate) struct MemberView {
    pub(crate) user_id: Uuid,
    pub(crate) email: String,
    pub(crate) name: String,
    #[serde(with = "time::serde::rfc3339")]
    #[schema(value_type = String, format = DateTime)]
    pub(crate) added_at: OffsetDateTime,
}

impl From<&GroupMember> for MemberView {
    fn from(m: &GroupMember) -> Self {
        Self { user_id: m.user_id.as_uuid(), email: m.email.to_string(), name: m.name.clone(), added_at: m.added_at }
    }
}

#[derive(Debug, Serialize, ToSchema)]
pub(crate) struct GroupDetailView {
    pub(crate) id: Uuid,
    pub(crate) name: String,
    #[serde(with = "time::serde::rfc3339")]
    #[schema(value_type = String, format = DateTime)]
    pub(crate) created_at: OffsetDateTime,
    pub(crate) members: Vec<MemberView>,
}

impl From<&Group> for GroupDetailView {
    fn from(g: &Group) -> Self {
        Self {
            id: g.id.as_uuid(),
            name: g.name.clone(),
            created_at: g.created_at,
            members: g.members.iter().map(MemberView::from).collect(),
        }
    }
}

/// A personal API token as listed: never the token itself.
#[derive(Debug, Serialize, ToSchema)]
pub(crate) struct TokenView {
    pub(crate) id: Uuid,
    pub(crate) name: String,
    /// The token's last four characters.
    pub(crate) hint: String,
    #[serde(with = "time::serde::rfc3339")]
    #[schema(value_type = String, format = DateTime)]
    pub(crate) created_at: OffsetDateTime,
    #[serde(with = "time::serde::rfc3339::option")]
    #[schema(value_type = Option<String>, format = DateTime)]
    pub(crate) expires_at: Option<OffsetDateTime>,
    #[serde(with = "time::serde::rfc3339::option")]
    #[schema(value_type = Option<String>, format = DateTime)]
    pub(crate) last_used_at: Option<OffsetDateTime>,
}

impl From<&ApiToken> for TokenView {
    fn from(t: &ApiToken) -> Self {
        Self {
            id: t.id.as_uuid(),
            name: t.name.clone(),
            hint: t.hint.clone(),
            created_at: t.created_at,
            expires_at: t.expires_at,
            last_used_at: t.last_used_at,
        }
    }
}

/// A token just created: the only time `token` is shown.
#[derive(Debug, Serialize, ToSchema)]
pub(crate) struct CreatedTokenView {
    /// Send as `Authorization: Bearer <token>`. Shown once; only its digest is stored.
    pub(crate) token: String,
    #[serde(flatten)]
    pub(crate) info: TokenView,
}

#[derive(Debug, Serialize, ToSchema)]
pub(crate) struct DeveloperModeSettingsView {
    pub(crate) policy: PolicyName,
    /// Groups whose members may use developer mode under the `rbac` policy.
    pub(crate) groups: Vec<GroupRef>,
}

/// Which addresses connectors may reach (the SSRF policy). Public addresses are
/// always allowed; the check runs on the address actually connected to.
#[derive(Clone, Copy, Debug, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct NetworkSettings {
    /// Loopback (127.0.0.0/8, ::1) and private ranges (RFC 1918, 100.64.0.0/10,
    /// IPv6 unique-local): MCP servers on this machine or the local network.
    /// `true` on a fresh install.
    pub(crate) allow_private: bool,
    /// Link-local ranges (169.254.0.0/16, fe80::/10). `false` on a fresh install.
    pub(crate) allow_link_local: bool,
    /// Cloud instance-metadata endpoints (169.254.169.254, fd00:ec2::254, …), which
    /// hand out the host's credentials. `false` on a fresh install.
    pub(crate) allow_cloud_metadata: bool,
}

impl From<NetworkPolicy> for NetworkSettings {
    fn from(p: NetworkPolicy) -> Self {
        Self {
            allow_private: p.allow_private,
            allow_link_local: p.allow_link_local,
            allow_cloud_metadata: p.allow_cloud_metadata,
        }
    }
}

impl From<NetworkSettings> for NetworkPolicy {
    fn from(s: NetworkSettings) -> Self {
        Self {
            allow_private: s.allow_private,
            allow_link_local: s.allow_link_local,
            allow_cloud_metadata: s.allow_cloud_metadata,
        }
    }
}

#[derive(Debug, Serialize, ToSchema)]
pub(crate) struct WorkspaceSettingsView {
    pub(crate) developer_mode: DeveloperModeSettingsView,
    pub(crate) network: NetworkSettings,
    pub(crate) conversations: ConversationSettings,
}

/// Settings of conversations.
#[derive(Debug, Deserialize, Serialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct ConversationSettings {
    /// `provider/model` used when a conversation names none; `null`: the server's
    /// configured default (`SWITCHBOARD_MODEL`). It must name a configured provider's model.
    pub(crate) default_model: Option<String>,
}

/// A signed-in session.
#[derive(Debug, Serialize, ToSchema)]
pub(crate) struct SessionView {
    pub(crate) user: UserView,
    /// Send as `X-CSRF-Token` on every state-changing request made with the session cookie.
    pub(crate) csrf_token: String,
}

#[derive(Debug, Serialize, ToSchema)]
pub(crate) struct StatusView {
    pub(crate) status: &'static str,
}

// ---- requests ----

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct SetupRequest {
    /// The one-time token printed by `switchboard serve`.
    #[schema(value_type = String, format = Password)]
    pub(crate) token: SecretString,
    pub(crate) email: String,
    pub(crate) name: String,
    #[schema(value_type = String, format = Password)]
    pub(crate) password: SecretString,
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct SignInRequest {
    pub(crate) email: String,
    #[schema(value_type = String, format = Password)]
    pub(crate) password: SecretString,
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct DeveloperModeRequest {
    pub(crate) enabled: bool,
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct CreateTokenRequest {
    /// What the token is for, e.g. "laptop CLI".
    pub(crate) name: String,
    /// Days until it expires; omitted means it never expires.
    #[schema(minimum = 1, maximum = 3650)]
    pub(crate) expires_in_days: Option<u32>,
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct CreateUserRequest {
    pub(crate) email: String,
    pub(crate) name: String,
    pub(crate) role: RoleName,
    /// Omit for users who will sign in through single sign-on.
    #[schema(value_type = Option<String>, format = Password)]
    pub(crate) password: Option<SecretString>,
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct UpdateUserRequest {
    pub(crate) name: Option<String>,
    pub(crate) role: Option<RoleName>,
    /// Set a new password. Resetting someone else's ends their browser sessions.
    #[schema(value_type = Option<String>, format = Password)]
    pub(crate) password: Option<SecretString>,
    /// With `password`, when resetting someone else's: also revoke every personal
    /// API token of theirs, in the same transaction (default `true`).
    pub(crate) revoke_tokens: Option<bool>,
}

/// What a person may change about themselves (Settings → Account).
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct UpdateMeRequest {
    /// The display name shown to others (1–100 characters).
    pub(crate) name: String,
}

/// A person's own password change: the current one proves it is them.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct ChangePasswordRequest {
    #[schema(value_type = String, format = Password)]
    pub(crate) current: SecretString,
    /// At least 10 characters, as everywhere.
    #[schema(value_type = String, format = Password)]
    pub(crate) new: SecretString,
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct CreateGroupRequest {
    pub(crate) name: String,
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct AddMemberRequest {
    pub(crate) email: String,
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct DeveloperModeSettingsRequest {
    pub(crate) policy: PolicyName,
    /// Group ids granted developer mode under `rbac` (ignored by other policies, but kept).
    #[serde(default)]
    pub(crate) groups: Vec<Uuid>,
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct UpdateWorkspaceSettingsRequest {
    /// Replace the developer-mode policy and its groups; omit to leave them as they are.
    pub(crate) developer_mode: Option<DeveloperModeSettingsRequest>,
    /// Replace the network policy (all three switches); omit to leave it as it is.
    pub(crate) network: Option<NetworkSettings>,
    /// Set the default model (`null` clears it); omit to leave it as it is.
    pub(crate) conversations: Option<ConversationSettings>,
}

/// A display name called `what`: trimmed, 1 to `max` characters, no control
/// characters (`core::name`'s rule); a 422 saying which part is broken.
pub(crate) fn parse_name(raw: &str, what: &'static str, max: usize) -> Result<String, crate::error::AppError> {
    switchboard_core::name::display_name(raw, what, max).map_err(|e| crate::error::AppError::invalid(e.to_string()))
}
