//! Groups of users (admins manage; auditors read).

pub(crate) mod add_group_member;
pub(crate) mod create_group;
pub(crate) mod delete_group;
pub(crate) mod get_group;
pub(crate) mod list_groups;
pub(crate) mod remove_group_member;
