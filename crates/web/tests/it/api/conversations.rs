//! Conversations with the scripted model over two real MCP servers at once: the
//! Kanban example and a PyPI `mcp` server.

use serde_json::{Value, json};
use switchboard_core::Role;
use switchboard_core::tool_names;
use switchboard_testkit::{DbKind, Reply, ToolCall};

use super::chat::Chat;
use super::{assert_problem, on_both_backends, send};

const LIST: &str = "kanban__list_tasks";
const CREATE: &str = "kanban__create_task";
const LOOKUP: &str = "pypi_notes__lookup";
const NOTE: &str = "pypi_notes__record_note";

fn call(id: &str, name: &str, arguments: Value) -> ToolCall {
    ToolCall::new(id, name, arguments)
}

mod reads_writes_and_decisions {
    use super::*;

    pub(super) async fn run(kind: DbKind) {
        let chat = Chat::start(kind).await;
        let me = &chat.owner;
        let id = chat.conversation(me, json!({"connectors": [chat.kanban_id, chat.notes_id]})).await;

        // One prompt, two connectors, two reads in parallel.
        chat.model.push(
            Reply::tool_calls(vec![call("c1", LIST, json!({})), call("c2", LOOKUP, json!({"key": "release"}))])
                .with_text("Let me look. "),
        );
        chat.model.push(Reply::text("The board is empty and the release record is there."));
        let turn = chat.say(me, &id, "What is on the board, and what do we know about the release?", "page-1").await;
        assert_eq!(turn.done()["reason"], "answered", "{:?}", turn.events);
        assert_eq!(turn.of("tool_call_proposed").len(), 2);
        let mut results = turn.results();
        results.sort();
        assert_eq!(
            results,
            [
                (LIST.into(), "completed".into(), "auto_read".into()),
                (LOOKUP.into(), "completed".into(), "auto_read".into())
            ]
        );
        assert_eq!(turn.text(), "Let me look. The board is empty and the release record is there.");

        // What the model was offered and sent back.
        let offered = chat.offered(0);
        for name in [LIST, CREATE, LOOKUP, NOTE, "kanban__search", "kanban__fetch", "pypi_notes__slow"] {
            assert!(offered.iter().any(|o| o == name), "{name} offered: {offered:?}");
        }
        assert!(offered.iter().all(|n| tool_names::is_valid(n)), "{offered:?}");
        let sent = chat.tool_results_sent();
        assert_eq!(sent.len(), 2, "{sent:?}");
        assert!(
            sent.iter().any(|s| s.starts_with("[Output of tool \"lookup\" from connector \"PyPI notes\"")
                && s.contains("untrusted")
                && s.contains("release")),
            "{sent:?}"
        );

        // A write waits; nothing else may happen meanwhile.
        chat.model.push(Reply::tool_calls(vec![call("c3", CREATE, json!({"title": "Ship it", "column": "doing"}))]));
        let turn = chat.say(me, &id, "Add a task to ship it.", "page-1").await;
        assert_eq!(turn.done()["state"], "awaiting_approval");
        let waiting = turn.waiting();
        let pending = &turn.of("awaiting_approval")[0]["call"];
        assert_eq!(
            (pending["connector_name"].as_str(), pending["tool"].as_str()),
            (Some("Kanban"), Some("create_task"))
        );
        assert_eq!(pending["arguments"], json!({"title": "Ship it", "column": "doing"}));
        assert_eq!(chat.detail(&id).await["state"], "awaiting_approval");
        let busy = chat.say(me, &id, "hello?", "page-1").await;
        assert_eq!(busy.status, 409, "{}", busy.body);

        // Another user may not decide (for them the conversation does not exist); the owner approves once.
        let other = chat.app.signed_in("other@example.com", Role::Admin).await;
        let refused = chat.decide(&other, &id, &waiting, "approve", false, "page-9").await;
        assert_eq!(refused.status, 404, "{}", refused.body);
        chat.model.push(Reply::text("Created T-1."));
        let turn = chat.decide(me, &id, &waiting, "approve", false, "page-1").await;
        assert_eq!(turn.done()["reason"], "answered", "{:?}", turn.events);
        assert_eq!(turn.results(), [(CREATE.into(), "completed".into(), "approved".into())]);
        assert_eq!(turn.of("tool_result")[0]["call"]["result"]["structuredContent"]["title"], "Ship it");
        let again = chat.decide(me, &id, &waiting, "approve", false, "page-1").await;
        assert_eq!(again.status, 409, "decided once: {}", again.body);
        let unknown = chat.decide(me, &id, &uuid::Uuid::new_v4().to_string(), "approve", false, "page-1").await;
        assert_eq!(unknown.status, 409, "{}", unknown.body);

        // A denial goes back to the model as the result.
        chat.model.push(Reply::tool_calls(vec![call("c4", NOTE, json!({"text": "shipped"}))]));
        let turn = chat.say(me, &id, "Note that it shipped.", "page-1").await;
        let waiting = turn.waiting();
        chat.model.push(Reply::text("Understood, no note."));
        let turn = chat.decide(me, &id, &waiting, "deny", false, "page-1").await;
        assert_eq!(turn.results(), [(NOTE.into(), "denied".into(), "denied".into())]);
        assert_eq!(turn.text(), "Understood, no note.");
        let sent = chat.tool_results_sent();
        assert!(sent.last().is_some_and(|s| s.contains("the user denied")), "{sent:?}");

        // Remembered: the same tool in this conversation and page session runs without asking.
        chat.model.push(Reply::tool_calls(vec![call("c5", CREATE, json!({"title": "Second"}))]));
        let waiting = chat.say(me, &id, "Add a second task.", "page-1").await.waiting();
        chat.model.push(Reply::tool_calls(vec![call("c6", CREATE, json!({"title": "Third"}))]));
        chat.model.push(Reply::text("Added both."));
        let turn = chat.decide(me, &id, &waiting, "approve", true, "page-1").await;
        assert_eq!(turn.done()["reason"], "answered", "{:?}", turn.events);
        assert_eq!(
            turn.results(),
            [
                (CREATE.into(), "completed".into(), "approved".into()),
                (CREATE.into(), "completed".into(), "remembered".into())
            ]
        );
        assert!(turn.of("awaiting_approval").is_empty());
        // A new page session asks again; so does a new conversation.
        chat.model.push(Reply::tool_calls(vec![call("c7", CREATE, json!({"title": "Fourth"}))]));
        let turn = chat.say(me, &id, "One more.", "page-2").await;
        let waiting = turn.waiting();
        chat.model.push(Reply::text("Not added."));
        chat.decide(me, &id, &waiting, "deny", false, "page-2").await.done();
        let fresh = chat.conversation(me, json!({"connectors": [chat.kanban_id]})).await;
        chat.model.push(Reply::tool_calls(vec![call("c8", CREATE, json!({"title": "Fifth"}))]));
        let turn = chat.say(me, &fresh, "Add a task.", "page-1").await;
        assert_eq!(turn.done()["state"], "awaiting_approval");
        let cancelled = send(
            me.client.post(chat.app.at(&format!("/api/v1/conversations/{fresh}/cancel"))).headers(me.csrf_headers()),
        )
        .await;
        assert_eq!(cancelled.1["state"], "idle", "{}", cancelled.1);
        let calls = chat.detail(&fresh).await["tool_calls"].clone();
        assert_eq!(calls[0]["status"], "cancelled", "{calls}");

        // The board has exactly the approved and remembered tasks.
        let (_, listed) = send(
            me.client
                .post(chat.app.at(&format!("/api/v1/connectors/{}/tools/list_tasks/call", chat.kanban_id)))
                .headers(me.csrf_headers())
                .json(&json!({"arguments": {}})),
        )
        .await;
        let titles: Vec<&str> = listed["result"]["structuredContent"]["tasks"]
            .as_array()
            .into_iter()
            .flatten()
            .filter_map(|t| t["title"].as_str())
            .collect();
        for title in ["Ship it", "Second", "Third"] {
            assert!(titles.contains(&title), "{title} was approved or remembered: {titles:?}");
        }
        for title in ["Fourth", "Fifth"] {
            assert!(!titles.contains(&title), "{title} was denied or cancelled: {titles:?}");
        }

        // Everything is stored: messages, calls with input and output, decisions.
        let detail = chat.detail(&id).await;
        assert_eq!(detail["title"], "What is on the board, and what do we know about the release?");
        let calls = detail["tool_calls"].as_array().expect("calls");
        assert_eq!(calls.len(), 7, "{calls:?}");
        assert!(calls.iter().all(|c| c["status"] != "running" && c["status"] != "awaiting_approval"));
        let approved = calls.iter().find(|c| c["decision"] == "approved").expect("an approved call");
        assert_eq!(approved["decided_by"], me.user.id.to_string());
        let remembered = calls.iter().find(|c| c["decision"] == "remembered").expect("a remembered call");
        assert_eq!(remembered["decided_by"], me.user.id.to_string(), "a remembered choice is the owner's");
        assert!(approved["exchange"].is_array(), "{approved}");
        assert!(approved["latency_ms"].as_f64().is_some());

        // The audit trail has every call and decision.
        let trail = chat.app.store.audit_events(time::OffsetDateTime::UNIX_EPOCH, 100).await.expect("trail");
        let kinds = |kind: &str, decision: &str| {
            trail
                .iter()
                .filter(|e| e.event.kind.as_str() == kind && e.event.decision.map(|d| d.as_str()) == Some(decision))
                .count()
        };
        assert_eq!(kinds("tool_call", "auto_read"), 2);
        assert_eq!(kinds("tool_call", "approved"), 2);
        assert_eq!(kinds("tool_call", "remembered"), 1);
        assert_eq!(kinds("tool_call", "denied"), 2);
        assert_eq!(kinds("decision", "approved"), 2);
        assert_eq!(kinds("decision", "denied"), 2);
        assert!(
            trail.iter().filter(|e| e.event.kind.as_str() == "decision").all(|e| e.event.actor_id == Some(me.user.id))
        );
    }
}

