//! Widgets through the API, with our widgets server (PyPI `mcp`) as the app: the
//! document a call's widget is served as (its policy, its data), a widget's tool
//! calls checked like the model's (its own app's tools only, turned on, fitting the
//! schema, writes only after the owner approves, decided once), the state it keeps,
//! resources that cannot be widgets, and other people kept out.

use serde_json::{Value, json};
use switchboard_core::Role;
use switchboard_testkit::peers::PeerProcess;
use switchboard_testkit::{DbKind, Reply, ToolCall};

use super::chat::Chat;
use super::{on_both_backends, send};

/// What the widgets server was asked to run, by tool name.
fn executed(file: &std::path::Path) -> Vec<String> {
    std::fs::read_to_string(file)
        .unwrap_or_default()
        .lines()
        .filter_map(|l| serde_json::from_str::<Value>(l).ok())
        .filter_map(|v| v["tool"].as_str().map(str::to_owned))
        .collect()
}

/// A conversation of the owner's over `apps` in which the model called `tool`; its
/// id and the call's id.
async fn with_call(chat: &Chat, apps: &[&str], tool: &str, mode: &str) -> (String, String) {
    let id = chat.conversation(&chat.owner, json!({"connectors": apps, "mode": mode})).await;
    chat.model.push(Reply::tool_calls(vec![ToolCall::new("c1", tool, json!({}))]));
    chat.model.push(Reply::text("Here it is."));
    let turn = chat.say(&chat.owner, &id, "Show me", "page-1").await;
    assert_eq!(turn.done()["reason"], "answered", "{:?}", turn.events);
    let detail = chat.detail(&id).await;
    let call = detail["tool_calls"][0]["id"].as_str().expect("a call").to_owned();
    (id, call)
}

mod a_widget_is_served_and_its_calls_are_checked {
    use super::*;

