//! OAuth discovery as an MCP client walks it, checked step by step for the doctor:
//! the 401 and its `WWW-Authenticate` challenge, Protected Resource Metadata
//! (RFC 9728, with the `.well-known` fallbacks), then Authorization Server metadata
//! (RFC 8414, then OpenID Connect discovery), and what that metadata promises:
//! PKCE S256, `offline_access`, a way to register a client.
//!
//! Every request goes through the policy-checked client; nothing here follows a
//! link to an address the workspace refuses.

use std::collections::BTreeMap;
use std::time::Duration;

use serde_json::{Value, json};
use switchboard_core::doctor::Check;
use url::Url;

use crate::error::Cause;
use crate::http_client;
use crate::options::ClientOptions;

/// Largest metadata document read.
const MAX_METADATA_BYTES: usize = 256 * 1024;

/// One challenge of a `WWW-Authenticate` header: its scheme and parameters
/// (names lower-cased, quoted values unquoted).
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct Challenge {
    pub(crate) scheme: String,
    pub(crate) params: BTreeMap<String, String>,
}

/// Parse a `WWW-Authenticate` value into its challenges (RFC 9110 §11.6.1).
pub(crate) fn parse_challenges(value: &str) -> Vec<Challenge> {
    let mut out: Vec<Challenge> = vec![];
    let mut rest = value.trim_start();
    while !rest.is_empty() {
        let end = rest.find([' ', '\t', ',', '=']).unwrap_or(rest.len());
        let token = &rest[..end];
        let after = rest[end..].trim_start();
        if token.is_empty() {
            // A separator (or a stray `=`): skip one character.
            let mut chars = rest.chars();
            chars.next();
            rest = chars.as_str().trim_start();
            continue;
        }
        match (after.strip_prefix('='), out.last_mut()) {
            (Some(value), Some(challenge)) => {
                let (value, remaining) = param_value(value.trim_start());
                challenge.params.insert(token.to_ascii_lowercase(), value);
                rest = remaining.trim_start();
            }
            _ => {
                out.push(Challenge { scheme: token.to_owned(), params: BTreeMap::new() });
                rest = after;
            }
        }
    }
    out
}

/// A token or a quoted string, and what follows it.
fn param_value(text: &str) -> (String, &str) {
    let Some(quoted) = text.strip_prefix('"') else {
        let end = text.find([',', ' ', '\t']).unwrap_or(text.len());
        return (text[..end].to_owned(), &text[end..]);
    };
    let mut value = String::new();
    let mut chars = quoted.char_indices();
    while let Some((i, c)) = chars.next() {
        match c {
            '\\' => {
                if let Some((_, escaped)) = chars.next() {
                    value.push(escaped);
                }
            }
            '"' => return (value, &quoted[i + 1..]),
            other => value.push(other),
        }
    }
    (value, "")
}

/// Where RFC 9728 puts a resource's metadata: the well-known prefix inserted before
/// the path, then at the root of the origin.
pub(crate) fn protected_resource_candidates(resource: &Url) -> Vec<Url> {
    well_known(resource, "oauth-protected-resource", true)
}

