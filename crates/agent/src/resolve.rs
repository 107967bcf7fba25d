//! A tool call as the model wrote it, checked against the actions offered.

use serde_json::{Map, Value};

use crate::host::OfferedTool;
use crate::model::ToolCallRequest;

/// What a model's call turned out to be.
#[derive(Debug, PartialEq)]
pub enum Resolution<'a> {
    /// An offered action with arguments that parse and fit its schema.
    Valid { tool: &'a OfferedTool, arguments: Map<String, Value> },
    /// An offered action whose arguments are wrong: never sent.
    BadArguments { tool: &'a OfferedTool, reason: String },
    /// A name that is not offered: never sent.
    Unknown { reason: String },
}

/// Resolve `call` against `offered`; `validate` gives the schema errors.
pub fn resolve<'a>(
    call: &ToolCallRequest,
    offered: &'a [OfferedTool],
    validate: impl Fn(&OfferedTool, &Value) -> Vec<String>,
) -> Resolution<'a> {
    let Some(tool) = offered.iter().find(|t| t.name == call.name) else {
        let mut names: Vec<&str> = offered.iter().map(|t| t.name.as_str()).collect();
        names.truncate(50);
        return Resolution::Unknown {
            reason: format!(
                "there is no tool named {:?} in this conversation; the tools are: {}",
                call.name,
                if names.is_empty() { "none".to_owned() } else { names.join(", ") }
            ),
        };
    };
    let text = if call.arguments.trim().is_empty() { "{}" } else { call.arguments.as_str() };
    let arguments = match serde_json::from_str::<Value>(text) {
        Ok(Value::Object(map)) => map,
        Ok(other) => {
            return Resolution::BadArguments {
                tool,
                reason: format!("the arguments must be a JSON object, not {}", kind(&other)),
            };
        }
        Err(e) => return Resolution::BadArguments { tool, reason: format!("the arguments are not valid JSON: {e}") },
    };
    let errors = validate(tool, &Value::Object(arguments.clone()));
    if !errors.is_empty() {
        return Resolution::BadArguments {
            tool,
            reason: format!("the arguments do not match the tool's input schema: {}", errors.join("; ")),
        };
    }
    Resolution::Valid { tool, arguments }
}

fn kind(v: &Value) -> &'static str {
    match v {
        Value::Null => "null",
        Value::Bool(_) => "a boolean",
        Value::Number(_) => "a number",
        Value::String(_) => "a string",
        Value::Array(_) => "an array",
        Value::Object(_) => "an object",
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;
    use switchboard_core::ConnectorId;
    use switchboard_core::catalog::Classification;

    use super::*;

    fn offered() -> Vec<OfferedTool> {
        vec![OfferedTool {
            name: "board__add".into(),
            connector_id: ConnectorId::new(),
            connector_name: "Board".into(),
            tool: serde_json::from_value(json!({"name": "add", "inputSchema": {"type": "object"}})).expect("tool"),
            classification: Classification::Write,
        }]
    }

    fn check(name: &str, arguments: &str, expect: &str) {
        let offered = offered();
        let call = ToolCallRequest { id: "c".into(), name: name.into(), arguments: arguments.into() };
        let validate = |_: &OfferedTool, v: &Value| {
            if v.get("title").is_some() { vec![] } else { vec!["\"title\" is a required property".to_owned()] }
        };
        let got = match resolve(&call, &offered, validate) {
            Resolution::Valid { arguments, .. } => format!("valid {}", Value::Object(arguments)),
            Resolution::BadArguments { reason, .. } => format!("bad: {reason}"),
            Resolution::Unknown { reason } => format!("unknown: {reason}"),
        };
        assert!(got.starts_with(expect), "{name} {arguments}: {got}");
    }

    #[test]
    fn calls_are_checked_before_anything_is_sent() {
        check("board__add", r#"{"title":"x"}"#, r#"valid {"title":"x"}"#);
        check("board__add", "", "bad: the arguments do not match the tool's input schema: \"title\" is a required");
        check("board__add", "{\"title\":", "bad: the arguments are not valid JSON");
        check("board__add", "[1]", "bad: the arguments must be a JSON object, not an array");
        check(
            "board__delete_everything",
            "{}",
            "unknown: there is no tool named \"board__delete_everything\" in this conversation; the tools are: board__add",
        );
    }
}
