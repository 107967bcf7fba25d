//! Tool names offered to a model: namespaced per connector, valid for every
//! provider (`^[a-zA-Z0-9_-]{1,64}$`) and never colliding (DESIGN D7).

use std::collections::{HashMap, HashSet};

use sha2::{Digest, Sha256};

use crate::ConnectorId;

/// The longest name every provider accepts.
pub const MAX_LEN: usize = 64;
const PREFIX_LEN: usize = 24;

/// One action to name: its connector and its name on the server.
#[derive(Clone, Copy, Debug)]
pub struct Action<'a> {
    pub connector: ConnectorId,
    pub connector_name: &'a str,
    pub tool: &'a str,
}

/// A name for each action, in the same order: `{connector}__{tool}` from the
/// connector's name and the tool's, with anything outside `[a-zA-Z0-9_-]` turned
/// into `_`. Two connectors with the same name get a piece of their id; a name too
/// long, or still colliding, ends in a digest of the connector id and tool name.
/// The same actions always get the same names.
pub fn namespaced(actions: &[Action<'_>]) -> Vec<String> {
    let mut prefixes: HashMap<ConnectorId, String> = HashMap::new();
    let mut owners: HashMap<String, ConnectorId> = HashMap::new();
    let mut clashing: HashSet<String> = HashSet::new();
    for a in actions {
        let prefix = slug(a.connector_name, PREFIX_LEN);
        if owners.get(&prefix).is_some_and(|c| *c != a.connector) {
            clashing.insert(prefix.clone());
        }
        owners.entry(prefix.clone()).or_insert(a.connector);
        prefixes.insert(a.connector, prefix);
    }
    for prefix in prefixes.values_mut() {
        if clashing.contains(prefix.as_str()) {
            // Filled in below, where the connector id is at hand.
            prefix.push('\u{0}');
        }
    }
    let mut taken = HashSet::new();
    actions
        .iter()
        .map(|a| {
            let raw = &prefixes[&a.connector];
            let prefix = match raw.strip_suffix('\u{0}') {
                Some(p) => {
                    let id = a.connector.as_uuid().simple().to_string();
                    format!("{p}_{}", &id[id.len() - 6..])
                }
                None => raw.clone(),
            };
            let name = format!("{prefix}__{}", sanitize(a.tool));
            let name =
                if name.len() <= MAX_LEN && !taken.contains(&name) { name } else { with_digest(&name, a, &taken) };
            taken.insert(name.clone());
            name
        })
        .collect()
}

/// Whether `name` is valid for every provider.
pub fn is_valid(name: &str) -> bool {
    (1..=MAX_LEN).contains(&name.len()) && name.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'_' || b == b'-')
}

fn with_digest(name: &str, a: &Action<'_>, taken: &HashSet<String>) -> String {
    for salt in 0u32.. {
        let digest = Sha256::digest(format!("{}\n{}\n{salt}", a.connector, a.tool).as_bytes());
        let hex: String = digest.iter().take(4).map(|b| format!("{b:02x}")).collect();
        let keep = MAX_LEN - hex.len() - 1;
        let head: String = name.chars().take(keep).collect();
        let candidate = format!("{head}_{hex}");
        if !taken.contains(&candidate) {
            return candidate;
        }
    }
    unreachable!("some salt gives a free name")
}

fn sanitize(s: &str) -> String {
    let out: String =
        s.chars().map(|c| if c.is_ascii_alphanumeric() || c == '-' || c == '_' { c } else { '_' }).collect();
    if out.is_empty() { "tool".into() } else { out }
}

/// Lower-case, `_` for runs of anything else, trimmed, at most `max` characters.
fn slug(s: &str, max: usize) -> String {
    let mut out = String::new();
    for c in s.chars() {
        if c.is_ascii_alphanumeric() {
            out.push(c.to_ascii_lowercase());
        } else if !out.ends_with('_') {
            out.push('_');
        }
    }
    let out: String = out.trim_matches('_').chars().take(max).collect();
    let out = out.trim_end_matches('_').to_owned();
    if out.is_empty() { "app".into() } else { out }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn check(actions: &[(ConnectorId, &str, &str)], expect: &[&str]) {
        let actions: Vec<Action<'_>> =
            actions.iter().map(|(c, n, t)| Action { connector: *c, connector_name: n, tool: t }).collect();
        let names = namespaced(&actions);
        for name in &names {
            assert!(is_valid(name), "{name:?} is not valid for every provider");
        }
        let unique: HashSet<_> = names.iter().collect();
        assert_eq!(unique.len(), names.len(), "names collide: {names:?}");
        for (name, expect) in names.iter().zip(expect) {
            if let Some(prefix) = expect.strip_suffix('*') {
                assert!(name.starts_with(prefix), "{name:?} should start with {prefix:?}");
            } else {
                assert_eq!(name, expect);
            }
        }
        assert_eq!(namespaced(&actions), names, "the same actions get the same names");
    }

    #[test]
    fn names_are_namespaced_valid_and_unique() {
        let (kanban, pypi, other) = (ConnectorId::new(), ConnectorId::new(), ConnectorId::new());
        check(
            &[(kanban, "Kanban board", "list_tasks"), (pypi, "PyPI tools", "list_tasks")],
            &["kanban_board__list_tasks", "pypi_tools__list_tasks"],
        );
        check(&[(kanban, "Ünïcode — Server!", "get.thing/v2")], &["n_code_server__get_thing_v2"]);
        check(&[(kanban, "", ""), (kanban, "***", "tool")], &["app__tool", "app__tool_*"]);
        // Two connectors with one name.
        let names = namespaced(&[
            Action { connector: kanban, connector_name: "Board", tool: "add" },
            Action { connector: other, connector_name: "board", tool: "add" },
        ]);
        assert_ne!(names[0], names[1]);
        assert!(names.iter().all(|n| n.starts_with("board_") && n.ends_with("__add")), "{names:?}");
        // Too long.
        let long = "x".repeat(100);
        check(&[(kanban, &long, &long), (kanban, &long, &format!("{long}y"))], &["xxxxxxxxxxxxxxxxxxxxxxxx__x*", "x*"]);
        // A tool whose sanitized name equals another's.
        check(&[(kanban, "K", "a.b"), (kanban, "K", "a_b")], &["k__a_b", "k__a_b_*"]);
    }

    #[test]
    fn validity() {
        assert!(is_valid("a"));
        assert!(is_valid(&"a".repeat(64)));
        assert!(!is_valid(&"a".repeat(65)));
        assert!(!is_valid(""));
        assert!(!is_valid("a.b"));
        assert!(!is_valid("a b"));
    }
}
