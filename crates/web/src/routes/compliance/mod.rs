//! Compliance exports.

pub(crate) mod export_conversations;
