//! The rules of connecting to OAuth-protected MCP servers (MCP authorization,
//! OAuth 2.1), as pure functions: PKCE, which scopes to ask for, when a token is
//! due for a refresh, and how long a flow may take.

use std::time::Duration;

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use sha2::{Digest, Sha256};
use time::OffsetDateTime;

use crate::SecretString;

/// How long a person has to finish an authorization they started.
pub const FLOW_LIFETIME: Duration = Duration::from_secs(600);

/// A token is refreshed when less than this is left of it (plus jitter).
pub const REFRESH_AHEAD: Duration = Duration::from_secs(60);

/// How long a claimed refresh may run before another replica may claim it again.
pub const REFRESH_CLAIM: Duration = Duration::from_secs(30);

/// The PKCE `code_challenge` for a verifier, method S256 (RFC 7636 §4.2).
pub fn pkce_challenge(verifier: &SecretString) -> String {
    URL_SAFE_NO_PAD.encode(Sha256::digest(verifier.expose().as_bytes()))
}

/// Why an authorization server cannot be used with PKCE S256, if it cannot.
/// `default_endpoints`: the server publishes no metadata at all and the app allows
/// the 2025-03-26 default endpoints (see [`default_endpoints_refusal`]); nothing can
/// advertise S256 then, and the admin accepted that (S256 is sent all the same).
pub fn pkce_refusal(methods: Option<&[String]>, default_endpoints: bool) -> Option<&'static str> {
    match methods {
        None if default_endpoints => None,
        None => Some(
            "the authorization server does not advertise code_challenge_methods_supported, so Switchboard cannot \
             know that it checks PKCE; ask its operator to support PKCE with S256 and list it in its metadata",
        ),
        Some(m) if !m.iter().any(|x| x == "S256") => Some(
            "the authorization server does not support PKCE with S256 (code_challenge_methods_supported lacks \
             S256); ask its operator to enable it",
        ),
        Some(_) => None,
    }
}

/// Whether an app may use the default endpoints of the 2025-03-26 MCP authorization
/// specification (`/authorize`, `/token`, `/register` at the server's origin) when
/// its server publishes no metadata. Refused unless an admin allowed it for the app
/// (or `switchboard mcp-client --legacy-oauth-endpoints`): without metadata nothing
/// says the server checks PKCE with S256 (DESIGN S3).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum LegacyEndpoints {
    #[default]
    Refused,
    /// Allowed, and only where [`default_endpoints_refusal`] finds no metadata at all.
    Allowed,
}

impl LegacyEndpoints {
    pub fn allowed(self) -> bool {
        self == Self::Allowed
    }
}

/// Why the 2025-03-26 default endpoints must not be used, if they must not. They may
/// be only when the app allows them and no metadata exists at all: the server's
/// challenge names no `resource_metadata`, and every discovery URL tried (protected
/// resource metadata, then authorization server metadata at the server's origin)
/// answered HTTP 404. `answers` holds each URL's status, `None` when it gave no HTTP
/// answer (unreachable, refused by the address policy, timed out). Anything else —
/// a 200 that is not metadata, a 401, a 500, a timeout — means metadata may exist and
/// be unreadable, and guessing endpoints then would hide the real fault.
pub fn default_endpoints_refusal(
    legacy: LegacyEndpoints,
    challenge_names_metadata: bool,
    answers: &[Option<u16>],
) -> Option<String> {
    const ENDPOINTS: &str = "the 2025-03-26 default endpoints (/authorize, /token, /register at the server's origin)";
    if !legacy.allowed() {
        return Some(format!(
            "without metadata nothing says the server checks PKCE with S256, so Switchboard does not use {ENDPOINTS}; \
             ask the server's operator to publish metadata, or, if you trust this server, allow legacy OAuth \
             endpoints in the app's OAuth settings (switchboard mcp-client --legacy-oauth-endpoints)"
        ));
    }
    if challenge_names_metadata {
        return Some(format!(
            "the server's challenge names protected resource metadata, so Switchboard does not fall back to {ENDPOINTS}"
        ));
    }
    if answers.is_empty() || answers.iter().any(|a| *a != Some(404)) {
        return Some(format!(
            "not every metadata URL answered HTTP 404, so metadata may exist but be unreadable; Switchboard falls \
             back to {ENDPOINTS} only when none exists"
        ));
    }
    None
}

