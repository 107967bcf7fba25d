//! The HTTP client for upstream servers: every address it connects to, and every
//! redirect it follows, is checked against the workspace's address policy.

use std::net::{IpAddr, SocketAddr};
use std::sync::{Arc, Once};

use futures::future::BoxFuture;
use reqwest::dns::{Addrs, Name, Resolve, Resolving};
use switchboard_core::network::{NetworkPolicy, check};
use url::{Host, Url};

use crate::error::{Cause, McpError};
use crate::options::ClientOptions;

/// At most this many redirects, each to the same origin.
const MAX_REDIRECTS: usize = 5;

/// A request this client refused to make (an address the policy refuses, a redirect
/// elsewhere), in words for people. The HTTP client wraps it in errors of its own;
/// `error::reason` finds it under them by its type, whatever its words contain.
#[derive(Debug)]
pub(crate) struct Refusal(pub(crate) String);

impl std::fmt::Display for Refusal {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for Refusal {}

/// rustls needs one process-wide crypto provider; Switchboard uses ring throughout.
/// Every reqwest client in the process (the model providers' too) needs it installed
/// before it is built; installing it again is harmless.
pub fn install_crypto_provider() {
    static ONCE: Once = Once::new();
    ONCE.call_once(|| {
        let _ = rustls::crypto::ring::default_provider().install_default();
    });
}

/// How a name is looked up: the system's resolver; tests script the answers, one
/// lookup at a time.
type Lookup = Arc<dyn Fn(String) -> BoxFuture<'static, std::io::Result<Vec<IpAddr>>> + Send + Sync>;

fn system_lookup() -> Lookup {
    Arc::new(|host: String| {
        Box::pin(async move { Ok(tokio::net::lookup_host((host.as_str(), 0)).await?.map(|a| a.ip()).collect()) })
    })
}

/// Resolves names and keeps only the addresses the policy allows.
struct PolicyResolver {
    policy: NetworkPolicy,
    lookup: Lookup,
}

impl Resolve for PolicyResolver {
    fn resolve(&self, name: Name) -> Resolving {
        let policy = self.policy;
        let lookup = Arc::clone(&self.lookup);
        Box::pin(async move {
            let host = name.as_str().to_owned();
            let found: Vec<SocketAddr> =
                lookup(host.clone()).await?.into_iter().map(|ip| SocketAddr::new(ip, 0)).collect();
            let mut refused = None;
            let allowed: Vec<SocketAddr> = found
                .into_iter()
                .filter(|a| match check(a.ip(), &policy) {
                    Ok(()) => true,
                    Err(e) => {
                        refused.get_or_insert(e);
                        false
                    }
                })
                .collect();
            match (allowed.is_empty(), refused) {
                (true, Some(refused)) => Err(Refusal(format!("{host} resolves to {refused}")).into()),
                (true, None) => Err(Refusal(format!("{host} does not resolve to any address")).into()),
                (false, _) => Ok(Box::new(allowed.into_iter()) as Addrs),
            }
        })
    }
}

/// A literal IP in the URL never reaches the resolver: check it here.
pub(crate) fn check_url(url: &Url, policy: &NetworkPolicy) -> Result<(), McpError> {
    if !matches!(url.scheme(), "http" | "https") {
        return Err(McpError::BadUrl(format!("{url} is not an http(s) URL")));
    }
    let ip: Option<IpAddr> = match url.host() {
        Some(Host::Ipv4(v4)) => Some(v4.into()),
        Some(Host::Ipv6(v6)) => Some(v6.into()),
        Some(Host::Domain(_)) => None,
        None => return Err(McpError::BadUrl(format!("{url} has no host"))),
    };
    if let Some(ip) = ip {
        check(ip, policy)?;
    }
    Ok(())
}

/// Check the URL and, for a name, what it resolves to now: the connection itself is
/// checked again by the resolver, but a refusal found here can say exactly why.
pub(crate) async fn preflight(url: &Url, policy: &NetworkPolicy) -> Result<(), McpError> {
    preflight_with(url, policy, &system_lookup()).await
}

async fn preflight_with(url: &Url, policy: &NetworkPolicy, lookup: &Lookup) -> Result<(), McpError> {
    check_url(url, policy)?;
    let Some(Host::Domain(name)) = url.host() else { return Ok(()) };
    let found: Vec<IpAddr> =
        lookup(name.to_owned()).await.map_err(|e| McpError::Connect(format!("cannot resolve {name}: {e}").into()))?;
    let mut first_refusal = None;
    for ip in &found {
        match check(*ip, policy) {
            Ok(()) => return Ok(()),
            Err(refused) => {
                first_refusal.get_or_insert(refused);
            }
        }
    }
    match first_refusal {
        Some(refused) => Err(McpError::Refused(refused)),
        None => Err(McpError::Connect(format!("{name} does not resolve to any address").into())),
    }
}

/// A client that follows no redirect at all: OAuth token, registration and
/// revocation requests carry credentials, and an answer that moves is refused.
pub(crate) fn build_without_redirects(options: &ClientOptions) -> Result<reqwest::Client, McpError> {
    client(options, system_lookup(), reqwest::redirect::Policy::none())
}

/// A client that follows a few redirects, each to the same origin and to an
/// address the policy allows.
pub(crate) fn build(options: &ClientOptions) -> Result<reqwest::Client, McpError> {
    client(options, system_lookup(), same_origin_redirects(options.network))
}

fn same_origin_redirects(policy: NetworkPolicy) -> reqwest::redirect::Policy {
    reqwest::redirect::Policy::custom(move |attempt| {
        let first = attempt.previous().first().map(|u| u.origin());
        if attempt.previous().len() > MAX_REDIRECTS {
            return attempt.error(Refusal(format!("more than {MAX_REDIRECTS} redirects")));
        }
        if first.as_ref() != Some(&attempt.url().origin()) {
            // Credentials and custom headers must never follow to another origin.
            let message = format!("refused a redirect to another origin ({})", attempt.url());
            return attempt.error(Refusal(message));
        }
        if let Err(e) = check_url(attempt.url(), &policy) {
            return attempt.error(Refusal(e.to_string()));
        }
        attempt.follow()
    })
}

fn client(
    options: &ClientOptions,
    lookup: Lookup,
    redirects: reqwest::redirect::Policy,
) -> Result<reqwest::Client, McpError> {
    install_crypto_provider();
    reqwest::Client::builder()
        .dns_resolver(Arc::new(PolicyResolver { policy: options.network, lookup }))
        .redirect(redirects)
        .connect_timeout(options.connect_timeout)
        .user_agent(concat!("switchboard/", env!("CARGO_PKG_VERSION")))
        .build()
        .map_err(|e| McpError::Connect(Cause::of(&e)))
}

#[cfg(test)]
mod tests {
    use std::net::TcpListener;

