//! Connectors: who may see and change them, their catalogs kept in memory, and
//! calls through upstream sessions kept per (user, connector).

mod calls;
pub(crate) mod catalog;
mod endpoint;

use std::sync::Arc;
use std::time::Duration;

use switchboard_core::catalog::Tool;
use switchboard_core::catalog_diff::{CatalogDiff, diff};
use switchboard_core::connector;
use switchboard_core::network::NetworkPolicy;
use switchboard_core::{ConnectorId, UserId};
use switchboard_mcp::{
    ClientOptions, Endpoint, McpError, PoolLimits, ProgressWatcher, SessionPool, UpstreamOutcome, UpstreamSession,
};
use switchboard_store::{AuditLog, Connector, ConnectorTool, NewConnector, Store, StoreError, User};

pub use calls::HandCall;
pub use catalog::{Catalog, CatalogTool};
pub use endpoint::endpoint_of;

use crate::access::Access;
use crate::error::{Result, ServiceError};
use crate::freshness::{Cache, Freshness, cached};

/// Most catalogs kept in memory.
const CATALOGS: usize = 4096;

/// How upstream servers are reached.
#[derive(Clone, Debug)]
pub struct UpstreamConfig {
    /// Timeouts and size limits; the address policy comes from the workspace settings.
    pub options: ClientOptions,
    /// Whether connectors may run local commands (stdio).
    pub allow_local_commands: bool,
    /// How long a kept session may go unused before it is closed.
    pub idle: Duration,
    /// Most sessions kept at once (every user's together).
    pub max_sessions: usize,
}

impl Default for UpstreamConfig {
    fn default() -> Self {
        Self {
            options: ClientOptions::default(),
            allow_local_commands: false,
            idle: Duration::from_secs(300),
            max_sessions: switchboard_mcp::PoolLimits::default().max_sessions,
        }
    }
}

/// Whose session with which connector: each user has their own, so what a
/// server keeps per session never crosses between people.
pub type SessionKey = (UserId, ConnectorId);

/// Cheap to clone.
#[derive(Clone, Debug)]
pub struct Connectors(Arc<Inner>);

#[derive(Debug)]
struct Inner {
    store: Store,
    access: Access,
    audit: AuditLog,
    config: UpstreamConfig,
    catalogs: Cache<ConnectorId, Arc<Catalog>>,
    listing: Cache<(), Arc<Vec<Connector>>>,
    policy: Cache<(), NetworkPolicy>,
    sessions: SessionPool<SessionKey>,
}

impl Connectors {
    pub(crate) fn new(
        store: Store,
        access: Access,
        audit: AuditLog,
        freshness: &Freshness,
        config: UpstreamConfig,
    ) -> Self {
        let sessions = SessionPool::new(PoolLimits { idle: config.idle, max_sessions: config.max_sessions });
        let connectors = Self(Arc::new(Inner {
            store,
            access,
            audit,
            catalogs: Cache::new(freshness.clone(), CATALOGS),
            listing: Cache::new(freshness.clone(), 1),
            policy: Cache::new(freshness.clone(), 1),
            sessions,
            config,
        }));
        tokio::spawn(close_idle(Arc::downgrade(&connectors.0)));
        connectors
    }

    /// The workspace's address policy for upstream connections.
    pub async fn network_policy(&self) -> Result<NetworkPolicy> {
        cached(&self.0.policy, (), async { Ok(self.0.store.network_policy().await?) }).await
    }

    /// Store a new address policy; the next connection follows it (a kept
    /// session made under the old one is replaced on its next use).
    pub async fn set_network_policy(&self, policy: NetworkPolicy) -> Result<NetworkPolicy> {
        Ok(self.0.store.set_network_policy(policy).await?)
    }

    /// Upstream options with the workspace's current address policy.
    pub async fn client_options(&self) -> Result<ClientOptions> {
        Ok(ClientOptions { network: self.network_policy().await?, ..self.0.config.options.clone() })
    }

    /// A connector with its catalog, from memory when it is there.
    pub async fn catalog(&self, id: ConnectorId) -> Result<Arc<Catalog>> {
        cached(&self.0.catalogs, id, async {
            let connector = self.0.store.connector(id).await?;
            let tools = self.0.store.connector_tools(id).await?;
            Ok(Arc::new(Catalog::new(connector, tools)))
        })
        .await
    }

    /// [`Connectors::catalog`], with an unknown id as "connector not found".
    async fn existing(&self, id: ConnectorId) -> Result<Arc<Catalog>> {
        match self.catalog(id).await {
            Err(ServiceError::Store(StoreError::NotFound(_))) => Err(ServiceError::not_found("connector")),
            found => found,
        }
    }