mod read_only_and_knowledge {
    use super::*;

    pub(super) async fn run(kind: DbKind) {
        let chat = Chat::start(kind).await;
        let me = &chat.owner;

        // Read-only: no write is offered, and one the model invents is not run.
        let id =
            chat.conversation(me, json!({"connectors": [chat.kanban_id, chat.notes_id], "mode": "read_only"})).await;
        chat.model.push(Reply::tool_calls(vec![call("c1", CREATE, json!({"title": "Sneaky"}))]));
        chat.model.push(Reply::text("I can only read here."));
        let turn = chat.say(me, &id, "Add a task", "page-1").await;
        let offered = chat.offered(0);
        assert!(offered.contains(&LIST.to_owned()) && offered.contains(&LOOKUP.to_owned()), "{offered:?}");
        assert!(!offered.iter().any(|n| n == CREATE || n == NOTE || n.ends_with("delete_task")), "{offered:?}");
        assert_eq!(turn.results(), [(CREATE.into(), "invalid".into(), "".into())]);
        assert!(turn.of("awaiting_approval").is_empty());
        assert!(chat.tool_results_sent()[0].contains("there is no tool named"), "{:?}", chat.tool_results_sent());

        // Knowledge: search and fetch of every connector offering both, citing what was fetched.
        let (_, made) = send(
            me.client
                .post(chat.app.at(&format!("/api/v1/connectors/{}/tools/create_task/call", chat.kanban_id)))
                .headers(me.csrf_headers())
                .json(&json!({"arguments": {"title": "Quarterly report", "description": "Due Friday"}})),
        )
        .await;
        let task = made["result"]["structuredContent"]["id"].as_str().expect("task id").to_owned();
        let id = chat.conversation(me, json!({"mode": "knowledge"})).await;
        let before = chat.model.requests().len();
        chat.model.push(Reply::tool_calls(vec![call("k1", "kanban__search", json!({"query": "report"}))]));
        chat.model.push(Reply::tool_calls(vec![call("k2", "kanban__fetch", json!({"id": task}))]));
        chat.model.push(Reply::text("The report is due Friday [Quarterly report](kanban://tasks/T-1)."));
        let turn = chat.say(me, &id, "When is the quarterly report due?", "page-1").await;
        let mut offered = chat.offered(before);
        offered.sort();
        assert_eq!(offered, ["kanban__fetch", "kanban__search"]);
        let done = turn.done();
        assert_eq!(done["citations"][0]["id"], task.as_str(), "{done}");
        assert_eq!(done["citations"][0]["title"], "Quarterly report");
        assert!(done["citations"][0]["url"].as_str().is_some_and(|u| u.starts_with("kanban://")), "{done}");
        let system = &chat.model.requests()[before].body["messages"][0];
        assert!(system["content"].as_str().is_some_and(|s| s.contains("cite")), "{system}");
    }
}

