//! The OAuth client side of the MCP authorization specification, as steps a flow
//! can take: discovery (the 401's challenge, Protected Resource Metadata per RFC
//! 9728, authorization server metadata per RFC 8414 then OpenID Connect
//! discovery), dynamic client registration (RFC 7591), the authorization request
//! with PKCE and a resource indicator (RFC 7636, RFC 8707), the token requests
//! (authorization code, refresh) and revocation (RFC 7009).
//!
//! Every request goes through the policy-checked client of `http_client.rs`.
//! Metadata is fetched like the doctor fetches it (same-origin redirects only);
//! requests that carry credentials (registration, token, revocation) follow no
//! redirect at all. Errors never quote a token endpoint's body, which could hold a
//! token: only its `error` and `error_description`.

use std::time::Duration;

use serde::{Deserialize, Serialize};
use serde_json::{Value, json};
use switchboard_core::SecretString;
use switchboard_core::oauth::{LegacyEndpoints, default_endpoints_refusal, prompt_for, registration_grant_types};
use url::Url;

use crate::auth_discovery::{
    FetchFailure, authorization_server_candidates, challenge_of, covers_resource, fetch_json, parse_challenges,
    protected_resource_candidates, same_resource,
};
use crate::error::with_causes;
use crate::http_client;
use crate::options::ClientOptions;

/// Largest answer read from a token, registration or revocation endpoint.
const MAX_ANSWER_BYTES: usize = 64 * 1024;

/// Why an OAuth step failed, in words the person connecting can act on.
#[derive(Debug, thiserror::Error)]
pub enum OAuthError {
    /// Discovery found no usable metadata, or metadata about something else.
    #[error("{0}")]
    Discovery(String),
    /// The authorization server cannot do what the specification requires.
    #[error("{0}")]
    Unsupported(String),
    /// Registering a client failed.
    #[error("the authorization server refused to register Switchboard as a client: {0}")]
    Registration(String),
    /// A token endpoint answered with an OAuth error.
    #[error("the authorization server refused the token request: {error}{}", description_note(description))]
    Refused { error: String, description: Option<String> },
    /// A token endpoint answered something that is not a token response.
    #[error("the authorization server's token endpoint answered {0}; it must answer a JSON token response")]
    Garbage(String),
    /// What the authorization server sent back cannot be trusted (state, `iss`) or used.
    #[error("{0}")]
    Rejected(String),
    /// The endpoint could not be reached (address policy included).
    #[error("cannot reach the authorization server: {0}")]
    Unreachable(String),
}

fn description_note(description: &Option<String>) -> String {
    description.as_deref().map(|d| format!(" ({d})")).unwrap_or_default()
}

impl OAuthError {
    /// The grant is gone for good (RFC 6749 §5.2 `invalid_grant`): the person must authorize again.
    pub fn is_invalid_grant(&self) -> bool {
        matches!(self, Self::Refused { error, .. } if error == "invalid_grant")
    }

    /// The authorization server does not know or accept the client (RFC 6749 §5.2
    /// `invalid_client`): a registration it forgot, or credentials it no longer takes.
    pub fn is_invalid_client(&self) -> bool {
        matches!(self, Self::Refused { error, .. } if error == "invalid_client")
    }
}

/// What an authorization server's metadata says, as far as a client needs it.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct AuthorizationServer {
    pub issuer: String,
    pub authorization_endpoint: String,
    pub token_endpoint: String,
    pub registration_endpoint: Option<String>,
    pub revocation_endpoint: Option<String>,
    /// `None` when the metadata does not say (then PKCE cannot be trusted).
    pub code_challenge_methods_supported: Option<Vec<String>>,
    pub scopes_supported: Vec<String>,
    pub token_endpoint_auth_methods_supported: Option<Vec<String>>,
    /// RFC 9207: the authorization response carries `iss`.
    pub authorization_response_iss_parameter_supported: bool,
    /// The server accepts a Client ID Metadata Document's URL as a `client_id`.
    #[serde(default)]
    pub client_id_metadata_document_supported: bool,
    /// `grant_types_supported`, when the metadata says.
    #[serde(default)]
    pub grant_types_supported: Option<Vec<String>>,
    /// There is no metadata: these are the 2025-03-26 specification's default
    /// endpoints at the server's origin, used because the app allows them
    /// (`core::oauth::default_endpoints_refusal`).
    #[serde(default)]
    pub default_endpoints: bool,
}

