//! Connectors: who may see and change them, their catalogs kept in memory, and
//! calls through upstream sessions kept per (user, connector).

mod calls;
pub(crate) mod catalog;
mod endpoint;
mod governance;
mod hand_asks;
mod oauth;
mod resources;
mod tasks;

use std::sync::Arc;
use std::time::Duration;

use switchboard_core::SecretString;
use switchboard_core::catalog::Tool;
use switchboard_core::catalog_diff::{CatalogDiff, diff};
use switchboard_core::connector::ConnectorStatus;
use switchboard_core::connector::{self, App, Viewer};
use switchboard_core::network::NetworkPolicy;
use switchboard_core::tool_auth::{AuthMode, ToolAuth, tool_auth};
use switchboard_core::{AuditKind, ConnectorId, UserId};
use switchboard_mcp::{
    CallWatch, ClientOptions, Elicitation, Endpoint, McpError, PoolLimits, SessionPool, UpstreamOutcome,
    UpstreamSession,
};
use switchboard_store::{
    AuditEvent, AuditLog, Connector, ConnectorOAuth, ConnectorTool, NewConnector, Recorded, Store, StoreError, User,
};

pub use calls::HandCall;
pub use catalog::{Catalog, CatalogTool};
pub use endpoint::endpoint_of;
pub use governance::{PublishRequest, PublishReview, ReviewedAction};
pub use hand_asks::HandAsk;
pub use oauth::{FlowFailure, FlowFinished, FlowOwner, OAuthCallback, OAuthConnection};

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
    /// How often published apps are listed again to find changes their servers
    /// made (once across replicas sharing a database); `None`: never.
    pub drift_interval: Option<Duration>,
    /// Where authorization servers send people back: `{public_url}/oauth/callback`.
    pub oauth_redirect_uri: String,
    /// The URL of Switchboard's Client ID Metadata Document, used as the
    /// `client_id` with authorization servers that accept one; `None` when the
    /// public URL cannot serve as a client identifier (not https).
    pub oauth_client_metadata_url: Option<String>,
}

