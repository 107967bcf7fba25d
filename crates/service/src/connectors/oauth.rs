//! Connecting people to OAuth-protected MCP servers: the authorization code flow
//! with PKCE (start, callback), each person's tokens per connector, refreshing
//! them ahead of expiry and on a 401 (once across replicas), and disconnecting.
//!
//! Tokens live in the store, sealed; in memory they are `SecretString`s and go
//! nowhere but the `Authorization` header of requests to the connector's own
//! server. Logs, audit entries and errors name issuers, scopes and expiries, never
//! a token.

use std::collections::HashMap;
use std::hash::BuildHasher;
use std::sync::Mutex;
use std::time::{Duration, Instant};

use serde::{Deserialize, Serialize};
use switchboard_core::AuditKind;
use switchboard_core::credentials::{random_token, token_digest};
use switchboard_core::oauth::{
    FLOW_LIFETIME, MAX_AUTHORIZATIONS, REFRESH_CLAIM, Registration, expiry, iss_refusal, may_step_up, pkce_challenge,
    pkce_refusal, refresh_due, registration, scopes_to_request, union_scopes,
};
use switchboard_core::{ConnectorId, SecretString, UserId};
use switchboard_mcp::oauth::{self as flow, AuthorizationServer, ClientCredentials, OAuthError, TokenResponse};
use switchboard_mcp::{ClientOptions, Endpoint};
use switchboard_store::{
    AuditEvent, Connector, ConnectorOAuth, GrantClient, GrantState, IssuedTokens, NewGrant, NewOAuthFlow, OAuthClient,
    OAuthGrant, User,
};
use time::OffsetDateTime;
use url::Url;

use super::Connectors;
use crate::error::{Result, ServiceError};

/// How long discovered metadata is trusted before it is fetched again.
const METADATA_TTL: Duration = Duration::from_secs(3600);
/// How long a caller waits for another caller's (or replica's) refresh.
const REFRESH_WAIT: Duration = Duration::from_secs(15);
/// Most jitter added to the refresh-ahead margin, spread over people and connectors.
const MAX_JITTER_SECS: u64 = 30;

/// Discovered metadata kept per connector.
#[derive(Debug, Default)]
pub(crate) struct MetadataCache(Mutex<HashMap<ConnectorId, (Instant, Metadata)>>);

#[derive(Clone, Debug)]
struct Metadata {
    server: AuthorizationServer,
}

/// A person's connection to an OAuth connector, as the API shows it (never a token).
#[derive(Clone, Debug, PartialEq)]
pub struct OAuthConnection {
    /// `connected`, `needs_connect` or `needs_reconnect`.
    pub state: &'static str,
    pub issuer: Option<String>,
    pub scopes: Vec<String>,
    pub expires_at: Option<OffsetDateTime>,
    /// A refresh token is kept: the connection outlives the access token.
    pub refreshable: bool,
    /// Why the person must reconnect (with `needs_reconnect`), in words.
    pub reason: Option<String>,
}

/// What the authorization server sent back to the callback.
#[derive(Clone, Debug)]
pub struct OAuthCallback {
    pub state: SecretString,
    pub code: Option<SecretString>,
    pub iss: Option<String>,
    pub error: Option<String>,
    pub error_description: Option<String>,
}

/// A callback that connected nothing: why, and the connector it was for and the
/// page the person started from, when the state named them.
#[derive(Debug)]
pub struct FlowFailure {
    pub connector: Option<ConnectorId>,
    pub error: ServiceError,
    pub return_to: Option<String>,
}

/// A callback that connected the person: to which connector, and the page they
/// started from when they named one (`core::oauth::return_path`).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct FlowFinished {
    pub connector: ConnectorId,
    pub return_to: Option<String>,
}

/// Why a claimed refresh made no tokens.
enum Refreshed {
    /// The authorization server refused it, for this client.
    Refused(OAuthError, GrantClient),
    /// The server names another authorization server (this issuer) now.
    Moved(String),
}

/// A person's access token for a connector, and how many authorizations in a row
/// they made for more scopes.
#[derive(Clone, Debug)]
pub(crate) struct Bearer {
    pub(crate) token: SecretString,
    pub(crate) step_ups: i64,
}

/// Who finishes a flow: the signed-in person and, for a browser, its session.
#[derive(Clone, Copy, Debug)]
pub struct FlowOwner<'a> {
    pub user: &'a User,
    pub session_digest: Option<&'a str>,
}