/// Where discovery led, from a server URL.
#[derive(Clone, Debug, PartialEq)]
pub struct Discovery {
    /// The resource indicator (RFC 8707): the protected resource metadata's `resource`.
    pub resource: String,
    /// The challenge's `scope`, if the 401 named one.
    pub challenge_scope: Option<String>,
    /// The protected resource's `scopes_supported`.
    pub resource_scopes: Vec<String>,
    pub server: AuthorizationServer,
}

/// A client as registered (or configured) with an authorization server.
#[derive(Clone, Debug)]
pub struct ClientCredentials {
    pub client_id: String,
    pub client_secret: Option<SecretString>,
}

/// A successful token response.
#[derive(Clone, Debug)]
pub struct TokenResponse {
    pub access_token: SecretString,
    pub refresh_token: Option<SecretString>,
    pub expires_in: Option<u64>,
    /// The scopes granted, when the server says (RFC 6749 §5.1).
    pub scope: Option<String>,
}

/// An http(s) URL from metadata; anything else (`javascript:`, `file:`, `data:`) is refused.
fn http_url(document: &Value, key: &str, at: &str) -> Result<Option<String>, OAuthError> {
    let Some(raw) = document.get(key) else { return Ok(None) };
    let text = raw.as_str().ok_or_else(|| OAuthError::Discovery(format!("{key} in {at} is not a string")))?;
    match Url::parse(text) {
        Ok(u) if matches!(u.scheme(), "http" | "https") => Ok(Some(text.to_owned())),
        _ => Err(OAuthError::Discovery(format!(
            "{key} in {at} is {text:?}, not an http(s) URL; Switchboard follows no other kind"
        ))),
    }
}

fn strings(document: &Value, key: &str) -> Option<Vec<String>> {
    document.get(key).and_then(Value::as_array).map(|a| a.iter().filter_map(Value::as_str).map(str::to_owned).collect())
}

/// Walk discovery from the server's URL: the challenge of a request without a
/// token, the protected resource metadata (which must be about this server), then
/// the metadata of its first authorization server (whose `issuer` must match).
/// `legacy` says whether a server without any metadata may be used at the
/// 2025-03-26 default endpoints (see `core::oauth::default_endpoints_refusal`).
pub async fn discover(server: &Url, legacy: LegacyEndpoints, options: &ClientOptions) -> Result<Discovery, OAuthError> {
    let client = http_client::build(options).map_err(|e| OAuthError::Unreachable(e.to_string()))?;
    let (_status, headers) = challenge_of(&client, server, options)
        .await
        .map_err(|e| OAuthError::Unreachable(format!("the request without a token failed: {e}")))?;
    discover_after(&client, server, &headers, legacy, options).await
}

/// [`discover`] from a challenge the server already sent (the `WWW-Authenticate`
/// of a 401 or a 403), without asking again.
pub async fn discover_from_challenge(
    server: &Url,
    challenge: Option<&str>,
    legacy: LegacyEndpoints,
    options: &ClientOptions,
) -> Result<Discovery, OAuthError> {
    let client = http_client::build(options).map_err(|e| OAuthError::Unreachable(e.to_string()))?;
    let headers: Vec<String> = challenge.map(str::to_owned).into_iter().collect();
    discover_after(&client, server, &headers, legacy, options).await
}

/// The `scope` of a `WWW-Authenticate` header's Bearer challenge (a 401, or a 403
/// `insufficient_scope`): what the server wants.
pub fn challenge_scope(header: &str) -> Option<String> {
    parse_challenges(header)
        .into_iter()
        .find(|c| c.scheme.eq_ignore_ascii_case("bearer"))
        .and_then(|c| c.params.get("scope").cloned())
        .filter(|s| !s.trim().is_empty())
}

/// The authorization challenge a tool error carries, if any: a `CallToolResult`
/// with `isError: true` whose `_meta["mcp/www_authenticate"]` holds the
/// `WWW-Authenticate` value(s) the server would have answered (a string, or a list
/// of them, joined here with commas).
pub fn tool_error_challenge(result: &Value) -> Option<String> {
    if result.get("isError") != Some(&Value::Bool(true)) {
        return None;
    }
    let raw = result.get("_meta")?.get("mcp/www_authenticate")?;
    let text = match raw {
        Value::String(one) => one.clone(),
        Value::Array(many) => many.iter().filter_map(Value::as_str).collect::<Vec<_>>().join(", "),
        _ => return None,
    };
    (!text.trim().is_empty()).then_some(text)
}

