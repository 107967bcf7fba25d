//! The doctor's verdicts on a tool catalog: what a developer-mode host and the
//! models behind it will make of each tool, in words a server author can act on.
//!
//! Every check here is a pure function of the catalog. Checking that a schema is a
//! valid JSON Schema needs a validator, which this crate does not carry: the caller
//! passes one in (`schema_error`), so the verdict stays pure and testable.
//!
//! The network checks (reachability, transports, protocol versions, OAuth discovery)
//! live in the `mcp` crate and produce the same [`Check`]s.

use std::collections::BTreeMap;

use serde_json::Value;

use crate::Role;
use crate::catalog::{Classification, Tool};
use crate::connector;

/// How a check came out. Ordered: `Pass < Warn < Fail`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Status {
    Pass,
    /// Works, but a host, a model or a user will have a worse time than they could.
    Warn,
    /// Breaks something: a host or a model provider refuses it, or it cannot be reached.
    Fail,
}

impl Status {
    pub fn as_str(self) -> &'static str {
        match self {
            Status::Pass => "pass",
            Status::Warn => "warn",
            Status::Fail => "fail",
        }
    }
}

/// One verdict: a stable `id`, what was checked, how it went, and what to do about it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Check {
    /// Stable, e.g. `annotations`; the list is in the README's "Doctor" section.
    pub id: &'static str,
    pub title: &'static str,
    pub status: Status,
    pub detail: String,
    /// What to change; absent when there is nothing to do.
    pub hint: Option<String>,
}

impl Check {
    pub fn pass(id: &'static str, title: &'static str, detail: impl Into<String>) -> Check {
        Check { id, title, status: Status::Pass, detail: detail.into(), hint: None }
    }

    pub fn warn(id: &'static str, title: &'static str, detail: impl Into<String>, hint: impl Into<String>) -> Check {
        Check { id, title, status: Status::Warn, detail: detail.into(), hint: Some(hint.into()) }
    }

    pub fn fail(id: &'static str, title: &'static str, detail: impl Into<String>, hint: impl Into<String>) -> Check {
        Check { id, title, status: Status::Fail, detail: detail.into(), hint: Some(hint.into()) }
    }
}

/// A server is ready when no check failed; warnings do not count against it.
pub fn ok(checks: &[Check]) -> bool {
    checks.iter().all(|c| c.status != Status::Fail)
}

/// The doctor may be run by whoever may create a connector from a URL: developer
/// mode in effect, or an owner or admin.
pub fn may_run(role: Role, developer_mode_active: bool) -> Result<(), NeedsDeveloperMode> {
    connector::may_create(role, developer_mode_active, false, false).map_err(|_| NeedsDeveloperMode)
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[error("the doctor needs developer mode: turn it on in Settings → Apps & Connectors → Advanced")]
pub struct NeedsDeveloperMode;

/// Names model providers accept for a function: `^[a-zA-Z0-9_-]{1,64}$`.
pub fn is_portable_tool_name(name: &str) -> bool {
    (1..=64).contains(&name.len()) && name.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'_' || b == b'-')
}

/// Whether a description tells a model when to pick the tool ("Use this when…").
pub fn gives_usage_guidance(description: &str) -> bool {
    const PHRASES: &[&str] = &[
        "use this",
        "use it when",
        "use it to",
        "use when",
        "use for",
        "call this",
        "useful when",
        "useful for",
        "when you need",
        "when the user",
        "when someone",
        "if you need",
        "if the user",
    ];
    let lower = description.to_lowercase();
    PHRASES.iter().any(|p| lower.contains(p))
}

/// At most this many names are listed in a detail; the rest are counted.
const LISTED: usize = 10;

/// `a, b, c and 4 more`.
fn listed<S: AsRef<str>>(items: &[S]) -> String {
    listed_with(items, ", ")
}

