//! Calling the tools: what reads return, what writes change, how mistakes come back.

use serde_json::{Value, json};

use crate::support::{HttpServer, Lifecycle, call_err, call_ok, close, stdio_client};

fn ids(tasks: &Value) -> Vec<&str> {
    tasks.as_array().expect("an array").iter().map(|task| task["id"].as_str().expect("an id")).collect()
}

#[tokio::test]
async fn read_tools_show_the_example_board() {
    let client = stdio_client(None, Lifecycle::Initialize).await;

    let all = call_ok(&client, "list_tasks", json!({})).await;
    assert_eq!(ids(&all["tasks"]), ["T-1", "T-2", "T-3", "T-4"]);
    let doing = call_ok(&client, "list_tasks", json!({ "column": "doing" })).await;
    assert_eq!(ids(&doing["tasks"]), ["T-3"]);

    let task = call_ok(&client, "get_task", json!({ "id": "T-1" })).await;
    assert_eq!(
        task,
        json!({
            "id": "T-1",
            "title": "Draft the release notes",
            "description": "Summarise what changed since the last release, grouped by area.",
            "column": "todo",
            "url": "kanban://tasks/T-1",
        })
    );
    close(client).await;
}

#[tokio::test]
async fn search_and_fetch_have_the_company_knowledge_shapes() {
    let client = stdio_client(None, Lifecycle::Initialize).await;

    let found = call_ok(&client, "search", json!({ "query": "release notes" })).await;
    assert_eq!(
        found,
        json!({ "results": [{ "id": "T-1", "title": "Draft the release notes", "url": "kanban://tasks/T-1" }] })
    );
    let none = call_ok(&client, "search", json!({ "query": "no such words" })).await;
    assert_eq!(none, json!({ "results": [] }));

    let document = call_ok(&client, "fetch", json!({ "id": "T-3" })).await;
    assert_eq!(
        document,
        json!({
            "id": "T-3",
            "title": "Fix the login redirect loop",
            "text": "Fix the login redirect loop\n\nColumn: doing\n\n\
                Signing in from a deep link sends people back to the start page.",
            "url": "kanban://tasks/T-3",
            "metadata": { "column": "doing" },
        })
    );
    close(client).await;
}

/// Two HTTP clients share one board: what one writes, the other reads.
#[tokio::test]
async fn write_tools_change_the_shared_board() {
    let server = HttpServer::start(None).await;
    let writer = server.client(Lifecycle::Auto).await;
    let reader = server.client(Lifecycle::Initialize).await;

    let created =
        call_ok(&writer, "create_task", json!({ "title": " Plan the demo ", "description": "Ten minutes." })).await;
    assert_eq!(
        created,
        json!({
            "id": "T-5",
            "title": "Plan the demo",
            "description": "Ten minutes.",
            "column": "todo",
            "url": "kanban://tasks/T-5",
        })
    );
    assert_eq!(call_ok(&reader, "get_task", json!({ "id": "T-5" })).await["title"], "Plan the demo");

    let doing = call_ok(&writer, "create_task", json!({ "title": "Rehearse", "column": "doing" })).await;
    assert_eq!((doing["id"].as_str(), doing["column"].as_str()), (Some("T-6"), Some("doing")));

    for _ in 0..2 {
        let moved = call_ok(&writer, "move_task", json!({ "id": "T-5", "column": "done" })).await;
        assert_eq!(moved["column"], "done", "moving twice gives the same result");
    }
    let done = call_ok(&reader, "list_tasks", json!({ "column": "done" })).await;
    assert_eq!(ids(&done["tasks"]), ["T-4", "T-5"]);

    let deleted = call_ok(&writer, "delete_task", json!({ "id": "T-5" })).await;
    assert_eq!(deleted["deleted"]["title"], "Plan the demo");
    let gone = call_err(&reader, "get_task", json!({ "id": "T-5" })).await;
    assert_eq!(gone, "no task with id T-5: call list_tasks or search to see the ids that exist");
    let again = call_err(&writer, "delete_task", json!({ "id": "T-5" })).await;
    assert_eq!(again, gone, "deleting twice changes nothing more");

    close(writer).await;
    close(reader).await;
    server.stop().await;
}

/// Mistakes a caller can fix come back as tool results with `isError: true`, not as protocol
/// errors, and say what to do.
#[tokio::test]
async fn mistakes_come_back_as_tool_errors() {
    let client = stdio_client(None, Lifecycle::Initialize).await;
    let unknown = "no task with id T-99: call list_tasks or search to see the ids that exist";
    for (tool, arguments, expect) in [
        ("get_task", json!({ "id": "T-99" }), unknown),
        ("fetch", json!({ "id": "T-99" }), unknown),
        ("move_task", json!({ "id": "T-99", "column": "done" }), unknown),
        ("delete_task", json!({ "id": "T-99" }), unknown),
        ("move_task", json!({ "id": "T-1", "column": "backlog" }), "unknown column `backlog`: use todo, doing or done"),
        ("list_tasks", json!({ "column": "later" }), "unknown column `later`: use todo, doing or done"),
        ("get_task", json!({ "id": "42" }), "`42` is not a task id: ids look like T-1"),
        ("create_task", json!({ "title": "  " }), "the title is empty: give the task a short title"),
        ("create_task", json!({ "title": "x", "status": "done" }), "unknown field `status`"),
        ("move_task", json!({ "id": "T-1" }), "missing field `column`"),
    ] {
        let message = call_err(&client, tool, arguments.clone()).await;
        assert!(message.contains(expect), "{tool} {arguments}: {message}");
    }
    let all = call_ok(&client, "list_tasks", json!({})).await;
    assert_eq!(ids(&all["tasks"]), ["T-1", "T-2", "T-3", "T-4"], "nothing changed");
    close(client).await;
}