async fn discover_after(
    client: &reqwest::Client,
    server: &Url,
    headers: &[String],
    legacy: LegacyEndpoints,
    options: &ClientOptions,
) -> Result<Discovery, OAuthError> {
    let challenges: Vec<_> = headers.iter().flat_map(|h| parse_challenges(h)).collect();
    let bearer = challenges.iter().find(|c| c.scheme.eq_ignore_ascii_case("bearer"));
    let challenge_scope = bearer.and_then(|c| c.params.get("scope")).cloned();
    let named = bearer.and_then(|c| c.params.get("resource_metadata"));
    let mut candidates = vec![];
    if let Some(raw) = named {
        match Url::parse(raw) {
            Ok(u) if matches!(u.scheme(), "http" | "https") => candidates.push(u),
            _ => {
                return Err(OAuthError::Discovery(format!(
                    "the server's challenge names resource_metadata {raw:?}, which is not an http(s) URL"
                )));
            }
        }
    }
    for u in protected_resource_candidates(server) {
        if !candidates.contains(&u) {
            candidates.push(u);
        }
    }
    let mut tried = Tried::default();
    let mut found = None;
    for candidate in candidates {
        match fetch_json(client, &candidate, options).await {
            Ok(document) => {
                found = Some((candidate, document));
                break;
            }
            Err(why) => tried.push(&candidate, &why),
        }
    }
    let Some((at, prm)) = found else {
        let legacy = Legacy { endpoints: legacy, challenge_names_metadata: named.is_some(), tried_prm: tried };
        return legacy_discovery(client, server, challenge_scope, legacy, options).await;
    };
    let resource = prm.get("resource").and_then(Value::as_str).unwrap_or_default().to_owned();
    if !covers_resource(&resource, server.as_str()) {
        return Err(OAuthError::Discovery(format!(
            "the protected resource metadata at {at} is for {resource:?}, which is not {server} nor a parent of \
             it; Switchboard asks for tokens only for the server it connects to"
        )));
    }
    let issuer = prm
        .get("authorization_servers")
        .and_then(Value::as_array)
        .and_then(|a| a.first())
        .and_then(Value::as_str)
        .ok_or_else(|| OAuthError::Discovery(format!("the metadata at {at} names no authorization server")))?;
    let issuer_url = match Url::parse(issuer) {
        Ok(u) if matches!(u.scheme(), "http" | "https") => u,
        _ => return Err(OAuthError::Discovery(format!("the authorization server {issuer:?} is not an http(s) URL"))),
    };
    let server_metadata = match authorization_server(client, &issuer_url, issuer, options).await? {
        Ok(found) => found,
        Err(tried) => {
            return Err(OAuthError::Discovery(format!(
                "the authorization server {issuer} publishes no metadata (RFC 8414 or OpenID Connect discovery); \
                 tried {}",
                tried.described()
            )));
        }
    };
    Ok(Discovery {
        resource,
        challenge_scope,
        resource_scopes: strings(&prm, "scopes_supported").unwrap_or_default(),
        server: server_metadata,
    })
}

/// The discovery URLs tried without finding metadata: what each answered.
#[derive(Debug, Default)]
struct Tried {
    described: Vec<String>,
    /// Each URL's HTTP status, `None` where it gave no HTTP answer.
    answers: Vec<Option<u16>>,
}

impl Tried {
    fn push(&mut self, url: &Url, why: &FetchFailure) {
        self.described.push(format!("{url} ({why})"));
        self.answers.push(why.status());
    }

    fn described(&self) -> String {
        self.described.join(", ")
    }
}

/// What the 2025-03-26 discovery needs from the steps before it.
struct Legacy {
    endpoints: LegacyEndpoints,
    challenge_names_metadata: bool,
    tried_prm: Tried,
}