/// What the callback needs, sealed in the flow's row.
#[derive(Serialize, Deserialize)]
struct FlowPayload {
    verifier: String,
    server: AuthorizationServer,
    client_id: String,
    /// How that client came to be (`core::oauth::Registration::as_str`); absent in
    /// flows started before it was recorded.
    #[serde(default)]
    registration: Option<String>,
    resource: String,
    redirect_uri: String,
    scope: String,
    /// Started because the server wanted more scopes.
    #[serde(default)]
    step_up: bool,
    /// The page to send the person back to (a path checked when the flow started).
    #[serde(default)]
    return_to: Option<String>,
}

fn oauth_failed(e: OAuthError) -> ServiceError {
    ServiceError::OAuth { code: "oauth_failed", message: e.to_string() }
}

/// Why a person must connect again after the authorization server answered
/// `invalid_client` for the client Switchboard registered there.
const CLIENT_FORGOTTEN: &str = "the authorization server no longer knows the client Switchboard registered there \
                                (invalid_client), so your connection cannot be renewed; connecting again registers \
                                a new client";

fn credentials(client: &GrantClient) -> ClientCredentials {
    ClientCredentials { client_id: client.client_id.clone(), client_secret: client.client_secret.clone() }
}

fn state_invalid(message: &str) -> ServiceError {
    ServiceError::OAuth { code: "oauth_state_invalid", message: message.to_owned() }
}

/// Spread refreshes: a random offset of up to `MAX_JITTER_SECS` for each check.
fn jitter(user: UserId, connector: ConnectorId) -> Duration {
    // Every RandomState has fresh keys, so the hash is a random number.
    let random = std::collections::hash_map::RandomState::new().hash_one((user, connector));
    Duration::from_secs(random % (MAX_JITTER_SECS + 1))
}

fn issued(now: OffsetDateTime, tokens: TokenResponse, requested_scope: &str) -> IssuedTokens {
    IssuedTokens {
        access_token: tokens.access_token,
        refresh_token: tokens.refresh_token,
        expires_at: expiry(now, tokens.expires_in),
        scopes: tokens.scope.unwrap_or_else(|| requested_scope.to_owned()),
    }
}

impl Connectors {
    fn http_url(c: &Connector) -> Result<Url> {
        match super::endpoint_of(c)? {
            Endpoint::Http { url, .. } => Ok(url),
            Endpoint::Stdio(_) => Err(ServiceError::Invalid("a local command has no OAuth".into())),
        }
    }

    fn require_oauth(c: &Connector) -> Result<()> {
        if super::auth_mode(c).uses_oauth() {
            Ok(())
        } else {
            Err(ServiceError::conflict("oauth_not_configured", "this app does not use OAuth: it needs no sign-in"))
        }
    }

    /// The server's metadata, discovered again after `METADATA_TTL` or when `fresh`.
    async fn metadata(&self, c: &Connector, options: &ClientOptions, fresh: bool) -> Result<Metadata> {
        if !fresh
            && let Some((at, kept)) = self.0.oauth_metadata.0.lock().unwrap_or_else(|e| e.into_inner()).get(&c.id)
            && at.elapsed() < METADATA_TTL
        {
            return Ok(kept.clone());
        }
        let legacy = self.settings_of(c).await?.legacy_endpoints;
        let discovered = flow::discover(&Self::http_url(c)?, legacy, options).await.map_err(oauth_failed)?;
        let found = Metadata { server: discovered.server };
        self.0.oauth_metadata.0.lock().unwrap_or_else(|e| e.into_inner()).insert(c.id, (Instant::now(), found.clone()));
        Ok(found)
    }

    /// The client to use with `server`, in the order of [`registration`]: the
    /// connector's static client, else Switchboard's Client ID Metadata Document
    /// where the server accepts one, else one registered before, else one
    /// registered now (RFC 7591).
    async fn client_for(
        &self,
        settings: &ConnectorOAuth,
        server: &AuthorizationServer,
        scope: &str,
        options: &ClientOptions,
    ) -> Result<GrantClient> {
        let document = self.0.config.oauth_client_metadata_url.as_ref();
        let choice = registration(
            settings.client_id.is_some(),
            document.is_some(),
            server.client_id_metadata_document_supported,
        );
        match (choice, &settings.client_id, document) {
            (Registration::Static, Some(client_id), _) => {
                return Ok(GrantClient {
                    client_id: client_id.clone(),
                    registration: Registration::Static,
                    client_secret: settings.client_secret.clone(),
                });
            }
            (Registration::MetadataDocument, _, Some(url)) => {
                return Ok(GrantClient {
                    client_id: url.clone(),
                    registration: Registration::MetadataDocument,
                    client_secret: None,
                });
            }
            _ => {}
        }
        let dynamic = |kept: OAuthClient| GrantClient {
            client_id: kept.client_id,
            registration: Registration::Dynamic,
            client_secret: kept.client_secret,
        };
        let redirect_uri = &self.0.config.oauth_redirect_uri;
        if let Some(kept) = self.0.store.oauth_client(&server.issuer, redirect_uri).await? {
            return Ok(dynamic(kept));
        }
        let registered = flow::register(server, redirect_uri, scope, "web", options).await.map_err(oauth_failed)?;
        let kept = self
            .0
            .store
            .save_oauth_client(&OAuthClient {
                issuer: server.issuer.clone(),
                redirect_uri: redirect_uri.clone(),
                client_id: registered.client_id,
                client_secret: registered.client_secret,
            })
            .await?;
        tracing::info!(issuer = %server.issuer, "registered a client with an authorization server");
        Ok(dynamic(kept))
    }

