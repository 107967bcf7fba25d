//! A connector's tool catalog as the server advertised it, kept whole, and the
//! classification every developer-mode host applies to it.
//!
//! Classification follows one rule: a tool whose `annotations.readOnlyHint` is
//! exactly `true` is a **read** action; anything else — `false`, missing, or not a
//! boolean — is a **write** action. Annotations only ever raise risk: an admin
//! may tighten a read action into a write, never the other way.

use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

/// One tool, exactly as `tools/list` returned it (unknown fields kept in `extra`).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Tool {
    pub name: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub title: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
    #[serde(rename = "inputSchema", default = "empty_object_schema")]
    pub input_schema: Value,
    #[serde(rename = "outputSchema", default, skip_serializing_if = "Option::is_none")]
    pub output_schema: Option<Value>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub annotations: Option<Value>,
    #[serde(rename = "_meta", default, skip_serializing_if = "Option::is_none")]
    pub meta: Option<Value>,
    /// Fields a newer protocol may add (icons, execution hints, …), kept verbatim.
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

fn empty_object_schema() -> Value {
    serde_json::json!({"type": "object"})
}

/// Whether an action only reads.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Classification {
    Read,
    Write,
}

/// Risk shown next to an action.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct RiskBadges {
    /// A write that may destroy or overwrite data (`destructiveHint`, default true).
    pub destructive: bool,
    /// Reaches outside the server's own data (`openWorldHint`, default true).
    pub open_world: bool,
}

impl Tool {
    fn hint(&self, name: &str) -> Option<&Value> {
        self.annotations.as_ref()?.get(name)
    }

    /// `title`, else `annotations.title`, else the name: what a person is shown
    /// (the specification's order of precedence).
    pub fn display_name(&self) -> &str {
        self.title.as_deref().or_else(|| self.hint("title").and_then(Value::as_str)).unwrap_or(&self.name)
    }

    /// Read only when `readOnlyHint` is exactly `true`.
    pub fn classification(&self) -> Classification {
        match self.hint("readOnlyHint") {
            Some(Value::Bool(true)) => Classification::Read,
            _ => Classification::Write,
        }
    }

    /// Badges with the specification's defaults: only an explicit `false` clears one.
    pub fn risk_badges(&self) -> RiskBadges {
        let not_false = |name| !matches!(self.hint(name), Some(Value::Bool(false)));
        RiskBadges {
            destructive: self.classification() == Classification::Write && not_false("destructiveHint"),
            open_world: not_false("openWorldHint"),
        }
    }

    /// The server runs the tool only as a task (`execution.taskSupport` is
    /// `"required"`): a plain `tools/call` is refused.
    pub fn requires_task(&self) -> bool {
        self.task_support() == TaskSupport::Required
    }

    /// Whether the tool runs as a task (`execution.taskSupport`); anything but
    /// `"required"` and `"optional"` is `Forbidden`, the specification's default.
    pub fn task_support(&self) -> TaskSupport {
        match self.extra.get("execution").and_then(|e| e.get("taskSupport")).and_then(Value::as_str) {
            Some("required") => TaskSupport::Required,
            Some("optional") => TaskSupport::Optional,
            _ => TaskSupport::Forbidden,
        }
    }

    /// SHA-256 (hex) of the whole definition's canonical JSON: name, title,
    /// description, schemas, annotations, `_meta` and any other field. Equal
    /// digests mean the same definition, however the server ordered its keys.
    pub fn definition_digest(&self) -> String {
        crate::digest::json_digest(&serde_json::to_value(self).unwrap_or_default())
    }

    /// The classification in force once an admin's override (if any) is applied.
    pub fn effective_classification(&self, admin_override: Option<Classification>) -> Classification {
        tighten(self.classification(), admin_override)
    }
}

/// Whether a tool runs as a task (`execution.taskSupport`, MCP 2025-11-25).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum TaskSupport {
    /// A plain call only (also when the tool says nothing).
    #[default]
    Forbidden,
    /// A task when the client asks for one, a plain call otherwise.
    Optional,
    /// Only as a task: a plain `tools/call` is refused.
    Required,
}

