//! OAuth for connectors: a connector's client settings, clients registered with an
//! authorization server, authorization flows in progress and each person's tokens.
//!
//! Every secret is sealed with the master key, bound to its row (the associated
//! data names the table, the row and the column), so a sealed value copied to
//! another row does not open. A flow's `state` is stored as its digest only.
//!
//! Refreshing a token is claimed with a compare-and-set on `version`, so one
//! replica refreshes while the others wait for its result (see
//! [`Store::claim_oauth_refresh`]).

use sqlx::Row;
use sqlx::any::AnyRow;
use switchboard_core::oauth::{LegacyEndpoints, Registration};
use switchboard_core::{ConnectorId, SecretString, UserId};
use time::OffsetDateTime;

use crate::Store;
use crate::error::{Result, StoreError};
use crate::records::{AuditEvent, Connector, NewConnector};
use crate::time_ms::{from_ms, now, opt_from_ms, to_ms};

/// A connector's OAuth client settings: a pre-registered (static) client, if any,
/// the scopes to ask for (space-separated; empty: what the server names), and
/// whether a server without any metadata may be used at the 2025-03-26 default
/// endpoints.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct ConnectorOAuth {
    pub client_id: Option<String>,
    pub client_secret: Option<SecretString>,
    pub scopes: String,
    pub legacy_endpoints: LegacyEndpoints,
}

/// A client registered with an authorization server for one redirect URI.
#[derive(Clone, Debug, PartialEq)]
pub struct OAuthClient {
    pub issuer: String,
    pub redirect_uri: String,
    pub client_id: String,
    pub client_secret: Option<SecretString>,
}

/// An authorization flow in progress, as stored when it starts.
#[derive(Clone, Debug)]
pub struct NewOAuthFlow {
    /// SHA-256 of the `state` sent to the authorization server.
    pub state_digest: String,
    pub user_id: UserId,
    /// The browser session that started it, if it was a browser.
    pub session_digest: Option<String>,
    pub connector_id: ConnectorId,
    /// What the callback needs (PKCE verifier included), sealed as one value.
    pub payload: SecretString,
    pub expires_at: OffsetDateTime,
}

/// A flow taken back by its state: it can be taken once.
#[derive(Clone, Debug)]
pub struct OAuthFlow {
    pub user_id: UserId,
    pub session_digest: Option<String>,
    pub connector_id: ConnectorId,
    pub payload: SecretString,
    pub expires_at: OffsetDateTime,
}

/// Whether a person's tokens can be used.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum GrantState {
    Connected,
    /// Refreshing failed for good: the person must connect again.
    NeedsReconnect,
}

impl GrantState {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Connected => "connected",
            Self::NeedsReconnect => "needs_reconnect",
        }
    }

    fn parse(s: &str) -> Option<Self> {
        match s {
            "connected" => Some(Self::Connected),
            "needs_reconnect" => Some(Self::NeedsReconnect),
            _ => None,
        }
    }
}

/// Tokens an authorization server issued (a code exchanged, or a refresh).
#[derive(Clone, Debug)]
pub struct IssuedTokens {
    pub access_token: SecretString,
    /// `None` on a refresh keeps the refresh token already stored.
    pub refresh_token: Option<SecretString>,
    pub expires_at: Option<OffsetDateTime>,
    /// Space-separated.
    pub scopes: String,
}

/// The client that obtained a grant: refreshing and revoking use it, whatever the
/// connector would choose now (a refresh token is bound to its client).
#[derive(Clone, Debug, PartialEq)]
pub struct GrantClient {
    pub client_id: String,
    pub registration: Registration,
    pub client_secret: Option<SecretString>,
}

/// What a completed authorization stores: whose issuer and resource, by which
/// client, and the tokens.
#[derive(Clone, Copy, Debug)]
pub struct NewGrant<'a> {
    pub issuer: &'a str,
    /// The resource (RFC 8707) the tokens were issued for.
    pub resource: &'a str,
    pub client: &'a GrantClient,
    pub tokens: &'a IssuedTokens,
}

