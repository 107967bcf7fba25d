//! The signed-in user.

pub(crate) mod change_password;
pub(crate) mod get_me;
pub(crate) mod set_developer_mode;
pub(crate) mod update_me;

use switchboard_store::User;

use crate::error::AppError;
use crate::state::AppState;
use crate::views::{DeveloperModeView, GroupRef, MeView};

/// The user as they see themselves: their groups and whether developer mode applies.
pub(crate) async fn me_view(state: &AppState, user: &User) -> Result<MeView, AppError> {
    let standing = state.services.access().standing(user).await?;
    let (groups, developer_mode) = (&standing.groups, standing.developer_mode);
    Ok(MeView {
        id: user.id.as_uuid(),
        email: user.email.to_string(),
        name: user.name.clone(),
        role: user.role.into(),
        groups: groups.iter().map(GroupRef::from).collect(),
        developer_mode: DeveloperModeView {
            enabled: developer_mode.enabled,
            allowed: developer_mode.allowed,
            active: developer_mode.active,
            policy: developer_mode.policy.into(),
        },
    })
}
