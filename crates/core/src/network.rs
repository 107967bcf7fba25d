//! Which addresses Switchboard may connect to on a user's behalf (SSRF policy).
//!
//! The check runs on the address actually connected to, after resolution and on
//! every redirect, so a public name that resolves to `169.254.169.254` is refused
//! just like the literal. IPv4 addresses embedded in IPv6 (mapped, compatible,
//! NAT64, 6to4) are judged as the IPv4 address they reach.

use std::fmt;
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};

use serde::{Deserialize, Serialize};

/// What kind of address an IP is, for the policy's purposes.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum AddressClass {
    Public,
    /// 127.0.0.0/8, ::1.
    Loopback,
    /// RFC 1918, carrier-grade NAT (100.64.0.0/10), IPv6 unique-local and site-local.
    Private,
    /// 169.254.0.0/16, fe80::/10 (other than the metadata endpoints).
    LinkLocal,
    /// Cloud instance-metadata endpoints (169.254.169.254, fd00:ec2::254, …).
    CloudMetadata,
    /// 0.0.0.0/8 and `::`, which reach the local host on some systems.
    Unspecified,
    Multicast,
    /// Documentation, benchmarking, broadcast and other ranges no server lives on.
    Reserved,
}

impl fmt::Display for AddressClass {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Self::Public => "a public address",
            Self::Loopback => "a loopback address",
            Self::Private => "a private-network address",
            Self::LinkLocal => "a link-local address",
            Self::CloudMetadata => "a cloud metadata address",
            Self::Unspecified => "an unspecified address",
            Self::Multicast => "a multicast address",
            Self::Reserved => "a reserved address",
        })
    }
}

/// The workspace's outbound network policy.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct NetworkPolicy {
    /// Loopback and private ranges: local MCP servers. On by default for a
    /// self-hosted install; turn off where Switchboard runs next to internal services.
    pub allow_private: bool,
    /// Link-local ranges. Off unless explicitly allowed.
    pub allow_link_local: bool,
    /// Cloud metadata endpoints. Off unless explicitly allowed.
    pub allow_cloud_metadata: bool,
}

impl Default for NetworkPolicy {
    fn default() -> Self {
        Self { allow_private: true, allow_link_local: false, allow_cloud_metadata: false }
    }
}

/// A connection the policy refuses.
#[derive(Clone, Copy, Debug, PartialEq, Eq, thiserror::Error)]
#[error("{ip} is {class}, which this workspace does not allow connecting to")]
pub struct Refused {
    pub ip: IpAddr,
    pub class: AddressClass,
}

/// Allow or refuse connecting to `ip`.
pub fn check(ip: IpAddr, policy: &NetworkPolicy) -> Result<(), Refused> {
    let class = classify(ip);
    let allowed = match class {
        AddressClass::Public => true,
        AddressClass::Loopback | AddressClass::Private => policy.allow_private,
        AddressClass::LinkLocal => policy.allow_link_local,
        AddressClass::CloudMetadata => policy.allow_cloud_metadata,
        AddressClass::Unspecified | AddressClass::Multicast | AddressClass::Reserved => false,
    };
    if allowed { Ok(()) } else { Err(Refused { ip, class }) }
}

pub fn classify(ip: IpAddr) -> AddressClass {
    match ip {
        IpAddr::V4(v4) => classify_v4(v4),
        IpAddr::V6(v6) => classify_v6(v6),
    }
}

fn classify_v4(ip: Ipv4Addr) -> AddressClass {
    let [a, b, c, d] = ip.octets();
    match (a, b, c, d) {
        (169, 254, 169, 254) | (169, 254, 170, 2) | (169, 254, 169, 123) | (100, 100, 100, 200) => {
            AddressClass::CloudMetadata
        }
        (0, ..) => AddressClass::Unspecified,
        (127, ..) => AddressClass::Loopback,
        (10, ..) | (192, 168, ..) => AddressClass::Private,
        (172, 16..=31, ..) | (100, 64..=127, ..) => AddressClass::Private,
        (169, 254, ..) => AddressClass::LinkLocal,
        (224..=239, ..) => AddressClass::Multicast,
        (240..=255, ..) => AddressClass::Reserved,
        (192, 0, 0, _) | (192, 0, 2, _) | (198, 51, 100, _) | (203, 0, 113, _) | (198, 18..=19, ..) => {
            AddressClass::Reserved
        }
        _ => AddressClass::Public,
    }
}

fn classify_v6(ip: Ipv6Addr) -> AddressClass {
    if let Some(v4) = embedded_v4(ip) {
        return classify_v4(v4);
    }
    let s = ip.segments();
    if ip.is_unspecified() {
        AddressClass::Unspecified
    } else if ip.is_loopback() {
        AddressClass::Loopback
    } else if s == [0xfd00, 0xec2, 0, 0, 0, 0, 0, 0x254] {
        AddressClass::CloudMetadata
    } else if s[0] & 0xfe00 == 0xfc00 || s[0] & 0xffc0 == 0xfec0 {
        AddressClass::Private
    } else if s[0] & 0xffc0 == 0xfe80 {
        AddressClass::LinkLocal
    } else if s[0] & 0xff00 == 0xff00 {
        AddressClass::Multicast
    } else if s[0] == 0x2001 && s[1] == 0x0db8 || s[0] == 0x0100 && s[1..4] == [0, 0, 0] {
        AddressClass::Reserved
    } else {
        AddressClass::Public
    }
}