/// The scopes to ask for, in the specification's order: those the connector is
/// configured with, else the challenge's `scope`, else the resource's
/// `scopes_supported`; `offline_access` added when the authorization server
/// lists it, so a refresh token can be issued. Space-separated, no duplicates.
pub fn scopes_to_request(
    configured: &str,
    challenge: Option<&str>,
    resource_supported: &[String],
    server_supported: &[String],
) -> String {
    let mut out: Vec<&str> = if !configured.trim().is_empty() {
        configured.split_whitespace().collect()
    } else if let Some(c) = challenge.filter(|c| !c.trim().is_empty()) {
        c.split_whitespace().collect()
    } else {
        resource_supported.iter().map(String::as_str).collect()
    };
    if server_supported.iter().any(|s| s == "offline_access") {
        out.push("offline_access");
    }
    let mut seen = std::collections::BTreeSet::new();
    out.retain(|s| seen.insert(*s));
    out.join(" ")
}

/// What to tell whoever adds an app whose authorization server does not list
/// `offline_access`: no refresh token is promised, so each person signs in again
/// whenever their access token expires. `None` when it is listed.
pub fn offline_access_warning(server_supported: &[String]) -> Option<&'static str> {
    if server_supported.iter().any(|s| s == "offline_access") {
        None
    } else {
        Some(
            "the authorization server does not list offline_access, so it may issue no refresh tokens: \
             people will need to sign in again when their access token expires",
        )
    }
}

/// The `prompt` to send with an authorization request for `scope`: `consent` when it
/// asks for `offline_access`, which an OpenID Connect provider otherwise ignores (OpenID
/// Connect Core §11), issuing no refresh token. Servers that do not know `prompt` ignore
/// it (RFC 6749 §3.1).
pub fn prompt_for(scope: &str) -> Option<&'static str> {
    scope.split_whitespace().any(|s| s == "offline_access").then_some("consent")
}

/// The grant types to register a client for (RFC 7591): the authorization code, and
/// refresh tokens unless the server's `grant_types_supported` leaves them out (a server
/// that issues no refresh token refuses a registration asking for them).
pub fn registration_grant_types(supported: Option<&[String]>) -> Vec<&'static str> {
    let refresh = supported.is_none_or(|g| g.iter().any(|t| t == "refresh_token"));
    if refresh { vec!["authorization_code", "refresh_token"] } else { vec!["authorization_code"] }
}

/// The scopes to ask for when authorizing again after a challenge (a 401, or a
/// 403 `insufficient_scope`): those granted or asked for before, then the newly
/// challenged ones, so a step-up keeps what other operations need. Space-separated,
/// no duplicates.
pub fn union_scopes(prior: &str, challenged: &str) -> String {
    let mut seen = std::collections::BTreeSet::new();
    prior
        .split_whitespace()
        .chain(challenged.split_whitespace())
        .filter(|s| seen.insert(*s))
        .collect::<Vec<_>>()
        .join(" ")
}

/// Whether `scope` is a scope list RFC 6749 §3.3 allows: tokens of printable
/// ASCII other than `"` and `\\`, separated by spaces, at most 1,000 characters.
pub fn valid_scope(scope: &str) -> bool {
    scope.len() <= 1000 && scope.bytes().all(|b| b == b' ' || ((0x21..=0x7e).contains(&b) && b != b'"' && b != b'\\'))
}

/// How many times one operation may send a person (or the headless client) to
/// authorize before it gives up: a server that asks for ever more scopes must not
/// loop.
pub const MAX_AUTHORIZATIONS: usize = 3;

