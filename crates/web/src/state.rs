//! The application state every handler receives: one `Arc` of explicit parts.

use std::sync::{Arc, Mutex};

use switchboard_core::SecretString;
use switchboard_service::{ServiceConfig, Services, SignInConfig, UpstreamConfig};
use switchboard_store::Store;

use crate::config::WebConfig;
use crate::metrics::Metrics;

#[derive(Clone, Debug)]
pub struct AppState(Arc<Inner>);

#[derive(Debug)]
pub struct Inner {
    /// What handlers and pages call; they never reach the store.
    pub services: Services,
    pub config: WebConfig,
    pub setup: SetupToken,
    pub(crate) metrics: Metrics,
}

impl AppState {
    /// The state over `store`; starts the services on the current Tokio runtime.
    pub fn new(store: Store, config: WebConfig, setup: SetupToken) -> Self {
        let services = Services::start(
            store,
            ServiceConfig {
                upstream: UpstreamConfig {
                    options: config.upstream.clone(),
                    allow_local_commands: config.allow_local_commands,
                    max_sessions: config.upstream_max_sessions,
                    drift_interval: config.drift_check_interval,
                    oauth_redirect_uri: format!("{}{}", config.public_url, crate::routes::oauth::CALLBACK_PATH),
                    oauth_client_metadata_url: crate::routes::oauth::client_metadata_url(&config.public_url),
                    ..UpstreamConfig::default()
                },
                providers: config.providers.clone(),
                agent: config.agent.clone(),
                sign_in: SignInConfig { limits: config.sign_in, session_ttl: config.session_ttl },
            },
        );
        Self(Arc::new(Inner { services, config, setup, metrics: Metrics::default() }))
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