impl Default for UpstreamConfig {
    fn default() -> Self {
        Self {
            options: ClientOptions::default(),
            allow_local_commands: false,
            idle: Duration::from_secs(300),
            max_sessions: switchboard_mcp::PoolLimits::default().max_sessions,
            drift_interval: Some(Duration::from_secs(3600)),
            oauth_redirect_uri: "http://localhost:8080/oauth/callback".to_owned(),
            oauth_client_metadata_url: None,
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
    oauth_metadata: oauth::MetadataCache,
    /// Requests for input of calls by hand running here.
    hand_asks: hand_asks::HandAsks,
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
            oauth_metadata: oauth::MetadataCache::default(),
            hand_asks: hand_asks::HandAsks::default(),
            config,
        }));
        tokio::spawn(close_idle(Arc::downgrade(&connectors.0)));
        if let Some(interval) = connectors.0.config.drift_interval {
            tokio::spawn(check_drift(Arc::downgrade(&connectors.0), interval));
        }
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
        // Sessions made for people ask them when a server asks for input during a
        // call (see `tool_host.rs` and the playground); with nobody to ask, `cancel`.
        let elicitation = Elicitation::Ask;
        Ok(ClientOptions { network: self.network_policy().await?, elicitation, ..self.0.config.options.clone() })
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

    /// What `user` may do with `found`: see and use it, and manage it.
    pub async fn standing_on(&self, user: &User, found: &Catalog) -> Result<AppStanding> {
        let c = &found.connector;
        let app = App { owner: c.owner_id, status: c.status, access: &c.access };
        let standing = self.0.access.standing(user).await?;
        let viewer = Viewer {
            role: user.role,
            user: user.id,
            developer_mode: standing.developer_mode.active,
            groups: &standing.group_ids,
        };
        Ok(AppStanding { view: connector::may_view(viewer, app), manage: connector::may_manage(viewer, app) })
    }

    /// The connector if `user` may see it, with what else they may do; "not
    /// found" otherwise, so the ids of other people's drafts cannot be probed.
    pub async fn opened(&self, user: &User, id: ConnectorId) -> Result<(Arc<Catalog>, AppStanding)> {
        let found = self.existing(id).await?;
        let standing = self.standing_on(user, &found).await?;
        if standing.view { Ok((found, standing)) } else { Err(ServiceError::not_found("connector")) }
    }

    /// The connector if `user` may work on it; "not found" when they may not see
    /// it, "forbidden" when they may see it (a published app) but not change it.
    pub async fn managed(&self, user: &User, id: ConnectorId) -> Result<Arc<Catalog>> {
        let (found, standing) = self.opened(user, id).await?;
        if standing.manage {
            return Ok(found);
        }
        Err(ServiceError::forbidden("connector_not_manageable", "only owners and admins may change a published app"))
    }

    /// The connector if `user` may use it in a conversation; "not found" otherwise.
    pub async fn usable(&self, user: &User, id: ConnectorId) -> Result<Arc<Catalog>> {
        Ok(self.opened(user, id).await?.0)
    }

    /// Every connector `user` may see, with its catalog, in the store's order.
    pub async fn visible(&self, user: &User) -> Result<Vec<(Arc<Catalog>, AppStanding)>> {
        let mut out = vec![];
        for c in self.all().await?.iter() {
            match self.catalog(c.id).await {
                Ok(found) => {
                    let standing = self.standing_on(user, &found).await?;
                    if standing.view {
                        out.push((found, standing));
                    }
                }
                // Deleted since the listing was read.
                Err(ServiceError::Store(StoreError::NotFound(_))) => {}
                Err(e) => return Err(e),
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

    /// Connect, list every tool, and store the connector as `user`'s draft. An
    /// OAuth connector is stored at once without tools: its tools are listed with
    /// its owner's token when they first connect. A mixed one is listed without a
    /// token, like one without authentication.
    pub async fn create(&self, user: &User, new: NewDraft, endpoint: &Endpoint) -> Result<Arc<Catalog>> {
        self.may_create(user, matches!(endpoint, Endpoint::Stdio(_))).await?;
        if matches!(new.auth, DraftAuth::Mixed(_)) && matches!(endpoint, Endpoint::Stdio(_)) {
            return Err(ServiceError::Invalid("OAuth needs the server's URL, not a local command".into()));
        }
        if let DraftAuth::OAuth(settings) = &new.auth {
            let Endpoint::Http { url, .. } = endpoint else {
                return Err(ServiceError::Invalid("OAuth needs the server's URL, not a local command".into()));
            };
            http_policy_check(url, &self.client_options().await?).await?;
            let (name, transport) = (new.name.clone(), new.transport);
            let connector = self
                .0
                .store
                .create_oauth_connector(
                    NewConnector {
                        owner_id: user.id,
                        name: new.name,
                        description: new.description,
                        url: new.url,
                        command: None,
                        transport: new.transport.to_owned(),
                        auth_mode: "oauth".into(),
                        protocol_version: String::new(),
                        used_transport: String::new(),
                        server_info: serde_json::json!({}),
                    },
                    settings,
                    |id| {
                        let detail =
                            serde_json::json!({"name": name, "transport": transport, "auth": "oauth", "tools": 0});
                        AuditEvent::admin_change(user.id, AuditKind::ConnectorCreated, Some(id), detail)
                    },
                )
                .await?;
            tracing::info!(actor = %user.id, connector = %connector.id, "oauth connector created; waiting for its owner to connect");
            return self.catalog(connector.id).await;
        }
        let session = self.connect(endpoint).await?;
        let listed = session.list_tools().await;
        let (protocol_version, server_info, used_transport) =
            (session.protocol_version().to_owned(), session.server_info().clone(), session.transport());
        session.close().await;
        let tools = listed.map_err(ServiceError::Upstream)?;
        let (name, transport) = (new.name.clone(), new.transport);
        let command = match endpoint {
            Endpoint::Stdio(cmd) => Some(serde_json::json!({"argv": cmd.argv, "env": cmd.env, "cwd": cmd.cwd})),
            Endpoint::Http { .. } => None,
        };
        let mixed = match &new.auth {
            DraftAuth::Mixed(settings) => Some(settings),
            _ => None,
        };
        let row = NewConnector {
            owner_id: user.id,
            name: new.name,
            description: new.description,
            url: new.url,
            command,
            transport: new.transport.to_owned(),
            auth_mode: if mixed.is_some() { AuthMode::Mixed } else { AuthMode::None }.as_str().into(),
            protocol_version,
            used_transport: used_transport.to_owned(),
            server_info,
        };
        let audit = |id| {
            // The name and how it is reached; never the URL or the command,
            // which may carry credentials.
            let mut detail = serde_json::json!({"name": name, "transport": transport, "tools": tools.len()});
            if mixed.is_some() {
                detail["auth"] = serde_json::json!("mixed");
            }
            AuditEvent::admin_change(user.id, AuditKind::ConnectorCreated, Some(id), detail)
        };
        let connector = match mixed {
            Some(settings) => self.0.store.create_mixed_connector(row, &tools, settings, audit).await?,
            None => self.0.store.create_connector(row, &tools, audit).await?,
        };
        tracing::info!(actor = %user.id, connector = %connector.id, tools = tools.len(), "connector created");
        self.catalog(connector.id).await
    }

    /// List the server's tools again. A draft takes the new catalog at once; a
    /// published app drops the actions the server no longer lists and records the
    /// rest of the difference as a change set for an admin to review.
    pub async fn refresh(&self, user: &User, id: ConnectorId) -> Result<Refresh> {
        let found = self.managed(user, id).await?;
        let (fresh, version) = self.list_now(user.id, &found.connector).await?;
        let current: Vec<Tool> = found.tools.iter().map(|t| t.stored.tool.clone()).collect();
        let changes = diff(&current, &fresh);
        tracing::info!(actor = %user.id, connector = %id, added = changes.added.len(), removed = changes.removed.len(),
            changed = changes.changed.len(), "connector refreshed");
        let published = found.connector.status == ConnectorStatus::Published;
        // A published app keeps its pinned definitions until a change set is accepted.
        let detail = refreshed_detail(&found.connector.name, &changes, !published, "refresh");
        let entry = AuditEvent::admin_change(user.id, AuditKind::ConnectorRefreshed, Some(id), detail);
        if published {
            let recorded =
                self.record_listing(id, Some(user.id), "refresh", &fresh, &version, &changes, &entry).await?;
            return Ok(Refresh { diff: changes, applied: false, recorded: Some(recorded) });
        }
        // Kept sessions go with the old catalog.
        self.0.sessions.evict_matching(|(_, c)| *c == id).await;
        self.0.store.replace_tools(id, &fresh, &version, &entry).await?;
        Ok(Refresh { diff: changes, applied: true, recorded: None })
    }

    /// Connect afresh (no kept session) and list every tool: the listing and the
    /// protocol version spoken. An OAuth connector is listed with `user`'s token.
    pub(crate) async fn list_now(&self, user: UserId, c: &Connector) -> Result<(Vec<Tool>, String)> {
        self.list_as(user, c).await
    }

    /// [`Connectors::list_now`], as `user`.
    pub(crate) async fn list_as(&self, user: UserId, c: &Connector) -> Result<(Vec<Tool>, String)> {
        let endpoint = endpoint_of(c)?;
        // A mixed app lists without a token; an OAuth app with the person's.
        let need = match auth_mode(c) {
            AuthMode::OAuth => ToolAuth::Required { scopes: vec![] },
            AuthMode::None | AuthMode::Mixed => ToolAuth::Anonymous,
        };
        let (options, step_ups) = self.options_for(user, c, &need, None).await?;
        let session = match UpstreamSession::connect(&endpoint, &options).await {
            Ok(session) => session,
            Err(McpError::Unauthorized { .. }) if options.bearer.is_some() => {
                let refused = options.bearer.clone();
                let (options, _) = self.options_for(user, c, &need, refused.as_ref()).await?;
                UpstreamSession::connect(&endpoint, &options).await.map_err(|e| self.unauthorized_or(c, e))?
            }
            Err(McpError::InsufficientScope { challenge }) if auth_mode(c).uses_oauth() => {
                return Err(Self::step_up_needed(c, step_ups, challenge.as_deref()));
            }
            Err(e) => return Err(self.failed_connection(&endpoint, c, e, &options).await),
        };
        let listed = session.list_tools().await;
        let version = session.protocol_version().to_owned();
        session.close().await;
        Ok((listed.map_err(ServiceError::Upstream)?, version))
    }

    /// Delete a connector with its catalog, closing its sessions.
    pub async fn delete(&self, user: &User, id: ConnectorId) -> Result<()> {
        let found = self.managed(user, id).await?;
        let detail = serde_json::json!({"name": found.connector.name});
        let entry = AuditEvent::admin_change(user.id, AuditKind::ConnectorDeleted, Some(id), detail);
        self.0.store.delete_connector(id, &entry).await?;
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
        let entry = AuditEvent {
            tool: Some(name.to_owned()),
            ..AuditEvent::admin_change(
                user.id,
                AuditKind::ToolToggled,
                Some(id),
                serde_json::json!({"enabled": enabled}),
            )
        };
        let tool = self.0.store.set_tool_enabled(id, name, enabled, &entry).await?;
        tracing::info!(actor = %user.id, connector = %id, tool = %name, enabled, "tool toggled");
        Ok(tool)
    }

    /// Call a tool through `user`'s kept session with the connector, connecting
    /// (with a diagnosis on failure) when there is none. Sent once more, on a new
    /// session, only when the server refused it for not knowing the session; a
    /// failure other than a timeout drops the session, so the next call starts anew.
    /// A refusal for want of scopes (403 `insufficient_scope`) asks the person to
    /// connect again for more (see [`Connectors::oauth_step_up`]).
    pub(crate) async fn call_upstream(
        &self,
        user: UserId,
        c: &Connector,
        tool: &Tool,
        arguments: serde_json::Map<String, serde_json::Value>,
        mut watch: CallWatch,
    ) -> Result<UpstreamOutcome> {
        watch.task_support = tool.task_support();
        let endpoint = endpoint_of(c)?;
        let name = tool.name.as_str();
        let need = tool_auth(auth_mode(c), tool);
        let (options, step_ups) = self.options_for(user, c, &need, None).await?;
        let key = (user, c.id);
        let sent_token = options.bearer.is_some();
        let done = match self.call_with(&key, c, &endpoint, &options, name, arguments.clone(), watch.clone()).await {
            // The server refused the token before running anything: renew it once and send again.
            Err(ServiceError::Upstream(McpError::Unauthorized { .. })) if sent_token => {
                let (options, _) = self.options_for(user, c, &need, options.bearer.as_ref()).await?;
                self.call_with(&key, c, &endpoint, &options, name, arguments, watch).await.map_err(|e| match e {
                    ServiceError::Upstream(e) => self.unauthorized_or(c, e),
                    other => other,
                })
            }
            done => done,
        };
        match done {
            Err(ServiceError::Upstream(McpError::InsufficientScope { challenge })) if auth_mode(c).uses_oauth() => {
                tracing::info!(actor = %user, connector = %c.id, tool = %name, step_ups, "the server wants more scopes");
                Err(Self::step_up_needed(c, step_ups, challenge.as_deref()))
            }
            // Sent without a token (a mixed app's tool said it needs none, or the person has none yet).
            Err(ServiceError::Upstream(McpError::Unauthorized { .. })) if auth_mode(c).uses_oauth() => {
                Err(Self::auth_required(c, "needs_connect", "the server wants you signed in for this; connect first"))
            }
            Ok(outcome) => {
                // A tool error that carries a challenge (`_meta["mcp/www_authenticate"]`) is a sign-in to do.
                if auth_mode(c).uses_oauth()
                    && let Some(challenge) = switchboard_mcp::oauth::tool_error_challenge(&outcome.result)
                {
                    tracing::info!(actor = %user, connector = %c.id, tool = %name, "the tool asks for authorization");
                    return Err(Self::challenged(c, sent_token, step_ups, &challenge));
                }
                // The scopes asked for last time were enough: count step-ups from nothing again.
                if step_ups > 0 {
                    self.0.store.reset_oauth_step_ups(user, c.id).await?;
                }
                Ok(outcome)
            }
            failed => failed,
        }
    }

    #[allow(clippy::too_many_arguments)]
    async fn call_with(
        &self,
        key: &SessionKey,
        c: &Connector,
        endpoint: &Endpoint,
        options: &ClientOptions,
        name: &str,
        arguments: serde_json::Map<String, serde_json::Value>,
        watch: CallWatch,
    ) -> Result<UpstreamOutcome> {
        // Connecting apart from calling, so that a server that cannot be reached gets its diagnosis.
        let session = match self.0.sessions.session(key, endpoint, options).await {
            Ok(session) => session,
            Err(e @ McpError::Unauthorized { .. }) => return Err(ServiceError::Upstream(e)),
            Err(e) => return Err(self.failed_connection(endpoint, c, e, options).await),
        };
        self.0
            .sessions
            .call_tool_on(key, session, endpoint, options, name, arguments, watch)
            .await
            .map_err(ServiceError::Upstream)
    }

    /// Upstream options for `user`'s requests to `c` that `need` what they need:
    /// with their access token (renewed when due, or when the server refused
    /// `refused`) when required, or when optional and they have one; and how many
    /// step-ups in a row that token came from.
    async fn options_for(
        &self,
        user: UserId,
        c: &Connector,
        need: &ToolAuth,
        refused: Option<&SecretString>,
    ) -> Result<(ClientOptions, i64)> {
        let mut options = self.client_options().await?;
        let bearer = match need {
            ToolAuth::Anonymous => None,
            ToolAuth::Required { .. } => Some(self.access_token(user, c, refused).await?),
            ToolAuth::Optional => match self.access_token(user, c, refused).await {
                Ok(bearer) => Some(bearer),
                Err(ServiceError::AuthRequired { .. }) => None,
                Err(e) => return Err(e),
            },
        };
        let step_ups = bearer.as_ref().map_or(0, |b| b.step_ups);
        options.bearer = bearer.map(|b| b.token);
        Ok((options, step_ups))
    }

    /// A server that still refuses a fresh token: the person must connect again.
    fn unauthorized_or(&self, c: &Connector, e: McpError) -> ServiceError {
        match e {
            McpError::Unauthorized { .. } => ServiceError::AuthRequired {
                connector: c.id,
                state: "needs_reconnect",
                message: "the server refuses your connection even after renewing it; reconnect".into(),
                scope: None,
            },
            other => ServiceError::Upstream(other),
        }
    }

    /// A failed connection: for an OAuth connector a 401 is a sign-in to do, anything else the diagnosis.
    async fn failed_connection(
        &self,
        endpoint: &Endpoint,
        c: &Connector,
        e: McpError,
        options: &ClientOptions,
    ) -> ServiceError {
        match e {
            McpError::Unauthorized { .. } if auth_mode(c).uses_oauth() => {
                Self::auth_required(c, "needs_connect", "the server wants you signed in for this; connect first")
            }
            McpError::Unauthorized { .. } => ServiceError::Conflict {
                code: "auth_required",
                message: "the server requires OAuth, but this app was created without it; create it again with OAuth"
                    .into(),
            },
            other => connection_failed(endpoint, &other, options).await,
        }
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

/// How `c` authenticates (an unknown stored mode is treated as none).
pub(crate) fn auth_mode(c: &Connector) -> AuthMode {
    AuthMode::parse(&c.auth_mode).unwrap_or(AuthMode::None)
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

/// List published apps again every `interval`, on whichever replica claims the
/// check first, while the service lives.
async fn check_drift(connectors: std::sync::Weak<Inner>, interval: Duration) {
    let mut tick = tokio::time::interval((interval / 4).clamp(Duration::from_millis(100), Duration::from_secs(60)));
    tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    loop {
        tick.tick().await;
        let Some(inner) = connectors.upgrade() else { return };
        let service = Connectors(inner);
        match service.0.store.claim_drift_check(time::OffsetDateTime::now_utc(), interval).await {
            Ok(true) => match service.check_drift().await {
                Ok(found) => tracing::debug!(found, "checked published apps for changes"),
                Err(e) => tracing::warn!(error = %e, "could not check published apps for changes"),
            },
            Ok(false) => {}
            Err(e) => tracing::warn!(error = %e, "could not claim the check of published apps"),
        }
    }
}

/// An app's refresh as its audit record tells it: the app, which actions were
/// added, removed and changed (with the fields that changed), whether the new
/// catalog is in force, and what listed it (`refresh`, `drift`, `first connection`).
pub(crate) fn refreshed_detail(name: &str, changes: &CatalogDiff, applied: bool, source: &str) -> serde_json::Value {
    let names = |tools: &[Tool]| tools.iter().map(|t| t.name.clone()).collect::<Vec<_>>();
    serde_json::json!({
        "name": name,
        "source": source,
        "added": names(&changes.added),
        "removed": names(&changes.removed),
        "changed": changes.changed.iter().map(|c| serde_json::json!({
            "tool": c.tool,
            "fields": c.fields.iter().map(|f| f.field.as_str()).collect::<Vec<_>>(),
        })).collect::<Vec<_>>(),
        "applied": applied,
    })
}

/// What a refresh found and did.
#[derive(Clone, Debug)]
pub struct Refresh {
    /// Against the definitions in force before it.
    pub diff: CatalogDiff,
    /// Whether the new catalog is in force now (drafts); a published app keeps
    /// its pinned definitions until an admin accepts.
    pub applied: bool,
    /// For a published app: the change set recorded, if any.
    pub recorded: Option<Recorded>,
}

/// What a person may do with one app.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct AppStanding {
    /// See it and use its enabled actions.
    pub view: bool,
    /// Change it: its actions, refresh, delete, call any action by hand.
    pub manage: bool,
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
    pub auth: DraftAuth,
}

/// How a new connector authenticates to its server.
#[derive(Clone, Debug)]
pub enum DraftAuth {
    None,
    /// OAuth, with an optional static client and scopes.
    OAuth(ConnectorOAuth),
    /// Listed without a token; each tool's `securitySchemes` decides whether its
    /// calls carry the person's OAuth token (see `core::tool_auth`).
    Mixed(ConnectorOAuth),
}

/// The server's URL must pass the address policy before anything is stored.
async fn http_policy_check(url: &url::Url, options: &ClientOptions) -> Result<()> {
    let endpoint = Endpoint::Http { url: url.clone(), transport: switchboard_mcp::HttpTransport::StreamableHttp };
    match switchboard_mcp::check_address(url, &options.network).await {
        Ok(()) => Ok(()),
        Err(e) => Err(connection_failed(&endpoint, &e, options).await),
    }
}

/// The failure to connect, with the diagnosis steps.
async fn connection_failed(endpoint: &Endpoint, err: &McpError, options: &ClientOptions) -> ServiceError {
    tracing::warn!(error = %err.chain(), "could not connect to an MCP server");
    let steps = switchboard_mcp::diagnose(endpoint, err, options).await;
    ServiceError::ConnectionFailed { message: err.to_string(), steps: serde_json::json!(steps) }
}
