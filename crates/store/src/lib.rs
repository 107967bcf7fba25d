//! Switchboard's persistence layer.
//!
//! One [`Store`] speaks to SQLite (the default, embedded) or PostgreSQL through
//! sqlx's `Any` driver, so every query is written once. Both backends get their own
//! migrations (`migrations/sqlite`, `migrations/postgres`) because their DDL differs;
//! the queries stick to types both read the same way (TEXT, BIGINT, BLOB/BYTEA).
//!
//! Architecture invariant: only this crate knows SQL. Secrets are sealed with
//! AES-256-GCM before they reach a column ([`crypto`]).

mod args;
mod audit;
mod audit_log;
mod audit_sqlite;
mod audit_verify;
mod call_tasks;
mod changes;
mod columns;
mod connectors;
mod conversations;
pub mod crypto;
mod db;
mod elicitations;
mod error;
mod generation;
mod groups;
mod instance;
mod oauth;
mod records;
mod secrets;
mod sessions;
mod settings;
mod sign_in;
mod time_ms;
mod tokens;
mod turn_writer;
mod turns;
mod usage;
mod users;
mod widgets;

pub use audit_log::AuditLog;
pub use call_tasks::CallTask;
pub use changes::{Recorded, Refreshed};
pub use connectors::Publication;
pub use crypto::MasterKey;
pub use db::{Backend, ConnectOptions, Store};
pub use elicitations::{Elicitation, ElicitationState, NewElicitation};
pub use error::StoreError;
pub use instance::InstanceId;
pub use oauth::{
    ConnectorOAuth, GrantClient, GrantState, IssuedTokens, NewGrant, NewOAuthFlow, OAuthClient, OAuthFlow, OAuthGrant,
};
pub use records::{
    Answer, ApiToken, AuditEntry, AuditEvent, AuditFilter, BrokenRecord, CallEnd, CallOutcome, CatalogChange,
    ChainProblem, ChangeState, Connector, ConnectorTool, Conversation, DecisionRecord, Group, GroupMember,
    GroupSummary, History, Interruption, LoginSession, Message, NewApiToken, NewConnector, NewConversation,
    NewRememberedChoice, NewToolCall, NewUser, Note, PasswordReset, RecordedStep, RememberedChoice, RememberedTool,
    StartedTurn, StepRecord, StepUsage, TokenHolder, ToolCall, TurnMove, TurnRestart, TurnStart, User, VerifiedTrail,
    WorkspaceSettings,
};
pub use sign_in::SignInAttempt;
pub use tokens::TOKEN_USE_RESOLUTION_MS;
pub use usage::{UsageFigures, UsageGroup};
pub use widgets::{NewWidgetCall, WidgetCall, WidgetCallEnd};