/// Apply an override that may only raise risk: `Write` wins over `Read`.
pub fn tighten(advertised: Classification, admin_override: Option<Classification>) -> Classification {
    match (advertised, admin_override) {
        (_, Some(Classification::Write)) | (Classification::Write, _) => Classification::Write,
        (Classification::Read, _) => Classification::Read,
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    fn tool(annotations: Option<Value>) -> Tool {
        let mut raw = json!({"name": "t", "inputSchema": {"type": "object"}});
        if let Some(a) = annotations {
            raw["annotations"] = a;
        }
        serde_json::from_value(raw).expect("a tool")
    }

    fn check(annotations: Option<Value>, expect: (Classification, bool, bool)) {
        let t = tool(annotations.clone());
        let badges = t.risk_badges();
        assert_eq!((t.classification(), badges.destructive, badges.open_world), expect, "annotations {annotations:?}");
    }

    #[test]
    fn read_only_hint_true_is_the_only_way_to_read() {
        use Classification::*;
        check(None, (Write, true, true));
        check(Some(json!({})), (Write, true, true));
        check(Some(json!({"readOnlyHint": true})), (Read, false, true));
        check(Some(json!({"readOnlyHint": true, "openWorldHint": false})), (Read, false, false));
        check(Some(json!({"readOnlyHint": false})), (Write, true, true));
        check(Some(json!({"readOnlyHint": "true"})), (Write, true, true));
        check(Some(json!({"readOnlyHint": 1})), (Write, true, true));
        check(Some(json!({"readOnlyHint": null})), (Write, true, true));
        check(Some(json!({"destructiveHint": false})), (Write, false, true));
        check(Some(json!({"destructiveHint": false, "openWorldHint": false})), (Write, false, false));
        // destructiveHint is meaningless on a read action.
        check(Some(json!({"readOnlyHint": true, "destructiveHint": true})), (Read, false, true));
    }

    #[test]
    fn overrides_only_tighten() {
        use Classification::*;
        for (advertised, over, expect) in [
            (Read, None, Read),
            (Read, Some(Write), Write),
            (Read, Some(Read), Read),
            (Write, None, Write),
            (Write, Some(Read), Write),
            (Write, Some(Write), Write),
        ] {
            assert_eq!(tighten(advertised, over), expect, "{advertised:?} {over:?}");
        }
    }

    #[test]
    fn unknown_fields_survive_a_round_trip() {
        let raw = json!({
            "name": "search", "title": "Search", "description": "Use this when…",
            "inputSchema": {"type": "object", "properties": {"q": {"type": "string"}}},
            "outputSchema": {"type": "object"},
            "annotations": {"readOnlyHint": true, "title": "Search the board"},
            "_meta": {"openai/outputTemplate": "ui://widget/board.html", "securitySchemes": [{"type": "noauth"}]},
            "icons": [{"src": "https://example.com/i.png"}],
            "execution": {"taskSupport": "optional"},
            "x-vendor": {"anything": [1, 2]}
        });
        let t: Tool = serde_json::from_value(raw.clone()).expect("a tool");
        assert_eq!(t.display_name(), "Search", "title wins over annotations.title");
        let untitled: Tool =
            serde_json::from_value(json!({"name": "s", "annotations": {"title": "Search the board"}})).expect("a tool");
        assert_eq!(untitled.display_name(), "Search the board");
        assert_eq!(serde_json::to_value(&t).expect("serialises"), raw);
        assert_eq!(t.extra["execution"], json!({"taskSupport": "optional"}));
        // As the store keeps it: text, read back.
        let stored = serde_json::to_string(&t).expect("serialises");
        assert_eq!(serde_json::from_str::<Tool>(&stored).expect("reads back"), t);
    }

    #[test]
    fn only_required_task_support_means_a_task_is_needed() {
        for (execution, required) in [
            (None, false),
            (Some(json!({})), false),
            (Some(json!({"taskSupport": "forbidden"})), false),
            (Some(json!({"taskSupport": "optional"})), false),
            (Some(json!({"taskSupport": "required"})), true),
            (Some(json!({"taskSupport": "REQUIRED"})), false),
            (Some(json!({"taskSupport": true})), false),
            (Some(json!("required")), false),
        ] {
            let mut raw = json!({"name": "t", "inputSchema": {"type": "object"}});
            if let Some(e) = &execution {
                raw["execution"] = e.clone();
            }
            let t: Tool = serde_json::from_value(raw.clone()).expect("a tool");
            assert_eq!(t.requires_task(), required, "execution {execution:?}");
            let optional = execution.as_ref().is_some_and(|e| e["taskSupport"] == "optional");
            let expect = match (required, optional) {
                (true, _) => TaskSupport::Required,
                (false, true) => TaskSupport::Optional,
                (false, false) => TaskSupport::Forbidden,
            };
            assert_eq!(t.task_support(), expect, "execution {execution:?}");
            assert_eq!(serde_json::to_value(&t).expect("serialises"), raw, "kept whole");
        }
    }

    #[test]
    fn the_definition_digest_covers_every_field_but_not_key_order() {
        let a: Tool =
            serde_json::from_str(r#"{"name":"t","description":"d","annotations":{"readOnlyHint":true,"title":"T"}}"#)
                .expect("a tool");
        let b: Tool =
            serde_json::from_str(r#"{"annotations":{"title":"T","readOnlyHint":true},"description":"d","name":"t"}"#)
                .expect("a tool");
        assert_eq!(a.definition_digest(), b.definition_digest());
        for change in [
            json!({"description": "d2"}),
            json!({"inputSchema": {"type": "object", "properties": {"x": {"type": "string"}}}}),
            json!({"annotations": {"readOnlyHint": false}}),
            json!({"_meta": {"k": 1}}),
            json!({"icons": []}),
        ] {
            let mut raw = serde_json::to_value(&a).expect("serialises");
            for (k, v) in change.as_object().expect("object") {
                raw[k] = v.clone();
            }
            let changed: Tool = serde_json::from_value(raw).expect("a tool");
            assert_ne!(changed.definition_digest(), a.definition_digest(), "{change}");
        }
    }

    #[test]
    fn a_missing_input_schema_is_an_empty_object_schema() {
        let t: Tool = serde_json::from_value(json!({"name": "ping"})).expect("a tool");
        assert_eq!(t.input_schema, json!({"type": "object"}));
        assert_eq!(t.display_name(), "ping");
    }
}
