//! Switchboard's application services: what the HTTP layer (and later the
//! gateway) calls, between it and the crates that know the database, MCP and
//! model providers.
//!
//! [`Services`] holds the in-memory state of the hot path: who a token or a
//! browser session belongs to, developer mode and workspace settings
//! ([`Access`]); connectors with their catalogs and compiled schemas, the address
//! policy and the upstream sessions kept per (user, connector) ([`Connectors`]);
//! conversations' access and transcripts ([`Conversations`]); the audit trail's
//! group-committing writer, and its reading ([`Audit`]); and the agent, whose [`ToolHost`]
//! is implemented here over [`Connectors`]. What is kept in memory is dropped when
//! it may have changed ([`freshness`]). Around them: people's accounts, groups and
//! tokens ([`Accounts`]), signing in ([`SignIns`]), the workspace settings
//! ([`Workspace`]) and the usage report ([`Usage`]). Every caller goes through
//! these; none reaches the store.
//!
//! Architecture invariant: this crate knows no HTTP (no routes, status codes or
//! JSON shapes of the API) and no SQL; permissions come from `switchboard_core`.
//!
//! [`ToolHost`]: switchboard_agent::ToolHost

mod access;
mod accounts;
mod audit;
pub mod connectors;
mod conversations;
mod error;
pub mod freshness;
mod models;
mod policy;
mod sign_in;
mod tool_host;
mod usage;
mod widgets;
mod workspace;

use std::sync::Arc;

use switchboard_agent::{Agent, AgentConfig, Providers};
use switchboard_store::{AuditLog, Store};

pub use access::{Access, DeveloperMode, Standing};
pub use accounts::{AccountChange, Accounts, NewAccount, NewToken, PasswordChange};
pub use audit::{Audit, AuditExport, AuditPage, AuditRecord};
pub use connectors::{
    AppStanding, Catalog, CatalogTool, Connectors, DraftAuth, FlowFailure, FlowFinished, FlowOwner, HandAsk, HandCall,
    NewDraft, OAuthCallback, OAuthConnection, PublishRequest, PublishReview, Refresh, ReviewedAction, UpstreamConfig,
};
pub use conversations::{Conversations, NewChat, Transcript};
pub use error::{Result, ServiceError};
pub use freshness::Freshness;
pub use models::{ModelList, Models};
pub use sign_in::{SignInConfig, SignIns, StartedSession};
pub use usage::{Usage, UsageReport};
pub use widgets::{MAX_WIDGET_BYTES, MAX_WIDGET_STATE_BYTES, WidgetDocument, Widgets};
pub use workspace::{SettingsChange, Workspace};

/// What the services need to know about their deployment.
#[derive(Clone, Debug, Default)]
pub struct ServiceConfig {
    pub upstream: UpstreamConfig,
    /// Model providers and the default model.
    pub providers: Providers,
    /// Limits of the agent loop.
    pub agent: AgentConfig,
    pub sign_in: SignInConfig,
}

/// Every service, sharing one store. Cheap to clone.
#[derive(Clone, Debug)]
pub struct Services(Arc<Inner>);

#[derive(Debug)]
struct Inner {
    store: Store,
    access: Access,
    accounts: Accounts,
    sign_ins: SignIns,
    workspace: Workspace,
    usage: Usage,
    audit: Audit,
    connectors: Connectors,
    conversations: Conversations,
    agent: Agent,
    models: Models,
    widgets: Widgets,
}

impl Services {
    /// Build the services on the current Tokio runtime (the cache poll and the
    /// audit writer run on it).
    pub fn start(store: Store, config: ServiceConfig) -> Self {
        let freshness = Freshness::start(store.clone());
        let log = AuditLog::start(store.clone());
        let access = Access::new(store.clone(), &freshness);
        let connectors = Connectors::new(store.clone(), access.clone(), log.clone(), &freshness, config.upstream);
        let accounts = Accounts::new(store.clone(), access.clone(), log.clone());
        let sign_ins = SignIns::new(store.clone(), config.sign_in);
        let workspace = Workspace::new(store.clone(), connectors.clone(), config.providers.clone(), log);
        let usage = Usage::new(store.clone());
        let audit = Audit::new(store.clone());
        let host = tool_host::ServiceToolHost { access: access.clone(), connectors: connectors.clone() };
        let models = Models::new(config.providers.clone());
        let conversations = Conversations::new(store.clone(), connectors.clone(), config.providers.clone());
        let agent = Agent::new(store.clone(), config.providers, Arc::new(host), config.agent);
        let widgets = Widgets::new(store.clone(), connectors.clone(), conversations.clone());
        Self(Arc::new(Inner {
            store,
            access,
            accounts,
            sign_ins,
            workspace,
            usage,
            audit,
            connectors,
            conversations,
            agent,
            models,
            widgets,
        }))
    }

    /// Whether the database answers (readiness).
    pub async fn ready(&self) -> Result<()> {
        Ok(self.0.store.ping().await?)
    }

    pub fn access(&self) -> &Access {
        &self.0.access
    }

    /// Users, groups, tokens, one's own account and the first owner.
    pub fn accounts(&self) -> &Accounts {
        &self.0.accounts
    }

    /// Signing in with a password, and browser sessions.
    pub fn sign_ins(&self) -> &SignIns {
        &self.0.sign_ins
    }

    /// The workspace settings.
    pub fn workspace(&self) -> &Workspace {
        &self.0.workspace
    }

    /// The usage report.
    pub fn usage(&self) -> &Usage {
        &self.0.usage
    }

    /// The audit trail, as it is read.
    pub fn audit(&self) -> &Audit {
        &self.0.audit
    }

    pub fn connectors(&self) -> &Connectors {
        &self.0.connectors
    }

    pub fn conversations(&self) -> &Conversations {
        &self.0.conversations
    }

    /// The models people may choose.
    pub fn models(&self) -> &Models {
        &self.0.models
    }

    /// Runs conversations' turns.
    pub fn agent(&self) -> &Agent {
        &self.0.agent
    }

    /// Tool calls' widgets, their calls and their state.
    pub fn widgets(&self) -> &Widgets {
        &self.0.widgets
    }
}
