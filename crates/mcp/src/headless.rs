//! The upstream client without a browser, for `switchboard mcp-client`: connect,
//! and where the server wants a token, authorize exactly as a connector does
//! (discovery from the server's challenge, a client — pre-registered, else a
//! Client ID Metadata Document where the server accepts one, else dynamic
//! registration —, PKCE S256, state, `resource`, RFC 9207 `iss`), except that the
//! authorization request is sent by the client itself and the redirect it
//! answers is read for the code instead of a browser following it. An
//! authorization server that wants a person to sign in first cannot be used
//! this way, and the error says so.
//!
//! Then it lists the tools and makes the calls it was asked for. A request the
//! server refuses with 401, or with 403 `insufficient_scope`, is authorized again
//! (asking for the scopes granted before plus those challenged) and sent once
//! more, at most [`MAX_AUTHORIZATIONS`] times per request.

use serde_json::{Map, Value};
use switchboard_core::SecretString;
use switchboard_core::catalog::Tool;
use switchboard_core::credentials::random_token;
use switchboard_core::oauth::{
    LegacyEndpoints, MAX_AUTHORIZATIONS, iss_refusal, pkce_challenge, pkce_refusal, scopes_to_request, union_scopes,
};
use url::Url;

use crate::endpoint::{Endpoint, HttpTransport};
use crate::error::{McpError, with_causes};
use crate::http_client;
use crate::oauth::{self, AuthorizationRequest, AuthorizationServer, ClientCredentials, OAuthError};
use crate::options::ClientOptions;
use crate::session::{UpstreamOutcome, UpstreamSession};

/// How the headless client presents itself to authorization servers.
#[derive(Clone, Debug)]
pub struct HeadlessOAuth {
    /// The redirect URI registered and sent. Nothing listens there: the client
    /// reads the authorization endpoint's redirect to it.
    pub redirect_uri: String,
    /// A pre-registered client, used before anything else.
    pub static_client: Option<ClientCredentials>,
    /// The URL of this client's Client ID Metadata Document, used as the
    /// `client_id` where the server advertises `client_id_metadata_document_supported`.
    pub client_metadata_url: Option<String>,
    /// Scopes to ask for instead of those the server suggests (empty: follow the server).
    pub scope: String,
    /// Whether a server without any metadata may be used at the 2025-03-26 default
    /// endpoints (`core::oauth::default_endpoints_refusal`).
    pub legacy_endpoints: LegacyEndpoints,
}

/// A tool call to make, by name, with its arguments.
#[derive(Clone, Debug, PartialEq)]
pub struct PlannedCall {
    pub name: String,
    pub arguments: Map<String, Value>,
}

/// One authorization the run went through (never its token).
#[derive(Clone, Debug, PartialEq)]
pub struct Authorized {
    pub issuer: String,
    pub client_id: String,
    /// The scopes granted (or, when the server does not say, asked for).
    pub scope: String,
    pub refreshable: bool,
}

/// What a run saw.
#[derive(Debug)]
pub struct HeadlessReport {
    pub protocol_version: String,
    pub server_info: Value,
    pub tools: Vec<Tool>,
    pub authorizations: Vec<Authorized>,
    pub calls: Vec<(String, UpstreamOutcome)>,
}

