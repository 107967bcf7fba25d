//! Email addresses as user identities.

use std::fmt;

use serde::{Deserialize, Serialize};

/// A normalised email address: trimmed, lower-cased, one `@` with text on both sides,
/// a dot in the domain (or `localhost`), no white space, at most 254 characters.
#[derive(Clone, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct Email(String);

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{0:?} is not an email address: expected name@example.com")]
pub struct InvalidEmail(pub String);

impl Email {
    pub fn parse(raw: &str) -> Result<Self, InvalidEmail> {
        let value = raw.trim().to_lowercase();
        let invalid = || InvalidEmail(raw.to_owned());
        if value.is_empty() || value.len() > 254 || value.chars().any(|c| c.is_whitespace() || c.is_control()) {
            return Err(invalid());
        }
        let (local, domain) = value.split_once('@').ok_or_else(invalid)?;
        if local.is_empty() || domain.is_empty() || domain.contains('@') {
            return Err(invalid());
        }
        let domain_ok = domain == "localhost"
            || (domain.contains('.') && !domain.starts_with('.') && !domain.ends_with('.') && !domain.contains(".."));
        if !domain_ok {
            return Err(invalid());
        }
        Ok(Self(value))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl TryFrom<String> for Email {
    type Error = InvalidEmail;

    fn try_from(value: String) -> Result<Self, Self::Error> {
        Self::parse(&value)
    }
}

impl From<Email> for String {
    fn from(e: Email) -> Self {
        e.0
    }
}

impl fmt::Display for Email {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn check(input: &str, expect: Option<&str>) {
        assert_eq!(Email::parse(input).ok().as_ref().map(Email::as_str), expect, "input {input:?}");
    }

    #[test]
    fn parses_and_normalises() {
        check("Ada@Example.COM", Some("ada@example.com"));
        check("  bob@example.org ", Some("bob@example.org"));
        check("dev@localhost", Some("dev@localhost"));
        check("a+tag@sub.example.co", Some("a+tag@sub.example.co"));
    }

    #[test]
    fn refuses_what_is_not_an_address() {
        for bad in [
            "",
            "plain",
            "@example.com",
            "a@",
            "a@b@c.com",
            "a b@example.com",
            "a@example",
            "a@.com",
            "a@com.",
            "a@x..com",
        ] {
            check(bad, None);
        }
        check(&format!("{}@example.com", "x".repeat(250)), None);
    }
}
