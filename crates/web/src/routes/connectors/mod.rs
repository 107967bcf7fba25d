//! Connectors: MCP servers connected to the workspace, their catalogs, and the
//! playground that calls their tools by hand. The rules and state are in
//! `switchboard_service::Connectors`; these handlers translate HTTP.

pub(crate) mod accept_change;
pub(crate) mod answer_playground_elicitation;
pub(crate) mod call_tool;
pub(crate) mod call_tool_stream;
pub(crate) mod create_connector;
pub(crate) mod delete_connector;
pub(crate) mod disconnect_oauth;
pub(crate) mod get_connector;
pub(crate) mod get_oauth;
pub(crate) mod list_changes;
pub(crate) mod list_connectors;
pub(crate) mod list_playground_elicitations;
pub(crate) mod list_tools;
pub(crate) mod publish_connector;
pub(crate) mod publish_review;
pub(crate) mod refresh_connector;
pub(crate) mod reject_change;
pub(crate) mod start_oauth;
pub(crate) mod unpublish_connector;
pub(crate) mod update_access;
pub(crate) mod update_tool;
