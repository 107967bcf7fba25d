//! Personal API tokens.

pub(crate) mod create_token;
pub(crate) mod delete_token;
pub(crate) mod list_tokens;