    /// The authorization server answered `invalid_client` for `client`: when it is
    /// one Switchboard registered (RFC 7591), forget that registration so the next
    /// connection registers anew. True when it was one.
    async fn forget_if_registered(&self, issuer: &str, client: &GrantClient) -> Result<bool> {
        if !client.registration.registers_anew_on_invalid_client() {
            return Ok(false);
        }
        let redirect_uri = &self.0.config.oauth_redirect_uri;
        if self.0.store.forget_oauth_client(issuer, redirect_uri, &client.client_id).await? {
            tracing::info!(issuer = %issuer, "the authorization server forgot our registered client; forgotten here too");
        }
        Ok(true)
    }

    async fn settings_of(&self, c: &Connector) -> Result<ConnectorOAuth> {
        Ok(self.0.store.connector_oauth(c.id).await?.unwrap_or_default())
    }

    /// Start connecting `owner` to an OAuth connector: discovery, a client, PKCE
    /// and a single-use state bound to the person (and browser session). Returns
    /// the authorization URL to send the browser to. The callback sends the person
    /// back to `return_to` when given (a path of the chat or app pages), else to the
    /// app's page.
    pub async fn oauth_start(&self, owner: FlowOwner<'_>, id: ConnectorId, return_to: Option<&str>) -> Result<Url> {
        self.start_flow(owner, id, None, return_to).await
    }

    /// Start connecting again because the server refused a call for want of
    /// scopes (403 `insufficient_scope`): the person is asked for the scopes they
    /// granted before plus `challenged`, and the authorization counts as a step-up
    /// (see `core::oauth::may_step_up`).
    pub async fn oauth_step_up(
        &self,
        owner: FlowOwner<'_>,
        id: ConnectorId,
        challenged: &str,
        return_to: Option<&str>,
    ) -> Result<Url> {
        if !switchboard_core::oauth::valid_scope(challenged) {
            return Err(ServiceError::Invalid(
                "scope must be scope names separated by spaces (printable ASCII, no quotes or backslashes)".into(),
            ));
        }
        self.start_flow(owner, id, Some(challenged), return_to).await
    }