/// The 2025-03-26 specification's discovery, for a server without protected
/// resource metadata: it is its own authorization server, whose metadata is at
/// its origin (RFC 8414). The resource indicator is the server's URL. Where that
/// origin publishes no metadata either, the specification's default endpoints are
/// used if `core::oauth::default_endpoints_refusal` allows it.
async fn legacy_discovery(
    client: &reqwest::Client,
    server: &Url,
    challenge_scope: Option<String>,
    legacy: Legacy,
    options: &ClientOptions,
) -> Result<Discovery, OAuthError> {
    let issuer = server.origin().ascii_serialization();
    let issuer_url = Url::parse(&issuer).map_err(|e| OAuthError::Discovery(format!("{issuer:?}: {e}")))?;
    let tried = match authorization_server(client, &issuer_url, &issuer, options).await? {
        Ok(found) => {
            return Ok(Discovery {
                resource: server.as_str().to_owned(),
                challenge_scope,
                resource_scopes: vec![],
                server: found,
            });
        }
        Err(tried) => tried,
    };
    let answers: Vec<Option<u16>> = legacy.tried_prm.answers.iter().chain(&tried.answers).copied().collect();
    if let Some(why) = default_endpoints_refusal(legacy.endpoints, legacy.challenge_names_metadata, &answers) {
        return Err(OAuthError::Discovery(format!(
            "the server publishes no protected resource metadata (RFC 9728; tried {}), nor does its origin publish \
             authorization server metadata as the 2025-03-26 specification had it (tried {}); {why}",
            legacy.tried_prm.described(),
            tried.described()
        )));
    }
    Ok(Discovery {
        resource: server.as_str().to_owned(),
        challenge_scope,
        resource_scopes: vec![],
        server: default_endpoints(&issuer_url, &issuer),
    })
}

/// The 2025-03-26 specification's default endpoints, at the server's origin and
/// nowhere else: `/authorize`, `/token`, `/register`. Nothing is advertised, so
/// nothing is assumed beyond what the specification says: no revocation, no
/// RFC 9207 `iss` (an `iss` that comes anyway must still be the origin), no
/// Client ID Metadata Documents.
fn default_endpoints(origin: &Url, issuer: &str) -> AuthorizationServer {
    let at = |path: &str| {
        let mut u = origin.clone();
        u.set_path(path);
        u.set_query(None);
        u.set_fragment(None);
        u.to_string()
    };
    AuthorizationServer {
        issuer: issuer.to_owned(),
        authorization_endpoint: at("/authorize"),
        token_endpoint: at("/token"),
        registration_endpoint: Some(at("/register")),
        revocation_endpoint: None,
        code_challenge_methods_supported: None,
        scopes_supported: vec![],
        token_endpoint_auth_methods_supported: None,
        authorization_response_iss_parameter_supported: false,
        client_id_metadata_document_supported: false,
        grant_types_supported: None,
        default_endpoints: true,
    }
}

/// The metadata of the authorization server `issuer` (RFC 8414, then OpenID
/// Connect discovery), whose `issuer` must be that one; `Ok(Err(tried))` when
/// none of the places it may be has any.
async fn authorization_server(
    client: &reqwest::Client,
    issuer_url: &Url,
    issuer: &str,
    options: &ClientOptions,
) -> Result<Result<AuthorizationServer, Tried>, OAuthError> {
    let mut tried = Tried::default();
    let mut metadata = None;
    for (candidate, _kind) in authorization_server_candidates(issuer_url) {
        match fetch_json(client, &candidate, options).await {
            Ok(document) => {
                metadata = Some((candidate, document));
                break;
            }
            Err(why) => tried.push(&candidate, &why),
        }
    }
    let Some((at, document)) = metadata else { return Ok(Err(tried)) };
    let announced = document.get("issuer").and_then(Value::as_str).unwrap_or_default();
    if !same_resource(announced, issuer) {
        return Err(OAuthError::Discovery(format!(
            "the authorization server metadata at {at} is for issuer {announced:?}, not {issuer}"
        )));
    }
    let at = at.as_str();
    let required = |key: &str| -> Result<String, OAuthError> {
        http_url(&document, key, at)?.ok_or_else(|| OAuthError::Discovery(format!("the metadata at {at} has no {key}")))
    };
    Ok(Ok(AuthorizationServer {
        issuer: announced.to_owned(),
        authorization_endpoint: required("authorization_endpoint")?,
        token_endpoint: required("token_endpoint")?,
        registration_endpoint: http_url(&document, "registration_endpoint", at)?,
        revocation_endpoint: http_url(&document, "revocation_endpoint", at)?,
        code_challenge_methods_supported: strings(&document, "code_challenge_methods_supported"),
        scopes_supported: strings(&document, "scopes_supported").unwrap_or_default(),
        token_endpoint_auth_methods_supported: strings(&document, "token_endpoint_auth_methods_supported"),
        authorization_response_iss_parameter_supported: document
            .get("authorization_response_iss_parameter_supported")
            .and_then(Value::as_bool)
            .unwrap_or(false),
        client_id_metadata_document_supported: document
            .get("client_id_metadata_document_supported")
            .and_then(Value::as_bool)
            .unwrap_or(false),
        grant_types_supported: strings(&document, "grant_types_supported"),
        default_endpoints: false,
    }))
}

