//! Switchboard's domain types and policy.
//!
//! Everything here is pure: no IO, no clocks, no database, no HTTP. Handlers and the
//! CLI parse their input into these types at the edge and ask the policy functions
//! in [`permission`] and [`developer_mode`] what is allowed.

pub mod approval;
pub mod audit;
pub mod catalog;
pub mod catalog_diff;
pub mod connector;
pub mod conversation;
pub mod credentials;
pub mod developer_mode;
pub mod digest;
pub mod doctor;
pub mod elicitation;
pub mod email;
pub mod ids;
pub mod name;
pub mod network;
pub mod oauth;
pub mod permission;
pub mod review;
pub mod role;
pub mod secret;
pub mod sign_in;
pub mod tool_auth;
pub mod tool_names;
pub mod untrusted;
pub mod usage;
pub mod widget;

pub use audit::AuditKind;
pub use developer_mode::DeveloperModePolicy;
pub use email::Email;
pub use ids::{ChangeId, ConnectorId, ConversationId, ElicitationId, GroupId, MessageId, TokenId, ToolCallId, UserId};
pub use permission::Action;
pub use role::Role;
pub use secret::SecretString;
