//! The application state every handler receives: one `Arc` of explicit parts.

use std::sync::{Arc, Mutex};

use std::time::{Duration, Instant};

use switchboard_core::network::NetworkPolicy;
use switchboard_core::{ConnectorId, SecretString};
use switchboard_mcp::{PoolLimits, SessionPool};
use switchboard_store::Store;

use crate::config::WebConfig;
use crate::metrics::Metrics;
use crate::schema_cache::SchemaCache;
use crate::tool_host::WebToolHost;
use switchboard_agent::Agent;

/// How long an upstream session is kept without calls.
pub(crate) const UPSTREAM_IDLE: Duration = Duration::from_secs(300);

/// How long the workspace's address policy is read from memory. A change made
/// through this server applies at once; one made through another replica of it,
/// within this time.
const NETWORK_POLICY_TTL: Duration = Duration::from_secs(1);

#[derive(Clone, Debug)]
pub struct AppState(Arc<Inner>);

#[derive(Debug)]
pub struct Inner {
    pub store: Store,
    pub config: WebConfig,
    pub setup: SetupToken,
    pub(crate) metrics: Metrics,
    /// Upstream sessions kept between calls, per connector.
    pub sessions: SessionPool<ConnectorId>,
    pub(crate) schemas: SchemaCache,
    network_policy: Mutex<Option<(Instant, NetworkPolicy)>>,
    /// Runs conversations' turns.
    pub agent: Agent,
}

impl AppState {
    pub fn new(store: Store, config: WebConfig, setup: SetupToken) -> Self {
        let sessions = SessionPool::new(PoolLimits { idle: UPSTREAM_IDLE, ..PoolLimits::default() });
        Self(Arc::new_cyclic(|weak| {
            let host = Arc::new(WebToolHost(weak.clone()));
            let agent = Agent::new(store.clone(), config.providers.clone(), host, config.agent.clone());
            Inner {
                store,
                config,
                setup,
                metrics: Metrics::default(),
                sessions,
                schemas: SchemaCache::default(),
                network_policy: Mutex::new(None),
                agent,
            }
        }))
    }

    pub(crate) fn from_inner(inner: Arc<Inner>) -> Self {
        Self(inner)
    }

    /// The workspace's address policy for upstream connections (see [`NETWORK_POLICY_TTL`]).
    pub(crate) async fn network_policy(&self) -> Result<NetworkPolicy, switchboard_store::StoreError> {
        let cached = *self.network_policy.lock().unwrap_or_else(|e| e.into_inner());
        if let Some((read, policy)) = cached
            && read.elapsed() < NETWORK_POLICY_TTL
        {
            return Ok(policy);
        }
        let policy = self.store.network_policy().await?;
        *self.network_policy.lock().unwrap_or_else(|e| e.into_inner()) = Some((Instant::now(), policy));
        Ok(policy)
    }

    /// Store a new address policy; it applies to the next connection.
    pub(crate) async fn set_network_policy(
        &self,
        policy: NetworkPolicy,
    ) -> Result<NetworkPolicy, switchboard_store::StoreError> {
        let stored = self.store.set_network_policy(policy).await?;
        *self.network_policy.lock().unwrap_or_else(|e| e.into_inner()) = Some((Instant::now(), stored));
        Ok(stored)
    }
}

impl std::ops::Deref for AppState {
    type Target = Inner;

    fn deref(&self) -> &Inner {
        &self.0
    }
}

/// The one-time token that authorises creating the first owner. It exists only
/// while the workspace has no owner, lives only in memory, and is consumed by a
/// successful setup.
#[derive(Debug, Default)]
pub struct SetupToken(Mutex<Option<SecretString>>);

impl SetupToken {
    pub fn new(token: Option<SecretString>) -> Self {
        Self(Mutex::new(token))
    }

    /// Whether `candidate` is the live token (constant-time comparison).
    pub(crate) fn matches(&self, candidate: &str) -> bool {
        let guard = self.0.lock().unwrap_or_else(|e| e.into_inner());
        guard.as_ref().is_some_and(|t| t.ct_eq(candidate))
    }

    pub(crate) fn consume(&self) {
        *self.0.lock().unwrap_or_else(|e| e.into_inner()) = None;
    }
}