/// Register a client (RFC 7591) using the authorization code grant with
/// `redirect_uri`: a confidential one (Switchboard keeps secrets on the server)
/// where the server lists a secret-based token endpoint authentication, else a
/// public one. `application_type` (OpenID Connect, SEP-837) is `web` for the
/// server, `native` for the command line. Refresh tokens are asked for unless the
/// server's `grant_types_supported` leaves them out.
pub async fn register(
    server: &AuthorizationServer,
    redirect_uri: &str,
    scope: &str,
    application_type: &str,
    options: &ClientOptions,
) -> Result<ClientCredentials, OAuthError> {
    let Some(endpoint) = &server.registration_endpoint else {
        return Err(OAuthError::Unsupported(format!(
            "the authorization server {} offers no dynamic client registration; register a client there with the \
             redirect URI {redirect_uri} and give its client_id (and secret) in the app's OAuth settings",
            server.issuer
        )));
    };
    let mut body = json!({
        "client_name": "Switchboard",
        "redirect_uris": [redirect_uri],
        "grant_types": registration_grant_types(server.grant_types_supported.as_deref()),
        "response_types": ["code"],
        "token_endpoint_auth_method": registration_auth_method(server),
        "application_type": application_type,
    });
    if !scope.is_empty() {
        body["scope"] = json!(scope);
    }
    let (status, answer) = post(endpoint, options, |r| r.json(&body)).await?;
    let answer = answer.ok_or_else(|| OAuthError::Registration(format!("HTTP {status} without a JSON body")))?;
    if !(200..300).contains(&status) {
        let error = answer.get("error").and_then(Value::as_str).unwrap_or("no error code");
        let description = answer.get("error_description").and_then(Value::as_str).unwrap_or_default();
        return Err(OAuthError::Registration(format!("HTTP {status}: {error} {description}").trim().to_owned()));
    }
    let client_id = answer
        .get("client_id")
        .and_then(Value::as_str)
        .filter(|s| !s.is_empty())
        .ok_or_else(|| OAuthError::Registration("the answer has no client_id".into()))?;
    // A client registered to authenticate with nothing (the answer's method, else the one asked
    // for) is public: a secret sent along anyway would make the token requests authenticate.
    let method = answer
        .get("token_endpoint_auth_method")
        .and_then(Value::as_str)
        .unwrap_or_else(|| registration_auth_method(server));
    let client_secret = match method {
        "none" => None,
        _ => answer.get("client_secret").and_then(Value::as_str).map(SecretString::new),
    };
    Ok(ClientCredentials { client_id: client_id.to_owned(), client_secret })
}

/// What goes into an authorization request besides the server and the client.
#[derive(Clone, Debug)]
pub struct AuthorizationRequest<'a> {
    pub redirect_uri: &'a str,
    pub state: &'a SecretString,
    pub code_challenge: &'a str,
    pub scope: &'a str,
    pub resource: &'a str,
}

/// The URL to send the person's browser to: the authorization endpoint with
/// PKCE S256, the state and the resource indicator (and `prompt=consent` with
/// `offline_access`, see `core::oauth::prompt_for`).
pub fn authorization_url(
    server: &AuthorizationServer,
    client: &ClientCredentials,
    request: &AuthorizationRequest<'_>,
) -> Result<Url, OAuthError> {
    let mut url = Url::parse(&server.authorization_endpoint)
        .map_err(|e| OAuthError::Discovery(format!("authorization_endpoint is not a URL: {e}")))?;
    {
        let mut q = url.query_pairs_mut();
        q.append_pair("response_type", "code")
            .append_pair("client_id", &client.client_id)
            .append_pair("redirect_uri", request.redirect_uri)
            .append_pair("state", request.state.expose())
            .append_pair("code_challenge", request.code_challenge)
            .append_pair("code_challenge_method", "S256")
            .append_pair("resource", request.resource);
        if !request.scope.is_empty() {
            q.append_pair("scope", request.scope);
        }
        if let Some(prompt) = prompt_for(request.scope) {
            q.append_pair("prompt", prompt);
        }
    }
    Ok(url)
}