/// The IPv4 address an IPv6 address stands for, if it embeds one:
/// `::ffff:a.b.c.d`, `::a.b.c.d`, NAT64 `64:ff9b::a.b.c.d`, 6to4 `2002:aabb:ccdd::`.
fn embedded_v4(ip: Ipv6Addr) -> Option<Ipv4Addr> {
    let s = ip.segments();
    let tail = || Ipv4Addr::new((s[6] >> 8) as u8, s[6] as u8, (s[7] >> 8) as u8, s[7] as u8);
    match s {
        [0, 0, 0, 0, 0, 0xffff, _, _] => Some(tail()),
        [0, 0, 0, 0, 0, 0, hi, _] if hi != 0 => Some(tail()),
        [0x64, 0xff9b, 0, 0, 0, 0, _, _] => Some(tail()),
        [0x2002, hi, lo, ..] => Some(Ipv4Addr::new((hi >> 8) as u8, hi as u8, (lo >> 8) as u8, lo as u8)),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use AddressClass::*;

    fn check_class(ip: &str, expect: AddressClass) {
        let parsed: IpAddr = ip.parse().expect("an ip");
        assert_eq!(classify(parsed), expect, "{ip}");
    }

    #[test]
    fn ipv4_ranges() {
        for (ip, class) in [
            ("93.184.216.34", Public),
            ("8.8.8.8", Public),
            ("127.0.0.1", Loopback),
            ("127.255.0.9", Loopback),
            ("10.1.2.3", Private),
            ("172.16.0.1", Private),
            ("172.31.255.255", Private),
            ("172.32.0.1", Public),
            ("192.168.1.1", Private),
            ("100.64.0.1", Private),
            ("169.254.1.1", LinkLocal),
            ("169.254.169.254", CloudMetadata),
            ("169.254.170.2", CloudMetadata),
            ("100.100.100.200", CloudMetadata),
            ("0.0.0.0", Unspecified),
            ("0.1.2.3", Unspecified),
            ("224.0.0.1", Multicast),
            ("255.255.255.255", Reserved),
            ("192.0.2.10", Reserved),
            ("198.18.0.1", Reserved),
        ] {
            check_class(ip, class);
        }
    }

    #[test]
    fn ipv6_ranges_and_embedded_ipv4() {
        for (ip, class) in [
            ("2606:4700::1111", Public),
            ("::1", Loopback),
            ("::", Unspecified),
            ("fd12:3456::1", Private),
            ("fc00::1", Private),
            ("fe80::1", LinkLocal),
            ("fd00:ec2::254", CloudMetadata),
            ("ff02::1", Multicast),
            ("2001:db8::1", Reserved),
            ("::ffff:127.0.0.1", Loopback),
            ("::ffff:169.254.169.254", CloudMetadata),
            ("::ffff:10.0.0.1", Private),
            ("::ffff:8.8.8.8", Public),
            ("::127.0.0.1", Loopback),
            ("64:ff9b::169.254.169.254", CloudMetadata),
            ("64:ff9b::8.8.8.8", Public),
            ("2002:a9fe:a9fe::1", CloudMetadata),
            ("2002:0808:0808::1", Public),
        ] {
            check_class(ip, class);
        }
    }

    #[test]
    fn policy_table() {
        let strict = NetworkPolicy { allow_private: false, ..NetworkPolicy::default() };
        let open = NetworkPolicy { allow_private: true, allow_link_local: true, allow_cloud_metadata: true };
        // (ip, default, strict, open)
        for (ip, default, strict_ok, open_ok) in [
            ("8.8.8.8", true, true, true),
            ("127.0.0.1", true, false, true),
            ("192.168.0.10", true, false, true),
            ("::ffff:127.0.0.1", true, false, true),
            ("169.254.1.1", false, false, true),
            ("169.254.169.254", false, false, true),
            ("::ffff:169.254.169.254", false, false, true),
            ("0.0.0.0", false, false, false),
            ("224.0.0.1", false, false, false),
        ] {
            let ip: IpAddr = ip.parse().expect("an ip");
            assert_eq!(check(ip, &NetworkPolicy::default()).is_ok(), default, "default {ip}");
            assert_eq!(check(ip, &strict).is_ok(), strict_ok, "strict {ip}");
            assert_eq!(check(ip, &open).is_ok(), open_ok, "open {ip}");
        }
        let refused = check("169.254.169.254".parse().expect("ip"), &NetworkPolicy::default()).expect_err("refused");
        assert_eq!(
            refused.to_string(),
            "169.254.169.254 is a cloud metadata address, which this workspace does not allow connecting to"
        );
    }
}