/// Items joined by `separator`, the first [`LISTED`] of them, then how many more.
fn listed_with<S: AsRef<str>>(items: &[S], separator: &str) -> String {
    let shown: Vec<&str> = items.iter().take(LISTED).map(AsRef::as_ref).collect();
    let mut text = shown.join(separator);
    if items.len() > LISTED {
        text.push_str(&format!(" and {} more", items.len() - LISTED));
    }
    text
}

/// Each name once, in the order first seen (a duplicated tool is named once).
fn unique<'a>(names: impl Iterator<Item = &'a str>) -> Vec<&'a str> {
    let mut out: Vec<&str> = vec![];
    for name in names {
        if !out.contains(&name) {
            out.push(name);
        }
    }
    out
}

fn plural(n: usize, one: &str, many: &str) -> String {
    format!("{n} {}", if n == 1 { one } else { many })
}

/// Every catalog check, in the order a report shows them. `schema_error` says why a
/// JSON Schema is not valid, or `None` when it is.
pub fn check_catalog(tools: &[Tool], schema_error: &dyn Fn(&Value) -> Option<String>) -> Vec<Check> {
    vec![
        tool_count(tools),
        names(tools),
        schema(tools, schema_error),
        annotations(tools),
        descriptions(tools),
        parameters(tools),
        tasks(tools),
    ]
}

/// `tool_count`: a server with no tools gives a host nothing to do.
pub fn tool_count(tools: &[Tool]) -> Check {
    const ID: &str = "tool_count";
    const TITLE: &str = "Tools";
    if tools.is_empty() {
        return Check::warn(
            ID,
            TITLE,
            "the server lists no tools",
            "register tools with the server's SDK; a connector without tools offers the model nothing",
        );
    }
    let reads = tools.iter().filter(|t| t.classification() == Classification::Read).count();
    Check::pass(
        ID,
        TITLE,
        format!("{} ({} read, {} write)", plural(tools.len(), "tool", "tools"), reads, tools.len() - reads),
    )
}

/// `names`: duplicates break tool calls (fail); names that differ only by case, or
/// that a model provider refuses, cause trouble downstream (warn).
pub fn names(tools: &[Tool]) -> Check {
    const ID: &str = "names";
    const TITLE: &str = "Tool names";
    let mut by_name: BTreeMap<&str, usize> = BTreeMap::new();
    let mut by_folded: BTreeMap<String, Vec<&str>> = BTreeMap::new();
    for t in tools {
        *by_name.entry(t.name.as_str()).or_default() += 1;
        let same_case = by_folded.entry(t.name.to_lowercase()).or_default();
        if !same_case.contains(&t.name.as_str()) {
            same_case.push(t.name.as_str());
        }
    }
    let duplicates: Vec<String> =
        by_name.iter().filter(|(_, n)| **n > 1).map(|(name, n)| format!("{name} ({n} times)")).collect();
    let case_only: Vec<String> = by_folded.values().filter(|v| v.len() > 1).map(|v| v.join(" / ")).collect();
    let unportable: Vec<String> =
        by_name.keys().filter(|n| !is_portable_tool_name(n)).map(|n| format!("{n:?}")).collect();

    let mut problems = vec![];
    let mut hints = vec![];
    if !duplicates.is_empty() {
        problems.push(format!("more than one tool is named {}", listed(&duplicates)));
        hints.push(
            "give every tool its own name: a call names the tool, so only one of the duplicates can ever be called",
        );
    }
    if !case_only.is_empty() {
        problems.push(format!("names that differ only by case: {}", listed(&case_only)));
        hints.push("rename tools whose names differ only by case: some hosts and models treat them as one");
    }
    if !unportable.is_empty() {
        problems.push(format!("names outside ^[a-zA-Z0-9_-]{{1,64}}$: {}", listed(&unportable)));
        hints.push(
            "use only letters, digits, _ and - (at most 64 characters): model providers refuse other function names",
        );
    }
    match (problems.is_empty(), duplicates.is_empty()) {
        (true, _) => Check::pass(ID, TITLE, "every name is unique and valid for every model provider"),
        (false, true) => Check::warn(ID, TITLE, problems.join("; "), hints.join("; ")),
        (false, false) => Check::fail(ID, TITLE, problems.join("; "), hints.join("; ")),
    }
}

