//! How many failed sign-ins an account and a client address may have before they
//! must wait, and how long.
//!
//! The failures are counted in a sliding window, per account (the email tried,
//! whether or not an account has it, so the answers do not tell which exist) and
//! per client address. A sign-in is refused, before its password is checked, while
//! either has `limit` failures in the window; it may go ahead again once enough of
//! them are older than the window.

use std::net::IpAddr;
use std::time::Duration;

use sha2::{Digest, Sha256};

/// Failed sign-ins tolerated in a window.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct SignInLimits {
    /// Per account (email tried) in `window`.
    pub per_account: u32,
    /// Per client address in `window`.
    pub per_address: u32,
    pub window: Duration,
}

impl Default for SignInLimits {
    fn default() -> Self {
        Self { per_account: 10, per_address: 50, window: Duration::from_secs(15 * 60) }
    }
}

/// The earlier failed sign-ins of the account and of the address that are still in
/// the window, each as how long ago it happened.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Failures {
    pub account: Vec<Duration>,
    pub address: Vec<Duration>,
}

/// How long a sign-in with these earlier `failures` must wait; `None`: it may go
/// ahead now.
pub fn wait(limits: &SignInLimits, failures: &Failures) -> Option<Duration> {
    let account = wait_for(limits.per_account, &failures.account, limits.window);
    let address = wait_for(limits.per_address, &failures.address, limits.window);
    account.into_iter().chain(address).max()
}

/// With `ages` failures in the window and at most `limit - 1` allowed, the wait
/// until enough of them have left it.
fn wait_for(limit: u32, ages: &[Duration], window: Duration) -> Option<Duration> {
    let in_window: Vec<Duration> = {
        let mut v: Vec<Duration> = ages.iter().copied().filter(|age| *age < window).collect();
        // Oldest first.
        v.sort_unstable_by(|a, b| b.cmp(a));
        v
    };
    let limit = usize::try_from(limit).unwrap_or(usize::MAX);
    // Once the oldest `len - limit + 1` have left the window, `limit - 1` remain.
    let index = in_window.len().checked_sub(limit)?;
    Some(window.saturating_sub(in_window[index]).max(Duration::from_secs(1)))
}

/// The key failures of an account are counted under: a digest of the email as
/// typed, trimmed and in lower case (valid address or not, existing account or not).
pub fn account_key(email: &str) -> String {
    hex_digest("account", &email.trim().to_lowercase())
}

/// The key failures of a client address are counted under: a digest of the IPv4
/// address, or of the /64 network of an IPv6 address (one host usually holds a whole
/// /64, so counting single IPv6 addresses would count nothing).
pub fn address_key(address: IpAddr) -> String {
    let address = match address {
        IpAddr::V6(v6) => match v6.to_ipv4_mapped() {
            Some(v4) => IpAddr::V4(v4),
            None => {
                let s = v6.segments();
                return hex_digest("address", &format!("{:x}:{:x}:{:x}:{:x}::/64", s[0], s[1], s[2], s[3]));
            }
        },
        v4 => v4,
    };
    hex_digest("address", &address.to_string())
}

fn hex_digest(kind: &str, value: &str) -> String {
    let digest = Sha256::digest(format!("{kind}\0{value}").as_bytes());
    digest.iter().map(|b| format!("{b:02x}")).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    const MIN: Duration = Duration::from_secs(60);

    fn ages(minutes: &[u64]) -> Vec<Duration> {
        minutes.iter().map(|m| MIN * u32::try_from(*m).expect("small")).collect()
    }

    #[test]
    fn a_sign_in_waits_while_the_account_or_the_address_has_too_many_failures() {
        let limits = SignInLimits { per_account: 3, per_address: 5, window: MIN * 15 };
        let failures = |account: &[u64], address: &[u64]| Failures { account: ages(account), address: ages(address) };
        for (account, address, expect) in [
            (&[][..], &[][..], None),
            (&[1, 2], &[1, 2], None),
            // The third failure of the account: wait until the oldest leaves the window.
            (&[1, 2, 10], &[1, 2, 10], Some(MIN * 5)),
            (&[10, 1, 2], &[], Some(MIN * 5)),
            // Four in the window: two must leave it.
            (&[1, 2, 10, 12], &[], Some(MIN * 5)),
            // Failures older than the window do not count.
            (&[1, 2, 15, 30], &[], None),
            // The address: five in the window.
            (&[], &[1, 2, 3, 4, 14], Some(MIN)),
            (&[], &[1, 2, 3, 4], None),
            // Both: the longer wait.
            (&[1, 2, 4], &[1, 2, 3, 4, 14], Some(MIN * 11)),
        ] {
            assert_eq!(wait(&limits, &failures(account, address)), expect, "{account:?} {address:?}");
        }
    }

    #[test]
    fn the_wait_is_at_least_a_second() {
        let limits = SignInLimits { per_account: 1, per_address: 1, window: MIN };
        let failures = Failures { account: vec![MIN - Duration::from_millis(10)], address: vec![] };
        assert_eq!(wait(&limits, &failures), Some(Duration::from_secs(1)));
    }

    #[test]
    fn the_defaults_are_ten_per_account_and_fifty_per_address_in_fifteen_minutes() {
        let limits = SignInLimits::default();
        assert_eq!((limits.per_account, limits.per_address, limits.window), (10, 50, MIN * 15));
        let nine = Failures { account: vec![MIN; 9], address: vec![] };
        assert_eq!(wait(&limits, &nine), None, "the tenth attempt goes ahead");
        let ten = Failures { account: vec![MIN; 10], address: vec![] };
        assert_eq!(wait(&limits, &ten), Some(MIN * 14), "the eleventh waits");
    }

    #[test]
    fn keys_name_an_account_however_typed_and_an_address_by_its_network() {
        assert_eq!(account_key(" Ada@Example.com "), account_key("ada@example.com"));
        assert_ne!(account_key("ada@example.com"), account_key("bob@example.com"));
        assert_ne!(account_key("ada@example.com"), address_key("127.0.0.1".parse().expect("ip")));
        let v4 = |s: &str| address_key(s.parse().expect("ip"));
        assert_eq!(v4("192.0.2.1"), v4("::ffff:192.0.2.1"), "an IPv4-mapped address is the IPv4 address");
        assert_ne!(v4("192.0.2.1"), v4("192.0.2.2"));
        assert_eq!(v4("2001:db8:1:2::1"), v4("2001:db8:1:2:ffff::9"), "one /64");
        assert_ne!(v4("2001:db8:1:2::1"), v4("2001:db8:1:3::1"));
        assert_eq!(account_key("x").len(), 64);
    }
}
