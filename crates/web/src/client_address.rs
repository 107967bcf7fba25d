//! The address of the client behind a request: the peer of the connection, or,
//! when that peer is a proxy the operator trusts, the address the proxies recorded
//! in `X-Forwarded-For`.
//!
//! Only trusted proxies are believed: anyone can send `X-Forwarded-For`, so its
//! entries are read from the right (the entry the nearest proxy added) and the
//! first one that is not itself a trusted proxy is the client.

use std::net::{IpAddr, SocketAddr};

use axum::extract::{ConnectInfo, FromRequestParts};
use axum::http::HeaderMap;
use axum::http::request::Parts;

use crate::error::AppError;
use crate::state::AppState;

/// The proxies whose `X-Forwarded-For` is believed: addresses or networks
/// (`10.0.0.0/8`, `::1`). Empty by default: the peer is the client.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct TrustedProxies(Vec<(IpAddr, u8)>);

/// A trusted proxy that is neither an address nor a network.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("trusted proxy {0:?} is not an IP address or a network like 10.0.0.0/8")]
pub struct BadProxy(String);

impl TrustedProxies {
    /// Parse `192.0.2.7`, `10.0.0.0/8`, `::1`, `fd00::/8`.
    pub fn parse<S: AsRef<str>>(entries: &[S]) -> Result<Self, BadProxy> {
        let mut ranges = vec![];
        for entry in entries {
            let entry = entry.as_ref().trim();
            let bad = || BadProxy(entry.to_owned());
            let (ip, prefix) = match entry.split_once('/') {
                Some((ip, prefix)) => (ip, Some(prefix)),
                None => (entry, None),
            };
            let ip: IpAddr = ip.parse().map_err(|_| bad())?;
            let max = if ip.is_ipv4() { 32 } else { 128 };
            let prefix = match prefix {
                Some(p) => p.parse::<u8>().ok().filter(|p| *p <= max).ok_or_else(bad)?,
                None => max,
            };
            ranges.push((ip, prefix));
        }
        Ok(Self(ranges))
    }

    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    fn contains(&self, ip: IpAddr) -> bool {
        let ip = canonical(ip);
        self.0.iter().any(|&(network, prefix)| match (canonical(network), ip) {
            (IpAddr::V4(n), IpAddr::V4(a)) => same_prefix(&n.octets(), &a.octets(), prefix),
            (IpAddr::V6(n), IpAddr::V6(a)) => same_prefix(&n.octets(), &a.octets(), prefix),
            _ => false,
        })
    }
}

/// An IPv4-mapped IPv6 address as the IPv4 address it is.
fn canonical(ip: IpAddr) -> IpAddr {
    match ip {
        IpAddr::V6(v6) => v6.to_ipv4_mapped().map_or(ip, IpAddr::V4),
        v4 => v4,
    }
}

fn same_prefix(a: &[u8], b: &[u8], prefix: u8) -> bool {
    let (whole, rest) = (usize::from(prefix / 8), prefix % 8);
    if a[..whole] != b[..whole] {
        return false;
    }
    rest == 0 || {
        let mask = 0xffu8 << (8 - rest);
        a[whole] & mask == b[whole] & mask
    }
}

/// The client's address: the connection's peer, or what trusted proxies say.
pub(crate) fn client_address(peer: IpAddr, headers: &HeaderMap, trusted: &TrustedProxies) -> IpAddr {
    if !trusted.contains(peer) {
        return peer;
    }
    let forwarded: Vec<&str> = headers
        .get_all("x-forwarded-for")
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(','))
        .map(str::trim)
        .collect();
    let mut client = peer;
    for entry in forwarded.iter().rev() {
        // An unreadable entry ends what can be believed: the last proxy passed it on.
        let Ok(ip) = entry.parse::<IpAddr>() else { break };
        client = ip;
        if !trusted.contains(ip) {
            break;
        }
    }
    client
}

/// The client address of a request, when the server knows its connection's peer
/// (it always does when served by `switchboard serve` or the test harness).
#[derive(Clone, Copy, Debug)]
pub(crate) struct ClientAddress(pub(crate) Option<IpAddr>);

impl FromRequestParts<AppState> for ClientAddress {
    type Rejection = AppError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, Self::Rejection> {
        let peer = parts.extensions.get::<ConnectInfo<SocketAddr>>().map(|c| c.0.ip());
        Ok(Self(peer.map(|peer| client_address(peer, &parts.headers, &state.config.trusted_proxies))))
    }
}

#[cfg(test)]
mod tests {
    use axum::http::HeaderValue;

    use super::*;

    fn ip(s: &str) -> IpAddr {
        s.parse().expect("ip")
    }

    #[test]
    fn trusted_proxies_are_addresses_or_networks() {
        let trusted = TrustedProxies::parse(&["10.0.0.0/8", "192.0.2.7", "fd00::/8", "::1"]).expect("valid");
        for (address, expect) in [
            ("10.1.2.3", true),
            ("11.0.0.1", false),
            ("192.0.2.7", true),
            ("192.0.2.8", false),
            ("fd12::1", true),
            ("fe80::1", false),
            ("::1", true),
            ("::ffff:10.9.9.9", true),
        ] {
            assert_eq!(trusted.contains(ip(address)), expect, "{address}");
        }
        assert!(TrustedProxies::parse(&["10.0.0.0/33"]).is_err());
        assert!(TrustedProxies::parse(&["proxy.internal"]).is_err());
        assert!(TrustedProxies::parse(&["10.0.0.0/x"]).is_err());
        assert!(TrustedProxies::parse::<&str>(&[]).expect("empty").is_empty());
    }

    #[test]
    fn the_client_is_the_peer_unless_a_trusted_proxy_says_otherwise() {
        let trusted = TrustedProxies::parse(&["10.0.0.0/8"]).expect("valid");
        let headers = |xff: &str| {
            let mut h = HeaderMap::new();
            h.insert("x-forwarded-for", HeaderValue::from_str(xff).expect("header"));
            h
        };
        for (peer, xff, trusted, expect) in [
            // No proxy configured: the header is anyone's to forge.
            ("203.0.113.9", "198.51.100.1", &TrustedProxies::default(), "203.0.113.9"),
            ("10.0.0.2", "198.51.100.1", &TrustedProxies::default(), "10.0.0.2"),
            // A peer that is not a trusted proxy: ignored.
            ("203.0.113.9", "198.51.100.1", &trusted, "203.0.113.9"),
            // The trusted proxy's entry, read from the right: a forged left part is skipped.
            ("10.0.0.2", "1.2.3.4, 198.51.100.1", &trusted, "198.51.100.1"),
            // Two trusted proxies in a row.
            ("10.0.0.2", "198.51.100.1, 10.0.0.3", &trusted, "198.51.100.1"),
            // Nothing forwarded, or garbage: the proxy itself.
            ("10.0.0.2", "", &trusted, "10.0.0.2"),
            ("10.0.0.2", "not-an-ip", &trusted, "10.0.0.2"),
        ] {
            assert_eq!(client_address(ip(peer), &headers(xff), trusted), ip(expect), "{peer} {xff:?}");
        }
    }
}