/// Where an authorization server's metadata may be, in the order the MCP
/// authorization specification gives: RFC 8414 first, then OpenID Connect discovery
/// (path inserted, then appended).
pub(crate) fn authorization_server_candidates(issuer: &Url) -> Vec<(Url, &'static str)> {
    let mut out: Vec<(Url, &'static str)> = well_known(issuer, "oauth-authorization-server", false)
        .into_iter()
        .map(|u| (u, "RFC 8414"))
        .chain(well_known(issuer, "openid-configuration", false).into_iter().map(|u| (u, "OpenID Connect discovery")))
        .collect();
    let path = issuer.path().trim_end_matches('/');
    if !path.is_empty() {
        let mut appended = issuer.clone();
        appended.set_query(None);
        appended.set_fragment(None);
        appended.set_path(&format!("{path}/.well-known/openid-configuration"));
        out.push((appended, "OpenID Connect discovery"));
    }
    out
}

/// `origin/.well-known/NAME/path`, and `origin/.well-known/NAME` when `also_root`
/// (or when the URL has no path).
fn well_known(url: &Url, name: &str, also_root: bool) -> Vec<Url> {
    let path = url.path().trim_end_matches('/');
    let at = |suffix: &str| {
        let mut u = url.clone();
        u.set_query(None);
        u.set_fragment(None);
        u.set_path(&format!("/.well-known/{name}{suffix}"));
        u
    };
    if path.is_empty() {
        vec![at("")]
    } else if also_root {
        vec![at(path), at("")]
    } else {
        vec![at(path)]
    }
}

/// Protected resource metadata for `resource` covers the server at `server`: the
/// same origin, and the server's path is the resource's or below it (a whole
/// origin, or `/api` for `/api/mcp`), as the MCP SDKs accept it. Another origin
/// never does.
pub(crate) fn covers_resource(resource: &str, server: &str) -> bool {
    let (Ok(resource), Ok(server)) = (Url::parse(resource), Url::parse(server)) else { return false };
    if resource.origin() != server.origin() || resource.query().is_some() || resource.fragment().is_some() {
        return false;
    }
    let (base, path) = (resource.path().trim_end_matches('/'), server.path().trim_end_matches('/'));
    path == base || path.strip_prefix(base).is_some_and(|rest| rest.starts_with('/'))
}

/// Two URLs name the same resource: equal once parsed, a trailing slash aside.
pub(crate) fn same_resource(a: &str, b: &str) -> bool {
    let norm = |s: &str| Url::parse(s).map(|u| u.as_str().trim_end_matches('/').to_owned()).ok();
    matches!((norm(a), norm(b)), (Some(x), Some(y)) if x == y)
}

/// The checks for a server that wants a token: its challenge, then each discovery
/// step the challenge starts, as far as the metadata leads.
pub(crate) async fn discover(url: &Url, options: &ClientOptions) -> Vec<Check> {
    let client = match http_client::build(options) {
        Ok(c) => c,
        Err(e) => return vec![Check::fail("auth", "Authentication", e.to_string(), "report this as a bug")],
    };
    let (status, headers) = match challenge_of(&client, url, options).await {
        Ok(answer) => answer,
        Err(e) => {
            return vec![Check::fail(
                "auth",
                "Authentication",
                format!("the request without a token failed: {e}"),
                "the server must answer a request without a token with HTTP 401 and a WWW-Authenticate header",
            )];
        }
    };
    let challenges: Vec<Challenge> = headers.iter().flat_map(|h| parse_challenges(h)).collect();
    let (challenge, metadata_url) = challenge_check(status, &headers, &challenges);
    let mut checks = vec![challenge];

    let mut candidates: Vec<Url> = vec![];
    let mut header_url_failed = None;
    if let Some(raw) = &metadata_url {
        match Url::parse(raw) {
            Ok(u) if matches!(u.scheme(), "http" | "https") => candidates.push(u),
            _ => header_url_failed = Some(format!("resource_metadata {raw:?} is not an http(s) URL")),
        }
    }
    let header_candidate = candidates.first().cloned();
    candidates.extend(protected_resource_candidates(url).into_iter().filter(|u| Some(u) != header_candidate.as_ref()));
    let mut attempts = vec![];
    let mut found = None;
    for candidate in candidates {
        match fetch_json(&client, &candidate, options).await {
            Ok(document) => {
                found = Some((candidate, document));
                break;
            }
            Err(why) => {
                if Some(&candidate) == header_candidate.as_ref() {
                    header_url_failed = Some(format!("{candidate} answered {why}"));
                }
                attempts.push(format!("{candidate} ({why})"));
            }
        }
    }
    let (check, issuer) = protected_resource_check(url, found.as_ref(), &attempts, header_url_failed.as_deref());
    checks.push(check);
    let Some(issuer) = issuer else { return checks };

    let mut attempts = vec![];
    let mut found = None;
    for (candidate, kind) in authorization_server_candidates(&issuer) {
        match fetch_json(&client, &candidate, options).await {
            Ok(document) => {
                found = Some((candidate, kind, document));
                break;
            }
            Err(why) => attempts.push(format!("{candidate} ({why})")),
        }
    }
    checks.extend(authorization_server_checks(&issuer, found.as_ref(), &attempts));
    checks
}

/// POST an `initialize` without a token: the status and every `WWW-Authenticate` value.
pub(crate) async fn challenge_of(
    client: &reqwest::Client,
    url: &Url,
    options: &ClientOptions,
) -> Result<(u16, Vec<String>), String> {
    http_client::preflight(url, &options.network).await.map_err(|e| e.to_string())?;
    let initialize = json!({"jsonrpc": "2.0", "id": 1, "method": "initialize", "params": {
        "protocolVersion": "2025-11-25", "capabilities": {},
        "clientInfo": {"name": "switchboard-doctor", "version": env!("CARGO_PKG_VERSION")}}});
    let response = client
        .post(url.clone())
        .header("accept", "application/json, text/event-stream")
        .json(&initialize)
        .timeout(options.connect_timeout.max(Duration::from_secs(1)))
        .send()
        .await
        .map_err(|e| Cause::of(&e).to_string())?;
    let headers = response
        .headers()
        .get_all("www-authenticate")
        .iter()
        .filter_map(|v| v.to_str().ok().map(str::to_owned))
        .collect();
    Ok((response.status().as_u16(), headers))
}

/// Why a metadata document could not be read.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) enum FetchFailure {
    /// The server answered, with this status, and it was not a success.
    Status(reqwest::StatusCode),
    /// A success that is not a JSON object (`Some(status)`), or no HTTP answer at all.
    Other(Option<u16>, String),
}

