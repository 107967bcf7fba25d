//! The Kanban example connected through Switchboard, over Streamable HTTP and
//! over stdio: classifications as its annotations say, a write then a read.

use serde_json::{Value, json};
use switchboard_core::Role;
use switchboard_testkit::peers::{PeerProcess, kanban_binary};
use switchboard_testkit::{DbKind, Signed, TestApp};

use super::{assert_problem, send};

const READS: [&str; 4] = ["list_tasks", "get_task", "search", "fetch"];
const WRITES: [&str; 3] = ["create_task", "move_task", "delete_task"];

async fn create(app: &TestApp, who: &Signed, body: Value) -> Value {
    let (status, created) =
        send(who.client.post(app.at("/api/v1/connectors")).headers(who.csrf_headers()).json(&body)).await;
    assert_eq!(status, 201, "{created}");
    created
}

async fn call(app: &TestApp, who: &Signed, id: &str, tool: &str, arguments: Value) -> (reqwest::StatusCode, Value) {
    let path = format!("/api/v1/connectors/{id}/tools/{tool}/call");
    send(who.client.post(app.at(&path)).headers(who.csrf_headers()).json(&json!({"arguments": arguments}))).await
}

/// Every tool classified from its annotations, with the risk badges they imply.
fn check_catalog(created: &Value) {
    let tools = created["tools"].as_array().expect("tools");
    let mut names: Vec<&str> = tools.iter().filter_map(|t| t["name"].as_str()).collect();
    names.sort_unstable();
    let mut expected: Vec<&str> = READS.iter().chain(WRITES.iter()).copied().collect();
    expected.sort_unstable();
    assert_eq!(names, expected);
    for t in tools {
        let name = t["name"].as_str().unwrap_or_default();
        let annotations = &t["definition"]["annotations"];
        let read = annotations["readOnlyHint"] == true;
        assert_eq!(read, READS.contains(&name), "{name}: {annotations}");
        assert_eq!(t["classification"], if read { "read" } else { "write" }, "{name}");
        assert_eq!(t["risk"]["destructive"], !read && annotations["destructiveHint"] == true, "{name}");
        assert_eq!(t["risk"]["open_world"], false, "{name}: the board is a closed world");
        assert!(t["definition"]["description"].as_str().is_some_and(|d| d.starts_with("Use this")), "{name}");
    }
    let warnings = json!(["3 of 7 actions are write actions: each call will ask for confirmation"]);
    assert_eq!(created["warnings"], warnings, "only the note on write actions: every tool is annotated");
}

/// Create a task (a write), then read it back two ways.
async fn write_then_read(app: &TestApp, who: &Signed, id: &str) {
    let (status, made) =
        call(app, who, id, "create_task", json!({"title": "Ship the release", "column": "doing"})).await;
    assert_eq!(status, 200, "{made}");
    let task = &made["result"]["structuredContent"];
    assert_eq!(task["title"], "Ship the release");
    assert_eq!(task["column"], "doing");
    let task_id = task["id"].as_str().expect("task id").to_owned();
    assert_eq!(made["exchange"][0]["message"]["params"]["name"], "create_task");

    let (status, got) = call(app, who, id, "get_task", json!({"id": task_id})).await;
    assert_eq!(status, 200, "{got}");
    assert_eq!(got["result"]["structuredContent"]["title"], "Ship the release");
    let (_, listed) = call(app, who, id, "list_tasks", json!({"column": "doing"})).await;
    let tasks = listed["result"]["structuredContent"]["tasks"].as_array().cloned().unwrap_or_default();
    assert!(tasks.iter().any(|t| t["id"] == task_id.as_str()), "{listed}");

    // The schema is checked before the server is bothered.
    let (status, bad) = call(app, who, id, "move_task", json!({"id": task_id, "column": "archive"})).await;
    assert_problem(&(status, bad.clone()), 422, "invalid_arguments");
    assert_eq!(bad["details"]["errors"][0]["path"], "/column", "{bad}");
    // A tool error from the server is a result, not a failure of the API.
    let (status, missing) = call(app, who, id, "get_task", json!({"id": "T-999"})).await;
    assert_eq!(status, 200, "{missing}");
    assert_eq!(missing["is_error"], true, "{missing}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn kanban_over_streamable_http_and_stdio() {
    let app = TestApp::start_with(DbKind::Sqlite, |mut c| {
        c.allow_local_commands = true;
        c
    })
    .await;
    let admin = app.signed_in("admin@example.com", Role::Admin).await;

    let board = PeerProcess::kanban();
    let created = create(&app, &admin, json!({"name": "Kanban", "url": board.url})).await;
    assert_eq!(created["connector"]["used_transport"], "streamable_http");
    assert_eq!(created["connector"]["protocol_version"], "2026-07-28");
    check_catalog(&created);
    write_then_read(&app, &admin, created["connector"]["id"].as_str().expect("id")).await;

    let dir = tempfile::tempdir().expect("tempdir");
    let data = dir.path().join("board.json");
    let argv = json!([kanban_binary().display().to_string(), "stdio", "--data", data.display().to_string()]);
    let created = create(&app, &admin, json!({"name": "Local Kanban", "command": {"argv": argv}})).await;
    assert_eq!(created["connector"]["used_transport"], "stdio");
    check_catalog(&created);
    write_then_read(&app, &admin, created["connector"]["id"].as_str().expect("id")).await;
    let saved = std::fs::read_to_string(&data).expect("the board file");
    assert!(saved.contains("Ship the release"), "the local server kept the task: {saved}");
}