/// One person's tokens for one connector.
#[derive(Clone, Debug)]
pub struct OAuthGrant {
    pub user_id: UserId,
    pub connector_id: ConnectorId,
    pub issuer: String,
    /// The resource (RFC 8707) the tokens were issued for.
    pub resource: String,
    pub scopes: String,
    pub access_token: SecretString,
    pub refresh_token: Option<SecretString>,
    pub expires_at: Option<OffsetDateTime>,
    pub state: GrantState,
    /// Moves on every change: the compare-and-set of a refresh.
    pub version: i64,
    /// A refresh was claimed and may still be running until then.
    pub refreshing_until: Option<OffsetDateTime>,
    pub updated_at: OffsetDateTime,
    /// Authorizations made in a row because the server wanted more scopes.
    pub step_ups: i64,
    /// Why the connection needs reconnecting, in words (with `NeedsReconnect`).
    pub reconnect_reason: Option<String>,
    /// The client that obtained the tokens; `None` for grants stored before it was
    /// recorded (migration `0017`).
    pub client: Option<GrantClient>,
}

const GRANT_COLUMNS: &str = "user_id, connector_id, issuer, resource, scopes, access_token, refresh_token, \
                             expires_at, state, version, refreshing_until, updated_at, client_id, registration, \
                             client_secret";

/// [`GRANT_COLUMNS`] and those of step-up and reconnecting, which a new grant starts without.
const GRANT_READ_COLUMNS: &str = "user_id, connector_id, issuer, resource, scopes, access_token, refresh_token, \
                                  expires_at, state, version, refreshing_until, updated_at, client_id, registration, \
                                  client_secret, step_ups, reconnect_reason";

fn aad(table: &str, row: &str, column: &str) -> Vec<u8> {
    format!("{table}/{row}/{column}").into_bytes()
}

fn grant_row(user: UserId, connector: ConnectorId) -> String {
    format!("{user}/{connector}")
}

impl Store {
    fn seal_text(&self, aad: &[u8], value: &SecretString) -> Result<Vec<u8>> {
        self.key.seal(aad, value.expose().as_bytes())
    }

    fn open_text(&self, aad: &[u8], sealed: &[u8]) -> Result<SecretString> {
        let plain = self.key.open(aad, sealed)?;
        String::from_utf8(plain)
            .map(SecretString::new)
            .map_err(|_| StoreError::Corrupt("a sealed OAuth value is not UTF-8".into()))
    }

    /// Store an OAuth connector as `owner`'s draft without a catalog (its tools
    /// are listed once someone has connected), with its client settings.
    pub async fn create_oauth_connector(
        &self,
        new: NewConnector,
        oauth: &ConnectorOAuth,
        audit: impl FnOnce(ConnectorId) -> AuditEvent,
    ) -> Result<Connector> {
        let owner = new.owner_id;
        let connector = self.create_connector(new, &[], audit).await?;
        self.attach_oauth(connector, owner, oauth).await
    }

    /// Store a new connector's OAuth settings; without them it could never
    /// connect, so it is deleted again when they cannot be stored.
    async fn attach_oauth(&self, connector: Connector, owner: UserId, oauth: &ConnectorOAuth) -> Result<Connector> {
        let id = connector.id;
        let secret = oauth
            .client_secret
            .as_ref()
            .map(|s| self.seal_text(&aad("connector_oauth", &id.to_string(), "client_secret"), s))
            .transpose()?;
        let stored = sqlx::query(
            "INSERT INTO connector_oauth (connector_id, client_id, client_secret, scopes, legacy_endpoints) \
             VALUES ($1, $2, $3, $4, $5)",
        )
        .bind(id.to_string())
        .bind(&oauth.client_id)
        .bind(secret)
        .bind(&oauth.scopes)
        .bind(i64::from(oauth.legacy_endpoints.allowed()))
        .execute(&self.pool)
        .await;
        if let Err(e) = stored {
            let undone = AuditEvent::admin_change(
                owner,
                switchboard_core::AuditKind::ConnectorDeleted,
                Some(id),
                serde_json::json!({"reason": "its OAuth settings could not be stored"}),
            );
            let _ = self.delete_connector(id, &undone).await;
            return Err(e.into());
        }
        Ok(connector)
    }