/// Why a run failed.
#[derive(Debug, thiserror::Error)]
pub enum HeadlessError {
    #[error(transparent)]
    Mcp(#[from] McpError),
    /// Its source says why.
    #[error("authorization failed")]
    OAuth(#[from] OAuthError),
    #[error("the server still refuses the request after {0} authorizations; giving up (its last answer: {1})")]
    StillRefused(usize, McpError),
    #[error("the server lists no tool named {0:?}")]
    UnknownTool(String),
}

/// The key of an argument value the client replaces by a listed tool's `inputSchema`.
pub const INPUT_SCHEMA_OF: &str = "$inputSchemaOf";

/// `arguments` with every `{"$inputSchemaOf": "NAME"}` replaced by the `inputSchema` of
/// the listed tool NAME, exactly as the client holds it: an echo tool then shows whether
/// schemas come through the client whole.
fn with_schemas(arguments: &Map<String, Value>, tools: &[Tool]) -> Result<Map<String, Value>, HeadlessError> {
    fn walk(value: &Value, tools: &[Tool]) -> Result<Value, HeadlessError> {
        Ok(match value {
            Value::Object(map) if map.len() == 1 && map.contains_key(INPUT_SCHEMA_OF) => {
                let name = map[INPUT_SCHEMA_OF].as_str().unwrap_or_default();
                let tool = tools.iter().find(|t| t.name == name);
                tool.ok_or_else(|| HeadlessError::UnknownTool(name.to_owned()))?.input_schema.clone()
            }
            Value::Object(map) => Value::Object(entries(map, tools)?),
            Value::Array(items) => Value::Array(items.iter().map(|v| walk(v, tools)).collect::<Result<_, _>>()?),
            other => other.clone(),
        })
    }
    fn entries(map: &Map<String, Value>, tools: &[Tool]) -> Result<Map<String, Value>, HeadlessError> {
        map.iter().map(|(k, v)| Ok::<_, HeadlessError>((k.clone(), walk(v, tools)?))).collect()
    }
    entries(arguments, tools)
}

/// Connect to `url`, authorize where the server asks, list the tools, then make `calls` in order.
pub async fn run(
    url: &Url,
    oauth: &HeadlessOAuth,
    calls: &[PlannedCall],
    options: &ClientOptions,
) -> Result<HeadlessReport, HeadlessError> {
    let mut client =
        Client { url, oauth, options: options.clone(), session: None, granted: String::new(), authorized: vec![] };
    let result = client.work(calls).await;
    if let Some(session) = client.session.take() {
        session.close().await;
    }
    result
}

struct Client<'a> {
    url: &'a Url,
    oauth: &'a HeadlessOAuth,
    options: ClientOptions,
    session: Option<UpstreamSession>,
    /// The scopes of the current token.
    granted: String,
    authorized: Vec<Authorized>,
}

enum Step<'a> {
    List,
    Call(&'a PlannedCall),
}

enum Done {
    Listed(Vec<Tool>),
    Called(UpstreamOutcome),
}

impl Client<'_> {
    async fn work(&mut self, calls: &[PlannedCall]) -> Result<HeadlessReport, HeadlessError> {
        let Done::Listed(tools) = self.perform(Step::List).await? else { unreachable!("a list lists") };
        let mut outcomes = vec![];
        for call in calls {
            if !tools.iter().any(|t| t.name == call.name) {
                return Err(HeadlessError::UnknownTool(call.name.clone()));
            }
            let call = &PlannedCall { name: call.name.clone(), arguments: with_schemas(&call.arguments, &tools)? };
            let Done::Called(outcome) = self.perform(Step::Call(call)).await? else { unreachable!("a call calls") };
            outcomes.push((call.name.clone(), outcome));
        }
        let session = self.session.as_ref();
        Ok(HeadlessReport {
            protocol_version: session.map(|s| s.protocol_version().to_owned()).unwrap_or_default(),
            server_info: session.map(|s| s.server_info().clone()).unwrap_or_default(),
            tools,
            authorizations: std::mem::take(&mut self.authorized),
            calls: outcomes,
        })
    }

    async fn connected(&mut self) -> Result<&UpstreamSession, McpError> {
        if self.session.is_none() {
            let endpoint = Endpoint::Http { url: self.url.clone(), transport: HttpTransport::Auto };
            self.session = Some(UpstreamSession::connect(&endpoint, &self.options).await?);
        }
        Ok(self.session.as_ref().expect("connected above"))
    }

    /// One step, authorized again (and the session made again with the new
    /// token) each time the server refuses it for want of authorization.
    async fn perform(&mut self, step: Step<'_>) -> Result<Done, HeadlessError> {
        let mut authorizations = 0;
        loop {
            let attempt = match self.connected().await {
                Ok(session) => match &step {
                    Step::List => session.list_tools().await.map(Done::Listed),
                    Step::Call(call) => session.call_tool(&call.name, call.arguments.clone()).await.map(Done::Called),
                },
                Err(e) => Err(e),
            };
            let refused = match attempt {
                Err(e) if e.wants_authorization() => e,
                other => return other.map_err(Into::into),
            };
            let challenge = refused.challenge().map(str::to_owned);
            if authorizations == MAX_AUTHORIZATIONS {
                return Err(HeadlessError::StillRefused(authorizations, refused));
            }
            authorizations += 1;
            let token = authorize(self.url, challenge.as_deref(), &self.granted, self.oauth, &self.options).await?;
            self.granted = token.authorized.scope.clone();
            self.authorized.push(token.authorized);
            self.options.bearer = Some(token.access_token);
            if let Some(old) = self.session.take() {
                old.close().await;
            }
        }
    }
}

/// A token from one authorization.
#[derive(Debug)]
pub struct Token {
    pub access_token: SecretString,
    pub authorized: Authorized,
}

