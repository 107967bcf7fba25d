//! The audit trail, for owners, admins and auditors: pages newest first, and an
//! NDJSON export oldest first.

pub(crate) mod export_audit;
pub(crate) mod filter;
pub(crate) mod list_audit;