    /// Store a mixed-auth connector (its tools listed without a token) as
    /// `owner`'s draft, with its OAuth client settings.
    pub async fn create_mixed_connector(
        &self,
        new: NewConnector,
        tools: &[switchboard_core::catalog::Tool],
        oauth: &ConnectorOAuth,
        audit: impl FnOnce(ConnectorId) -> AuditEvent,
    ) -> Result<Connector> {
        let owner = new.owner_id;
        let connector = self.create_connector(new, tools, audit).await?;
        self.attach_oauth(connector, owner, oauth).await
    }

    /// A connector's OAuth settings (`None` for a connector without OAuth).
    pub async fn connector_oauth(&self, connector: ConnectorId) -> Result<Option<ConnectorOAuth>> {
        let row = sqlx::query(
            "SELECT client_id, client_secret, scopes, legacy_endpoints FROM connector_oauth WHERE connector_id = $1",
        )
        .bind(connector.to_string())
        .fetch_optional(&self.pool)
        .await?;
        let Some(row) = row else { return Ok(None) };
        let sealed: Option<Vec<u8>> = row.try_get("client_secret")?;
        let client_secret = sealed
            .map(|s| self.open_text(&aad("connector_oauth", &connector.to_string(), "client_secret"), &s))
            .transpose()?;
        let legacy: i64 = row.try_get("legacy_endpoints")?;
        Ok(Some(ConnectorOAuth {
            client_id: row.try_get("client_id")?,
            client_secret,
            scopes: row.try_get("scopes")?,
            legacy_endpoints: if legacy == 1 { LegacyEndpoints::Allowed } else { LegacyEndpoints::Refused },
        }))
    }

    /// The client registered with `issuer` for `redirect_uri`, if any.
    pub async fn oauth_client(&self, issuer: &str, redirect_uri: &str) -> Result<Option<OAuthClient>> {
        let row =
            sqlx::query("SELECT client_id, client_secret FROM oauth_clients WHERE issuer = $1 AND redirect_uri = $2")
                .bind(issuer)
                .bind(redirect_uri)
                .fetch_optional(&self.pool)
                .await?;
        let Some(row) = row else { return Ok(None) };
        let sealed: Option<Vec<u8>> = row.try_get("client_secret")?;
        let row_name = format!("{issuer} {redirect_uri}");
        Ok(Some(OAuthClient {
            issuer: issuer.to_owned(),
            redirect_uri: redirect_uri.to_owned(),
            client_id: row.try_get("client_id")?,
            client_secret: sealed
                .map(|s| self.open_text(&aad("oauth_clients", &row_name, "client_secret"), &s))
                .transpose()?,
        }))
    }

    /// Keep a registered client. When another replica registered one for the same
    /// issuer and redirect URI first, that one is kept and returned.
    pub async fn save_oauth_client(&self, client: &OAuthClient) -> Result<OAuthClient> {
        let row_name = format!("{} {}", client.issuer, client.redirect_uri);
        let secret = client
            .client_secret
            .as_ref()
            .map(|s| self.seal_text(&aad("oauth_clients", &row_name, "client_secret"), s))
            .transpose()?;
        sqlx::query(
            "INSERT INTO oauth_clients (issuer, redirect_uri, client_id, client_secret, created_at) \
             VALUES ($1, $2, $3, $4, $5) ON CONFLICT (issuer, redirect_uri) DO NOTHING",
        )
        .bind(&client.issuer)
        .bind(&client.redirect_uri)
        .bind(&client.client_id)
        .bind(secret)
        .bind(to_ms(now()))
        .execute(&self.pool)
        .await?;
        self.oauth_client(&client.issuer, &client.redirect_uri).await?.ok_or(StoreError::NotFound("oauth client"))
    }

    /// Forget the client `client_id` registered with `issuer` (it no longer knows
    /// it), so the next connection registers anew. A client registered meanwhile
    /// under another id (by another replica) is kept. True when one was forgotten.
    pub async fn forget_oauth_client(&self, issuer: &str, redirect_uri: &str, client_id: &str) -> Result<bool> {
        let done = sqlx::query("DELETE FROM oauth_clients WHERE issuer = $1 AND redirect_uri = $2 AND client_id = $3")
            .bind(issuer)
            .bind(redirect_uri)
            .bind(client_id)
            .execute(&self.pool)
            .await?;
        Ok(done.rows_affected() == 1)
    }