    /// The connector's catalog if it is in memory now (no database read).
    pub(crate) fn kept_catalog(&self, id: ConnectorId) -> Option<Arc<Catalog>> {
        self.0.catalogs.get(&id)
    }

    /// Every connector, in the store's order.
    pub async fn all(&self) -> Result<Arc<Vec<Connector>>> {
        cached(&self.0.listing, (), async { Ok(Arc::new(self.0.store.list_connectors().await?)) }).await
    }

    /// The connector if `user` may work on it; "not found" otherwise, so the ids
    /// of other people's drafts cannot be probed.
    pub async fn managed(&self, user: &User, id: ConnectorId) -> Result<Arc<Catalog>> {
        let found = self.existing(id).await?;
        let c = &found.connector;
        // Developer mode only ever grants access: when the answer is yes without
        // it, it need not be worked out.
        if connector::may_manage(user.role, user.id, false, c.owner_id, c.status)
            || connector::may_manage(
                user.role,
                user.id,
                self.0.access.developer_mode_active(user).await?,
                c.owner_id,
                c.status,
            )
        {
            return Ok(found);
        }
        Err(ServiceError::not_found("connector"))
    }

    /// The connector if `user` may use it in a conversation; "not found" otherwise.
    pub async fn usable(&self, user: &User, id: ConnectorId) -> Result<Arc<Catalog>> {
        let found = self.existing(id).await?;
        let c = &found.connector;
        let developer_mode = self.0.access.developer_mode_active(user).await?;
        if connector::may_view(user.role, user.id, developer_mode, c.owner_id, c.status) {
            return Ok(found);
        }
        Err(ServiceError::not_found("connector"))
    }

    /// Every connector `user` may see, with its tool count, in the store's order.
    pub async fn visible(&self, user: &User) -> Result<Vec<Arc<Catalog>>> {
        let developer_mode = self.0.access.developer_mode_active(user).await?;
        let mut out = vec![];
        for c in self.all().await?.iter() {
            if connector::may_view(user.role, user.id, developer_mode, c.owner_id, c.status) {
                match self.catalog(c.id).await {
                    Ok(found) => out.push(found),
                    // Deleted since the listing was read.
                    Err(ServiceError::Store(StoreError::NotFound(_))) => {}
                    Err(e) => return Err(e),
                }
            }
        }
        Ok(out)
    }

    /// Whether `user` may create a connector (one that runs a local command, when `local`).
    pub async fn may_create(&self, user: &User, local: bool) -> Result<()> {
        let developer_mode = self.0.access.developer_mode_active(user).await?;
        connector::may_create(user.role, developer_mode, local, self.0.config.allow_local_commands)
            .map_err(|denied| ServiceError::forbidden("connector_not_allowed", denied.to_string()))
    }

    /// Connect under the workspace's current policy; a failure is the diagnosis.
    pub async fn connect(&self, endpoint: &Endpoint) -> Result<UpstreamSession> {
        let options = self.client_options().await?;
        match UpstreamSession::connect(endpoint, &options).await {
            Ok(session) => Ok(session),
            Err(e) => Err(connection_failed(endpoint, &e, &options).await),
        }
    }

    /// Connect, list every tool, and store the connector as `user`'s draft.
    pub async fn create(&self, user: &User, new: NewDraft, endpoint: &Endpoint) -> Result<Arc<Catalog>> {
        self.may_create(user, matches!(endpoint, Endpoint::Stdio(_))).await?;
        let session = self.connect(endpoint).await?;
        let listed = session.list_tools().await;
        let (protocol_version, server_info, used_transport) =
            (session.protocol_version().to_owned(), session.server_info().clone(), session.transport());
        session.close().await;
        let tools = listed.map_err(ServiceError::Upstream)?;
        let command = match endpoint {
            Endpoint::Stdio(cmd) => Some(serde_json::json!({"argv": cmd.argv, "env": cmd.env, "cwd": cmd.cwd})),
            Endpoint::Http { .. } => None,
        };
        let connector = self
            .0
            .store
            .create_connector(
                NewConnector {
                    owner_id: user.id,
                    name: new.name,
                    description: new.description,
                    url: new.url,
                    command,
                    transport: new.transport.to_owned(),
                    auth_mode: "none".into(),
                    protocol_version,
                    used_transport: used_transport.to_owned(),
                    server_info,
                },
                &tools,
            )
            .await?;
        tracing::info!(actor = %user.id, connector = %connector.id, tools = tools.len(), "connector created");
        self.catalog(connector.id).await
    }