/// `schema`: each inputSchema (and outputSchema, when given) is a valid JSON Schema
/// of `type: "object"`. Anything else makes hosts and model providers refuse the tool.
pub fn schema(tools: &[Tool], schema_error: &dyn Fn(&Value) -> Option<String>) -> Check {
    const ID: &str = "schema";
    const TITLE: &str = "Schemas";
    let mut problems = vec![];
    for t in tools {
        for (field, value) in [("inputSchema", Some(&t.input_schema)), ("outputSchema", t.output_schema.as_ref())] {
            let Some(value) = value else { continue };
            if let Some(problem) = not_an_object_schema(value) {
                problems.push(format!("{}: {field} {problem}", t.name));
            } else if let Some(error) = schema_error(value) {
                problems.push(format!("{}: {field} is not a valid JSON Schema ({error})", t.name));
            }
        }
    }
    if problems.is_empty() {
        return Check::pass(ID, TITLE, "every inputSchema and outputSchema is a valid object schema");
    }
    Check::fail(
        ID,
        TITLE,
        listed_with(&problems, "; "),
        "make inputSchema (and outputSchema) a valid JSON Schema with \"type\": \"object\"; \
         hosts and model providers refuse a tool whose schema is not one",
    )
}

fn not_an_object_schema(value: &Value) -> Option<String> {
    match value.get("type") {
        _ if !value.is_object() => Some("is not a JSON object".to_owned()),
        Some(Value::String(t)) if t == "object" => None,
        Some(other) => Some(format!("has type {other}, not \"object\"")),
        None => Some("has no \"type\": \"object\"".to_owned()),
    }
}

/// `annotations`: `readOnlyHint` stated on every tool (otherwise it is a write action
/// and every call asks for confirmation), `destructiveHint` and `openWorldHint` stated
/// on every write tool (otherwise the specification's worst-case defaults apply).
pub fn annotations(tools: &[Tool]) -> Check {
    const ID: &str = "annotations";
    const TITLE: &str = "Annotations";
    let stated = |t: &Tool, hint: &str| t.annotations.as_ref().and_then(|a| a.get(hint)).is_some_and(Value::is_boolean);
    let no_read_only = unique(tools.iter().filter(|t| !stated(t, "readOnlyHint")).map(|t| t.name.as_str()));
    let vague_writes = unique(
        tools
            .iter()
            .filter(|t| t.classification() == Classification::Write)
            .filter(|t| !stated(t, "destructiveHint") || !stated(t, "openWorldHint"))
            .map(|t| t.name.as_str()),
    );
    if no_read_only.is_empty() && vague_writes.is_empty() {
        return Check::pass(
            ID,
            TITLE,
            "every tool states readOnlyHint, and every write tool destructiveHint and openWorldHint",
        );
    }
    let mut problems = vec![];
    let mut hints = vec![];
    if !no_read_only.is_empty() {
        problems.push(format!("no readOnlyHint on {}: treated as write actions", listed(&no_read_only)));
        hints.push(
            "state readOnlyHint: true on every tool that only reads; without it a tool is a write action \
             and every call will ask the user for confirmation",
        );
    }
    if !vague_writes.is_empty() {
        problems.push(format!(
            "write tools without destructiveHint or openWorldHint: {}: assumed destructive and open-world",
            listed(&vague_writes)
        ));
        hints.push(
            "state destructiveHint and openWorldHint on every write tool; the specification's defaults \
             assume the worst, so reviewers see every such tool as destructive and reaching outside the server",
        );
    }
    Check::warn(ID, TITLE, problems.join("; "), hints.join("; "))
}

