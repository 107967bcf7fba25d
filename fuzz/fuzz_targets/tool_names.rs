//! Tool-name namespacing (`crates/core/src/tool_names.rs`): the names a model is offered.
//!
//! Input: up to four connectors (their names) and actions naming one of them and a tool.
//! Properties: no panic; one name per action, each valid for every provider; no two
//! actions share a name, so a name the model calls maps back to exactly one (connector,
//! tool); the same actions always get the same names.
#![no_main]

use std::collections::HashMap;

use libfuzzer_sys::arbitrary::{self, Arbitrary};
use libfuzzer_sys::fuzz_target;
use switchboard_core::ConnectorId;
use switchboard_core::tool_names::{Action, is_valid, namespaced};

#[derive(Debug, Arbitrary)]
struct Input {
    connectors: [String; 4],
    actions: Vec<(u8, String)>,
}

fuzz_target!(|input: Input| {
    let ids: Vec<ConnectorId> = (1..=4u128).map(|n| ConnectorId::from(uuid::Uuid::from_u128(n))).collect();
    let actions: Vec<Action<'_>> = input
        .actions
        .iter()
        .map(|(c, tool)| {
            let c = usize::from(*c) % 4;
            Action { connector: ids[c], connector_name: &input.connectors[c], tool }
        })
        .collect();
    let names = namespaced(&actions);
    assert_eq!(names.len(), actions.len(), "one name per action");
    let mut back: HashMap<&str, usize> = HashMap::new();
    for (n, name) in names.iter().enumerate() {
        assert!(is_valid(name), "{name:?} is not valid for every provider");
        if let Some(earlier) = back.insert(name, n) {
            panic!("actions {earlier} and {n} are both named {name:?}: {actions:?}");
        }
    }
    assert_eq!(namespaced(&actions), names, "the same actions got other names");
});