    async fn start_flow(
        &self,
        owner: FlowOwner<'_>,
        id: ConnectorId,
        step_up: Option<&str>,
        return_to: Option<&str>,
    ) -> Result<Url> {
        let return_to = match return_to {
            Some(raw) => Some(switchboard_core::oauth::return_path(raw).ok_or_else(|| {
                ServiceError::Invalid("return_to must be a path of this site's chat or app pages".into())
            })?),
            None => None,
        };
        let found = self.usable(owner.user, id).await?;
        let c = &found.connector;
        Self::require_oauth(c)?;
        let options = self.client_options().await?;
        let settings = self.settings_of(c).await?;
        let discovered =
            flow::discover(&Self::http_url(c)?, settings.legacy_endpoints, &options).await.map_err(oauth_failed)?;
        let server = &discovered.server;
        if let Some(why) = pkce_refusal(server.code_challenge_methods_supported.as_deref(), server.default_endpoints) {
            return Err(ServiceError::OAuth { code: "oauth_unsupported", message: why.to_owned() });
        }
        self.0
            .oauth_metadata
            .0
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .insert(c.id, (Instant::now(), Metadata { server: server.clone() }));
        let mut scope = scopes_to_request(
            &settings.scopes,
            discovered.challenge_scope.as_deref(),
            &discovered.resource_scopes,
            &server.scopes_supported,
        );
        if let Some(challenged) = step_up {
            // What was granted (else what a first connection asks for), plus what the server wants now.
            let granted = self.0.store.oauth_grant(owner.user.id, id).await?.map(|g| g.scopes);
            scope = union_scopes(granted.as_deref().unwrap_or(&scope), challenged);
        }
        let client = self.client_for(&settings, server, &scope, &options).await?;
        let state = random_token(32);
        let verifier = random_token(48);
        let redirect_uri = self.0.config.oauth_redirect_uri.clone();
        let url = flow::authorization_url(
            server,
            &credentials(&client),
            &flow::AuthorizationRequest {
                redirect_uri: &redirect_uri,
                state: &state,
                code_challenge: &pkce_challenge(&verifier),
                scope: &scope,
                resource: &discovered.resource,
            },
        )
        .map_err(oauth_failed)?;
        let payload = FlowPayload {
            verifier: verifier.expose().to_owned(),
            server: server.clone(),
            client_id: client.client_id.clone(),
            registration: Some(client.registration.as_str().to_owned()),
            resource: discovered.resource.clone(),
            redirect_uri,
            scope: scope.clone(),
            step_up: step_up.is_some(),
            return_to: return_to.map(str::to_owned),
        };
        let payload = serde_json::to_string(&payload).map_err(|e| ServiceError::Internal(e.to_string()))?;
        self.0
            .store
            .put_oauth_flow(&NewOAuthFlow {
                state_digest: token_digest(&state),
                user_id: owner.user.id,
                session_digest: owner.session_digest.map(str::to_owned),
                connector_id: id,
                payload: SecretString::new(payload),
                expires_at: OffsetDateTime::now_utc() + FLOW_LIFETIME,
            })
            .await?;
        tracing::info!(actor = %owner.user.id, connector = %id, issuer = %server.issuer, scope = %scope,
            step_up = step_up.is_some(), "oauth authorization started");
        Ok(url)
    }

    /// Finish a flow: the state must be one `owner` started (in the same browser
    /// session), unused and not expired; `iss` must name the issuer (RFC 9207);
    /// then the code is exchanged and the tokens stored. Returns the connector.
    pub async fn oauth_finish(
        &self,
        owner: FlowOwner<'_>,
        callback: OAuthCallback,
    ) -> std::result::Result<FlowFinished, FlowFailure> {
        let digest = token_digest(&callback.state);
        let failed = |connector, error, return_to| FlowFailure { connector, error, return_to };
        let taken =
            self.0.store.take_oauth_flow(&digest, owner.user.id).await.map_err(|e| failed(None, e.into(), None))?;
        let Some(taken) = taken else {
            let why =
                "this sign-in is unknown, was already used, or was started by someone else; start connecting again";
            return Err(failed(None, state_invalid(why), None));
        };
        let id = taken.connector_id;
        let payload: FlowPayload = serde_json::from_str(taken.payload.expose())
            .map_err(|e| failed(Some(id), ServiceError::Internal(e.to_string()), None))?;
        let return_to = payload.return_to.clone();
        match self.finish_taken(owner, callback, taken, payload).await {
            Ok(()) => Ok(FlowFinished { connector: id, return_to }),
            Err(error) => Err(failed(Some(id), error, return_to)),
        }
    }