impl FetchFailure {
    /// The HTTP status answered, if any.
    pub(crate) fn status(&self) -> Option<u16> {
        match self {
            Self::Status(s) => Some(s.as_u16()),
            Self::Other(status, _) => *status,
        }
    }
}

impl std::fmt::Display for FetchFailure {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Self::Status(status) => write!(f, "HTTP {status}"),
            Self::Other(_, why) => f.write_str(why),
        }
    }
}

/// GET a metadata document: a JSON object, or why not (`HTTP 404`, `not JSON`, …).
pub(crate) async fn fetch_json(
    client: &reqwest::Client,
    url: &Url,
    options: &ClientOptions,
) -> Result<Value, FetchFailure> {
    let other = |why: String| FetchFailure::Other(None, why);
    http_client::preflight(url, &options.network).await.map_err(|e| other(e.to_string()))?;
    let mut response = client
        .get(url.clone())
        .header("accept", "application/json")
        .timeout(options.connect_timeout.max(Duration::from_secs(1)))
        .send()
        .await
        .map_err(|e| other(Cause::of(&e).to_string()))?;
    let status = response.status();
    if !status.is_success() {
        return Err(FetchFailure::Status(status));
    }
    let answered = |why: String| FetchFailure::Other(Some(status.as_u16()), why);
    let mut body = Vec::new();
    while let Some(chunk) = response.chunk().await.map_err(|e| answered(Cause::of(&e).to_string()))? {
        body.extend_from_slice(&chunk);
        if body.len() > MAX_METADATA_BYTES {
            return Err(answered(format!("larger than {MAX_METADATA_BYTES} bytes")));
        }
    }
    match serde_json::from_slice::<Value>(&body) {
        Ok(v @ Value::Object(_)) => Ok(v),
        _ => Err(answered("not a JSON object".to_owned())),
    }
}

/// `auth`: a 401 with a Bearer challenge naming its `resource_metadata`. Returns the
/// check and the metadata URL the challenge names, if any.
pub(crate) fn challenge_check(status: u16, headers: &[String], challenges: &[Challenge]) -> (Check, Option<String>) {
    const ID: &str = "auth";
    const TITLE: &str = "Authentication";
    let bearer = challenges.iter().find(|c| c.scheme.eq_ignore_ascii_case("bearer"));
    let metadata = bearer.and_then(|c| c.params.get("resource_metadata")).cloned();
    let scope = bearer.and_then(|c| c.params.get("scope"));
    let shown = if headers.is_empty() { "no WWW-Authenticate header".to_owned() } else { headers.join(", ") };
    let mut detail = format!("the server requires OAuth: HTTP {status} with {shown}");
    if let Some(scope) = scope {
        detail.push_str(&format!(" (scope {scope})"));
    }
    let check = match (bearer, &metadata) {
        (Some(_), Some(_)) => Check::pass(ID, TITLE, detail),
        (Some(_), None) => Check::warn(
            ID,
            TITLE,
            format!("{detail}; the challenge has no resource_metadata"),
            "add resource_metadata=\"<URL of your protected resource metadata>\" to the Bearer challenge (RFC 9728 §5.1), \
             so clients need not guess the well-known URL",
        ),
        (None, _) => Check::warn(
            ID,
            TITLE,
            format!("{detail}; there is no Bearer challenge"),
            "answer HTTP 401 with WWW-Authenticate: Bearer resource_metadata=\"…\" (and the scope the request needs), \
             as the MCP authorization specification says",
        ),
    };
    (check, metadata)
}

