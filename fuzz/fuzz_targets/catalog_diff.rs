//! The catalog diff (`crates/core/src/catalog_diff.rs`): what Refresh shows and what a
//! published app's change set holds.
//!
//! Input: JSON `[before, after]`, two arrays of tools as a server lists them.
//! Properties: no panic; a catalog compared with itself has no difference; added and
//! removed are exactly the names on one side only; a changed tool is on both sides and
//! each changed field differs; comparing the other way round swaps added and removed,
//! and before and after.
#![no_main]

use std::collections::BTreeSet;

use libfuzzer_sys::fuzz_target;
use switchboard_core::catalog::Tool;
use switchboard_core::catalog_diff::diff;

fn names(tools: &[Tool]) -> BTreeSet<&str> {
    tools.iter().map(|t| t.name.as_str()).collect()
}

fuzz_target!(|data: &[u8]| {
    let Ok((before, after)) = serde_json::from_slice::<(Vec<Tool>, Vec<Tool>)>(data) else { return };
    assert!(diff(&before, &before).is_empty(), "a catalog differs from itself: {before:?}");
    assert!(diff(&after, &after).is_empty(), "a catalog differs from itself: {after:?}");

    let forward = diff(&before, &after);
    let (old, new) = (names(&before), names(&after));
    assert_eq!(names(&forward.added), new.difference(&old).copied().collect(), "added");
    assert_eq!(names(&forward.removed), old.difference(&new).copied().collect(), "removed");
    for change in &forward.changed {
        assert!(old.contains(change.tool.as_str()) && new.contains(change.tool.as_str()), "{change:?}");
        assert!(!change.fields.is_empty(), "a change without fields: {change:?}");
        for field in &change.fields {
            assert_ne!(field.before, field.after, "an unchanged field listed: {field:?}");
            assert_ne!(field.field, "name", "the name is the key, never a change");
        }
    }

    let backward = diff(&after, &before);
    assert_eq!(names(&backward.added), names(&forward.removed), "added and removed swap");
    assert_eq!(names(&backward.removed), names(&forward.added), "removed and added swap");
    assert_eq!(backward.changed.len(), forward.changed.len());
    for (back, forth) in backward.changed.iter().zip(&forward.changed) {
        assert_eq!(back.tool, forth.tool);
        let swapped: Vec<_> = forth.fields.iter().map(|f| (&f.field, &f.after, &f.before)).collect();
        let seen: Vec<_> = back.fields.iter().map(|f| (&f.field, &f.before, &f.after)).collect();
        assert_eq!(seen, swapped, "before and after swap");
    }
});
