//! Workspace users (owners and admins manage; auditors read).

pub(crate) mod create_user;
pub(crate) mod delete_user;
pub(crate) mod get_user;
pub(crate) mod list_users;
pub(crate) mod update_user;