    async fn finish_taken(
        &self,
        owner: FlowOwner<'_>,
        callback: OAuthCallback,
        taken: switchboard_store::OAuthFlow,
        payload: FlowPayload,
    ) -> Result<()> {
        if taken.session_digest.is_some() && taken.session_digest.as_deref() != owner.session_digest {
            return Err(state_invalid("this sign-in was started in another browser session; start connecting again"));
        }
        if taken.expires_at < OffsetDateTime::now_utc() {
            return Err(state_invalid("this sign-in took longer than 10 minutes; start connecting again"));
        }
        let id = taken.connector_id;
        let server = &payload.server;
        if let Some(message) =
            iss_refusal(callback.iss.as_deref(), &server.issuer, server.authorization_response_iss_parameter_supported)
        {
            return Err(ServiceError::OAuth { code: "oauth_issuer_mismatch", message });
        }
        if let Some(error) = &callback.error {
            let more = callback.error_description.as_deref().map(|d| format!(" ({d})")).unwrap_or_default();
            return Err(ServiceError::OAuth {
                code: "oauth_denied",
                message: format!("the authorization server answered {error}{more}; nothing was connected"),
            });
        }
        let code = callback.code.ok_or_else(|| state_invalid("the authorization response has no code"))?;
        let found = self.usable(owner.user, id).await?;
        let settings = self.settings_of(&found.connector).await?;
        let options = self.client_options().await?;
        let client = self.flow_client(&settings, &payload).await?;
        let verifier = SecretString::new(payload.verifier);
        let now = OffsetDateTime::now_utc();
        let exchanged = flow::exchange_code(
            server,
            &credentials(&client),
            &code,
            &verifier,
            &payload.redirect_uri,
            &payload.resource,
            &options,
        )
        .await;
        let tokens = match exchanged {
            Ok(tokens) => tokens,
            Err(e) if e.is_invalid_client() && self.forget_if_registered(&server.issuer, &client).await? => {
                // Whatever the person holds from that client cannot be renewed either.
                if let Some(held) = self.0.store.oauth_grant(owner.user.id, id).await?
                    && held.client.as_ref().is_some_and(|c| c.client_id == client.client_id)
                {
                    self.0.store.mark_oauth_needs_reconnect(owner.user.id, id, held.version, CLIENT_FORGOTTEN).await?;
                }
                tracing::info!(actor = %owner.user.id, connector = %id, issuer = %server.issuer,
                    "the code exchange answered invalid_client; the registration is forgotten");
                return Err(ServiceError::OAuth {
                    code: "oauth_failed",
                    message: format!(
                        "the authorization server no longer knows the client Switchboard registered there ({e}); \
                         it is forgotten: connect again, and Switchboard registers a new one"
                    ),
                });
            }
            Err(e) => return Err(oauth_failed(e)),
        };
        let tokens = issued(now, tokens, &payload.scope);
        let store = &self.0.store;
        let new = NewGrant { issuer: &server.issuer, resource: &payload.resource, client: &client, tokens: &tokens };
        let grant = if payload.step_up {
            store.save_oauth_step_up(owner.user.id, id, &new).await?
        } else {
            store.save_oauth_grant(owner.user.id, id, &new).await?
        };
        self.0.sessions.evict(&(owner.user.id, id)).await;
        tracing::info!(actor = %owner.user.id, connector = %id, issuer = %server.issuer, scopes = %grant.scopes,
            refreshable = grant.refresh_token.is_some(), "oauth connected");
        self.0
            .audit
            .append(AuditEvent::admin_change(
                owner.user.id,
                AuditKind::OAuthConnected,
                Some(id),
                serde_json::json!({"issuer": server.issuer, "scopes": grant.scopes,
                    "refreshable": grant.refresh_token.is_some()}),
            ))
            .await?;
        self.list_after_connect(owner.user, &found.connector).await;
        Ok(())
    }

    /// The client a flow was started with, as the callback exchanges its code: its
    /// id from the flow, its secret from where that client is kept (the app's
    /// settings for its static client, the registration for a registered one).
    async fn flow_client(&self, settings: &ConnectorOAuth, payload: &FlowPayload) -> Result<GrantClient> {
        let recorded = payload.registration.as_deref().and_then(Registration::parse);
        let static_match = settings.client_id.as_deref() == Some(payload.client_id.as_str());
        let registration = match recorded {
            Some(r) => r,
            None if static_match => Registration::Static,
            None if self.0.config.oauth_client_metadata_url.as_deref() == Some(payload.client_id.as_str()) => {
                Registration::MetadataDocument
            }
            None => Registration::Dynamic,
        };
        let client_secret = match registration {
            Registration::Static if static_match => settings.client_secret.clone(),
            Registration::Static | Registration::MetadataDocument => None,
            Registration::Dynamic => {
                let kept = self.0.store.oauth_client(&payload.server.issuer, &payload.redirect_uri).await?;
                kept.filter(|k| k.client_id == payload.client_id).and_then(|k| k.client_secret)
            }
        };
        Ok(GrantClient { client_id: payload.client_id.clone(), registration, client_secret })
    }

    /// A draft listed nothing yet when it was created without a token: its owner's
    /// first connection lists its tools.
    async fn list_after_connect(&self, user: &User, c: &Connector) {
        let listed = self.kept_catalog(c.id).is_some_and(|cat| !cat.tools.is_empty());
        if listed || c.owner_id != user.id || c.status != switchboard_core::connector::ConnectorStatus::Draft {
            return;
        }
        match self.list_as(user.id, c).await {
            Ok((tools, version)) => {
                let listed = switchboard_core::catalog_diff::diff(&[], &tools);
                let detail = super::refreshed_detail(&c.name, &listed, true, "first connection");
                let entry = AuditEvent::admin_change(user.id, AuditKind::ConnectorRefreshed, Some(c.id), detail);
                if let Err(e) = self.0.store.replace_tools(c.id, &tools, &version, &entry).await {
                    tracing::warn!(connector = %c.id, error = %e, "could not store the tools listed after connecting");
                }
            }
            Err(e) => tracing::warn!(connector = %c.id, error = %e, "could not list tools after connecting"),
        }
    }

