//! `--data FILE`: the board survives restarts, whichever transport served it.

use serde_json::json;

use crate::support::{HttpServer, Lifecycle, call_ok, close, stdio_client};

#[tokio::test]
async fn data_file_survives_restarts() {
    let dir = tempfile::tempdir().expect("a temporary directory");
    let data = dir.path().join("board.json");

    // A new file starts an empty board, not the examples.
    let client = stdio_client(Some(&data), Lifecycle::Initialize).await;
    assert_eq!(call_ok(&client, "list_tasks", json!({})).await, json!({ "tasks": [] }));
    call_ok(&client, "create_task", json!({ "title": "Keep me", "column": "doing" })).await;
    call_ok(&client, "create_task", json!({ "title": "Drop me" })).await;
    call_ok(&client, "delete_task", json!({ "id": "T-2" })).await;
    close(client).await;

    let on_disk: serde_json::Value = serde_json::from_slice(&std::fs::read(&data).expect("the file exists")).unwrap();
    assert_eq!(on_disk["tasks"][0]["title"], "Keep me");

    let server = HttpServer::start(Some(&data)).await;
    let client = server.client(Lifecycle::Auto).await;
    let tasks = call_ok(&client, "list_tasks", json!({})).await;
    assert_eq!(
        tasks["tasks"],
        json!([{
            "id": "T-1", "title": "Keep me", "description": "", "column": "doing", "url": "kanban://tasks/T-1",
        }])
    );
    let next = call_ok(&client, "create_task", json!({ "title": "After the restart" })).await;
    assert_eq!(next["id"], "T-3", "ids of deleted tasks are not handed out again");
    call_ok(&client, "move_task", json!({ "id": "T-1", "column": "done" })).await;
    close(client).await;
    server.stop().await;

    let client = stdio_client(Some(&data), Lifecycle::Auto).await;
    let done = call_ok(&client, "list_tasks", json!({ "column": "done" })).await;
    assert_eq!(done["tasks"][0]["id"], "T-1");
    assert_eq!(call_ok(&client, "get_task", json!({ "id": "T-3" })).await["title"], "After the restart");
    close(client).await;

    let leftovers: Vec<_> = std::fs::read_dir(dir.path()).unwrap().map(|entry| entry.unwrap().file_name()).collect();
    assert_eq!(leftovers, ["board.json"], "no temporary files are left behind");
}

#[tokio::test]
async fn a_broken_data_file_stops_the_server_with_a_message() {
    let dir = tempfile::tempdir().expect("a temporary directory");
    let data = dir.path().join("board.json");
    std::fs::write(&data, "not json").unwrap();
    let output = crate::support::within(
        "kanban with a broken file",
        tokio::process::Command::new(env!("CARGO_BIN_EXE_kanban"))
            .arg("stdio")
            .arg("--data")
            .arg(&data)
            .stdin(std::process::Stdio::null())
            .kill_on_drop(true)
            .output(),
    )
    .await
    .expect("kanban runs");
    assert!(!output.status.success());
    assert!(output.stdout.is_empty(), "nothing but MCP goes to stdout");
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(stderr.contains("is not a board") && stderr.contains("move it away"), "{stderr}");
}
