//! What the web layer needs to know about its deployment.

use std::time::Duration;

/// Settings for the HTTP layer, resolved by the CLI from flags, env and file.
#[derive(Clone, Debug)]
pub struct WebConfig {
    /// The URL people and OAuth servers use to reach this instance (no trailing slash).
    pub public_url: String,
    /// `host:port` values accepted in `Host` and `Origin` (DNS-rebinding defence).
    pub allowed_hosts: Vec<String>,
    /// Largest request body accepted, in bytes.
    pub max_body_bytes: usize,
    /// How long a browser session lasts.
    pub session_ttl: Duration,
    /// Timeouts and size limits for upstream MCP servers (the address policy comes
    /// from the workspace settings at each connection).
    pub upstream: switchboard_mcp::ClientOptions,
    /// Most upstream sessions kept at once (every person's and connector's together).
    pub upstream_max_sessions: usize,
    /// How often published apps are listed again to find tool changes their
    /// servers made (once across replicas); `None`: never.
    pub drift_check_interval: Option<Duration>,
    /// Whether connectors may run local commands (stdio). Off unless the operator
    /// turns it on at start.
    pub allow_local_commands: bool,
    /// Model providers and the default model.
    pub providers: switchboard_agent::Providers,
    /// Limits of the agent loop.
    pub agent: switchboard_agent::AgentConfig,
    /// Failed sign-ins tolerated per account and per client address.
    pub sign_in: switchboard_core::sign_in::SignInLimits,
    /// Proxies whose `X-Forwarded-For` names the client (none by default).
    pub trusted_proxies: crate::TrustedProxies,
}

impl WebConfig {
    /// A config for `public_url` that also accepts the loopback names on the same port.
    pub fn for_public_url(public_url: &str) -> Self {
        let public_url = public_url.trim_end_matches('/').to_owned();
        let mut allowed_hosts = vec![];
        if let Some(authority) = authority_of(&public_url) {
            allowed_hosts.push(authority.to_owned());
        }
        Self {
            public_url,
            allowed_hosts,
            max_body_bytes: 1024 * 1024,
            session_ttl: Duration::from_secs(14 * 24 * 3600),
            upstream: switchboard_mcp::ClientOptions::default(),
            upstream_max_sessions: switchboard_mcp::PoolLimits::default().max_sessions,
            drift_check_interval: Some(Duration::from_secs(3600)),
            allow_local_commands: false,
            providers: switchboard_agent::Providers::default(),
            agent: switchboard_agent::AgentConfig::default(),
            sign_in: switchboard_core::sign_in::SignInLimits::default(),
            trusted_proxies: crate::TrustedProxies::default(),
        }
    }

    /// Also accept `localhost`, `127.0.0.1` and `[::1]` on `port` (when listening on loopback).
    pub fn allow_loopback(mut self, port: u16) -> Self {
        for host in ["localhost", "127.0.0.1", "[::1]"] {
            let value = format!("{host}:{port}");
            if !self.allowed_hosts.contains(&value) {
                self.allowed_hosts.push(value);
            }
        }
        self
    }

    /// Whether cookies must be `Secure` (the public URL is https).
    pub fn is_https(&self) -> bool {
        self.public_url.starts_with("https://")
    }

    /// Name of the session cookie; `__Host-` prefixed over https.
    pub fn session_cookie(&self) -> &'static str {
        if self.is_https() { "__Host-switchboard_session" } else { "switchboard_session" }
    }

    pub(crate) fn host_allowed(&self, host: &str) -> bool {
        let host = host.to_ascii_lowercase();
        self.allowed_hosts.iter().any(|h| h.eq_ignore_ascii_case(&host) || default_port_match(h, &host))
    }
}

/// `example.com` in the Host header matches an allowed `example.com:443` / `:80`.
fn default_port_match(allowed: &str, host: &str) -> bool {
    [":443", ":80"].iter().any(|p| allowed.strip_suffix(p).is_some_and(|a| a.eq_ignore_ascii_case(host)))
}

/// `host:port` of a URL, with the scheme's default port filled in.
pub(crate) fn authority_of(url: &str) -> Option<String> {
    let (scheme, rest) = url.split_once("://")?;
    let authority = rest.split(['/', '?', '#']).next()?;
    if authority.is_empty() {
        return None;
    }
    let has_port = authority
        .rsplit_once(':')
        .is_some_and(|(_, p)| p.chars().all(|c| c.is_ascii_digit()) && !authority.ends_with(']'));
    Some(if has_port {
        authority.to_ascii_lowercase()
    } else {
        let port = if scheme == "https" { 443 } else { 80 };
        format!("{}:{port}", authority.to_ascii_lowercase())
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn authorities_with_default_ports() {
        assert_eq!(authority_of("http://127.0.0.1:8080").as_deref(), Some("127.0.0.1:8080"));
        assert_eq!(authority_of("https://sb.example.com/").as_deref(), Some("sb.example.com:443"));
        assert_eq!(authority_of("http://[::1]:9000/x").as_deref(), Some("[::1]:9000"));
        assert_eq!(authority_of("http://[::1]/x").as_deref(), Some("[::1]:80"));
        assert_eq!(authority_of("nonsense"), None);
    }

    #[test]
    fn hosts_are_checked_against_the_allow_list() {
        let config = WebConfig::for_public_url("https://sb.example.com").allow_loopback(8080);
        assert!(config.host_allowed("sb.example.com"));
        assert!(config.host_allowed("SB.example.com:443"));
        assert!(config.host_allowed("localhost:8080"));
        assert!(config.host_allowed("127.0.0.1:8080"));
        assert!(!config.host_allowed("evil.example:8080"));
        assert!(!config.host_allowed("127.0.0.1:9090"));
        assert_eq!(config.session_cookie(), "__Host-switchboard_session");
    }
}