on_both_backends!(reads_writes_and_decisions, read_only_and_knowledge);

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn requests_that_cannot_be_served_are_refused_clearly() {
    let chat = Chat::start(DbKind::Sqlite).await;
    let me = &chat.owner;
    let post = |path: &str, body: Value| me.client.post(chat.app.at(path)).headers(me.csrf_headers()).json(&body);
    assert_problem(
        &send(post("/api/v1/conversations", json!({"connectors": [uuid::Uuid::new_v4()]}))).await,
        404,
        "not_found",
    );
    assert_problem(&send(post("/api/v1/conversations", json!({"mode": "research"}))).await, 422, "invalid_input");
    let id = chat.conversation(me, json!({"connectors": [chat.kanban_id]})).await;
    let path = format!("/api/v1/conversations/{id}/messages");
    assert_problem(&send(post(&path, json!({"content": " ", "client_session": "p"}))).await, 422, "invalid_input");
    assert_problem(&send(post(&path, json!({"content": "hi"}))).await, 422, "invalid_input");
    assert_problem(
        &send(post(&path, json!({"content": "x".repeat(70_000), "client_session": "p"}))).await,
        422,
        "invalid_input",
    );
    let raw = me
        .client
        .post(chat.app.at(&path))
        .headers(me.csrf_headers())
        .header("content-type", "application/json")
        .body("{\"content\":");
    assert_problem(&send(raw).await, 400, "invalid_json");
    assert_problem(&send(me.client.get(chat.app.at("/api/v1/conversations/not-an-id"))).await, 404, "not_found");

    // Another user's conversation does not exist for them.
    let member = chat.app.signed_in("member@example.com", Role::Member).await;
    assert_problem(
        &send(member.client.get(chat.app.at(&format!("/api/v1/conversations/{id}")))).await,
        404,
        "not_found",
    );
    let turn = chat.say(&member, &id, "hi", "p").await;
    assert_eq!(turn.status, 404, "{}", turn.body);
    assert!(chat.model.requests().is_empty(), "nothing reached the model");
}

