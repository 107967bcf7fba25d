//! The tool list: names, titles, annotations, schemas and descriptions.

use serde_json::{Value, json};

use crate::support::{Lifecycle, close, stdio_client, within};

/// What `tools/list` must say about one tool; every tool is closed-world.
struct Expected {
    name: &'static str,
    title: &'static str,
    read_only: bool,
    destructive: Option<bool>,
    idempotent: Option<bool>,
}

const fn read(name: &'static str, title: &'static str) -> Expected {
    Expected { name, title, read_only: true, destructive: None, idempotent: None }
}

const fn write(name: &'static str, title: &'static str, destructive: bool, idempotent: bool) -> Expected {
    Expected { name, title, read_only: false, destructive: Some(destructive), idempotent: Some(idempotent) }
}

/// Sorted by name, as the server lists them.
const EXPECTED: [Expected; 7] = [
    write("create_task", "Create task", false, false),
    write("delete_task", "Delete task", true, true),
    read("fetch", "Fetch task"),
    read("get_task", "Get task"),
    read("list_tasks", "List tasks"),
    write("move_task", "Move task", false, true),
    read("search", "Search tasks"),
];

#[tokio::test]
async fn every_tool_is_annotated_and_described() {
    let client = stdio_client(None, Lifecycle::Initialize).await;
    let mut tools = within("tools/list", client.list_all_tools()).await.expect("tools/list");
    tools.sort_by(|a, b| a.name.cmp(&b.name));
    let names: Vec<&str> = tools.iter().map(|tool| tool.name.as_ref()).collect();
    assert_eq!(names, EXPECTED.map(|expected| expected.name));

    for (tool, Expected { name, title, read_only, destructive, idempotent }) in tools.iter().zip(EXPECTED) {
        assert_eq!(tool.title.as_deref(), Some(title), "{name}");
        let annotations = tool.annotations.as_ref().unwrap_or_else(|| panic!("{name} has annotations"));
        assert_eq!(annotations.title.as_deref(), Some(title), "{name}");
        assert_eq!(annotations.read_only_hint, Some(read_only), "{name}");
        assert_eq!(annotations.destructive_hint, destructive, "{name}");
        assert_eq!(annotations.idempotent_hint, idempotent, "{name}");
        assert_eq!(annotations.open_world_hint, Some(false), "{name}");

        let description = tool.description.as_deref().unwrap_or_default();
        assert!(description.starts_with("Use this "), "{name}: {description}");

        let input = Value::Object((*tool.input_schema).clone());
        assert_eq!(input["type"], "object", "{name}");
        for (parameter, schema) in input["properties"].as_object().expect("properties") {
            let described = schema["description"].as_str().is_some_and(|text| !text.is_empty());
            assert!(described, "{name}.{parameter} has a description");
        }
        let output = tool.output_schema.as_ref().unwrap_or_else(|| panic!("{name} has an outputSchema"));
        assert_eq!(output.get("type"), Some(&json!("object")), "{name}");
    }
    close(client).await;
}

#[tokio::test]
async fn inputs_use_enums_for_columns_and_patterns_for_ids() {
    let client = stdio_client(None, Lifecycle::Initialize).await;
    let tools = within("tools/list", client.list_all_tools()).await.expect("tools/list");
    let input = |name: &str| {
        let tool = tools.iter().find(|tool| tool.name == name).expect("tool exists");
        Value::Object((*tool.input_schema).clone())
    };
    let columns = json!(["todo", "doing", "done"]);
    for name in ["list_tasks", "create_task", "move_task"] {
        assert_eq!(input(name)["properties"]["column"]["enum"], columns, "{name}");
    }
    for name in ["get_task", "fetch", "move_task", "delete_task"] {
        assert_eq!(input(name)["properties"]["id"]["pattern"], "^T-[0-9]+$", "{name}");
    }
    assert_eq!(input("search")["properties"]["query"]["type"], "string");
    assert_eq!(input("search")["required"], json!(["query"]));
    assert_eq!(input("fetch")["required"], json!(["id"]));
    assert_eq!(input("create_task")["required"], json!(["title"]));
    assert_eq!(input("list_tasks").get("required"), None, "list_tasks needs no argument");
    close(client).await;
}
