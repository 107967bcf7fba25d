//! Display names of people, groups, tokens and apps: what a person types,
//! trimmed and bounded, the same whether it comes through the API or the CLI.

/// Longest name of a person, an API token or an app, in characters.
pub const MAX_NAME_CHARS: usize = 100;
/// Longest group name, in characters.
pub const MAX_GROUP_NAME_CHARS: usize = 64;

/// Why a name was refused; `what` names the field ("name", "token name", …).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum InvalidName {
    #[error("{what} must not be empty")]
    Empty { what: &'static str },
    #[error("{what} must be at most {max} characters")]
    TooLong { what: &'static str, max: usize },
    #[error("{what} must not contain control characters")]
    ControlCharacter { what: &'static str },
}

/// A display name called `what`: trimmed, 1 to `max` characters, no control characters.
pub fn display_name(raw: &str, what: &'static str, max: usize) -> Result<String, InvalidName> {
    let name = raw.trim();
    if name.is_empty() {
        return Err(InvalidName::Empty { what });
    }
    if name.chars().count() > max {
        return Err(InvalidName::TooLong { what, max });
    }
    if name.chars().any(char::is_control) {
        return Err(InvalidName::ControlCharacter { what });
    }
    Ok(name.to_owned())
}

/// A person's display name.
pub fn person_name(raw: &str) -> Result<String, InvalidName> {
    display_name(raw, "name", MAX_NAME_CHARS)
}

/// A group's name.
pub fn group_name(raw: &str) -> Result<String, InvalidName> {
    display_name(raw, "group name", MAX_GROUP_NAME_CHARS)
}

/// A personal API token's name.
pub fn token_name(raw: &str) -> Result<String, InvalidName> {
    display_name(raw, "token name", MAX_NAME_CHARS)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn check(raw: &str, max: usize, expect: Result<&str, InvalidName>) {
        assert_eq!(display_name(raw, "name", max), expect.map(str::to_owned), "{raw:?}");
    }

    #[test]
    fn names_are_trimmed_bounded_and_printable() {
        check("  Ada Lovelace ", 100, Ok("Ada Lovelace"));
        check("", 100, Err(InvalidName::Empty { what: "name" }));
        check(" \t ", 100, Err(InvalidName::Empty { what: "name" }));
        check("abcd", 3, Err(InvalidName::TooLong { what: "name", max: 3 }));
        check("éèà", 3, Ok("éèà"));
        check("a\u{7}b", 100, Err(InvalidName::ControlCharacter { what: "name" }));
        check("a\nb", 100, Err(InvalidName::ControlCharacter { what: "name" }));
    }

    #[test]
    fn each_kind_of_name_has_its_field_and_bound() {
        assert_eq!(group_name(&"g".repeat(65)).unwrap_err().to_string(), "group name must be at most 64 characters");
        assert_eq!(token_name(" ").unwrap_err().to_string(), "token name must not be empty");
        assert_eq!(person_name(&"p".repeat(101)).unwrap_err().to_string(), "name must be at most 100 characters");
        assert_eq!(token_name(&"t".repeat(100)).as_deref(), Ok("t".repeat(100).as_str()));
        assert_eq!(person_name("a\u{0}").unwrap_err().to_string(), "name must not contain control characters");
    }
}