/// A choice remembered for a write action holds for the definition of the tool it
/// was made on: once a refresh changes the tool's description, schema or
/// annotations, the owner is asked again.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_remembered_choice_ends_when_the_tool_changes() {
    let chat = Chat::start(DbKind::Sqlite).await;
    let me = &chat.owner;
    let id = chat.conversation(me, json!({"connectors": [chat.notes_id]})).await;
    let note = |n: usize| call(&format!("n{n}"), NOTE, json!({"text": format!("note {n}")}));

    // Approved and remembered; the same definition then runs without asking.
    chat.model.push(Reply::tool_calls(vec![note(1)]));
    let waiting = chat.say(me, &id, "Note it.", "page-1").await.waiting();
    chat.model.push(Reply::text("Noted."));
    chat.decide(me, &id, &waiting, "approve", true, "page-1").await.done();
    chat.model.push(Reply::tool_calls(vec![note(2)]));
    chat.model.push(Reply::text("Noted again."));
    let turn = chat.say(me, &id, "And again.", "page-1").await;
    assert_eq!(turn.results(), [(NOTE.into(), "completed".into(), "remembered".into())]);

    let mut tools = super::chat::notes_tools();
    for (n, field) in ["description", "inputSchema", "annotations"].into_iter().enumerate() {
        let record_note = tools.as_array_mut().and_then(|a| a.iter_mut().find(|t| t["name"] == "record_note"));
        let record_note = record_note.expect("record_note");
        match field {
            "description" => {
                record_note["description"] = json!("Use this to save a note. It also emails the note to everyone.");
            }
            "inputSchema" => record_note["inputSchema"]["properties"]["cc"] = json!({"type": "string"}),
            _ => record_note["annotations"]["destructiveHint"] = json!(true),
        }
        std::fs::write(&chat.notes_tools, tools.to_string()).expect("rewrite the tool file");
        let (status, diff) = send(
            me.client
                .post(chat.app.at(&format!("/api/v1/connectors/{}/refresh", chat.notes_id)))
                .headers(me.csrf_headers()),
        )
        .await;
        assert_eq!(status, 200, "{diff}");
        assert_eq!(diff["changed"][0]["tool"], "record_note", "{diff}");

        // The changed tool asks again, although a choice was remembered for it.
        chat.model.push(Reply::tool_calls(vec![note(n + 3)]));
        let turn = chat.say(me, &id, "Note it once more.", "page-1").await;
        assert!(turn.results().is_empty(), "after a change of {field}, nothing ran: {:?}", turn.events);
        let waiting = turn.waiting();
        // Remembered again, for the new definition.
        chat.model.push(Reply::text("Noted."));
        let decided = chat.decide(me, &id, &waiting, "approve", true, "page-1").await;
        assert_eq!(decided.results(), [(NOTE.into(), "completed".into(), "approved".into())], "{field}");
    }
    chat.model.push(Reply::tool_calls(vec![note(9)]));
    chat.model.push(Reply::text("Noted without asking."));
    let turn = chat.say(me, &id, "Last one.", "page-1").await;
    assert_eq!(turn.results(), [(NOTE.into(), "completed".into(), "remembered".into())]);
}

