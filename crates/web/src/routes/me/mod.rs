//! The signed-in user.

pub(crate) mod get_me;
pub(crate) mod set_developer_mode;

use switchboard_core::developer_mode;
use switchboard_store::User;

use crate::error::AppError;
use crate::state::AppState;
use crate::views::{DeveloperModeView, GroupRef, MeView};

/// The user as they see themselves: their groups and whether developer mode applies.
pub(crate) async fn me_view(state: &AppState, user: &User) -> Result<MeView, AppError> {
    let groups = state.store.groups_of_user(user.id).await?;
    let settings = state.store.workspace_settings().await?;
    let granted: Vec<_> = settings.developer_mode_groups.iter().map(|g| g.id).collect();
    let mine: Vec<_> = groups.iter().map(|g| g.id).collect();
    let allowed = developer_mode::is_allowed(settings.developer_mode_policy, &granted, user.role, &mine);
    Ok(MeView {
        id: user.id.as_uuid(),
        email: user.email.to_string(),
        name: user.name.clone(),
        role: user.role.into(),
        groups: groups.iter().map(GroupRef::from).collect(),
        developer_mode: DeveloperModeView {
            enabled: user.developer_mode,
            allowed,
            active: developer_mode::is_active(allowed, user.developer_mode),
            policy: settings.developer_mode_policy.into(),
        },
    })
}