    /// List the server's tools again and apply them (drafts take the new catalog
    /// at once); what changed, field by field.
    pub async fn refresh(&self, user: &User, id: ConnectorId) -> Result<CatalogDiff> {
        let found = self.managed(user, id).await?;
        let endpoint = endpoint_of(&found.connector)?;
        // A fresh handshake, as at creation; kept sessions go with the old catalog.
        self.0.sessions.evict_matching(|(_, c)| *c == id).await;
        let session = self.connect(&endpoint).await?;
        let listed = session.list_tools().await;
        let version = session.protocol_version().to_owned();
        session.close().await;
        let fresh = listed.map_err(ServiceError::Upstream)?;
        let current: Vec<Tool> = found.tools.iter().map(|t| t.stored.tool.clone()).collect();
        let changes = diff(&current, &fresh);
        self.0.store.replace_tools(id, &fresh, &version).await?;
        tracing::info!(actor = %user.id, connector = %id, added = changes.added.len(), removed = changes.removed.len(),
            changed = changes.changed.len(), "connector refreshed");
        Ok(changes)
    }

    /// Delete a connector with its catalog, closing its sessions.
    pub async fn delete(&self, user: &User, id: ConnectorId) -> Result<()> {
        self.managed(user, id).await?;
        self.0.store.delete_connector(id).await?;
        self.0.sessions.evict_matching(|(_, c)| *c == id).await;
        tracing::info!(actor = %user.id, connector = %id, "connector deleted");
        Ok(())
    }

    /// Turn one action on or off.
    pub async fn set_tool_enabled(
        &self,
        user: &User,
        id: ConnectorId,
        name: &str,
        enabled: bool,
    ) -> Result<ConnectorTool> {
        self.managed(user, id).await?;
        let tool = self.0.store.set_tool_enabled(id, name, enabled).await?;
        tracing::info!(actor = %user.id, connector = %id, tool = %name, enabled, "tool toggled");
        Ok(tool)
    }

    /// Call a tool through `user`'s kept session with the connector, connecting
    /// (with a diagnosis on failure) when there is none. Sent once more, on a new
    /// session, only when the server refused it for not knowing the session; a
    /// failure other than a timeout drops the session, so the next call starts anew.
    pub(crate) async fn call_upstream(
        &self,
        user: UserId,
        c: &Connector,
        name: &str,
        arguments: serde_json::Map<String, serde_json::Value>,
        watcher: Option<ProgressWatcher>,
    ) -> Result<UpstreamOutcome> {
        let endpoint = endpoint_of(c)?;
        let options = self.client_options().await?;
        let key = (user, c.id);
        // Connecting apart from calling, so that a server that cannot be reached gets its diagnosis.
        let session = match self.0.sessions.session(&key, &endpoint, &options).await {
            Ok(session) => session,
            Err(e) => return Err(connection_failed(&endpoint, &e, &options).await),
        };
        self.0
            .sessions
            .call_tool_on(&key, session, &endpoint, &options, name, arguments, watcher)
            .await
            .map_err(ServiceError::Upstream)
    }

    /// Close every kept session (the server is stopping).
    pub async fn close_all_sessions(&self) {
        self.0.sessions.close_all().await;
    }

    /// How many upstream sessions are kept open.
    pub async fn open_sessions(&self) -> usize {
        self.0.sessions.open_count().await
    }
}

/// Close upstream sessions nobody used for a while (local commands end with
/// them), once a minute, while the service lives.
async fn close_idle(connectors: std::sync::Weak<Inner>) {
    let mut tick = tokio::time::interval(Duration::from_secs(60));
    loop {
        tick.tick().await;
        let Some(inner) = connectors.upgrade() else { return };
        inner.sessions.close_idle().await;
    }
}

/// A draft to create: what the person typed, checked.
#[derive(Clone, Debug)]
pub struct NewDraft {
    pub name: String,
    pub description: String,
    /// The URL as given (for HTTP servers).
    pub url: Option<String>,
    /// `auto`, `streamable_http`, `sse` or `stdio`.
    pub transport: &'static str,
}

/// The failure to connect, with the diagnosis steps.
async fn connection_failed(endpoint: &Endpoint, err: &McpError, options: &ClientOptions) -> ServiceError {
    tracing::warn!(error = %err.chain(), "could not connect to an MCP server");
    let steps = switchboard_mcp::diagnose(endpoint, err, options).await;
    ServiceError::ConnectionFailed { message: err.to_string(), steps: serde_json::json!(steps) }
}