/// `protected_resource_metadata`: found, about this server, naming an authorization
/// server. Returns the check and the issuer to ask next.
pub(crate) fn protected_resource_check(
    server: &Url,
    found: Option<&(Url, Value)>,
    attempts: &[String],
    header_url_failed: Option<&str>,
) -> (Check, Option<Url>) {
    const ID: &str = "protected_resource_metadata";
    const TITLE: &str = "Protected resource metadata";
    let Some((at, document)) = found else {
        let check = Check::fail(
            ID,
            TITLE,
            format!("no protected resource metadata at {}", attempts.join(", ")),
            format!(
                "serve RFC 9728 metadata (JSON with \"resource\" and \"authorization_servers\") at {}, \
                 and name it in the 401's resource_metadata",
                protected_resource_candidates(server).first().map(Url::as_str).unwrap_or_default()
            ),
        );
        return (check, None);
    };
    let resource = document.get("resource").and_then(Value::as_str).unwrap_or_default();
    if !covers_resource(resource, server.as_str()) {
        let check = Check::fail(
            ID,
            TITLE,
            format!("the metadata at {at} is for resource {resource:?}, not {server}"),
            "set \"resource\" to the URL clients use for the MCP endpoint (or a parent of it on the same origin): \
             clients must refuse metadata for another resource (RFC 9728 §3.3), and tokens are requested for that \
             resource (RFC 8707)",
        );
        return (check, None);
    }
    let servers: Vec<&str> = document
        .get("authorization_servers")
        .and_then(Value::as_array)
        .map(|a| a.iter().filter_map(Value::as_str).collect())
        .unwrap_or_default();
    let Some(issuer) = servers.first().and_then(|s| Url::parse(s).ok()) else {
        let check = Check::fail(
            ID,
            TITLE,
            format!("the metadata at {at} names no authorization server"),
            "list the issuer URL of your authorization server in \"authorization_servers\"",
        );
        return (check, None);
    };
    let scopes = strings(document, "scopes_supported");
    let mut detail = format!("found at {at}: authorization server {}", servers.join(", "));
    if !scopes.is_empty() {
        detail.push_str(&format!(", scopes {}", scopes.join(" ")));
    }
    let check = match header_url_failed {
        Some(why) => Check::warn(
            ID,
            TITLE,
            format!("{detail}; but the challenge's {why}"),
            "make the 401's resource_metadata point at the metadata document",
        ),
        None => Check::pass(ID, TITLE, detail),
    };
    (check, Some(issuer))
}

/// `authorization_server_metadata`, then `pkce`, `offline_access` and
/// `client_registration` from the metadata found.
pub(crate) fn authorization_server_checks(
    issuer: &Url,
    found: Option<&(Url, &'static str, Value)>,
    attempts: &[String],
) -> Vec<Check> {
    const ID: &str = "authorization_server_metadata";
    const TITLE: &str = "Authorization server metadata";
    let Some((at, kind, document)) = found else {
        return vec![Check::fail(
            ID,
            TITLE,
            format!("no authorization server metadata for {issuer} at {}", attempts.join(", ")),
            "serve RFC 8414 metadata at /.well-known/oauth-authorization-server (or OpenID Connect discovery at \
             /.well-known/openid-configuration) on the issuer's origin",
        )];
    };
    let announced = document.get("issuer").and_then(Value::as_str).unwrap_or_default();
    let metadata = if !same_resource(announced, issuer.as_str()) {
        Check::fail(
            ID,
            TITLE,
            format!("the metadata at {at} says issuer {announced:?}, not {issuer}"),
            "\"issuer\" must be exactly the issuer URL the protected resource metadata names (RFC 8414 §3.3); \
             clients refuse metadata for another issuer",
        )
    } else {
        let missing: Vec<&str> = ["authorization_endpoint", "token_endpoint"]
            .into_iter()
            .filter(|k| document.get(*k).and_then(Value::as_str).is_none())
            .collect();
        if missing.is_empty() {
            Check::pass(ID, TITLE, format!("found at {at} ({kind}), issuer {announced}"))
        } else {
            Check::fail(
                ID,
                TITLE,
                format!("the metadata at {at} has no {}", missing.join(" and ")),
                "the authorization code flow needs both authorization_endpoint and token_endpoint",
            )
        }
    };
    vec![metadata, pkce_check(document), offline_access_check(document), registration_check(document)]
}

fn strings<'a>(document: &'a Value, key: &str) -> Vec<&'a str> {
    document
        .get(key)
        .and_then(Value::as_array)
        .map(|a| a.iter().filter_map(Value::as_str).collect())
        .unwrap_or_default()
}