/// `tasks`: a tool the server runs only as a task (`execution.taskSupport:
/// "required"`) cannot be called with a plain `tools/call`; Switchboard does not
/// run tasks yet, so such tools are not offered to models (warn).
pub fn tasks(tools: &[Tool]) -> Check {
    const ID: &str = "tasks";
    const TITLE: &str = "Tasks";
    let required = unique(tools.iter().filter(|t| t.requires_task()).map(|t| t.name.as_str()));
    if required.is_empty() {
        return Check::pass(ID, TITLE, "every tool can be called directly, without a task");
    }
    Check::warn(
        ID,
        TITLE,
        format!(
            "{} only as a task (execution.taskSupport \"required\"): {}; Switchboard does not run tasks yet, \
             so models are not offered {}",
            if required.len() == 1 { "1 tool runs" } else { "some tools run" },
            listed(&required),
            if required.len() == 1 { "it" } else { "them" },
        ),
        "set execution.taskSupport to \"optional\" on tools that can also answer a plain tools/call, \
         so hosts without task support can use them",
    )
}

/// `descriptions`: each tool has one, and it says when to use the tool.
pub fn descriptions(tools: &[Tool]) -> Check {
    const ID: &str = "descriptions";
    const TITLE: &str = "Descriptions";
    let text = |t: &Tool| t.description.as_deref().map(str::trim).filter(|d| !d.is_empty()).map(str::to_owned);
    let missing = unique(tools.iter().filter(|t| text(t).is_none()).map(|t| t.name.as_str()));
    let unguided =
        unique(tools.iter().filter(|t| text(t).is_some_and(|d| !gives_usage_guidance(&d))).map(|t| t.name.as_str()));
    if missing.is_empty() && unguided.is_empty() {
        return Check::pass(ID, TITLE, "every tool has a description that says when to use it");
    }
    let mut problems = vec![];
    let mut hints = vec![];
    if !missing.is_empty() {
        problems.push(format!("no description: {}", listed(&missing)));
        hints.push("describe every tool: the model chooses tools by their descriptions");
    }
    if !unguided.is_empty() {
        problems.push(format!("no \"Use this when…\" guidance: {}", listed(&unguided)));
        hints.push(
            "start each description with when to use the tool (\"Use this when…\"), and say when to use \
             another tool instead",
        );
    }
    Check::warn(ID, TITLE, problems.join("; "), hints.join("; "))
}

/// `parameters`: every property of every inputSchema has a description.
pub fn parameters(tools: &[Tool]) -> Check {
    const ID: &str = "parameters";
    const TITLE: &str = "Parameters";
    let mut undescribed = vec![];
    let mut total = 0;
    for t in tools {
        let Some(properties) = t.input_schema.get("properties").and_then(Value::as_object) else { continue };
        for (name, property) in properties {
            total += 1;
            if !described(property, &t.input_schema) {
                undescribed.push(format!("{}.{name}", t.name));
            }
        }
    }
    if undescribed.is_empty() {
        return Check::pass(ID, TITLE, format!("all {} described", plural(total, "parameter is", "parameters are")));
    }
    Check::warn(
        ID,
        TITLE,
        format!("{} of {total} without a description: {}", undescribed.len(), listed(&undescribed)),
        "describe every parameter (what it means, its format, an example); for a closed set of values use an enum",
    )
}