/// Exchange an authorization code (with its PKCE verifier) for tokens.
pub async fn exchange_code(
    server: &AuthorizationServer,
    client: &ClientCredentials,
    code: &SecretString,
    verifier: &SecretString,
    redirect_uri: &str,
    resource: &str,
    options: &ClientOptions,
) -> Result<TokenResponse, OAuthError> {
    let form = vec![
        ("grant_type", "authorization_code".to_owned()),
        ("code", code.expose().to_owned()),
        ("code_verifier", verifier.expose().to_owned()),
        ("redirect_uri", redirect_uri.to_owned()),
        ("resource", resource.to_owned()),
    ];
    token_request(server, client, form, options).await
}

/// Refresh: a new access token (and, with rotation, a new refresh token).
pub async fn refresh(
    server: &AuthorizationServer,
    client: &ClientCredentials,
    refresh_token: &SecretString,
    resource: &str,
    options: &ClientOptions,
) -> Result<TokenResponse, OAuthError> {
    let form = vec![
        ("grant_type", "refresh_token".to_owned()),
        ("refresh_token", refresh_token.expose().to_owned()),
        ("resource", resource.to_owned()),
    ];
    token_request(server, client, form, options).await
}

/// Revoke a token (RFC 7009) where the server offers it; `Ok(false)` when it does not.
pub async fn revoke(
    server: &AuthorizationServer,
    client: &ClientCredentials,
    token: &SecretString,
    hint: &str,
    options: &ClientOptions,
) -> Result<bool, OAuthError> {
    let Some(endpoint) = &server.revocation_endpoint else { return Ok(false) };
    let mut form = vec![("token", token.expose().to_owned()), ("token_type_hint", hint.to_owned())];
    let basic = client_authentication(server, client, &mut form);
    let (status, answer) = post(endpoint, options, |r| with_basic(form_body(r, &form), basic.as_ref())).await?;
    if (200..300).contains(&status) {
        return Ok(true);
    }
    let error = answer.as_ref().and_then(|a| a.get("error")).and_then(Value::as_str).unwrap_or("no error code");
    Err(OAuthError::Refused {
        error: error.to_owned(),
        description: Some(format!("revocation answered HTTP {status}")),
    })
}

/// Switchboard's Client ID Metadata Document (draft-ietf-oauth-client-id-metadata-document):
/// what an authorization server fetches from `client_id`, which is the URL it is
/// served at. A public client (no secret: the document is public), using the
/// authorization code grant with `redirect_uri` and refresh tokens.
pub fn client_metadata_document(client_id: &str, redirect_uri: &str, client_uri: &str) -> Value {
    json!({
        "client_id": client_id,
        "client_name": "Switchboard",
        "client_uri": client_uri,
        "redirect_uris": [redirect_uri],
        "grant_types": ["authorization_code", "refresh_token"],
        "response_types": ["code"],
        "token_endpoint_auth_method": "none",
        "application_type": "web",
    })
}

/// The token endpoint authentication to register with: `client_secret_post` where
/// listed, else `client_secret_basic` where listed (or nothing is listed: the
/// default of RFC 8414), else `none`.
fn registration_auth_method(server: &AuthorizationServer) -> &'static str {
    match server.token_endpoint_auth_methods_supported.as_deref() {
        Some(m) if m.iter().any(|x| x == "client_secret_post") => "client_secret_post",
        Some(m) if m.iter().any(|x| x == "client_secret_basic") => "client_secret_basic",
        None => "client_secret_basic",
        Some(_) => "none",
    }
}