    /// Store a flow that has just started; expired flows go at the same time.
    pub async fn put_oauth_flow(&self, flow: &NewOAuthFlow) -> Result<()> {
        let sealed = self.seal_text(&aad("oauth_flows", &flow.state_digest, "sealed"), &flow.payload)?;
        let mut tx = self.pool.begin().await?;
        sqlx::query("DELETE FROM oauth_flows WHERE expires_at < $1").bind(to_ms(now())).execute(&mut *tx).await?;
        sqlx::query(
            "INSERT INTO oauth_flows (state_digest, user_id, session_digest, connector_id, sealed, expires_at) \
             VALUES ($1, $2, $3, $4, $5, $6)",
        )
        .bind(&flow.state_digest)
        .bind(flow.user_id.to_string())
        .bind(&flow.session_digest)
        .bind(flow.connector_id.to_string())
        .bind(sealed)
        .bind(to_ms(flow.expires_at))
        .execute(&mut *tx)
        .await?;
        tx.commit().await?;
        Ok(())
    }

    /// Take `user`'s flow with this state digest: deleted as it is read, so a state
    /// is used at most once. Someone else's state is not found (and stays usable
    /// by the person who started it).
    pub async fn take_oauth_flow(&self, state_digest: &str, user: UserId) -> Result<Option<OAuthFlow>> {
        let row = sqlx::query(
            "DELETE FROM oauth_flows WHERE state_digest = $1 AND user_id = $2 \
             RETURNING user_id, session_digest, connector_id, sealed, expires_at",
        )
        .bind(state_digest)
        .bind(user.to_string())
        .fetch_optional(&self.pool)
        .await?;
        let Some(row) = row else { return Ok(None) };
        let user: String = row.try_get("user_id")?;
        let connector: String = row.try_get("connector_id")?;
        let sealed: Vec<u8> = row.try_get("sealed")?;
        Ok(Some(OAuthFlow {
            user_id: user.parse().map_err(|e| StoreError::corrupt("user id", e))?,
            session_digest: row.try_get("session_digest")?,
            connector_id: connector.parse().map_err(|e| StoreError::corrupt("connector id", e))?,
            payload: self.open_text(&aad("oauth_flows", state_digest, "sealed"), &sealed)?,
            expires_at: from_ms(row.try_get("expires_at")?)?,
        }))
    }

    fn grant_from_row(&self, row: &AnyRow) -> Result<OAuthGrant> {
        let user: String = row.try_get("user_id")?;
        let connector: String = row.try_get("connector_id")?;
        let user_id: UserId = user.parse().map_err(|e| StoreError::corrupt("user id", e))?;
        let connector_id: ConnectorId = connector.parse().map_err(|e| StoreError::corrupt("connector id", e))?;
        let name = grant_row(user_id, connector_id);
        let access: Vec<u8> = row.try_get("access_token")?;
        let refresh: Option<Vec<u8>> = row.try_get("refresh_token")?;
        let state: String = row.try_get("state")?;
        let client_id: Option<String> = row.try_get("client_id")?;
        let registration: Option<String> = row.try_get("registration")?;
        let client_secret: Option<Vec<u8>> = row.try_get("client_secret")?;
        let client = match (client_id, registration) {
            (Some(client_id), Some(registration)) => Some(GrantClient {
                client_id,
                registration: Registration::parse(&registration)
                    .ok_or_else(|| StoreError::corrupt("grant registration", &registration))?,
                client_secret: client_secret
                    .map(|s| self.open_text(&aad("oauth_tokens", &name, "client_secret"), &s))
                    .transpose()?,
            }),
            _ => None,
        };
        Ok(OAuthGrant {
            user_id,
            connector_id,
            issuer: row.try_get("issuer")?,
            resource: row.try_get("resource")?,
            scopes: row.try_get("scopes")?,
            access_token: self.open_text(&aad("oauth_tokens", &name, "access_token"), &access)?,
            refresh_token: refresh
                .map(|r| self.open_text(&aad("oauth_tokens", &name, "refresh_token"), &r))
                .transpose()?,
            expires_at: opt_from_ms(row.try_get("expires_at")?)?,
            state: GrantState::parse(&state).ok_or_else(|| StoreError::corrupt("grant state", &state))?,
            version: row.try_get("version")?,
            refreshing_until: opt_from_ms(row.try_get("refreshing_until")?)?,
            updated_at: from_ms(row.try_get("updated_at")?)?,
            step_ups: row.try_get("step_ups")?,
            reconnect_reason: row.try_get("reconnect_reason")?,
            client,
        })
    }

