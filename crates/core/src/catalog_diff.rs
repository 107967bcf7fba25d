//! What changed between two versions of a tool catalog, field by field.

use std::collections::{BTreeMap, BTreeSet};

use serde::{Deserialize, Serialize};
use serde_json::Value;

use crate::catalog::Tool;

/// The difference between the catalog in force and a freshly listed one.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct CatalogDiff {
    pub added: Vec<Tool>,
    pub removed: Vec<Tool>,
    pub changed: Vec<ToolChange>,
}

/// One tool whose definition changed.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct ToolChange {
    pub tool: String,
    pub fields: Vec<FieldChange>,
}

/// One top-level field of a tool (`description`, `inputSchema`, `annotations`, `_meta`, …).
/// `None` means the field was absent on that side.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct FieldChange {
    pub field: String,
    pub before: Option<Value>,
    pub after: Option<Value>,
}

impl CatalogDiff {
    pub fn is_empty(&self) -> bool {
        self.added.is_empty() && self.removed.is_empty() && self.changed.is_empty()
    }
}

/// Compare two catalogs by tool name. Output is sorted by name, fields by field name.
pub fn diff(before: &[Tool], after: &[Tool]) -> CatalogDiff {
    let old: BTreeMap<&str, &Tool> = before.iter().map(|t| (t.name.as_str(), t)).collect();
    let new: BTreeMap<&str, &Tool> = after.iter().map(|t| (t.name.as_str(), t)).collect();
    let mut out = CatalogDiff::default();
    for (name, tool) in &new {
        match old.get(name) {
            None => out.added.push((*tool).clone()),
            Some(previous) => {
                let fields = field_changes(previous, tool);
                if !fields.is_empty() {
                    out.changed.push(ToolChange { tool: (*name).to_owned(), fields });
                }
            }
        }
    }
    out.removed = old.iter().filter(|(name, _)| !new.contains_key(*name)).map(|(_, t)| (*t).clone()).collect();
    out
}

fn field_changes(before: &Tool, after: &Tool) -> Vec<FieldChange> {
    let as_object = |t: &Tool| match serde_json::to_value(t) {
        Ok(Value::Object(map)) => map,
        _ => serde_json::Map::new(),
    };
    let (a, b) = (as_object(before), as_object(after));
    let keys: BTreeSet<&String> = a.keys().chain(b.keys()).filter(|k| k.as_str() != "name").collect();
    keys.into_iter()
        .filter(|k| a.get(*k) != b.get(*k))
        .map(|k| FieldChange { field: k.clone(), before: a.get(k).cloned(), after: b.get(k).cloned() })
        .collect()
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    fn tool(raw: Value) -> Tool {
        serde_json::from_value(raw).expect("a tool")
    }

    #[test]
    fn added_removed_and_changed_field_by_field() {
        let before = vec![
            tool(json!({"name": "list", "description": "List tasks", "annotations": {"readOnlyHint": true}})),
            tool(json!({"name": "gone", "description": "Old"})),
            tool(json!({"name": "same", "description": "Same"})),
        ];
        let after = vec![
            tool(json!({"name": "same", "description": "Same"})),
            tool(
                json!({"name": "list", "description": "List all tasks", "annotations": {"readOnlyHint": false}, "_meta": {"x": 1}}),
            ),
            tool(json!({"name": "new", "description": "New"})),
        ];
        let d = diff(&before, &after);
        assert_eq!(d.added.iter().map(|t| t.name.as_str()).collect::<Vec<_>>(), ["new"]);
        assert_eq!(d.removed.iter().map(|t| t.name.as_str()).collect::<Vec<_>>(), ["gone"]);
        assert_eq!(d.changed.len(), 1);
        let change = &d.changed[0];
        assert_eq!(change.tool, "list");
        let fields: Vec<_> =
            change.fields.iter().map(|f| (f.field.as_str(), f.before.clone(), f.after.clone())).collect();
        assert_eq!(
            fields,
            [
                ("_meta", None, Some(json!({"x": 1}))),
                ("annotations", Some(json!({"readOnlyHint": true})), Some(json!({"readOnlyHint": false}))),
                ("description", Some(json!("List tasks")), Some(json!("List all tasks"))),
            ]
        );
    }

    #[test]
    fn identical_catalogs_in_any_order_have_no_diff() {
        let a = vec![
            tool(json!({"name": "a"})),
            tool(json!({"name": "b", "inputSchema": {"type": "object", "properties": {}}})),
        ];
        let b = vec![a[1].clone(), a[0].clone()];
        assert!(diff(&a, &b).is_empty());
        assert!(diff(&[], &[]).is_empty());
    }

    #[test]
    fn schema_changes_are_reported_whole() {
        let before =
            [tool(json!({"name": "t", "inputSchema": {"type": "object", "properties": {"q": {"type": "string"}}}}))];
        let after =
            [tool(json!({"name": "t", "inputSchema": {"type": "object", "properties": {"q": {"type": "integer"}}}}))];
        let d = diff(&before, &after);
        assert_eq!(d.changed[0].fields[0].field, "inputSchema");
        assert_eq!(
            d.changed[0].fields[0].after,
            Some(json!({"type": "object", "properties": {"q": {"type": "integer"}}}))
        );
    }
}