/// `pkce`: S256 advertised; MCP clients refuse to authorize without it.
pub(crate) fn pkce_check(document: &Value) -> Check {
    const ID: &str = "pkce";
    const TITLE: &str = "PKCE";
    let methods = strings(document, "code_challenge_methods_supported");
    if methods.contains(&"S256") {
        return Check::pass(ID, TITLE, "the authorization server supports PKCE with S256");
    }
    let listed = if methods.is_empty() { "nothing".to_owned() } else { methods.join(", ") };
    Check::fail(
        ID,
        TITLE,
        format!("code_challenge_methods_supported lists {listed}, not S256"),
        "support PKCE and list \"S256\" in code_challenge_methods_supported: MCP clients, Switchboard among them, \
         refuse to authorize with a server that does not advertise it",
    )
}

/// `offline_access`: refresh tokens are on offer, so connections survive token expiry.
pub(crate) fn offline_access_check(document: &Value) -> Check {
    const ID: &str = "offline_access";
    const TITLE: &str = "Refresh tokens (offline_access)";
    let scopes = strings(document, "scopes_supported");
    let grants = strings(document, "grant_types_supported");
    let refresh_grant = grants.is_empty() || grants.contains(&"refresh_token");
    if scopes.contains(&"offline_access") && refresh_grant {
        return Check::pass(
            ID,
            TITLE,
            "offline_access is advertised: Switchboard asks for it and keeps users connected",
        );
    }
    let detail = if !refresh_grant {
        format!("grant_types_supported lists {} but not refresh_token", grants.join(", "))
    } else if scopes.is_empty() {
        "the authorization server lists no scopes_supported, so offline_access is not advertised".to_owned()
    } else {
        format!("scopes_supported lists {} but not offline_access", scopes.join(" "))
    };
    Check::warn(
        ID,
        TITLE,
        format!("{detail}: users will have to reconnect when tokens expire"),
        "advertise offline_access in scopes_supported and issue refresh tokens for it",
    )
}