    /// A person's tokens for a connector, if they connected.
    pub async fn oauth_grant(&self, user: UserId, connector: ConnectorId) -> Result<Option<OAuthGrant>> {
        let sql = format!("SELECT {GRANT_READ_COLUMNS} FROM oauth_tokens WHERE user_id = $1 AND connector_id = $2");
        let row =
            sqlx::query(&sql).bind(user.to_string()).bind(connector.to_string()).fetch_optional(&self.pool).await?;
        row.map(|r| self.grant_from_row(&r)).transpose()
    }

    /// Store the tokens of a completed authorization, with the client that obtained
    /// them, replacing whatever the person had for this connector (another issuer's
    /// included).
    pub async fn save_oauth_grant(
        &self,
        user: UserId,
        connector: ConnectorId,
        grant: &NewGrant<'_>,
    ) -> Result<OAuthGrant> {
        self.put_oauth_grant(user, connector, grant, false).await
    }

    /// [`Store::save_oauth_grant`] for an authorization made because the server
    /// wanted more scopes: the grant's `step_ups` counts one more.
    pub async fn save_oauth_step_up(
        &self,
        user: UserId,
        connector: ConnectorId,
        grant: &NewGrant<'_>,
    ) -> Result<OAuthGrant> {
        self.put_oauth_grant(user, connector, grant, true).await
    }

    async fn put_oauth_grant(
        &self,
        user: UserId,
        connector: ConnectorId,
        grant: &NewGrant<'_>,
        step_up: bool,
    ) -> Result<OAuthGrant> {
        let (tokens, client) = (grant.tokens, grant.client);
        let name = grant_row(user, connector);
        let access = self.seal_text(&aad("oauth_tokens", &name, "access_token"), &tokens.access_token)?;
        let refresh = tokens
            .refresh_token
            .as_ref()
            .map(|r| self.seal_text(&aad("oauth_tokens", &name, "refresh_token"), r))
            .transpose()?;
        let client_secret = client
            .client_secret
            .as_ref()
            .map(|s| self.seal_text(&aad("oauth_tokens", &name, "client_secret"), s))
            .transpose()?;
        let sql = format!(
            "INSERT INTO oauth_tokens ({GRANT_COLUMNS}, step_ups) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, 1, NULL, $10, $11, $12, $13, $14) \
             ON CONFLICT (user_id, connector_id) DO UPDATE SET issuer = excluded.issuer, \
             resource = excluded.resource, scopes = excluded.scopes, access_token = excluded.access_token, \
             refresh_token = excluded.refresh_token, expires_at = excluded.expires_at, state = excluded.state, \
             version = oauth_tokens.version + 1, refreshing_until = NULL, updated_at = excluded.updated_at, \
             client_id = excluded.client_id, registration = excluded.registration, \
             client_secret = excluded.client_secret, \
             step_ups = CASE WHEN $14 = 1 THEN oauth_tokens.step_ups + 1 ELSE 0 END, reconnect_reason = NULL"
        );
        sqlx::query(&sql)
            .bind(user.to_string())
            .bind(connector.to_string())
            .bind(grant.issuer)
            .bind(grant.resource)
            .bind(&tokens.scopes)
            .bind(access)
            .bind(refresh)
            .bind(tokens.expires_at.map(to_ms))
            .bind(GrantState::Connected.as_str())
            .bind(to_ms(now()))
            .bind(&client.client_id)
            .bind(client.registration.as_str())
            .bind(client_secret)
            .bind(i64::from(step_up))
            .execute(&self.pool)
            .await?;
        self.oauth_grant(user, connector).await?.ok_or(StoreError::NotFound("oauth grant"))
    }

