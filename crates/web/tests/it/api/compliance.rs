//! The compliance export and the audit trail of playground calls.

use serde_json::{Value, json};
use switchboard_core::Role;
use switchboard_testkit::{DbKind, Reply, ToolCall};

use super::chat::Chat;
use super::{assert_problem, send};

async fn export(chat: &Chat, who: &switchboard_testkit::Signed, query: &str) -> (u16, String, Vec<Value>) {
    let response =
        who.client.get(chat.app.at(&format!("/api/v1/compliance/conversations{query}"))).send().await.expect("request");
    let status = response.status().as_u16();
    let kind = response.headers().get("content-type").and_then(|v| v.to_str().ok()).unwrap_or_default().to_owned();
    let body = response.text().await.expect("body");
    let lines = if status == 200 {
        body.lines().map(|l| serde_json::from_str(l).expect("each line is JSON")).collect()
    } else {
        vec![]
    };
    (status, kind, lines)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn conversations_export_as_ndjson_for_owners_admins_and_auditors() {
    let chat = Chat::start(DbKind::Sqlite).await;
    let admin = &chat.owner;
    let id = chat.conversation(admin, json!({"connectors": [chat.kanban_id]})).await;
    chat.model.push(Reply::tool_calls(vec![ToolCall::new("a", "kanban__list_tasks", json!({}))]));
    chat.model.push(Reply::text("Four tasks."));
    chat.say(admin, &id, "What is on the board?", "p").await.done();
    let member = chat.app.signed_in("member@example.com", Role::Member).await;
    let theirs = chat.conversation(&member, json!({})).await;
    chat.model.push(Reply::text("Hello."));
    chat.say(&member, &theirs, "Hi", "q").await.done();

    let (status, kind, lines) = export(&chat, admin, "").await;
    assert_eq!((status, kind.as_str()), (200, "application/x-ndjson"));
    assert_eq!(lines.len(), 2);
    let first = &lines[0];
    assert_eq!(first["id"], id.as_str());
    assert_eq!(first["owner_id"], admin.user.id.to_string());
    assert_eq!(first["messages"].as_array().map(Vec::len), Some(3), "{first}");
    let call = &first["tool_calls"][0];
    assert_eq!((call["tool"].as_str(), call["decision"].as_str()), (Some("list_tasks"), Some("auto_read")));
    assert!(call["result"]["structuredContent"]["tasks"].is_array(), "full output: {call}");

    let (_, _, only) = export(&chat, admin, &format!("?user={}", member.user.id)).await;
    assert_eq!(only.len(), 1);
    assert_eq!(only[0]["id"], theirs.as_str());
    let (_, _, none) = export(&chat, admin, "?since=2999-01-01T00:00:00Z").await;
    assert!(none.is_empty());
    let (_, _, none) = export(&chat, admin, "?until=2000-01-01T00:00:00Z").await;
    assert!(none.is_empty());

    let auditor = chat.app.signed_in("auditor@example.com", Role::Auditor).await;
    assert_eq!(export(&chat, &auditor, "").await.2.len(), 2);
    let refused = send(member.client.get(chat.app.at("/api/v1/compliance/conversations"))).await;
    assert_problem(&refused, 403, "insufficient_role");
    let bad = send(admin.client.get(chat.app.at("/api/v1/compliance/conversations?since=yesterday"))).await;
    assert_problem(&bad, 422, "invalid_input");
    let bad = send(admin.client.get(chat.app.at("/api/v1/compliance/conversations?user=nobody"))).await;
    assert_problem(&bad, 422, "invalid_input");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn playground_calls_are_in_the_audit_trail() {
    let chat = Chat::start(DbKind::Sqlite).await;
    let me = &chat.owner;
    let (status, _) = send(
        me.client
            .post(chat.app.at(&format!("/api/v1/connectors/{}/tools/create_task/call", chat.kanban_id)))
            .headers(me.csrf_headers())
            .json(&json!({"arguments": {"title": "By hand"}})),
    )
    .await;
    assert_eq!(status, 200);
    let trail = chat.app.store.audit_events(time::OffsetDateTime::UNIX_EPOCH, 10).await.expect("trail");
    let entry = trail.iter().find(|e| e.event.detail["source"] == "playground").expect("the call is audited");
    assert_eq!(entry.event.actor_id, Some(me.user.id));
    assert_eq!(entry.event.tool.as_deref(), Some("create_task"));
    assert_eq!(entry.event.status.as_deref(), Some("completed"));
    assert_eq!(entry.event.detail["arguments"], json!({"title": "By hand"}));
    assert_eq!(entry.event.detail["result"]["structuredContent"]["title"], "By hand");
    assert!(entry.event.latency_us.is_some_and(|us| us > 0));
}
