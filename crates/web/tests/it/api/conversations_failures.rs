//! Conversations when things go wrong: invented calls, actions that disappear,
//! an upstream that dies mid-call, a provider that fails or cuts its stream,
//! the step limit, cancel.

use std::time::Duration;

use serde_json::json;
use switchboard_testkit::{DbKind, Reply, ToolCall};

use super::chat::Chat;
use super::{assert_plain_words, send};

const LIST: &str = "kanban__list_tasks";
const CREATE: &str = "kanban__create_task";

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn invented_calls_become_error_results_for_the_model() {
    let chat = Chat::start(DbKind::Sqlite).await;
    let me = &chat.owner;
    let id = chat.conversation(me, json!({"connectors": [chat.kanban_id]})).await;
    chat.model.push(Reply::tool_calls(vec![
        ToolCall::new("a", "kanban__drop_database", json!({})),
        ToolCall { id: "b".into(), name: "kanban__get_task".into(), arguments: "{\"id\": ".into() },
        ToolCall::new("c", "kanban__move_task", json!({"id": "T-1", "column": "archive"})),
    ]));
    chat.model.push(Reply::text("Sorry, those calls were wrong."));
    let turn = chat.say(me, &id, "Do things", "p").await;
    assert_eq!(turn.done()["reason"], "answered", "{:?}", turn.events);
    let statuses: Vec<String> = turn.results().into_iter().map(|(_, status, _)| status).collect();
    assert_eq!(statuses, ["invalid", "invalid", "invalid"]);
    assert!(turn.of("awaiting_approval").is_empty(), "an invalid write never waits for approval");
    let sent = chat.tool_results_sent();
    assert!(sent[0].starts_with("Error: there is no tool named \"kanban__drop_database\""), "{sent:?}");
    assert!(sent[1].starts_with("Error: the arguments are not valid JSON"), "{sent:?}");
    assert!(sent[2].starts_with("Error: the arguments do not match the tool's input schema: /column"), "{sent:?}");
    let detail = chat.detail(&id).await;
    assert_eq!(detail["tool_calls"][1]["arguments"], "{\"id\": ", "the raw text is kept: {detail}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_disabled_action_or_a_deleted_connector_can_no_longer_be_called() {
    let chat = Chat::start(DbKind::Sqlite).await;
    let me = &chat.owner;
    let id = chat.conversation(me, json!({"connectors": [chat.kanban_id, chat.notes_id]})).await;

    // Turned off mid-conversation: no longer offered, and refused when called anyway.
    let (status, _) = send(
        me.client
            .patch(chat.app.at(&format!("/api/v1/connectors/{}/tools/list_tasks", chat.kanban_id)))
            .headers(me.csrf_headers())
            .json(&json!({"enabled": false})),
    )
    .await;
    assert_eq!(status, 200);
    chat.model.push(Reply::tool_calls(vec![ToolCall::new("a", LIST, json!({}))]));
    chat.model.push(Reply::text("It is off."));
    let turn = chat.say(me, &id, "List the tasks", "p").await;
    assert!(!chat.offered(0).contains(&LIST.to_owned()), "{:?}", chat.offered(0));
    assert_eq!(turn.results(), [(LIST.to_owned(), "invalid".to_owned(), String::new())]);

    // Deleted while a write waits: approving it sends nothing.
    chat.model.push(Reply::tool_calls(vec![ToolCall::new("b", CREATE, json!({"title": "Orphan"}))]));
    let waiting = chat.say(me, &id, "Add a task", "p").await.waiting();
    let (status, _) = send(
        me.client.delete(chat.app.at(&format!("/api/v1/connectors/{}", chat.kanban_id))).headers(me.csrf_headers()),
    )
    .await;
    assert_eq!(status, 204);
    chat.model.push(Reply::text("The board is gone."));
    let turn = chat.decide(me, &id, &waiting, "approve", false, "p").await;
    assert_eq!(turn.results(), [(CREATE.to_owned(), "failed".to_owned(), "approved".to_owned())]);
    let result = &turn.of("tool_result")[0]["call"]["result"]["error"];
    assert!(result.as_str().is_some_and(|e| e.contains("no longer available")), "{result}");
    assert!(!chat.offered(chat.model.requests().len() - 1).iter().any(|n| n.starts_with("kanban__")));
    assert!(chat.board.url.starts_with("http"), "the board itself was never called");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_upstream_that_dies_mid_call_is_a_failed_result() {
    let mut chat = Chat::start(DbKind::Sqlite).await;
    let notes = chat.notes.take().expect("the notes server");
    let me = &chat.owner;
    let id = chat.conversation(me, json!({"connectors": [chat.notes_id]})).await;
    chat.model.push(Reply::tool_calls(vec![ToolCall::new("a", "pypi_notes__slow", json!({"seconds": 10}))]));
    chat.model.push(Reply::text("The server went away."));
    let (turn, ()) = tokio::join!(chat.say(me, &id, "Wait a bit", "p"), async move {
        tokio::time::sleep(Duration::from_millis(700)).await;
        drop(notes);
    });
    assert_eq!(turn.done()["reason"], "answered", "{:?}", turn.events);
    assert_eq!(turn.results(), [("pypi_notes__slow".to_owned(), "failed".to_owned(), "auto_read".to_owned())]);
    let sent = chat.tool_results_sent();
    assert!(sent[0].starts_with("Error: the MCP server PyPI notes failed"), "{sent:?}");
    assert_eq!(turn.text(), "The server went away.");

    // Read back: the call is closed as failed, the turn over, the audit chain whole.
    let detail = chat.detail(&id).await;
    assert_eq!(detail["state"], "idle", "{detail}");
    assert_eq!(detail["tool_calls"][0]["status"], "failed", "{detail}");
    let last = detail["messages"].as_array().and_then(|m| m.last()).cloned().unwrap_or_default();
    assert_eq!(last["content"], "The server went away.", "{detail}");
    chat.app.store.verify_audit_trail().await.expect("read the trail").expect("an intact audit chain");
}

/// A server that went away is told in plain words, in the thread and to the model:
/// whether the call fails on the kept session or on connecting anew.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_dead_upstream_is_told_in_plain_words_in_the_chat() {
    let mut chat = Chat::start(DbKind::Sqlite).await;
    let notes = chat.notes.take().expect("the notes server");
    let me = &chat.owner;
    let id = chat.conversation(me, json!({"connectors": [chat.notes_id]})).await;
    let lookup = |n: &str| ToolCall::new(n, "pypi_notes__lookup", json!({"key": "release"}));
    chat.model.push(Reply::tool_calls(vec![lookup("a")]));
    chat.model.push(Reply::text("Found it."));
    let turn = chat.say(me, &id, "Look it up", "p").await;
    assert_eq!(turn.results()[0].1, "completed", "{:?}", turn.events);
    drop(notes);

    for (n, when) in [("b", "on the kept session"), ("c", "connecting anew")] {
        chat.model.push(Reply::tool_calls(vec![lookup(n)]));
        chat.model.push(Reply::text("The server is gone."));
        let turn = chat.say(me, &id, "Look it up again", "p").await;
        assert_eq!(turn.results()[0].1, "failed", "{when}: {:?}", turn.events);
        let shown = turn.of("tool_result")[0]["call"]["result"]["error"].as_str().unwrap_or_default().to_owned();
        assert!(shown.contains("PyPI notes"), "{when}: names the connector: {shown}");
        // The connector's name is the admin's to choose: the rest must be plain words.
        assert_plain_words(&shown.replace("PyPI notes", "notes"));
        let sent = chat.tool_results_sent();
        assert_plain_words(&sent.last().expect("a result sent to the model").replace("PyPI notes", "notes"));
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn provider_failures_reach_the_user_and_lose_nothing() {
    let chat = Chat::start(DbKind::Sqlite).await;
    let me = &chat.owner;
    let id = chat.conversation(me, json!({"connectors": [chat.kanban_id]})).await;

    // A stream cut in the middle: what was said is kept, the turn ends, the next one works.
    chat.model.push(Reply::text("The board has four tasks, and the most urgent one is").cut_after(3));
    let turn = chat.say(me, &id, "Summarise the board", "p").await;
    let done = turn.done();
    assert_eq!((done["reason"].as_str(), done["state"].as_str()), (Some("failed"), Some("idle")));
    let error = &turn.of("error")[0];
    assert_eq!(error["code"], "provider");
    assert!(error["message"].as_str().is_some_and(|m| m.contains("ended before the answer was complete")), "{error}");
    let detail = chat.detail(&id).await;
    let roles: Vec<&str> =
        detail["messages"].as_array().expect("messages").iter().filter_map(|m| m["role"].as_str()).collect();
    assert_eq!(roles, ["user", "assistant", "error"], "{detail}");
    assert!(!turn.text().is_empty() && detail["messages"][1]["content"] == turn.text().as_str());

    // A refused key and a rate limit are said plainly (the limit after its retry).
    chat.model.push(Reply::status(401));
    let turn = chat.say(me, &id, "Again", "p").await;
    let message = turn.of("error")[0]["message"].as_str().unwrap_or_default().to_owned();
    assert!(message.contains("refused the API key"), "{message}");
    assert!(!message.contains("sk-scripted-test-key"), "the key never shows: {message}");
    chat.model.push(Reply::status(429).retry_after(0));
    chat.model.push(Reply::status(429).retry_after(0));
    let turn = chat.say(me, &id, "Again", "p").await;
    assert!(turn.of("error")[0]["message"].as_str().is_some_and(|m| m.contains("rate limiting")), "{:?}", turn.events);

    // Recovered: a normal answer, which the model gets with the whole history.
    chat.model.push(Reply::text("Four tasks."));
    let turn = chat.say(me, &id, "Once more", "p").await;
    assert_eq!(turn.text(), "Four tasks.");
    let users = chat.last_messages().iter().filter(|m| m["role"] == "user").count();
    assert_eq!(users, 4, "every message was kept");
    assert_eq!(chat.detail(&id).await["state"], "idle");
    chat.app.store.verify_audit_trail().await.expect("read the trail").expect("an intact audit chain");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_turn_stops_at_the_step_limit_and_can_be_cancelled() {
    let chat = Chat::start(DbKind::Sqlite).await;
    let me = &chat.owner;
    let id = chat.conversation(me, json!({"connectors": [chat.kanban_id, chat.notes_id]})).await;
    chat.model.respond_with(|_| Reply::tool_calls(vec![ToolCall::new("a", LIST, json!({}))]));
    let turn = chat.say(me, &id, "Loop forever", "p").await;
    assert_eq!(turn.done()["reason"], "step_limit", "{:?}", turn.events);
    assert_eq!(turn.of("tool_result").len(), 10);
    assert_eq!(chat.model.requests().len(), 10);
    assert_eq!(turn.of("error")[0]["code"], "step_limit");

    // Cancel while a call runs: the call finishes, no further step is taken.
    chat.model
        .respond_with(|_| Reply::tool_calls(vec![ToolCall::new("s", "pypi_notes__slow", json!({"seconds": 1.5}))]));
    let before = chat.model.requests().len();
    let cancel = async {
        tokio::time::sleep(Duration::from_millis(500)).await;
        send(me.client.post(chat.app.at(&format!("/api/v1/conversations/{id}/cancel"))).headers(me.csrf_headers()))
            .await
    };
    let (turn, (status, body)) = tokio::join!(chat.say(me, &id, "Wait", "p"), cancel);
    assert_eq!((status.as_u16(), body["state"].as_str()), (200, Some("running")), "{body}");
    assert_eq!(turn.done()["reason"], "cancelled", "{:?}", turn.events);
    assert_eq!(turn.results(), [("pypi_notes__slow".to_owned(), "completed".to_owned(), "auto_read".to_owned())]);
    assert_eq!(chat.model.requests().len(), before + 1, "no step after the cancel");
    assert_eq!(chat.detail(&id).await["state"], "idle");
}