    /// This person's connection to an OAuth connector.
    pub async fn oauth_connection(&self, user: &User, id: ConnectorId) -> Result<OAuthConnection> {
        let found = self.usable(user, id).await?;
        Self::require_oauth(&found.connector)?;
        let grant = self.0.store.oauth_grant(user.id, id).await?;
        Ok(match grant {
            None => OAuthConnection {
                state: "needs_connect",
                issuer: None,
                scopes: vec![],
                expires_at: None,
                refreshable: false,
                reason: None,
            },
            Some(g) => OAuthConnection {
                state: g.state.as_str(),
                scopes: g.scopes.split_whitespace().map(str::to_owned).collect(),
                issuer: Some(g.issuer),
                expires_at: g.expires_at,
                refreshable: g.refresh_token.is_some(),
                reason: g.reconnect_reason.filter(|_| g.state == GrantState::NeedsReconnect),
            },
        })
    }

    /// What whoever adds OAuth app `id` should know before people connect: today,
    /// whether its authorization server lists `offline_access` (without it, each
    /// person signs in again when their access token expires). When discovery
    /// fails, that is the warning: connecting will say the rest.
    pub async fn oauth_warnings(&self, user: &User, id: ConnectorId) -> Result<Vec<String>> {
        let found = self.usable(user, id).await?;
        Self::require_oauth(&found.connector)?;
        let options = self.client_options().await?;
        Ok(match self.metadata(&found.connector, &options, false).await {
            Ok(metadata) => switchboard_core::oauth::offline_access_warning(&metadata.server.scopes_supported)
                .into_iter()
                .map(str::to_owned)
                .collect(),
            Err(e) => vec![format!("the server's authorization metadata could not be read yet: {e}")],
        })
    }

    /// Disconnect: revoke the person's tokens where the server offers revocation
    /// (RFC 7009), then delete them, whatever the revocation answered.
    pub async fn oauth_disconnect(&self, user: &User, id: ConnectorId) -> Result<()> {
        let found = self.usable(user, id).await?;
        let c = &found.connector;
        Self::require_oauth(c)?;
        let Some(grant) = self.0.store.oauth_grant(user.id, id).await? else { return Ok(()) };
        let options = self.client_options().await?;
        let revoked = match self.metadata(c, &options, false).await {
            Ok(meta) if meta.server.issuer == grant.issuer => {
                match self.grant_client(c, &grant, &meta.server, &options).await {
                    Ok(client) => {
                        let client = credentials(&client);
                        let (token, hint) = match &grant.refresh_token {
                            Some(r) => (r, "refresh_token"),
                            None => (&grant.access_token, "access_token"),
                        };
                        flow::revoke(&meta.server, &client, token, hint, &options).await.map_err(oauth_failed)
                    }
                    Err(e) => Err(e),
                }
            }
            Ok(_) => Ok(false),
            Err(e) => Err(e),
        };
        if let Err(e) = &revoked {
            tracing::warn!(actor = %user.id, connector = %id, error = %e, "could not revoke the token; deleting it anyway");
        }
        self.0.store.delete_oauth_grant(user.id, id).await?;
        self.0.sessions.evict(&(user.id, id)).await;
        tracing::info!(actor = %user.id, connector = %id, revoked = matches!(revoked, Ok(true)), "oauth disconnected");
        self.0
            .audit
            .append(AuditEvent::admin_change(
                user.id,
                AuditKind::OAuthDisconnected,
                Some(id),
                serde_json::json!({"issuer": grant.issuer, "revoked": matches!(revoked, Ok(true))}),
            ))
            .await?;
        Ok(())
    }

    /// The client that obtained `grant`, which its refresh token is bound to; for a
    /// grant stored before that was recorded, the one the app would use now.
    async fn grant_client(
        &self,
        c: &Connector,
        grant: &OAuthGrant,
        server: &AuthorizationServer,
        options: &ClientOptions,
    ) -> Result<GrantClient> {
        match &grant.client {
            Some(client) => Ok(client.clone()),
            None => self.client_for(&self.settings_of(c).await?, server, "", options).await,
        }
    }

    pub(super) fn auth_required(c: &Connector, state: &'static str, message: &str) -> ServiceError {
        ServiceError::AuthRequired { connector: c.id, state, message: message.to_owned(), scope: None }
    }