    /// Claim the refresh of the grant at `version`: true for exactly one caller
    /// while no other claim is live (a claim lapses at `until`, so a replica that
    /// died mid-refresh does not block the others for ever).
    pub async fn claim_oauth_refresh(
        &self,
        user: UserId,
        connector: ConnectorId,
        version: i64,
        until: OffsetDateTime,
    ) -> Result<bool> {
        let done = sqlx::query(
            "UPDATE oauth_tokens SET refreshing_until = $1 WHERE user_id = $2 AND connector_id = $3 \
             AND version = $4 AND state = $5 AND (refreshing_until IS NULL OR refreshing_until < $6)",
        )
        .bind(to_ms(until))
        .bind(user.to_string())
        .bind(connector.to_string())
        .bind(version)
        .bind(GrantState::Connected.as_str())
        .bind(to_ms(now()))
        .execute(&self.pool)
        .await?;
        Ok(done.rows_affected() == 1)
    }

    /// Store the result of a claimed refresh, in one statement (a rotated refresh
    /// token replaces the old one with the access token it came with). False when
    /// the grant moved on meanwhile (reconnected, disconnected).
    pub async fn finish_oauth_refresh(
        &self,
        user: UserId,
        connector: ConnectorId,
        version: i64,
        tokens: &IssuedTokens,
    ) -> Result<bool> {
        let name = grant_row(user, connector);
        let access = self.seal_text(&aad("oauth_tokens", &name, "access_token"), &tokens.access_token)?;
        let refresh = tokens
            .refresh_token
            .as_ref()
            .map(|r| self.seal_text(&aad("oauth_tokens", &name, "refresh_token"), r))
            .transpose()?;
        let done = sqlx::query(
            "UPDATE oauth_tokens SET access_token = $1, refresh_token = COALESCE($2, refresh_token), \
             expires_at = $3, scopes = $4, version = version + 1, refreshing_until = NULL, updated_at = $5 \
             WHERE user_id = $6 AND connector_id = $7 AND version = $8",
        )
        .bind(access)
        .bind(refresh)
        .bind(tokens.expires_at.map(to_ms))
        .bind(&tokens.scopes)
        .bind(to_ms(now()))
        .bind(user.to_string())
        .bind(connector.to_string())
        .bind(version)
        .execute(&self.pool)
        .await?;
        Ok(done.rows_affected() == 1)
    }

    /// Give up a claimed refresh that failed for a passing reason: the next use tries again.
    pub async fn release_oauth_refresh(&self, user: UserId, connector: ConnectorId, version: i64) -> Result<()> {
        sqlx::query(
            "UPDATE oauth_tokens SET refreshing_until = NULL WHERE user_id = $1 AND connector_id = $2 AND version = $3",
        )
        .bind(user.to_string())
        .bind(connector.to_string())
        .bind(version)
        .execute(&self.pool)
        .await?;
        Ok(())
    }

    /// The grant at `version` can no longer be used: the person must connect
    /// again, and `reason` says why.
    pub async fn mark_oauth_needs_reconnect(
        &self,
        user: UserId,
        connector: ConnectorId,
        version: i64,
        reason: &str,
    ) -> Result<bool> {
        let done = sqlx::query(
            "UPDATE oauth_tokens SET state = $1, version = version + 1, refreshing_until = NULL, updated_at = $2, \
             reconnect_reason = $6 WHERE user_id = $3 AND connector_id = $4 AND version = $5",
        )
        .bind(GrantState::NeedsReconnect.as_str())
        .bind(to_ms(now()))
        .bind(user.to_string())
        .bind(connector.to_string())
        .bind(version)
        .bind(reason)
        .execute(&self.pool)
        .await?;
        Ok(done.rows_affected() == 1)
    }

    /// A call went through after a step-up: the next refusal for want of scopes
    /// starts counting again. Writes only when there is something to reset.
    pub async fn reset_oauth_step_ups(&self, user: UserId, connector: ConnectorId) -> Result<()> {
        sqlx::query("UPDATE oauth_tokens SET step_ups = 0 WHERE user_id = $1 AND connector_id = $2 AND step_ups > 0")
            .bind(user.to_string())
            .bind(connector.to_string())
            .execute(&self.pool)
            .await?;
        Ok(())
    }

    /// Forget a person's tokens for a connector.
    pub async fn delete_oauth_grant(&self, user: UserId, connector: ConnectorId) -> Result<()> {
        sqlx::query("DELETE FROM oauth_tokens WHERE user_id = $1 AND connector_id = $2")
            .bind(user.to_string())
            .bind(connector.to_string())
            .execute(&self.pool)
            .await?;
        Ok(())
    }
}
