//! The doctor: a readiness report for an MCP server URL.

pub(crate) mod run_doctor;
