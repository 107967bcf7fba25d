//! Browser sign-in and sign-out.

pub(crate) mod create_session;
pub(crate) mod delete_session;