    /// The access token to send to `c` for `user`, refreshed first when it is
    /// about to expire (or, with `after_refusal`, because the server refused it).
    pub(crate) async fn access_token(
        &self,
        user: UserId,
        c: &Connector,
        after_refusal: Option<&SecretString>,
    ) -> Result<Bearer> {
        let Some(grant) = self.0.store.oauth_grant(user, c.id).await? else {
            return Err(Self::auth_required(c, "needs_connect", "connect your account to this app first"));
        };
        if grant.state == GrantState::NeedsReconnect {
            let reason =
                grant.reconnect_reason.as_deref().unwrap_or("your connection to this app could not be renewed");
            return Err(Self::auth_required(c, "needs_reconnect", &format!("{reason}; reconnect")));
        }
        let now = OffsetDateTime::now_utc();
        let refused = after_refusal.is_some_and(|t| t.expose() == grant.access_token.expose());
        let step_ups = grant.step_ups;
        if !refused && !refresh_due(grant.updated_at, grant.expires_at, now, jitter(user, c.id)) {
            return Ok(Bearer { token: grant.access_token, step_ups });
        }
        Ok(Bearer { token: self.refresh_grant(c, grant, refused).await?, step_ups })
    }

    /// The answer to a tool error that carries an authorization challenge
    /// (`_meta["mcp/www_authenticate"]`): more scopes when it says
    /// `insufficient_scope`, else a connection (again, when a token was sent).
    pub(crate) fn challenged(c: &Connector, sent_token: bool, step_ups: i64, challenge: &str) -> ServiceError {
        if challenge.contains("insufficient_scope") {
            Self::step_up_needed(c, step_ups, Some(challenge))
        } else if sent_token {
            Self::auth_required(c, "needs_reconnect", "the server refused your connection for this; reconnect")
        } else {
            Self::auth_required(c, "needs_connect", "the server wants you signed in for this; connect first")
        }
    }

    /// The answer to a call the server refused for want of scopes (403
    /// `insufficient_scope`, with its `WWW-Authenticate`): connect again for the
    /// scopes granted plus those challenged, unless the person already did that
    /// [`MAX_AUTHORIZATIONS`] times in a row without a call going through.
    pub(crate) fn step_up_needed(c: &Connector, step_ups: i64, challenge: Option<&str>) -> ServiceError {
        let challenged = challenge.and_then(flow::challenge_scope).unwrap_or_default();
        let asked = if challenged.is_empty() { "more access".to_owned() } else { format!("the scopes {challenged}") };
        if !may_step_up(usize::try_from(step_ups).unwrap_or(usize::MAX)) {
            return ServiceError::OAuth {
                code: "insufficient_scope",
                message: format!(
                    "the server still refuses this for want of {asked} after {MAX_AUTHORIZATIONS} authorizations in a \
                     row that asked for more; ask the server's operator which scopes it needs"
                ),
            };
        }
        ServiceError::AuthRequired {
            connector: c.id,
            state: "needs_scope",
            message: format!("the server needs {asked} for this, beyond what you granted; connect again to grant it"),
            scope: Some(challenged),
        }
    }

    /// Refresh once across replicas: whoever claims the grant's version refreshes;
    /// everyone else waits for the new version and uses its token.
    async fn refresh_grant(&self, c: &Connector, mut grant: OAuthGrant, refused: bool) -> Result<SecretString> {
        let (user, id) = (grant.user_id, c.id);
        let deadline = Instant::now() + REFRESH_WAIT;
        loop {
            let until = OffsetDateTime::now_utc() + REFRESH_CLAIM;
            if self.0.store.claim_oauth_refresh(user, id, grant.version, until).await? {
                return self.refresh_claimed(c, &grant, refused).await;
            }
            // Another caller holds the claim: wait for the version it writes.
            loop {
                if Instant::now() > deadline {
                    return Err(ServiceError::conflict(
                        "oauth_refresh_busy",
                        "the token is being renewed and it takes long; try again in a moment",
                    ));
                }
                tokio::time::sleep(Duration::from_millis(50)).await;
                let Some(now) = self.0.store.oauth_grant(user, id).await? else {
                    return Err(Self::auth_required(c, "needs_connect", "connect your account to this app first"));
                };
                if now.version != grant.version {
                    return match now.state {
                        GrantState::Connected => Ok(now.access_token),
                        GrantState::NeedsReconnect => {
                            let reason =
                                now.reconnect_reason.as_deref().unwrap_or("your connection could not be renewed");
                            Err(Self::auth_required(c, "needs_reconnect", &format!("{reason}; reconnect")))
                        }
                    };
                }
                let lapsed = now.refreshing_until.is_none_or(|t| t < OffsetDateTime::now_utc());
                grant = now;
                if lapsed {
                    break;
                }
            }
        }
    }

