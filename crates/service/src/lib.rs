//! Switchboard's application services: what the HTTP layer (and later the
//! gateway) calls, between it and the crates that know the database, MCP and
//! model providers.
//!
//! [`Services`] holds the in-memory state of the hot path: who a token or a
//! browser session belongs to, developer mode and workspace settings
//! ([`Access`]); connectors with their catalogs and compiled schemas, the address
//! policy and the upstream sessions kept per (user, connector) ([`Connectors`]);
//! conversations' access and transcripts ([`Conversations`]); the audit trail,
//! its group-committing writer and its reading ([`Audit`]); and the agent, whose [`ToolHost`]
//! is implemented here over [`Connectors`]. What is kept in memory is dropped when
//! it may have changed ([`freshness`]).
//!
//! Architecture invariant: this crate knows no HTTP (no routes, status codes or
//! JSON shapes of the API) and no SQL; permissions come from `switchboard_core`.
//!
//! [`ToolHost`]: switchboard_agent::ToolHost

mod access;
mod audit;
pub mod connectors;
mod conversations;
mod error;
pub mod freshness;
mod models;
mod tool_host;

use std::sync::Arc;

use switchboard_agent::{Agent, AgentConfig, Providers};
use switchboard_store::{AuditLog, Store};

pub use access::{Access, DeveloperMode, Standing};
pub use audit::{Audit, AuditExport, AuditPage, AuditRecord};
pub use connectors::{
    AppStanding, Catalog, CatalogTool, Connectors, DraftAuth, FlowFailure, FlowOwner, HandCall, NewDraft,
    OAuthCallback, OAuthConnection, PublishRequest, PublishReview, Refresh, ReviewedAction, UpstreamConfig,
};
pub use conversations::{Conversations, Transcript};
pub use error::{Result, ServiceError};
pub use freshness::Freshness;
pub use models::{ModelList, Models};

/// What the services need to know about their deployment.
#[derive(Clone, Debug, Default)]
pub struct ServiceConfig {
    pub upstream: UpstreamConfig,
    /// Model providers and the default model.
    pub providers: Providers,
    /// Limits of the agent loop.
    pub agent: AgentConfig,
}

/// Every service, sharing one store. Cheap to clone.
#[derive(Clone, Debug)]
pub struct Services(Arc<Inner>);

#[derive(Debug)]
struct Inner {
    store: Store,
    access: Access,
    audit: Audit,
    connectors: Connectors,
    conversations: Conversations,
    agent: Agent,
    models: Models,
}

impl Services {
    /// Build the services on the current Tokio runtime (the cache poll and the
    /// audit writer run on it).
    pub fn start(store: Store, config: ServiceConfig) -> Self {
        let freshness = Freshness::start(store.clone());
        let audit = AuditLog::start(store.clone());
        let access = Access::new(store.clone(), &freshness);
        let connectors = Connectors::new(store.clone(), access.clone(), audit.clone(), &freshness, config.upstream);
        let audit = Audit::new(store.clone(), audit);
        let host = tool_host::ServiceToolHost { access: access.clone(), connectors: connectors.clone() };
        let models = Models::new(config.providers.clone());
        let agent = Agent::new(store.clone(), config.providers, Arc::new(host), config.agent);
        let conversations = Conversations::new(store.clone());
        Self(Arc::new(Inner { store, access, audit, connectors, conversations, agent, models }))
    }

    /// The store, for what no service covers yet (accounts, groups, tokens, conversations' rows).
    pub fn store(&self) -> &Store {
        &self.0.store
    }

    pub fn access(&self) -> &Access {
        &self.0.access
    }

    /// The audit trail: reading it, and recording admin changes made through the store.
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
}
