//! Usage of models and tools, for owners, admins and auditors.

pub(crate) mod get_usage;
pub(crate) mod query;