    /// Refresh a grant this caller claimed. The server's metadata is discovered
    /// again first when the server refused the token (`refused`): a server that
    /// moved to another authorization server gets no refresh token of the old one's
    /// (credentials are kept per issuer), and the person must connect again.
    async fn refresh_claimed(&self, c: &Connector, grant: &OAuthGrant, refused: bool) -> Result<SecretString> {
        let (user, id) = (grant.user_id, c.id);
        let Some(refresh_token) = &grant.refresh_token else {
            let reason = "your access token expired and the authorization server issued no refresh token";
            self.0.store.mark_oauth_needs_reconnect(user, id, grant.version, reason).await?;
            tracing::info!(actor = %user, connector = %id, "access token expired without a refresh token");
            return Err(Self::auth_required(
                c,
                "needs_reconnect",
                "your access to this app expired and the authorization server issued no refresh token; reconnect",
            ));
        };
        let attempt = async {
            let options = self.client_options().await?;
            let meta = self.metadata(c, &options, refused).await?;
            if meta.server.issuer != grant.issuer {
                return Ok(Err(Refreshed::Moved(meta.server.issuer)));
            }
            let client = self.grant_client(c, grant, &meta.server, &options).await?;
            let now = OffsetDateTime::now_utc();
            let answer =
                flow::refresh(&meta.server, &credentials(&client), refresh_token, &grant.resource, &options).await;
            Ok::<_, ServiceError>(
                answer.map(|t| issued(now, t, &grant.scopes)).map_err(|e| Refreshed::Refused(e, client)),
            )
        };
        match attempt.await {
            Ok(Err(Refreshed::Moved(issuer))) => {
                let reason = format!(
                    "the app's server now uses another authorization server ({issuer}, not {}), so your connection \
                     must be made there",
                    grant.issuer
                );
                self.0.store.mark_oauth_needs_reconnect(user, id, grant.version, &reason).await?;
                self.0.sessions.evict(&(user, id)).await;
                tracing::info!(actor = %user, connector = %id, from = %grant.issuer, to = %issuer,
                    "the server moved to another authorization server; reconnect needed");
                Err(Self::auth_required(c, "needs_reconnect", &format!("{reason}; reconnect")))
            }
            Ok(Ok(tokens)) => {
                if !self.0.store.finish_oauth_refresh(user, id, grant.version, &tokens).await? {
                    // Reconnected or disconnected meanwhile: what is stored now wins.
                    return match self.0.store.oauth_grant(user, id).await? {
                        Some(g) if g.state == GrantState::Connected => Ok(g.access_token),
                        _ => Err(Self::auth_required(c, "needs_connect", "connect your account to this app first")),
                    };
                }
                tracing::info!(actor = %user, connector = %id, rotated = tokens.refresh_token.is_some(),
                    "oauth token refreshed");
                self.0.sessions.evict(&(user, id)).await;
                Ok(tokens.access_token)
            }
            Ok(Err(Refreshed::Refused(e, client)))
                if e.is_invalid_client() && self.forget_if_registered(&grant.issuer, &client).await? =>
            {
                self.0.store.mark_oauth_needs_reconnect(user, id, grant.version, CLIENT_FORGOTTEN).await?;
                self.0.sessions.evict(&(user, id)).await;
                tracing::info!(actor = %user, connector = %id, issuer = %grant.issuer,
                    "the refresh answered invalid_client; the registration is forgotten, reconnect needed");
                Err(Self::auth_required(c, "needs_reconnect", &format!("{CLIENT_FORGOTTEN}; reconnect")))
            }
            Ok(Err(Refreshed::Refused(e, _))) if e.is_invalid_grant() => {
                let reason = format!("the authorization server no longer accepts your connection ({e})");
                self.0.store.mark_oauth_needs_reconnect(user, id, grant.version, &reason).await?;
                tracing::info!(actor = %user, connector = %id, error = %e, "oauth refresh refused; reconnect needed");
                Err(Self::auth_required(c, "needs_reconnect", &format!("{reason}; reconnect")))
            }
            Ok(Err(Refreshed::Refused(e, _))) => {
                self.0.store.release_oauth_refresh(user, id, grant.version).await?;
                tracing::warn!(actor = %user, connector = %id, error = %e, "oauth refresh failed");
                Err(oauth_failed(e))
            }
            Err(e) => {
                self.0.store.release_oauth_refresh(user, id, grant.version).await?;
                Err(e)
            }
        }
    }
}