/// The client id always goes in the form (servers look clients up by it); the
/// secret, when there is one, in the form for `client_secret_post` (as
/// registered), else as HTTP Basic credentials.
fn client_authentication(
    server: &AuthorizationServer,
    client: &ClientCredentials,
    form: &mut Vec<(&'static str, String)>,
) -> Option<(String, SecretString)> {
    form.push(("client_id", client.client_id.clone()));
    let secret = client.client_secret.as_ref()?;
    if registration_auth_method(server) == "client_secret_post" {
        form.push(("client_secret", secret.expose().to_owned()));
        None
    } else {
        Some((client.client_id.clone(), secret.clone()))
    }
}

fn with_basic(request: reqwest::RequestBuilder, basic: Option<&(String, SecretString)>) -> reqwest::RequestBuilder {
    match basic {
        // RFC 6749 §2.3.1: both parts form-urlencoded before Basic encoding.
        Some((id, secret)) => request.basic_auth(form_encode(id), Some(form_encode(secret.expose()))),
        None => request,
    }
}

/// An `application/x-www-form-urlencoded` body.
fn form_body(request: reqwest::RequestBuilder, form: &[(&str, String)]) -> reqwest::RequestBuilder {
    let mut body = url::form_urlencoded::Serializer::new(String::new());
    for (k, v) in form {
        body.append_pair(k, v);
    }
    request.header("content-type", "application/x-www-form-urlencoded").body(body.finish())
}

fn form_encode(text: &str) -> String {
    url::form_urlencoded::byte_serialize(text.as_bytes()).collect()
}

async fn token_request(
    server: &AuthorizationServer,
    client: &ClientCredentials,
    mut form: Vec<(&'static str, String)>,
    options: &ClientOptions,
) -> Result<TokenResponse, OAuthError> {
    let basic = client_authentication(server, client, &mut form);
    let (status, answer) =
        post(&server.token_endpoint, options, |r| with_basic(form_body(r, &form), basic.as_ref())).await?;
    let Some(answer) = answer else {
        return Err(OAuthError::Garbage(format!("HTTP {status} with a body that is not a JSON object")));
    };
    if !(200..300).contains(&status) {
        let Some(error) = answer.get("error").and_then(Value::as_str) else {
            return Err(OAuthError::Garbage(format!("HTTP {status} without an OAuth error code")));
        };
        let description =
            answer.get("error_description").and_then(Value::as_str).map(|d| d.chars().take(300).collect());
        return Err(OAuthError::Refused { error: error.to_owned(), description });
    }
    let access_token = answer
        .get("access_token")
        .and_then(Value::as_str)
        .filter(|t| !t.is_empty())
        .ok_or_else(|| OAuthError::Garbage(format!("HTTP {status} without an access_token")))?;
    let token_type = answer.get("token_type").and_then(Value::as_str).unwrap_or_default();
    if !token_type.eq_ignore_ascii_case("bearer") {
        return Err(OAuthError::Garbage(format!(
            "a token of type {:?}; Switchboard uses Bearer tokens",
            token_type.chars().take(40).collect::<String>()
        )));
    }
    Ok(TokenResponse {
        access_token: SecretString::new(access_token),
        refresh_token: answer
            .get("refresh_token")
            .and_then(Value::as_str)
            .filter(|t| !t.is_empty())
            .map(SecretString::new),
        expires_in: answer.get("expires_in").and_then(Value::as_u64),
        scope: answer.get("scope").and_then(Value::as_str).map(str::to_owned),
    })
}

/// POST to an OAuth endpoint without following redirects: the status and the
/// body if it is a JSON object.
async fn post(
    endpoint: &str,
    options: &ClientOptions,
    build: impl FnOnce(reqwest::RequestBuilder) -> reqwest::RequestBuilder,
) -> Result<(u16, Option<Value>), OAuthError> {
    let url = Url::parse(endpoint).map_err(|e| OAuthError::Discovery(format!("{endpoint:?} is not a URL: {e}")))?;
    http_client::preflight(&url, &options.network).await.map_err(|e| OAuthError::Unreachable(e.to_string()))?;
    let client = http_client::build_without_redirects(options).map_err(|e| OAuthError::Unreachable(e.to_string()))?;
    let request = client
        .post(url.clone())
        .header("accept", "application/json")
        .timeout(options.call_timeout.max(Duration::from_secs(1)));
    let mut response = build(request).send().await.map_err(|e| OAuthError::Unreachable(with_causes(&e)))?;
    let status = response.status().as_u16();
    if (300..400).contains(&status) {
        return Err(OAuthError::Unreachable(format!(
            "{url} answered a redirect (HTTP {status}); Switchboard does not follow redirects with credentials"
        )));
    }
    let mut body = Vec::new();
    while let Some(chunk) = response.chunk().await.map_err(|e| OAuthError::Unreachable(with_causes(&e)))? {
        body.extend_from_slice(&chunk);
        if body.len() > MAX_ANSWER_BYTES {
            return Err(OAuthError::Garbage(format!("more than {MAX_ANSWER_BYTES} bytes")));
        }
    }
    match serde_json::from_slice::<Value>(&body) {
        Ok(v @ Value::Object(_)) => Ok((status, Some(v))),
        _ => Ok((status, None)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn server() -> AuthorizationServer {
        AuthorizationServer {
            issuer: "https://as.example".into(),
            authorization_endpoint: "https://as.example/authorize?tenant=1".into(),
            token_endpoint: "https://as.example/token".into(),
            registration_endpoint: None,
            revocation_endpoint: None,
            code_challenge_methods_supported: Some(vec!["S256".into()]),
            scopes_supported: vec![],
            token_endpoint_auth_methods_supported: None,
            authorization_response_iss_parameter_supported: false,
            client_id_metadata_document_supported: false,
            grant_types_supported: None,
            default_endpoints: false,
        }
    }

    #[test]
    fn the_authorization_url_keeps_the_endpoint_query_and_adds_pkce_state_and_resource() {
        let client = ClientCredentials { client_id: "c 1".into(), client_secret: None };
        let state = SecretString::new("st");
        let request = AuthorizationRequest {
            redirect_uri: "https://sb.example/oauth/callback",
            state: &state,
            code_challenge: "ch",
            scope: "read offline_access",
            resource: "https://mcp.example/mcp",
        };
        let url = authorization_url(&server(), &client, &request).unwrap();
        let pairs: Vec<(String, String)> = url.query_pairs().map(|(k, v)| (k.into_owned(), v.into_owned())).collect();
        let get = |k: &str| pairs.iter().find(|(key, _)| key == k).map(|(_, v)| v.as_str());
        assert_eq!(get("tenant"), Some("1"));
        assert_eq!(get("response_type"), Some("code"));
        assert_eq!(get("client_id"), Some("c 1"));
        assert_eq!(get("code_challenge_method"), Some("S256"));
        assert_eq!(get("resource"), Some("https://mcp.example/mcp"));
        assert_eq!(get("scope"), Some("read offline_access"));
        assert_eq!(get("state"), Some("st"));
        assert_eq!(get("prompt"), Some("consent"), "offline_access asks for consent (OpenID Connect Core §11)");
    }

    #[test]
    fn a_tool_error_may_carry_a_challenge() {
        let challenge = r#"Bearer resource_metadata="https://mcp.example/.well-known/oauth-protected-resource""#;
        for (result, expect) in [
            (json!({"isError": true, "_meta": {"mcp/www_authenticate": challenge}}), Some(challenge.to_owned())),
            (
                json!({"isError": true, "_meta": {"mcp/www_authenticate": ["Bearer a=\"1\"", "Bearer b=\"2\""]}}),
                Some("Bearer a=\"1\", Bearer b=\"2\"".to_owned()),
            ),
            (json!({"isError": false, "_meta": {"mcp/www_authenticate": challenge}}), None),
            (json!({"_meta": {"mcp/www_authenticate": challenge}}), None),
            (json!({"isError": true, "_meta": {"mcp/www_authenticate": " "}}), None),
            (json!({"isError": true, "_meta": {"mcp/www_authenticate": 3}}), None),
            (json!({"isError": true}), None),
        ] {
            assert_eq!(tool_error_challenge(&result), expect, "{result}");
        }
    }

    #[test]
    fn metadata_urls_must_be_http() {
        for (value, ok) in [
            (json!("https://as.example/a"), true),
            (json!("http://127.0.0.1:1/a"), true),
            (json!("javascript:alert(1)"), false),
            (json!("file:///etc/passwd"), false),
            (json!("data:text/html,x"), false),
            (json!(3), false),
        ] {
            let document = json!({ "authorization_endpoint": value });
            assert_eq!(http_url(&document, "authorization_endpoint", "m").is_ok(), ok, "{value}");
        }
    }
}