    use super::*;

    /// A listener nothing should reach, its port, and options whose policy refuses loopback.
    fn strict_listener() -> (TcpListener, u16, ClientOptions) {
        let listener = TcpListener::bind("127.0.0.1:0").expect("bind");
        listener.set_nonblocking(true).expect("nonblocking");
        let port = listener.local_addr().expect("address").port();
        let strict = ClientOptions {
            network: NetworkPolicy { allow_private: false, ..NetworkPolicy::default() },
            ..ClientOptions::default()
        };
        (listener, port, strict)
    }

    /// A name that resolves to a public address on its first lookup (the preflight)
    /// and to loopback on the next (DNS rebinding) is refused by the connection: the
    /// lookup the policy checks is the one whose addresses are connected to.
    #[tokio::test]
    async fn a_name_that_resolves_to_loopback_on_the_second_lookup_is_refused() {
        use std::sync::atomic::{AtomicUsize, Ordering};

        let (listener, port, strict) = strict_listener();
        let url = Url::parse(&format!("http://rebinding.example:{port}/mcp")).expect("url");
        let with_and_without_redirects = [same_origin_redirects(strict.network), reqwest::redirect::Policy::none()];
        for redirects in with_and_without_redirects {
            let lookups = Arc::new(AtomicUsize::new(0));
            let counted = Arc::clone(&lookups);
            // Public the first time, loopback after: what a rebinding name server answers.
            let rebinding: Lookup = Arc::new(move |_host| {
                let n = counted.fetch_add(1, Ordering::SeqCst);
                let ip: IpAddr = if n == 0 { [93, 184, 216, 34].into() } else { [127, 0, 0, 1].into() };
                Box::pin(async move { Ok(vec![ip]) })
            });
            preflight_with(&url, &strict.network, &rebinding).await.expect("the first lookup passes");
            let client = client(&strict, Arc::clone(&rebinding), redirects).expect("client");
            // A connection that got through would wait for an answer: bound the wait.
            let sent = tokio::time::timeout(std::time::Duration::from_secs(10), client.get(url.clone()).send());
            let err = sent.await.expect("refused at once, not left waiting for an answer").expect_err("refused");
            let chain = crate::error::with_causes(&err);
            assert!(chain.contains("rebinding.example resolves to") && chain.contains("loopback"), "{chain}");
            assert_eq!(lookups.load(Ordering::SeqCst), 2, "the connection looked the name up itself");
        }
        let accepted = listener.accept();
        assert!(
            matches!(&accepted, Err(e) if e.kind() == std::io::ErrorKind::WouldBlock),
            "a connection reached the listener: {accepted:?}"
        );
    }

    /// The same with no earlier lookup at all, through the system's resolver: a name
    /// that resolves to loopback under a policy that refuses it is never connected to,
    /// and under the default policy it is.
    #[tokio::test]
    async fn the_address_connected_to_is_checked_whatever_an_earlier_lookup_said() {
        let (listener, port, strict) = strict_listener();
        for client in [build(&strict).expect("client"), build_without_redirects(&strict).expect("client")] {
            let err = client.get(format!("http://localhost:{port}/mcp")).send().await.expect_err("refused");
            let chain = crate::error::with_causes(&err);
            assert!(chain.contains("resolves to") && chain.contains("loopback"), "{chain}");
        }
        // Nothing connected: a connection would wait in the backlog by now.
        let accepted = listener.accept();
        assert!(
            matches!(&accepted, Err(e) if e.kind() == std::io::ErrorKind::WouldBlock),
            "a connection reached the listener: {accepted:?}"
        );
        // The same request under the default policy does connect, so the refusal above was the policy's.
        let allowed = build(&ClientOptions::default()).expect("client");
        let request = tokio::spawn(allowed.get(format!("http://localhost:{port}/mcp")).send());
        let connected = tokio::time::timeout(std::time::Duration::from_secs(10), async {
            loop {
                match listener.accept() {
                    Ok(connection) => return connection,
                    Err(_) => tokio::time::sleep(std::time::Duration::from_millis(10)).await,
                }
            }
        });
        drop(connected.await.expect("the allowed request connects"));
        let _ = request.await;
    }
}