/// Whether a person who already authorized `step_ups` times in a row because the
/// server wanted more scopes (with no call going through since) is offered to do
/// it once more: at most [`MAX_AUTHORIZATIONS`] times.
pub fn may_step_up(step_ups: usize) -> bool {
    step_ups < MAX_AUTHORIZATIONS
}

/// How Switchboard identifies itself to an authorization server, in the
/// specification's order of preference.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Registration {
    /// The client registered beforehand and configured on the connector.
    Static,
    /// Switchboard's Client ID Metadata Document: its URL is the `client_id`.
    MetadataDocument,
    /// Dynamic client registration (RFC 7591), once per authorization server.
    Dynamic,
}

impl Registration {
    /// The name stored with a grant.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Static => "static",
            Self::MetadataDocument => "metadata_document",
            Self::Dynamic => "dynamic",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        [Self::Static, Self::MetadataDocument, Self::Dynamic].into_iter().find(|r| r.as_str() == s)
    }

    /// Whether a token endpoint's `invalid_client` (RFC 6749 §5.2) means this client
    /// is to be forgotten so the next connection registers anew: only a client
    /// Switchboard registered itself. A pre-registered client or the metadata
    /// document cannot be made anew by Switchboard; forgetting them changes nothing.
    pub fn registers_anew_on_invalid_client(self) -> bool {
        self == Self::Dynamic
    }
}

/// Which client to use: a pre-registered one when the connector has it; else the
/// Client ID Metadata Document, when Switchboard has one the specification allows
/// (see [`metadata_document_allowed`]) and the authorization server advertises
/// `client_id_metadata_document_supported`; else dynamic registration.
pub fn registration(static_client: bool, metadata_document: bool, server_accepts_documents: bool) -> Registration {
    if static_client {
        Registration::Static
    } else if metadata_document && server_accepts_documents {
        Registration::MetadataDocument
    } else {
        Registration::Dynamic
    }
}

/// Whether `url` may serve as a client identifier URL (OAuth Client ID Metadata
/// Document): https, a host, no user or password, a path other than `/` without
/// `.` or `..` segments, and no fragment. A public URL over plain http (a local
/// install) cannot be one, and such an install registers dynamically instead.
pub fn metadata_document_allowed(url: &str) -> bool {
    let Some(rest) = url.strip_prefix("https://") else { return false };
    if url.chars().any(|c| c.is_whitespace() || c.is_control() || c == '\\') || url.contains('#') {
        return false;
    }
    let (authority, path) = match rest.find(['/', '?']) {
        Some(i) => rest.split_at(i),
        None => (rest, ""),
    };
    let path = path.split('?').next().unwrap_or_default();
    let host = authority
        .rsplit_once(':')
        .map_or(authority, |(h, port)| if port.chars().all(|c| c.is_ascii_digit()) { h } else { authority });
    !host.is_empty()
        && !authority.contains('@')
        && path.len() > 1
        && !path.split('/').any(|segment| matches!(segment, "." | ".."))
}

/// Why an authorization response must be refused under RFC 9207, if it must:
/// `iss` that is not the issuer exactly (simple string comparison, RFC 9207 §2.4),
/// or no `iss` from a server that promised one.
pub fn iss_refusal(received: Option<&str>, issuer: &str, advertised: bool) -> Option<String> {
    match received {
        Some(iss) if iss != issuer => Some(format!(
            "the authorization response came from issuer {iss:?}, not {issuer:?} (RFC 9207); it was refused"
        )),
        None if advertised => Some(
            "the authorization server promises an iss parameter (RFC 9207) but the response has none; it was \
             refused"
                .to_owned(),
        ),
        _ => None,
    }
}