/// A property with a non-empty `description`, or a local `$ref` to a definition with one.
fn described(property: &Value, root: &Value) -> bool {
    let has = |v: &Value| v.get("description").and_then(Value::as_str).is_some_and(|d| !d.trim().is_empty());
    if has(property) {
        return true;
    }
    let Some(pointer) = property.get("$ref").and_then(Value::as_str).and_then(|r| r.strip_prefix('#')) else {
        return false;
    };
    root.pointer(pointer).is_some_and(has)
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    fn tool(raw: Value) -> Tool {
        serde_json::from_value(raw).expect("a tool")
    }

    /// A tool that passes every check.
    fn good(name: &str) -> Value {
        json!({
            "name": name,
            "description": "Use this when you need a record by id.",
            "inputSchema": {"type": "object", "properties": {"id": {"type": "string", "description": "The id"}}},
            "annotations": {"readOnlyHint": true}
        })
    }

    fn with(mut base: Value, field: &str, value: Value) -> Value {
        base[field] = value;
        base
    }

    fn without(mut base: Value, field: &str) -> Value {
        base.as_object_mut().expect("object").remove(field);
        base
    }

    fn valid(_: &Value) -> Option<String> {
        None
    }

    /// A stand-in for a JSON Schema validator that knows one mistake: a `type` that is
    /// not a JSON Schema type. The real validator is exercised in the `mcp` crate.
    fn knows_types(schema: &Value) -> Option<String> {
        const TYPES: &[&str] = &["object", "array", "string", "number", "integer", "boolean", "null"];
        let props = schema.get("properties").and_then(Value::as_object)?;
        props.values().find_map(|p| {
            let t = p.get("type")?.as_str()?;
            (!TYPES.contains(&t)).then(|| format!("{t:?} is not a type"))
        })
    }

    /// Run `check` over `tools`; compare the status and the pieces the detail must hold.
    #[track_caller]
    fn check(f: fn(&[Tool]) -> Check, tools: Vec<Value>, status: Status, detail_has: &[&str]) {
        let tools: Vec<Tool> = tools.into_iter().map(tool).collect();
        let got = f(&tools);
        assert_eq!(got.status, status, "{got:?}");
        for piece in detail_has {
            assert!(got.detail.contains(piece), "{piece:?} not in {:?}", got.detail);
        }
        assert_eq!(got.hint.is_some(), status != Status::Pass, "a hint exactly when there is something to do: {got:?}");
    }

    #[test]
    fn tool_count_warns_on_an_empty_catalog() {
        check(tool_count, vec![], Status::Warn, &["no tools"]);
        let write = with(good("w"), "annotations", json!({"readOnlyHint": false}));
        check(tool_count, vec![good("a"), write], Status::Pass, &["2 tools (1 read, 1 write)"]);
        check(tool_count, vec![good("a")], Status::Pass, &["1 tool (1 read, 0 write)"]);
    }

    #[test]
    fn names_fail_on_duplicates_and_warn_on_case_and_characters() {
        use Status::*;
        let table: Vec<(Vec<Value>, Status, Vec<&str>)> = vec![
            (vec![good("a"), good("b")], Pass, vec!["unique"]),
            (vec![good("a"), good("a")], Fail, vec!["a (2 times)"]),
            (vec![good("a"), good("a"), good("A")], Fail, vec!["a (2 times)", "differ only by case: a / A"]),
            (vec![good("search"), good("Search")], Warn, vec!["differ only by case: search / Search"]),
            (vec![good("get.thing")], Warn, vec!["\"get.thing\""]),
            (vec![good("with space"), good("ok")], Warn, vec!["\"with space\""]),
            (vec![good(&"x".repeat(65))], Warn, vec!["outside ^[a-zA-Z0-9_-]{1,64}$"]),
            (vec![good(&"x".repeat(64)), good("dash-and_under")], Pass, vec![]),
            (vec![good("")], Warn, vec!["\"\""]),
            (
                vec![good("a"), good("a"), good("b.c")],
                Fail,
                vec!["a (2 times)", "outside ^[a-zA-Z0-9_-]{1,64}$: \"b.c\""],
            ),
        ];
        for (tools, status, pieces) in table {
            check(names, tools, status, &pieces);
        }
    }

    #[test]
    fn schemas_must_be_valid_object_schemas() {
        use Status::*;
        let bad_type = json!({"type": "object", "properties": {"q": {"type": "strang"}}});
        let table: Vec<(Vec<Value>, Status, Vec<&str>)> = vec![
            (vec![good("a")], Pass, vec![]),
            (
                vec![with(good("s"), "inputSchema", json!({"type": "string"}))],
                Fail,
                vec!["s: inputSchema has type \"string\""],
            ),
            (
                vec![with(good("n"), "inputSchema", json!({"properties": {}}))],
                Fail,
                vec!["n: inputSchema has no \"type\": \"object\""],
            ),
            (
                vec![with(good("v"), "inputSchema", bad_type.clone())],
                Fail,
                vec!["v: inputSchema is not a valid JSON Schema (\"strang\" is not a type)"],
            ),
            (vec![with(good("o"), "outputSchema", bad_type)], Fail, vec!["o: outputSchema is not a valid JSON Schema"]),
            (
                vec![with(good("o"), "outputSchema", json!({"type": "array"}))],
                Fail,
                vec!["o: outputSchema has type \"array\""],
            ),
            (vec![with(good("o"), "outputSchema", json!({"type": "object"}))], Pass, vec![]),
            // A missing inputSchema reads as the empty object schema.
            (vec![without(good("m"), "inputSchema")], Pass, vec![]),
        ];
        for (tools, status, pieces) in table {
            check(|t| schema(t, &knows_types), tools, status, &pieces);
        }
        // The validator is asked only about object schemas.
        let t = [tool(with(good("s"), "inputSchema", json!({"type": "string"})))];
        assert_eq!(schema(&t, &|_| panic!("not asked")).status, Fail);
    }

    #[test]
    fn annotations_state_read_only_and_the_risk_of_writes() {
        use Status::*;
        let annotated = |a: Value| with(good("t"), "annotations", a);
        let table: Vec<(Vec<Value>, Status, Vec<&str>)> = vec![
            (vec![annotated(json!({"readOnlyHint": true}))], Pass, vec![]),
            (
                vec![annotated(json!({"readOnlyHint": false, "destructiveHint": false, "openWorldHint": false}))],
                Pass,
                vec![],
            ),
            (vec![without(good("t"), "annotations")], Warn, vec!["no readOnlyHint on t: treated as write actions"]),
            (vec![annotated(json!({}))], Warn, vec!["no readOnlyHint on t"]),
            (vec![annotated(json!({"readOnlyHint": "true"}))], Warn, vec!["no readOnlyHint on t"]),
            (
                vec![annotated(json!({"readOnlyHint": false, "destructiveHint": true}))],
                Warn,
                vec!["write tools without destructiveHint or openWorldHint: t: assumed destructive and open-world"],
            ),
            (
                vec![annotated(json!({"readOnlyHint": false, "openWorldHint": true}))],
                Warn,
                vec!["without destructiveHint"],
            ),
            // Read tools need neither.
            (vec![annotated(json!({"readOnlyHint": true, "destructiveHint": true}))], Pass, vec![]),
        ];
        for (tools, status, pieces) in table {
            check(annotations, tools, status, &pieces);
        }
        let twice = [tool(without(good("w"), "annotations")), tool(without(good("w"), "annotations"))];
        assert!(annotations(&twice).detail.starts_with("no readOnlyHint on w: "), "a duplicated tool is named once");
        let tools = [tool(without(good("bare"), "annotations"))];
        let got = annotations(&tools);
        assert!(
            got.detail.contains("no readOnlyHint on bare") && got.detail.contains("write tools without"),
            "{got:?}"
        );
        assert!(got.hint.as_deref().is_some_and(|h| h.contains("every call will ask the user for confirmation")));
    }

    #[test]
    fn descriptions_say_when_to_use_the_tool() {
        use Status::*;
        let described = |d: &str| with(good("t"), "description", json!(d));
        let table: Vec<(Vec<Value>, Status, Vec<&str>)> = vec![
            (vec![good("t")], Pass, vec![]),
            (vec![described("Call this to list open invoices.")], Pass, vec![]),
            (vec![described("Useful for finding a customer by email.")], Pass, vec![]),
            (vec![without(good("t"), "description")], Warn, vec!["no description: t"]),
            (vec![described("   ")], Warn, vec!["no description: t"]),
            (vec![described("Echoes back the input.")], Warn, vec!["no \"Use this when…\" guidance: t"]),
        ];
        for (tools, status, pieces) in table {
            check(descriptions, tools, status, &pieces);
        }
        assert!(gives_usage_guidance("USE THIS WHEN the board changes"));
        assert!(gives_usage_guidance("Deletes a task. Use this only when someone asks."));
        assert!(!gives_usage_guidance("Adds two numbers."));
    }

    #[test]
    fn parameters_are_described() {
        use Status::*;
        let schema = |props: Value| with(good("t"), "inputSchema", json!({"type": "object", "properties": props}));
        let referenced = with(
            good("r"),
            "inputSchema",
            json!({"type": "object", "properties": {"column": {"$ref": "#/$defs/Column"}},
                   "$defs": {"Column": {"type": "string", "enum": ["todo"], "description": "A column"}}}),
        );
        let table: Vec<(Vec<Value>, Status, Vec<&str>)> = vec![
            (vec![good("t")], Pass, vec!["all 1 parameter is described"]),
            (vec![without(good("t"), "inputSchema")], Pass, vec!["all 0 parameters are described"]),
            (vec![referenced], Pass, vec![]),
            (
                vec![schema(json!({"a": {"type": "string"}, "b": {"type": "string", "description": "B"}}))],
                Warn,
                vec!["1 of 2 without a description: t.a"],
            ),
            (vec![schema(json!({"a": {"type": "string", "description": ""}}))], Warn, vec!["t.a"]),
            (vec![schema(json!({"a": {"$ref": "#/$defs/Missing"}}))], Warn, vec!["t.a"]),
        ];
        for (tools, status, pieces) in table {
            check(parameters, tools, status, &pieces);
        }
    }

    #[test]
    fn long_lists_are_capped() {
        let props: serde_json::Map<String, Value> =
            (0..13).map(|i| (format!("p{i:02}"), json!({"type": "string"}))).collect();
        let t = tool(with(good("t"), "inputSchema", json!({"type": "object", "properties": props})));
        let got = parameters(&[t]);
        assert!(got.detail.starts_with("13 of 13 without a description: t.p00, t.p01"), "{}", got.detail);
        assert!(got.detail.ends_with("t.p09 and 3 more"), "{}", got.detail);
    }

    #[test]
    fn tools_that_need_a_task_are_named() {
        use Status::*;
        let task = |name: &str, support: &str| with(good(name), "execution", json!({"taskSupport": support}));
        for (tools, status, detail_has) in [
            (vec![good("a")], Pass, vec!["without a task"]),
            (vec![task("a", "optional"), task("b", "forbidden")], Pass, vec!["without a task"]),
            (vec![task("a", "required"), good("b")], Warn, vec!["1 tool runs only as a task", ": a;", "offered it"]),
            (vec![task("a", "required"), task("b", "required"), task("b", "required")], Warn, vec![": a, b;", "them"]),
        ] {
            check(tasks, tools, status, &detail_has);
        }
    }

    #[test]
    fn a_catalog_is_ok_until_something_fails() {
        let fine = check_catalog(&[tool(good("a"))], &valid);
        assert_eq!(
            fine.iter().map(|c| c.id).collect::<Vec<_>>(),
            ["tool_count", "names", "schema", "annotations", "descriptions", "parameters", "tasks"]
        );
        assert!(fine.iter().all(|c| c.status == Status::Pass), "{fine:?}");
        assert!(ok(&fine));
        let warned = check_catalog(&[], &valid);
        assert!(ok(&warned), "an empty catalog only warns");
        let failed = check_catalog(&[tool(good("a")), tool(good("a"))], &valid);
        assert!(!ok(&failed));
        assert_eq!(Status::Fail.as_str(), "fail");
        assert!(Status::Pass < Status::Warn && Status::Warn < Status::Fail);
    }

    #[test]
    fn who_may_run_the_doctor() {
        use Role::*;
        for (role, dev, allowed) in [
            (Member, true, true),
            (Member, false, false),
            (Auditor, false, false),
            (Auditor, true, true),
            (Admin, false, true),
            (Owner, false, true),
        ] {
            assert_eq!(may_run(role, dev).is_ok(), allowed, "{role} developer mode {dev}");
        }
    }
}