/// Authorize once: discovery from `challenge` (the server's `WWW-Authenticate`),
/// a client, the authorization request followed to its redirect, the checks on
/// what came back, and the code exchanged for a token. `prior_scope` is kept
/// in what is asked for.
pub async fn authorize(
    server_url: &Url,
    challenge: Option<&str>,
    prior_scope: &str,
    config: &HeadlessOAuth,
    options: &ClientOptions,
) -> Result<Token, OAuthError> {
    let options = &ClientOptions { bearer: None, ..options.clone() };
    let discovery = oauth::discover_from_challenge(server_url, challenge, config.legacy_endpoints, options).await?;
    let server = &discovery.server;
    if let Some(why) = pkce_refusal(server.code_challenge_methods_supported.as_deref(), server.default_endpoints) {
        return Err(OAuthError::Unsupported(why.to_owned()));
    }
    let asked = scopes_to_request(
        &config.scope,
        discovery.challenge_scope.as_deref(),
        &discovery.resource_scopes,
        &server.scopes_supported,
    );
    let scope = union_scopes(prior_scope, &asked);
    let client = client_for(server, config, &scope, options).await?;
    let state = random_token(32);
    let verifier = random_token(48);
    let url = oauth::authorization_url(
        server,
        &client,
        &AuthorizationRequest {
            redirect_uri: &config.redirect_uri,
            state: &state,
            code_challenge: &pkce_challenge(&verifier),
            scope: &scope,
            resource: &discovery.resource,
        },
    )?;
    let answer = follow_authorization(&url, &config.redirect_uri, options).await?;
    if answer.state.as_deref() != Some(state.expose()) {
        return Err(OAuthError::Rejected(
            "the authorization response does not carry the state that was sent; it was refused".into(),
        ));
    }
    if let Some(why) =
        iss_refusal(answer.iss.as_deref(), &server.issuer, server.authorization_response_iss_parameter_supported)
    {
        return Err(OAuthError::Rejected(why));
    }
    if let Some(error) = answer.error {
        return Err(OAuthError::Refused { error, description: answer.error_description });
    }
    let code = answer.code.ok_or_else(|| OAuthError::Rejected("the authorization response has no code".into()))?;
    let tokens =
        oauth::exchange_code(server, &client, &code, &verifier, &config.redirect_uri, &discovery.resource, options)
            .await?;
    Ok(Token {
        authorized: Authorized {
            issuer: server.issuer.clone(),
            client_id: client.client_id,
            scope: tokens.scope.unwrap_or(scope),
            refreshable: tokens.refresh_token.is_some(),
        },
        access_token: tokens.access_token,
    })
}

/// The client to use, in the specification's order: pre-registered, then a
/// Client ID Metadata Document where the server accepts one, then dynamic
/// client registration.
async fn client_for(
    server: &AuthorizationServer,
    config: &HeadlessOAuth,
    scope: &str,
    options: &ClientOptions,
) -> Result<ClientCredentials, OAuthError> {
    if let Some(client) = &config.static_client {
        return Ok(client.clone());
    }
    if server.client_id_metadata_document_supported
        && let Some(url) = &config.client_metadata_url
    {
        return Ok(ClientCredentials { client_id: url.clone(), client_secret: None });
    }
    oauth::register(server, &config.redirect_uri, scope, "native", options).await
}

/// What the authorization endpoint's redirect carried.
#[derive(Debug, Default)]
struct AuthorizationResponse {
    code: Option<SecretString>,
    state: Option<String>,
    iss: Option<String>,
    error: Option<String>,
    error_description: Option<String>,
}

/// GET the authorization URL, follow no redirect, and read the one it answers,
/// which must lead to `redirect_uri`.
async fn follow_authorization(
    url: &Url,
    redirect_uri: &str,
    options: &ClientOptions,
) -> Result<AuthorizationResponse, OAuthError> {
    http_client::preflight(url, &options.network).await.map_err(|e| OAuthError::Unreachable(e.to_string()))?;
    let client = http_client::build_without_redirects(options).map_err(|e| OAuthError::Unreachable(e.to_string()))?;
    let response = client
        .get(url.clone())
        .timeout(options.call_timeout)
        .send()
        .await
        .map_err(|e| OAuthError::Unreachable(with_causes(&e)))?;
    let status = response.status().as_u16();
    let location = response.headers().get("location").and_then(|v| v.to_str().ok());
    let (true, Some(location)) = ((300..400).contains(&status), location) else {
        return Err(OAuthError::Rejected(format!(
            "the authorization endpoint answered HTTP {status} instead of redirecting to {redirect_uri}; it wants \
             a person to sign in, which a headless client cannot do"
        )));
    };
    let target = url.join(location).map_err(|e| OAuthError::Rejected(format!("the redirect is not a URL: {e}")))?;
    let expected = Url::parse(redirect_uri).map_err(|e| OAuthError::Rejected(format!("bad redirect URI: {e}")))?;
    if target.origin() != expected.origin() || target.path() != expected.path() {
        return Err(OAuthError::Rejected(format!(
            "the authorization endpoint redirected to {}{}, not to the redirect URI {redirect_uri}",
            target.origin().ascii_serialization(),
            target.path()
        )));
    }
    let mut answer = AuthorizationResponse::default();
    for (key, value) in target.query_pairs() {
        let value = value.into_owned();
        match key.as_ref() {
            "code" => answer.code = Some(SecretString::new(value)),
            "state" => answer.state = Some(value),
            "iss" => answer.iss = Some(value),
            "error" => answer.error = Some(value),
            "error_description" => answer.error_description = Some(value),
            _ => {}
        }
    }
    Ok(answer)
}