/// A remembered choice is listed for its page session only and can be revoked:
/// the next call asks again. Only the owner may list or revoke.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_remembered_choice_is_listed_and_can_be_revoked() {
    let chat = Chat::start(DbKind::Sqlite).await;
    let me = &chat.owner;
    let id = chat.conversation(me, json!({"connectors": [chat.notes_id]})).await;
    let note = |n: usize| call(&format!("n{n}"), NOTE, json!({"text": format!("note {n}")}));
    let list = |session: &str| {
        me.client.get(chat.app.at(&format!("/api/v1/conversations/{id}/remembered?client_session={session}")))
    };
    let forget = |body: Value| {
        me.client
            .post(chat.app.at(&format!("/api/v1/conversations/{id}/remembered/forget")))
            .headers(me.csrf_headers())
            .json(&body)
    };
    let (status, none) = send(list("page-1")).await;
    assert_eq!((status.as_u16(), none), (200, json!([])));

    chat.model.push(Reply::tool_calls(vec![note(1)]));
    let waiting = chat.say(me, &id, "Note it.", "page-1").await.waiting();
    chat.model.push(Reply::text("Noted."));
    chat.decide(me, &id, &waiting, "approve", true, "page-1").await.done();
    let (status, listed) = send(list("page-1")).await;
    assert_eq!(status, 200, "{listed}");
    assert_eq!(listed.as_array().map(Vec::len), Some(1), "{listed}");
    assert_eq!(
        (&listed[0]["connector_id"], &listed[0]["tool"], &listed[0]["decision"]),
        (&json!(chat.notes_id), &json!("record_note"), &json!("approve"))
    );
    let (_, other_page) = send(list("page-2")).await;
    assert_eq!(other_page, json!([]), "another page load remembers nothing");
    assert_problem(&send(list("")).await, 422, "invalid_input");

    // Someone else may neither see nor revoke it; bad requests change nothing.
    let other = chat.app.signed_in("other@example.com", Role::Admin).await;
    let theirs =
        send(other.client.get(chat.app.at(&format!("/api/v1/conversations/{id}/remembered?client_session=page-1"))))
            .await;
    assert_problem(&theirs, 404, "not_found");
    let body = json!({"connector_id": chat.notes_id, "tool": "record_note", "client_session": "page-1"});
    let theirs = send(
        other
            .client
            .post(chat.app.at(&format!("/api/v1/conversations/{id}/remembered/forget")))
            .headers(other.csrf_headers())
            .json(&body),
    )
    .await;
    assert_problem(&theirs, 404, "not_found");
    let missing = uuid::Uuid::now_v7();
    let unknown = send(
        me.client
            .post(chat.app.at(&format!("/api/v1/conversations/{missing}/remembered/forget")))
            .headers(me.csrf_headers())
            .json(&body),
    )
    .await;
    assert_problem(&unknown, 404, "not_found");
    let malformed = send(
        me.client
            .post(chat.app.at(&format!("/api/v1/conversations/{id}/remembered/forget")))
            .headers(me.csrf_headers())
            .header("content-type", "application/json")
            .body("{\"tool\": "),
    )
    .await;
    assert_problem(&malformed, 400, "invalid_json");
    let wrong_page = json!({"connector_id": chat.notes_id, "tool": "record_note", "client_session": "page-2"});
    assert_problem(&send(forget(wrong_page)).await, 404, "not_found");
    let (_, still) = send(list("page-1")).await;
    assert_eq!(still.as_array().map(Vec::len), Some(1));

    // Revoked: the next call of the action asks again.
    let (status, _) = send(forget(body.clone())).await;
    assert_eq!(status, 204);
    assert_eq!(send(list("page-1")).await.1, json!([]));
    assert_problem(&send(forget(body)).await, 404, "not_found");
    chat.model.push(Reply::tool_calls(vec![note(2)]));
    let turn = chat.say(me, &id, "And again.", "page-1").await;
    assert!(turn.results().is_empty(), "nothing ran without asking: {:?}", turn.events);
    // Exactly one call waits for a decision.
    turn.waiting();
}