    pub(super) async fn run(kind: DbKind) {
        let chat = Chat::start(kind).await;
        let dir = tempfile::tempdir().expect("tempdir");
        let record = dir.path().join("executed.jsonl");
        let server = PeerProcess::widgets(&record);
        let board = chat.connector("Board", &server.url).await;
        let me = &chat.owner;
        let (id, call) = with_call(&chat, &[&board, &chat.kanban_id], "board__show_board", "default").await;

        // The model never sees the tool the server keeps for its widget.
        let offered = chat.offered(0);
        assert!(offered.contains(&"board__show_board".to_owned()), "{offered:?}");
        assert!(!offered.iter().any(|n| n.contains("board_secret")), "{offered:?}");
        let detail = chat.detail(&id).await;
        assert_eq!(detail["tool_calls"][0]["widget"], "apps_sdk", "{detail}");

        // The document: the component as its server sent it, with window.openai and
        // the call's data first, under a policy of the declared domains only.
        let page = me.client.get(chat.app.at(&format!("/widgets/{id}/{call}"))).send().await.expect("widget");
        assert_eq!(page.status(), 200);
        let header = |name: &str| page.headers().get(name).and_then(|v| v.to_str().ok()).unwrap_or("").to_owned();
        let policy = header("content-security-policy");
        assert!(policy.contains("connect-src https://api.example.com;"), "{policy}");
        assert!(policy.contains("script-src 'unsafe-inline' https://cdn.example.com;"), "{policy}");
        assert!(policy.contains("sandbox allow-scripts allow-forms"), "{policy}");
        assert!(policy.contains("frame-ancestors 'self'"), "{policy}");
        assert_eq!(header("x-frame-options"), "SAMEORIGIN");
        let html = page.text().await.expect("html");
        let boot = html.find("window.__switchboardWidget=").expect("the component's data");
        assert!(boot < html.find("<title>Board</title>").expect("the component"), "first in <head>");
        assert!(html.contains("\"tasks\":[\"Write the release notes\""), "toolOutput: {}", &html[boot..boot + 300]);
        assert!(html.contains("window.openai = openai"), "the shim");

        let calls = |body: Value| {
            me.client
                .post(chat.app.at(&format!("/api/v1/conversations/{id}/tool-calls/{call}/widget/calls")))
                .headers(me.csrf_headers())
                .json(&body)
        };
        // A tool kept from the model is the widget's to call.
        let (status, secret) = send(calls(json!({"name": "board_secret"}))).await;
        assert_eq!(status, 200, "{secret}");
        assert_eq!(secret["result"]["structuredContent"]["secret"], "only-for-the-widget");
        assert_eq!(secret["decision"], "auto_read");

        // A write waits for the owner, whatever the widget asked; nothing ran.
        let (status, write) = send(calls(json!({"name": "add_task", "arguments": {"title": "Ship it"}}))).await;
        assert_eq!(status, 202, "{write}");
        assert_eq!(write["status"], "awaiting_approval");
        assert!(!executed(&record).contains(&"add_task".to_owned()), "{:?}", executed(&record));
        let listed = send(me.client.get(chat.app.at(&format!("/api/v1/conversations/{id}/widget-calls")))).await.1;
        assert_eq!(listed.as_array().map(Vec::len), Some(2), "{listed}");
        let decision = |who: &switchboard_testkit::Signed, body: Value| {
            who.client
                .post(chat.app.at(&format!(
                    "/api/v1/conversations/{id}/widget-calls/{}/decision",
                    write["id"].as_str().expect("id")
                )))
                .headers(who.csrf_headers())
                .json(&body)
        };
        let other = chat.app.signed_in("mallory@example.com", Role::Admin).await;
        let (status, _) = send(decision(&other, json!({"decision": "approve"}))).await;
        assert_eq!(status, 404, "someone else's conversation is not found");
        let (status, approved) = send(decision(me, json!({"decision": "approve"}))).await;
        assert_eq!(status, 200, "{approved}");
        assert_eq!(approved["status"], "completed");
        assert_eq!(approved["decision"], "approved");
        assert!(approved["result"]["structuredContent"]["tasks"].to_string().contains("Ship it"), "{approved}");
        assert_eq!(executed(&record).iter().filter(|t| *t == "add_task").count(), 1);
        // The compliance export holds the widget's calls with the model's.
        let export = me.client.get(chat.app.at("/api/v1/compliance/conversations")).send().await.expect("export");
        let export = export.text().await.expect("ndjson");
        let line = export.lines().find(|l| l.contains(&id)).expect("the conversation is exported");
        let line: Value = serde_json::from_str(line).expect("json");
        let exported = line["widget_calls"].as_array().cloned().unwrap_or_default();
        assert!(exported.iter().any(|c| c["tool"] == "add_task" && c["decision"] == "approved"), "{exported:?}");
        let (status, again) = send(decision(me, json!({"decision": "deny"}))).await;
        assert_eq!(status, 409, "decided once: {again}");

        // Only the widget's own app, turned on, with arguments that fit.
        let (status, other_app) = send(calls(json!({"name": "list_tasks"}))).await;
        assert_eq!(status, 404, "another app's tool: {other_app}");
        let (status, bad) = send(calls(json!({"name": "add_task", "arguments": {"title": 7}}))).await;
        assert_eq!(status, 422, "{bad}");
        let (status, _) = send(calls(json!({"name": "add_task", "arguments": "nope"}))).await;
        assert_eq!(status, 422);
        let off = me
            .client
            .patch(chat.app.at(&format!("/api/v1/connectors/{board}/tools/switched_off")))
            .headers(me.csrf_headers())
            .json(&json!({"enabled": false}));
        assert_eq!(send(off).await.0, 200);
        let (status, disabled) = send(calls(json!({"name": "switched_off"}))).await;
        assert_eq!(status, 409, "{disabled}");
        assert!(!executed(&record).contains(&"switched_off".to_owned()));

        // The state a widget keeps comes back with its document; at most 64 KiB.
        let state = |body: Value| {
            me.client
                .put(chat.app.at(&format!("/api/v1/conversations/{id}/tool-calls/{call}/widget/state")))
                .headers(me.csrf_headers())
                .json(&body)
        };
        assert_eq!(send(state(json!({"state": {"count": 2}}))).await.0, 204);
        let html = me.client.get(chat.app.at(&format!("/widgets/{id}/{call}"))).send().await.expect("widget");
        assert!(html.text().await.expect("html").contains("\"widgetState\":{\"count\":2}"));
        let (status, _) = send(state(json!({"state": {"blob": "x".repeat(70_000)}}))).await;
        assert_eq!(status, 422);

        // Someone else finds nothing: no document, no calls, no state.
        let page = other.client.get(chat.app.at(&format!("/widgets/{id}/{call}"))).send().await.expect("widget");
        assert_eq!(page.status(), 404);
        assert!(page.text().await.expect("html").contains("cannot be shown"));
        let theirs = other
            .client
            .post(chat.app.at(&format!("/api/v1/conversations/{id}/tool-calls/{call}/widget/calls")))
            .headers(other.csrf_headers())
            .json(&json!({"name": "board_secret"}));
        assert_eq!(send(theirs).await.0, 404);
        assert_eq!(executed(&record).iter().filter(|t| *t == "board_secret").count(), 1);

        // A call whose tool links no widget has none.
        let (plain_id, plain) = with_call(&chat, &[&chat.kanban_id], "kanban__list_tasks", "default").await;
        let page = me.client.get(chat.app.at(&format!("/widgets/{plain_id}/{plain}"))).send().await.expect("page");
        assert_eq!(page.status(), 404);
    }
}

mod resources_that_are_not_widgets_are_refused {
    use super::*;

    pub(super) async fn run(kind: DbKind) {
        let chat = Chat::start(kind).await;
        let dir = tempfile::tempdir().expect("tempdir");
        let server = PeerProcess::widgets(&dir.path().join("executed.jsonl"));
        let board = chat.connector("Board", &server.url).await;
        let me = &chat.owner;
        for (tool, status, says) in
            [("board__not_html", 409, "not HTML"), ("board__huge", 502, "Switchboard accepts at most 2097152")]
        {
            let (id, call) = with_call(&chat, &[&board], tool, "default").await;
            let page = me.client.get(chat.app.at(&format!("/widgets/{id}/{call}"))).send().await.expect("widget");
            assert_eq!(page.status(), status, "{tool}");
            let policy = page.headers()["content-security-policy"].to_str().expect("policy").to_owned();
            assert!(policy.starts_with("default-src 'none'") && policy.ends_with("sandbox"), "{policy}");
            let text = page.text().await.expect("html");
            assert!(text.contains(says), "{tool}: {text}");
        }

        // In a read-only conversation a widget's write is refused outright.
        let (id, call) = with_call(&chat, &[&board], "board__show_board", "read_only").await;
        let (status, refused) = send(
            me.client
                .post(chat.app.at(&format!("/api/v1/conversations/{id}/tool-calls/{call}/widget/calls")))
                .headers(me.csrf_headers())
                .json(&json!({"name": "add_task", "arguments": {"title": "x"}})),
        )
        .await;
        assert_eq!(status, 403, "{refused}");
        assert_eq!(refused["code"], "tool_not_in_mode");
    }
}

on_both_backends!(a_widget_is_served_and_its_calls_are_checked, resources_that_are_not_widgets_are_refused);