/// Whether a token issued at `issued_at` that expires at `expires_at` should be
/// refreshed `now`: within [`REFRESH_AHEAD`] plus `jitter` of its end (the jitter
/// spreads the refreshes of many people over time), or within a quarter of its
/// lifetime for tokens shorter than that. A token without an expiry never is,
/// until the server refuses it.
pub fn refresh_due(
    issued_at: OffsetDateTime,
    expires_at: Option<OffsetDateTime>,
    now: OffsetDateTime,
    jitter: Duration,
) -> bool {
    let Some(end) = expires_at else { return false };
    let lifetime = Duration::try_from(end - issued_at).unwrap_or(Duration::ZERO);
    let ahead = (REFRESH_AHEAD + jitter).min(lifetime / 4);
    now + ahead >= end
}

/// A token endpoint's `expires_in`, as the moment it ends.
pub fn expiry(now: OffsetDateTime, expires_in: Option<u64>) -> Option<OffsetDateTime> {
    expires_in.map(|s| now + Duration::from_secs(s.min(10 * 365 * 86_400)))
}

/// Where the callback may send a person back to: a path of this site's own chat or
/// app pages, never another origin (`//host`, `https:`), a backslash trick or a
/// control character. `None` when `raw` is not one.
pub fn return_path(raw: &str) -> Option<&str> {
    const PAGES: [&str; 3] = ["/chat/", "/chat?", "/settings/apps/"];
    let ok = raw.len() <= 512
        && (raw == "/chat" || PAGES.iter().any(|p| raw.starts_with(p)))
        && !raw.contains("//")
        && !raw.contains('\\')
        && !raw.chars().any(char::is_control);
    ok.then_some(raw)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_paths_of_chat_and_app_pages_are_returned_to() {
        for good in ["/chat", "/chat/0190c3e5-1b2c-7def-8123-456789abcdef", "/settings/apps/abc?tab=1"] {
            assert_eq!(return_path(good), Some(good), "{good}");
        }
        for bad in [
            "",
            "https://evil.example/chat",
            "//evil.example/chat",
            "/chat//evil.example",
            "/\\evil.example",
            "/chat\\@evil.example",
            "javascript:alert(1)",
            "/settings/users",
            "/chatroom",
            "/chat\nLocation: https://evil.example",
            "chat",
        ] {
            assert_eq!(return_path(bad), None, "{bad:?}");
        }
        assert_eq!(return_path(&format!("/chat/{}", "a".repeat(600))), None);
    }

    #[test]
    fn pkce_matches_rfc_7636_appendix_b() {
        let verifier = SecretString::new("dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk");
        assert_eq!(pkce_challenge(&verifier), "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM");
    }

    #[test]
    fn pkce_needs_s256_advertised() {
        let s = |v: &[&str]| v.iter().map(|x| (*x).to_owned()).collect::<Vec<_>>();
        for (methods, default_endpoints, refused) in [
            (None, false, true),
            (Some(s(&["plain"])), false, true),
            (Some(s(&[])), false, true),
            (Some(s(&["plain", "S256"])), false, false),
            // No metadata, and the app allows the 2025-03-26 default endpoints.
            (None, true, false),
            // Metadata that lists methods without S256 is a refusal whatever the app allows.
            (Some(s(&["plain"])), true, true),
        ] {
            assert_eq!(
                pkce_refusal(methods.as_deref(), default_endpoints).is_some(),
                refused,
                "{methods:?} {default_endpoints}"
            );
        }
    }

    #[test]
    fn default_endpoints_only_when_allowed_and_no_metadata_exists_at_all() {
        use LegacyEndpoints::*;
        let all_404 = [Some(404), Some(404), Some(404), Some(404)];
        for (legacy, named, answers, allowed) in [
            (Allowed, false, &all_404[..], true),
            (Refused, false, &all_404[..], false),
            (Allowed, true, &all_404[..], false),
            (Allowed, false, &[Some(404), Some(500), Some(404)][..], false),
            (Allowed, false, &[Some(404), None][..], false),
            (Allowed, false, &[Some(200), Some(404)][..], false),
            (Allowed, false, &[Some(401)][..], false),
            (Allowed, false, &[][..], false),
        ] {
            assert_eq!(
                default_endpoints_refusal(legacy, named, answers).is_none(),
                allowed,
                "{legacy:?} {named} {answers:?}"
            );
        }
        let refused = default_endpoints_refusal(Refused, false, &all_404).expect("refused");
        assert!(refused.contains("legacy-oauth-endpoints") && refused.contains("S256"), "{refused}");
    }

    #[test]
    fn scopes_follow_the_specification_order() {
        let s = |v: &[&str]| v.iter().map(|x| (*x).to_owned()).collect::<Vec<_>>();
        let offline = s(&["read", "offline_access"]);
        for (configured, challenge, resource, server, expect) in [
            ("a b", Some("c"), s(&["d"]), offline.clone(), "a b offline_access"),
            ("", Some("c"), s(&["d"]), s(&[]), "c"),
            ("", None, s(&["d", "e"]), offline.clone(), "d e offline_access"),
            ("", Some(" "), s(&[]), s(&[]), ""),
            ("offline_access x", None, s(&[]), offline, "offline_access x"),
        ] {
            assert_eq!(scopes_to_request(configured, challenge, &resource, &server), expect);
        }
    }

    #[test]
    fn offline_access_is_asked_for_with_consent() {
        for (scope, prompt) in [
            ("mcp:tools offline_access", Some("consent")),
            ("offline_access", Some("consent")),
            ("mcp:tools", None),
            ("", None),
            ("offline_accessx", None),
        ] {
            assert_eq!(prompt_for(scope), prompt, "{scope:?}");
        }
    }

    #[test]
    fn refresh_tokens_are_registered_for_only_where_the_server_has_them() {
        let s = |v: &[&str]| v.iter().map(|x| (*x).to_owned()).collect::<Vec<_>>();
        let both = vec!["authorization_code", "refresh_token"];
        for (supported, expect) in [
            (None, both.clone()),
            (Some(s(&["authorization_code", "refresh_token", "implicit"])), both),
            (Some(s(&["implicit", "authorization_code"])), vec!["authorization_code"]),
            (Some(s(&[])), vec!["authorization_code"]),
        ] {
            assert_eq!(registration_grant_types(supported.as_deref()), expect, "{supported:?}");
        }
    }

    #[test]
    fn step_up_keeps_the_scopes_asked_for_before() {
        for (prior, challenged, expect) in [
            ("", "", ""),
            ("mcp:basic", "mcp:write", "mcp:basic mcp:write"),
            ("a b", "b c", "a b c"),
            ("", "x", "x"),
            ("x", " ", "x"),
        ] {
            assert_eq!(union_scopes(prior, challenged), expect);
        }
    }

    #[test]
    fn the_client_follows_the_specification_order() {
        use Registration::*;
        for (static_client, document, accepted, expect) in [
            (true, true, true, Static),
            (true, false, false, Static),
            (false, true, true, MetadataDocument),
            (false, true, false, Dynamic),
            (false, false, true, Dynamic),
            (false, false, false, Dynamic),
        ] {
            assert_eq!(
                registration(static_client, document, accepted),
                expect,
                "{static_client} {document} {accepted}"
            );
        }
    }

    #[test]
    fn registrations_are_named_for_the_store() {
        for r in [Registration::Static, Registration::MetadataDocument, Registration::Dynamic] {
            assert_eq!(Registration::parse(r.as_str()), Some(r));
        }
        assert_eq!(Registration::parse("cimd"), None);
    }

    #[test]
    fn only_a_client_switchboard_registered_is_registered_anew() {
        for (registration, anew) in
            [(Registration::Static, false), (Registration::MetadataDocument, false), (Registration::Dynamic, true)]
        {
            assert_eq!(registration.registers_anew_on_invalid_client(), anew, "{registration:?}");
        }
    }

    #[test]
    fn a_client_id_url_must_be_one_the_specification_allows() {
        for (url, allowed) in [
            ("https://sb.example.com/oauth/client-metadata.json", true),
            ("https://sb.example.com:8443/base/oauth/client-metadata.json", true),
            ("https://127.0.0.1:9443/oauth/client-metadata.json", true),
            ("http://sb.example.com/oauth/client-metadata.json", false),
            ("http://127.0.0.1:8080/oauth/client-metadata.json", false),
            ("https://sb.example.com", false),
            ("https://sb.example.com/", false),
            ("https:///oauth/client-metadata.json", false),
            ("https://user:pw@sb.example.com/oauth/client-metadata.json", false),
            ("https://sb.example.com/a/../oauth/client-metadata.json", false),
            ("https://sb.example.com/./client.json", false),
            ("https://sb.example.com/client.json#x", false),
            ("https://sb.example.com/client json", false),
            ("javascript:alert(1)", false),
        ] {
            assert_eq!(metadata_document_allowed(url), allowed, "{url}");
        }
    }

    #[test]
    fn scopes_from_outside_are_checked() {
        for (scope, ok) in [
            ("mcp:tools offline_access", true),
            ("", true),
            ("https://graph.example/read", true),
            ("a\"b", false),
            ("a\\b", false),
            ("a\nb", false),
            ("caf\u{e9}", false),
            (&"x".repeat(1001), false),
        ] {
            assert_eq!(valid_scope(scope), ok, "{scope:?}");
        }
    }

    #[test]
    fn step_up_is_offered_a_bounded_number_of_times() {
        for (step_ups, offered) in [(0, true), (1, true), (2, true), (3, false), (4, false), (usize::MAX, false)] {
            assert_eq!(may_step_up(step_ups), offered, "{step_ups}");
        }
    }

    #[test]
    fn iss_must_be_the_issuer_exactly_and_present_when_promised() {
        let issuer = "http://as.example";
        for (received, advertised, refused) in [
            (Some("http://as.example"), true, false),
            (Some("http://as.example"), false, false),
            (None, false, false),
            (None, true, true),
            (Some("http://as.example/"), true, true),
            (Some("https://evil.example"), false, true),
        ] {
            assert_eq!(iss_refusal(received, issuer, advertised).is_some(), refused, "{received:?} {advertised}");
        }
    }

    #[test]
    fn refresh_is_due_ahead_of_expiry_with_jitter() {
        let now = OffsetDateTime::UNIX_EPOCH + Duration::from_secs(1_000_000);
        let issued = now - Duration::from_secs(600);
        let at = |secs: u64| Some(now + Duration::from_secs(secs));
        for (issued_at, expires_at, jitter, due) in [
            (issued, None, 0, false),
            (issued, at(3600), 0, false),
            (issued, at(59), 0, true),
            (issued, at(61), 0, false),
            (issued, at(61), 5, true),
            (issued, Some(now - Duration::from_secs(1)), 0, true),
            // A 4-second token is renewed in its last second, not for its whole life.
            (now - Duration::from_secs(2), at(2), 30, false),
            (now - Duration::from_secs(3), at(1), 30, true),
        ] {
            assert_eq!(
                refresh_due(issued_at, expires_at, now, Duration::from_secs(jitter)),
                due,
                "{expires_at:?} +{jitter}"
            );
        }
    }

    #[test]
    fn a_server_without_offline_access_is_worth_a_warning() {
        let s = |v: &[&str]| v.iter().map(|x| (*x).to_owned()).collect::<Vec<_>>();
        assert_eq!(offline_access_warning(&s(&["mcp", "offline_access"])), None);
        let warned = offline_access_warning(&s(&["mcp"])).expect("warned");
        assert!(warned.contains("sign in again"), "{warned}");
        assert!(offline_access_warning(&[]).is_some(), "a server that lists no scopes promises nothing");
    }
}