/// `client_registration`: how Switchboard can get a client id without an admin
/// registering one by hand.
pub(crate) fn registration_check(document: &Value) -> Check {
    const ID: &str = "client_registration";
    const TITLE: &str = "Client registration";
    let cimd = document.get("client_id_metadata_document_supported") == Some(&Value::Bool(true));
    let dcr = document.get("registration_endpoint").and_then(Value::as_str);
    match (cimd, dcr) {
        (true, Some(endpoint)) => {
            Check::pass(ID, TITLE, format!("Client ID Metadata Documents and dynamic client registration ({endpoint})"))
        }
        (true, None) => Check::pass(ID, TITLE, "Client ID Metadata Documents"),
        (false, Some(endpoint)) => Check::pass(ID, TITLE, format!("dynamic client registration at {endpoint}")),
        (false, None) => Check::warn(
            ID,
            TITLE,
            "neither client_id_metadata_document_supported nor a registration_endpoint is advertised",
            "support Client ID Metadata Documents (or RFC 7591 dynamic registration); otherwise every workspace \
             must register a client by hand and enter its id and secret",
        ),
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;
    use switchboard_core::doctor::Status;

    use super::*;

    #[test]
    fn metadata_covers_its_resource_and_what_is_below_it_on_the_same_origin() {
        let server = "http://127.0.0.1:3000/api/mcp";
        for (resource, covers) in [
            ("http://127.0.0.1:3000/api/mcp", true),
            ("http://127.0.0.1:3000/api/mcp/", true),
            ("http://127.0.0.1:3000/api", true),
            ("http://127.0.0.1:3000", true),
            ("http://127.0.0.1:3000/ap", false),
            ("http://127.0.0.1:3000/api/mcp/x", false),
            ("http://127.0.0.1:3001/api/mcp", false),
            ("https://127.0.0.1:3000/api/mcp", false),
            ("https://evil.example.com/api/mcp", false),
            ("http://127.0.0.1:3000/api?x=1", false),
            ("not a url", false),
        ] {
            assert_eq!(covers_resource(resource, server), covers, "{resource}");
        }
    }

    fn url(s: &str) -> Url {
        s.parse().expect("url")
    }

    #[test]
    fn challenges_are_parsed_with_quoted_and_bare_values() {
        let parsed = parse_challenges(
            r#"Bearer error="invalid_token", error_description="Authentication \"required\"", resource_metadata="http://127.0.0.1:9/.well-known/oauth-protected-resource/mcp", scope=files:read"#,
        );
        assert_eq!(parsed.len(), 1);
        assert_eq!(parsed[0].scheme, "Bearer");
        assert_eq!(parsed[0].params["error_description"], "Authentication \"required\"");
        assert_eq!(
            parsed[0].params["resource_metadata"],
            "http://127.0.0.1:9/.well-known/oauth-protected-resource/mcp"
        );
        assert_eq!(parsed[0].params["scope"], "files:read");

        let two = parse_challenges(r#"Basic realm="x", Bearer Resource_Metadata="https://a/m""#);
        assert_eq!(two.iter().map(|c| c.scheme.as_str()).collect::<Vec<_>>(), ["Basic", "Bearer"]);
        assert_eq!(two[1].params["resource_metadata"], "https://a/m");
        assert_eq!(parse_challenges("Bearer")[0].params.len(), 0);
        assert!(parse_challenges("").is_empty());
        assert_eq!(parse_challenges(r#"Bearer scope="unterminated"#)[0].params["scope"], "unterminated");
        assert_eq!(parse_challenges("=, ,Bearer")[0].scheme, "Bearer");
    }

    #[test]
    fn well_known_urls_follow_rfc_9728_and_rfc_8414() {
        let prm: Vec<String> =
            protected_resource_candidates(&url("https://h:8443/a/mcp?x=1")).iter().map(|u| u.to_string()).collect();
        assert_eq!(
            prm,
            [
                "https://h:8443/.well-known/oauth-protected-resource/a/mcp",
                "https://h:8443/.well-known/oauth-protected-resource"
            ]
        );
        assert_eq!(protected_resource_candidates(&url("https://h/")).len(), 1);

        let root: Vec<String> =
            authorization_server_candidates(&url("https://as.example")).iter().map(|(u, _)| u.to_string()).collect();
        assert_eq!(
            root,
            [
                "https://as.example/.well-known/oauth-authorization-server",
                "https://as.example/.well-known/openid-configuration"
            ]
        );
        let tenant: Vec<(String, &str)> = authorization_server_candidates(&url("https://as.example/tenant1/"))
            .into_iter()
            .map(|(u, k)| (u.to_string(), k))
            .collect();
        assert_eq!(
            tenant,
            [
                ("https://as.example/.well-known/oauth-authorization-server/tenant1".to_owned(), "RFC 8414"),
                ("https://as.example/.well-known/openid-configuration/tenant1".to_owned(), "OpenID Connect discovery"),
                ("https://as.example/tenant1/.well-known/openid-configuration".to_owned(), "OpenID Connect discovery"),
            ]
        );
    }

    #[test]
    fn the_challenge_should_name_its_metadata() {
        let header = r#"Bearer resource_metadata="https://h/.well-known/oauth-protected-resource/mcp", scope="a b""#;
        let (check, at) = challenge_check(401, &[header.to_owned()], &parse_challenges(header));
        assert_eq!(check.status, Status::Pass, "{check:?}");
        assert!(check.detail.contains("(scope a b)"), "{}", check.detail);
        assert_eq!(at.as_deref(), Some("https://h/.well-known/oauth-protected-resource/mcp"));

        let (check, at) =
            challenge_check(401, &["Bearer realm=\"x\"".to_owned()], &parse_challenges("Bearer realm=\"x\""));
        assert_eq!((check.status, at), (Status::Warn, None));
        assert!(check.detail.ends_with("the challenge has no resource_metadata"), "{}", check.detail);
        let (check, _) = challenge_check(401, &[], &[]);
        assert_eq!(check.status, Status::Warn);
        assert!(check.detail.contains("no WWW-Authenticate header"), "{}", check.detail);
    }

    #[test]
    fn protected_resource_metadata_must_be_about_this_server() {
        let server = url("https://h/mcp");
        let at = url("https://h/.well-known/oauth-protected-resource/mcp");
        let doc = |resource: &str, servers: Value| json!({"resource": resource, "authorization_servers": servers, "scopes_supported": ["mcp"]});
        let found = (at.clone(), doc("https://h/mcp", json!(["https://as.example"])));
        let (check, issuer) = protected_resource_check(&server, Some(&found), &[], None);
        assert_eq!(check.status, Status::Pass, "{check:?}");
        assert_eq!(check.detail, format!("found at {at}: authorization server https://as.example, scopes mcp"));
        assert_eq!(issuer.map(String::from).as_deref(), Some("https://as.example/"));

        let (check, _) = protected_resource_check(&server, Some(&found), &[], Some("x answered HTTP 404 Not Found"));
        assert_eq!(check.status, Status::Warn);

        let other = (at.clone(), doc("https://other/mcp", json!(["https://as.example"])));
        let (check, issuer) = protected_resource_check(&server, Some(&other), &[], None);
        assert_eq!((check.status, issuer), (Status::Fail, None));
        assert!(check.detail.contains("is for resource \"https://other/mcp\""), "{}", check.detail);

        let none = (at, doc("https://h/mcp/", json!([])));
        let (check, _) = protected_resource_check(&server, Some(&none), &[], None);
        assert_eq!(check.status, Status::Fail);
        assert!(check.detail.ends_with("names no authorization server"), "{}", check.detail);

        let attempts = ["https://h/.well-known/oauth-protected-resource/mcp (HTTP 404 Not Found)".to_owned()];
        let (check, _) = protected_resource_check(&server, None, &attempts, None);
        assert_eq!(check.status, Status::Fail);
        assert!(check.detail.contains("(HTTP 404 Not Found)"), "{}", check.detail);
    }

    #[test]
    fn authorization_server_metadata_is_checked_for_issuer_pkce_refresh_and_registration() {
        let issuer = url("https://as.example");
        let at = url("https://as.example/.well-known/oauth-authorization-server");
        let full = json!({
            "issuer": "https://as.example", "authorization_endpoint": "https://as.example/authorize",
            "token_endpoint": "https://as.example/token", "code_challenge_methods_supported": ["S256"],
            "scopes_supported": ["mcp", "offline_access"], "grant_types_supported": ["authorization_code", "refresh_token"],
            "registration_endpoint": "https://as.example/register", "client_id_metadata_document_supported": true
        });
        let statuses = |doc: Value| -> Vec<(&'static str, Status)> {
            authorization_server_checks(&issuer, Some(&(at.clone(), "RFC 8414", doc)), &[])
                .into_iter()
                .map(|c| (c.id, c.status))
                .collect()
        };
        use Status::*;
        assert_eq!(
            statuses(full.clone()),
            [
                ("authorization_server_metadata", Pass),
                ("pkce", Pass),
                ("offline_access", Pass),
                ("client_registration", Pass)
            ]
        );
        let mut weak = full.clone();
        for k in ["code_challenge_methods_supported", "registration_endpoint", "client_id_metadata_document_supported"]
        {
            weak.as_object_mut().expect("object").remove(k);
        }
        weak["scopes_supported"] = json!(["mcp"]);
        assert_eq!(
            statuses(weak),
            [
                ("authorization_server_metadata", Pass),
                ("pkce", Fail),
                ("offline_access", Warn),
                ("client_registration", Warn)
            ]
        );
        let mut wrong = full.clone();
        wrong["issuer"] = json!("https://evil.example");
        assert_eq!(statuses(wrong)[0], ("authorization_server_metadata", Fail));
        let mut no_token = full.clone();
        no_token.as_object_mut().expect("object").remove("token_endpoint");
        assert_eq!(statuses(no_token)[0], ("authorization_server_metadata", Fail));

        let checks = authorization_server_checks(&issuer, None, &["x (HTTP 404 Not Found)".to_owned()]);
        assert_eq!(checks.len(), 1, "nothing more to check without metadata");
        assert_eq!(checks[0].status, Fail);

        let no_refresh =
            json!({"scopes_supported": ["offline_access"], "grant_types_supported": ["authorization_code"]});
        let check = offline_access_check(&no_refresh);
        assert_eq!(check.status, Warn);
        assert!(check.detail.contains("not refresh_token"), "{}", check.detail);
        assert!(offline_access_check(&json!({})).detail.ends_with("users will have to reconnect when tokens expire"));
        assert_eq!(registration_check(&json!({"client_id_metadata_document_supported": true})).status, Pass);
    }
}