/// Deciding a call of someone else's conversation answers exactly as for a
/// conversation that does not exist: the id tells nobody that it is in use.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn deciding_a_call_of_another_persons_conversation_is_not_found() {
    let chat = Chat::start(DbKind::Sqlite).await;
    let me = &chat.owner;
    let id = chat.conversation(me, json!({"connectors": [chat.kanban_id]})).await;
    chat.model.push(Reply::tool_calls(vec![call("w1", CREATE, json!({"title": "Mine"}))]));
    let waiting = chat.say(me, &id, "Add a task.", "page-1").await.waiting();

    let other = chat.app.signed_in("other@example.com", Role::Admin).await;
    let decide = async |conversation: &str, call: &str| {
        let response = other
            .client
            .post(chat.app.at(&format!("/api/v1/conversations/{conversation}/tool-calls/{call}/decision")))
            .headers(other.csrf_headers())
            .json(&json!({"decision": "approve", "remember": false, "client_session": "page-9"}));
        send(response).await
    };
    let unknown = decide(&uuid::Uuid::new_v4().to_string(), &waiting).await;
    assert_problem(&unknown, 404, "not_found");
    let theirs = decide(&id, &waiting).await;
    assert_eq!(theirs, unknown, "another person's conversation answers as an unknown one");
    let theirs_unknown_call = decide(&id, &uuid::Uuid::new_v4().to_string()).await;
    assert_eq!(theirs_unknown_call, unknown);

    // The call still waits for its owner.
    assert_eq!(chat.detail(&id).await["tool_calls"][0]["status"], "awaiting_approval");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_workspace_default_model_picks_the_provider() {
    let chat = Chat::start(DbKind::Sqlite).await;
    let me = &chat.owner;
    let put =
        |body: Value| me.client.put(chat.app.at("/api/v1/workspace/settings")).headers(me.csrf_headers()).json(&body);
    let (status, settings) = send(put(json!({"conversations": {"default_model": "anthropic/claude-scripted"}}))).await;
    assert_eq!(status, 200, "{settings}");
    assert_eq!(settings["conversations"]["default_model"], "anthropic/claude-scripted");
    let (_, models) = send(me.client.get(chat.app.at("/api/v1/models"))).await;
    assert_eq!(models["default_model"], "anthropic/claude-scripted");
    let member = chat.app.signed_in("member@example.com", Role::Member).await;
    let refused = send(
        member
            .client
            .put(chat.app.at("/api/v1/workspace/settings"))
            .headers(member.csrf_headers())
            .json(&json!({"conversations": {"default_model": null}})),
    )
    .await;
    assert_problem(&refused, 403, "insufficient_role");

    // A whole turn over the Anthropic wire format: a tool call, its result, the answer.
    let (_, created) = send(
        me.client
            .post(chat.app.at("/api/v1/conversations"))
            .headers(me.csrf_headers())
            .json(&json!({"connectors": [chat.kanban_id]})),
    )
    .await;
    assert_eq!(created["model"], "anthropic/claude-scripted");
    let id = created["id"].as_str().expect("id");
    chat.model.push(Reply::tool_calls(vec![call("toolu_1", LIST, json!({"column": "doing"}))]).with_text("Looking. "));
    chat.model.push(Reply::text("One task is in progress."));
    let turn = chat.say(me, id, "What is in progress?", "p").await;
    assert_eq!(turn.results(), [(LIST.into(), "completed".into(), "auto_read".into())]);
    assert_eq!(turn.text(), "Looking. One task is in progress.");
    let requests = chat.model.requests();
    assert!(
        requests.iter().all(|r| r.path == "/v1/messages"),
        "{:?}",
        requests.iter().map(|r| &r.path).collect::<Vec<_>>()
    );
    assert_eq!(requests[0].body["model"], "claude-scripted");
    let last = &requests[1].body["messages"];
    let result = &last[last.as_array().map_or(0, Vec::len) - 1]["content"][0];
    assert_eq!(result["type"], "tool_result", "{last}");
    assert!(result["content"].as_str().is_some_and(|c| c.contains("from connector \"Kanban\"")), "{result}");

    // Cleared: back to the server's default.
    let (_, settings) = send(put(json!({"conversations": {"default_model": null}}))).await;
    assert_eq!(settings["conversations"]["default_model"], Value::Null);
    let (_, created) =
        send(me.client.post(chat.app.at("/api/v1/conversations")).headers(me.csrf_headers()).json(&json!({}))).await;
    assert_eq!(created["model"], "openai/scripted");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn reads_of_one_step_run_side_by_side() {
    let chat = Chat::start(DbKind::Sqlite).await;
    let me = &chat.owner;
    let id = chat.conversation(me, json!({"connectors": [chat.notes_id]})).await;
    chat.model.push(Reply::tool_calls(vec![
        call("a", "pypi_notes__slow", json!({"seconds": 1})),
        call("b", "pypi_notes__slow", json!({"seconds": 1})),
    ]));
    chat.model.push(Reply::text("Both done."));
    let started = std::time::Instant::now();
    let turn = chat.say(me, &id, "Wait twice", "p").await;
    let wall = started.elapsed().as_secs_f64() * 1000.0;
    assert_eq!(turn.done()["reason"], "answered");
    let latencies: Vec<f64> = turn.of("tool_result").iter().filter_map(|e| e["call"]["latency_ms"].as_f64()).collect();
    assert_eq!(latencies.len(), 2);
    assert!(latencies.iter().all(|l| *l >= 1000.0), "each call slept a second: {latencies:?}");
    // One after the other, the turn could not take less than the two calls together.
    assert!(wall < latencies.iter().sum::<f64>(), "the calls overlapped: turn {wall} ms, calls {latencies:?}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn progress_and_status_text_show_while_a_call_runs() {
    let chat = Chat::start(DbKind::Sqlite).await;
    let me = &chat.owner;
    let everything = switchboard_testkit::peers::PeerProcess::everything("streamableHttp");
    let everything_id = chat.connector("Everything", &everything.url).await;
    let id = chat.conversation(me, json!({"connectors": [everything_id, chat.notes_id]})).await;
    let long = "everything__trigger-long-running-operation";
    chat.model.push(Reply::tool_calls(vec![
        call("a", long, json!({"duration": 0.6, "steps": 3})),
        call("b", LOOKUP, json!({"key": "x"})),
    ]));
    chat.model.push(Reply::text("Done."));
    let turn = chat.say(me, &id, "Run the long operation", "p").await;
    assert_eq!(turn.done()["reason"], "answered", "{:?}", turn.events);

    // The server's notifications/progress, live, in order, for that call.
    let proposed = turn.of("tool_call_proposed");
    let long_id = proposed.iter().find(|e| e["call"]["name"] == long).expect("proposed")["call"]["id"].clone();
    let progress: Vec<(f64, f64)> = turn
        .of("tool_progress")
        .iter()
        .map(|e| {
            assert_eq!(e["call_id"], long_id);
            (e["progress"].as_f64().unwrap_or_default(), e["total"].as_f64().unwrap_or_default())
        })
        .collect();
    assert_eq!(progress, [(1.0, 3.0), (2.0, 3.0), (3.0, 3.0)], "{:?}", turn.of("tool_result"));
    let result = turn.of("tool_result").into_iter().find(|e| e["call"]["name"] == long).expect("result");
    let exchange = result["call"]["exchange"].as_array().expect("exchange");
    assert_eq!(
        exchange.iter().filter(|m| m["message"]["method"] == "notifications/progress").count(),
        3,
        "{exchange:?}"
    );

    // The tool's own status texts come with its proposal; a tool without them has none.
    let lookup = proposed.iter().find(|e| e["call"]["name"] == LOOKUP).expect("proposed");
    assert_eq!(lookup["status_text"], json!({"invoking": "Looking it up…", "invoked": "Looked it up"}));
    let long_proposed = proposed.iter().find(|e| e["call"]["name"] == long).expect("proposed");
    assert_eq!(long_proposed["status_text"], Value::Null);
}
