//! The application state every handler receives: one `Arc` of explicit parts.

use std::sync::{Arc, Mutex};

use switchboard_core::{ConnectorId, SecretString};
use switchboard_mcp::SessionPool;
use switchboard_store::Store;

use crate::config::WebConfig;
use crate::metrics::Metrics;

/// How long an upstream session is kept without calls.
pub(crate) const UPSTREAM_IDLE: std::time::Duration = std::time::Duration::from_secs(300);

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
}

impl AppState {
    pub fn new(store: Store, config: WebConfig, setup: SetupToken) -> Self {
        let sessions = SessionPool::new(UPSTREAM_IDLE);
        Self(Arc::new(Inner { store, config, setup, metrics: Metrics::default(), sessions }))
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
