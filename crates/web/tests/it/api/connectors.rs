//! `/api/v1/connectors`: create from real MCP servers, classify, toggle, refresh, call.

use std::path::{Path, PathBuf};

use serde_json::{Value, json};
use switchboard_core::{DeveloperModePolicy, Role};
use switchboard_testkit::peers::{PeerProcess, python_tools_argv};
use switchboard_testkit::{DbKind, Signed, TestApp};

use super::{assert_problem, on_both_backends, send};

fn tools_file(dir: &Path, tools: &Value) -> PathBuf {
    let path = dir.join("tools.json");
    std::fs::write(&path, serde_json::to_vec(tools).expect("json")).expect("write tools");
    path
}

fn sample() -> Value {
    json!([
        {"name": "lookup", "title": "Look up", "description": "Use this when you need a record.",
         "inputSchema": {"type": "object", "properties": {"id": {"type": "string", "minLength": 2}}, "required": ["id"]},
         "annotations": {"readOnlyHint": true, "openWorldHint": false}},
        {"name": "update", "description": "Use this when a record must change.",
         "inputSchema": {"type": "object", "properties": {"id": {"type": "string"}}},
         "annotations": {"readOnlyHint": false, "destructiveHint": false}},
        {"name": "plain", "description": "No annotations.", "inputSchema": {"type": "object"}},
        {"name": "big", "description": "Large output.", "inputSchema": {"type": "object", "properties": {"size": {"type": "integer"}}},
         "annotations": {"readOnlyHint": true}}
    ])
}

/// A member in a group granted developer mode, with developer mode on.
pub(crate) async fn developer(app: &TestApp, email: &str) -> Signed {
    let who = app.signed_in(email, Role::Member).await;
    let existing = app.store.list_groups().await.expect("groups").into_iter().find(|g| g.name == "devs");
    let group = match existing {
        Some(g) => g,
        None => app.store.create_group("devs").await.expect("group"),
    };
    app.store.add_group_member(group.id, who.user.id).await.expect("member");
    app.store.set_developer_mode_policy(DeveloperModePolicy::Rbac, &[group.id]).await.expect("policy");
    app.store.set_developer_mode(who.user.id, true).await.expect("developer mode on");
    who
}

pub(crate) fn post(app: &TestApp, who: &Signed, path: &str, body: Value) -> reqwest::RequestBuilder {
    who.client.post(app.at(path)).headers(who.csrf_headers()).json(&body)
}

mod drafts_from_a_streamable_http_server {
    use super::*;

    pub(crate) async fn run(kind: DbKind) {
        let dir = tempfile::tempdir().expect("tempdir");
        let file = tools_file(dir.path(), &sample());
        let peer = PeerProcess::python_tools(&file, "streamable-http");
        let app = TestApp::start_with(kind, |mut c| {
            c.upstream.max_result_bytes = 2048;
            c
        })
        .await;
        let dev = developer(&app, "dev@example.com").await;
        let other = developer(&app, "other@example.com").await;
        let admin = app.signed_in("admin@example.com", Role::Admin).await;
        let auditor = app.signed_in("auditor@example.com", Role::Auditor).await;

        let body = json!({"name": "Records", "description": "Test records", "url": peer.url, "auth": {"mode": "none"}});
        assert_problem(
            &send(post(&app, &auditor, "/api/v1/connectors", body.clone())).await,
            403,
            "connector_not_allowed",
        );
        let (status, created) = send(post(&app, &dev, "/api/v1/connectors", body)).await;
        assert_eq!(status, 201, "{created}");
        let c = &created["connector"];
        assert_eq!((c["label"].as_str(), c["status"].as_str()), (Some("Dev"), Some("draft")));
        assert_eq!(c["protocol_version"], "2026-07-28");
        assert_eq!(c["used_transport"], "streamable_http");
        assert_eq!(c["tool_count"], 4);
        let tools = created["tools"].as_array().expect("tools").clone();
        let by_name = |n: &str| tools.iter().find(|t| t["name"] == n).expect("tool").clone();
        assert_eq!(by_name("lookup")["classification"], "read");
        assert_eq!(by_name("lookup")["display_name"], "Look up");
        assert_eq!(by_name("lookup")["risk"], json!({"destructive": false, "open_world": false}));
        assert_eq!(by_name("update")["classification"], "write");
        assert_eq!(by_name("update")["risk"]["destructive"], false);
        assert_eq!(by_name("plain")["classification"], "write");
        assert_eq!(by_name("plain")["risk"], json!({"destructive": true, "open_world": true}));
        assert_eq!(by_name("lookup")["definition"]["inputSchema"]["required"], json!(["id"]), "stored whole");
        let warnings = created["warnings"].as_array().expect("warnings");
        assert!(
            warnings.iter().any(|w| w.as_str().unwrap_or_default().contains("no annotations on plain")),
            "{warnings:?}"
        );

        // Drafts: the creator and admins see it; others do not, not even by id.
        let id = c["id"].as_str().expect("id").to_owned();
        let (_, mine) = send(dev.client.get(app.at("/api/v1/connectors"))).await;
        assert_eq!(mine.as_array().map(Vec::len), Some(1));
        let (_, theirs) = send(other.client.get(app.at("/api/v1/connectors"))).await;
        assert_eq!(theirs, json!([]));
        assert_problem(&send(other.client.get(app.at(&format!("/api/v1/connectors/{id}")))).await, 404, "not_found");
        assert_eq!(send(admin.client.get(app.at(&format!("/api/v1/connectors/{id}")))).await.0, 200);

        // Playground: the schema first, then the call with its exchange.
        let call = |name: &str, args: Value| {
            post(&app, &dev, &format!("/api/v1/connectors/{id}/tools/{name}/call"), json!({"arguments": args}))
        };
        let bad = send(call("lookup", json!({"id": "x"}))).await;
        assert_problem(&bad, 422, "invalid_arguments");
        assert_eq!(bad.1["details"]["errors"][0]["path"], "/id", "{}", bad.1);
        let (status, ok) = send(call("lookup", json!({"id": "r-1"}))).await;
        assert_eq!(status, 200, "{ok}");
        assert_eq!(ok["result"]["structuredContent"], json!({"tool": "lookup", "arguments": {"id": "r-1"}}));
        assert_eq!(ok["exchange"][0]["direction"], "client_to_server");
        assert_eq!(ok["exchange"][0]["message"]["method"], "tools/call");
        assert_eq!(ok["exchange"][1]["direction"], "server_to_client");
        assert_eq!(ok["exchange"][1]["message"]["id"], ok["exchange"][0]["message"]["id"]);
        assert_eq!(
            ok["exchange"][1]["message"]["result"],
            json!({"switchboard/see": "result"}),
            "the result is sent once, under `result`"
        );
        assert_eq!(ok["is_error"], false);
        let (_, big) = send(call("big", json!({"size": 10000}))).await;
        assert_eq!(big["truncated"], true, "{big}");
        assert_problem(&send(call("missing", json!({}))).await, 404, "not_found");

        // Toggle off: the call is refused; on again: it works.
        let toggle = |on: bool| {
            dev.client
                .patch(app.at(&format!("/api/v1/connectors/{id}/tools/update")))
                .headers(dev.csrf_headers())
                .json(&json!({"enabled": on}))
        };
        let (_, t) = send(toggle(false)).await;
        assert_eq!(t["enabled"], false);
        assert_problem(&send(call("update", json!({"id": "r-1"}))).await, 409, "tool_disabled");
        send(toggle(true)).await;
        assert_eq!(send(call("update", json!({"id": "r-1"}))).await.0, 200);

        // The server changes its tools: refresh shows the diff and applies it to the draft.
        let mut changed = sample();
        changed.as_array_mut().expect("array").retain(|t| t["name"] != "plain");
        changed[0]["description"] = json!("Use this when you need one record by id.");
        changed
            .as_array_mut()
            .expect("array")
            .push(json!({"name": "added", "inputSchema": {"type": "object"}, "annotations": {"readOnlyHint": true}}));
        tools_file(dir.path(), &changed);
        let (status, diff) = send(post(&app, &dev, &format!("/api/v1/connectors/{id}/refresh"), json!({}))).await;
        assert_eq!(status, 200, "{diff}");
        assert_eq!(diff["added"][0]["name"], "added");
        assert_eq!(diff["removed"][0]["name"], "plain");
        assert_eq!(diff["changed"][0]["tool"], "lookup");
        let expected = json!({"field": "description", "before": "Use this when you need a record.",
                              "after": "Use this when you need one record by id."});
        assert_eq!(diff["changed"][0]["fields"][0], expected);
        let (_, listed) = send(dev.client.get(app.at(&format!("/api/v1/connectors/{id}/tools")))).await;
        assert_eq!(listed.as_array().map(Vec::len), Some(4));

        let delete = dev.client.delete(app.at(&format!("/api/v1/connectors/{id}"))).headers(dev.csrf_headers());
        assert_eq!(send(delete).await.0, 204);
        assert_eq!(send(dev.client.get(app.at("/api/v1/connectors"))).await.1, json!([]));

        // Every change to the app is in the audit trail, by whom, oldest first;
        // refused calls never reached the server and left no entry.
        let (status, trail) = send(auditor.client.get(app.at(&format!("/api/v1/audit?connector={id}")))).await;
        assert_eq!(status, 200, "{trail}");
        let mut entries = trail["entries"].as_array().expect("entries").clone();
        entries.reverse();
        let kinds: Vec<(&str, &str)> = entries
            .iter()
            .map(|e| (e["kind"].as_str().unwrap_or_default(), e["tool"].as_str().unwrap_or_default()))
            .collect();
        assert_eq!(
            kinds,
            [
                ("connector.created", ""),
                ("tool_call", "lookup"),
                ("tool_call", "big"),
                ("tool.toggled", "update"),
                ("tool.toggled", "update"),
                ("tool_call", "update"),
                ("connector.refreshed", ""),
                ("connector.deleted", ""),
            ]
        );
        assert!(entries.iter().all(|e| e["actor"]["email"] == "dev@example.com"), "{entries:?}");
        assert_eq!(entries[0]["detail"], json!({"name": "Records", "transport": "auto", "tools": 4}));
        assert_eq!(entries[3]["detail"], json!({"enabled": false}));
        let refreshed = &entries[6]["detail"];
        assert_eq!((refreshed["added"].clone(), refreshed["removed"].clone()), (json!(["added"]), json!(["plain"])));
        assert_eq!(refreshed["changed"], json!([{"tool": "lookup", "fields": ["description"]}]));
    }
}

mod failures_are_diagnosed_and_store_nothing {
    use super::*;

    pub(crate) async fn run(kind: DbKind) {
        let app = TestApp::start(kind).await;
        let admin = app.signed_in("admin@example.com", Role::Admin).await;
        let create = |url: String| post(&app, &admin, "/api/v1/connectors", json!({"name": "X", "url": url}));
        let last_step = |got: &(reqwest::StatusCode, Value)| {
            let steps = got.1["details"]["steps"].as_array().cloned().unwrap_or_default();
            let last = steps.last().cloned().unwrap_or(Value::Null);
            (last["step"].as_str().unwrap_or_default().to_owned(), last["ok"].as_bool(), last["hint"].is_string())
        };

        let closed = std::net::TcpListener::bind("127.0.0.1:0").expect("bind").local_addr().expect("addr").port();
        let refused = send(create(format!("http://127.0.0.1:{closed}/mcp"))).await;
        assert_problem(&refused, 422, "connection_failed");
        assert_eq!(last_step(&refused), ("connect".into(), Some(false), true), "{}", refused.1);

        let metadata = send(create("http://169.254.169.254/mcp".into())).await;
        assert_problem(&metadata, 422, "connection_failed");
        assert_eq!(last_step(&metadata).0, "resolve", "{}", metadata.1);
        assert!(metadata.1["detail"].as_str().unwrap_or_default().contains("cloud metadata"));

        let not_mcp = send(create(app.at("/api/v1/nothing"))).await;
        assert_problem(&not_mcp, 422, "connection_failed");
        assert_eq!(last_step(&not_mcp).1, Some(false), "{}", not_mcp.1);

        let file = json!({"name": "X", "url": "file:///etc/passwd"});
        assert_problem(&send(post(&app, &admin, "/api/v1/connectors", file)).await, 422, "invalid_input");
        assert_problem(
            &send(post(&app, &admin, "/api/v1/connectors", json!({"name": "X"}))).await,
            422,
            "invalid_input",
        );
        let basic = json!({"name": "X", "url": "http://127.0.0.1:1/mcp", "auth": {"mode": "basic"}});
        assert_problem(&send(post(&app, &admin, "/api/v1/connectors", basic)).await, 422, "invalid_input");
        // A mixed app is listed without a token, so an unreachable one is diagnosed like any other.
        let mixed = json!({"name": "X", "url": "http://127.0.0.1:1/mcp", "auth": {"mode": "mixed"}});
        assert_problem(&send(post(&app, &admin, "/api/v1/connectors", mixed)).await, 422, "connection_failed");
        let command = json!({"name": "X", "command": {"argv": ["/bin/true"]}});
        assert_problem(&send(post(&app, &admin, "/api/v1/connectors", command)).await, 403, "connector_not_allowed");
        assert!(app.store.list_connectors().await.expect("listed").is_empty(), "nothing stored half-made");
    }
}

on_both_backends!(drafts_from_a_streamable_http_server, failures_are_diagnosed_and_store_nothing);

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn local_commands_and_server_everything() {
    let dir = tempfile::tempdir().expect("tempdir");
    let file = tools_file(dir.path(), &sample());
    let app = TestApp::start_with(DbKind::Sqlite, |mut c| {
        c.allow_local_commands = true;
        c
    })
    .await;
    let admin = app.signed_in("admin@example.com", Role::Admin).await;
    let dev = developer(&app, "dev@example.com").await;
    let command = json!({"name": "Local", "command": {"argv": python_tools_argv(&file, "stdio")}});
    assert_problem(&send(post(&app, &dev, "/api/v1/connectors", command.clone())).await, 403, "connector_not_allowed");
    let (status, created) = send(post(&app, &admin, "/api/v1/connectors", command)).await;
    assert_eq!(status, 201, "{created}");
    assert_eq!(created["connector"]["used_transport"], "stdio");
    assert_eq!(created["connector"]["command"]["argv"][0], python_tools_argv(&file, "stdio")[0]);
    let id = created["connector"]["id"].as_str().expect("id").to_owned();
    let call =
        post(&app, &admin, &format!("/api/v1/connectors/{id}/tools/update/call"), json!({"arguments": {"id": "a"}}));
    let (status, called) = send(call).await;
    assert_eq!(status, 200, "{called}");

    let dead = json!({"name": "Dead", "command": {"argv": ["/nonexistent/server"]}});
    let got = send(post(&app, &admin, "/api/v1/connectors", dead)).await;
    assert_problem(&got, 422, "connection_failed");
    assert_eq!(got.1["details"]["steps"][0]["step"], "start");

    let everything = PeerProcess::everything("streamableHttp");
    let body = json!({"name": "Everything", "url": everything.url});
    let (status, created) = send(post(&app, &dev, "/api/v1/connectors", body)).await;
    assert_eq!(status, 201, "{created}");
    assert_eq!(created["connector"]["protocol_version"], "2025-11-25");
    for t in created["tools"].as_array().expect("tools") {
        let read = t["definition"]["annotations"]["readOnlyHint"] == true;
        assert_eq!(t["classification"], if read { "read" } else { "write" }, "{}", t["name"]);
    }
    let id = created["connector"]["id"].as_str().expect("id").to_owned();
    let call = post(
        &app,
        &dev,
        &format!("/api/v1/connectors/{id}/tools/get-sum/call"),
        json!({"arguments": {"a": 2, "b": 3}}),
    );
    let (status, sum) = send(call).await;
    assert_eq!(status, 200, "{sum}");
    assert!(sum["result"]["content"][0]["text"].as_str().unwrap_or_default().contains('5'));

    // And a write action: one that needs no arguments and no outside world (this
    // network is closed).
    let tools = created["tools"].as_array().expect("tools");
    let write = tools
        .iter()
        .filter(|t| t["classification"] == "write" && t["risk"]["open_world"] == false)
        .find(|t| t["definition"]["inputSchema"]["required"].as_array().is_none_or(Vec::is_empty))
        .unwrap_or_else(|| panic!("a closed-world write action without required arguments in {tools:?}"));
    let name = write["name"].as_str().expect("name");
    let call = post(&app, &dev, &format!("/api/v1/connectors/{id}/tools/{name}/call"), json!({"arguments": {}}));
    let (status, wrote) = send(call).await;
    assert_eq!(status, 200, "{name}: {wrote}");
    assert_eq!(wrote["is_error"], false, "{name}: {wrote}");
    assert_eq!(wrote["exchange"][0]["message"]["params"]["name"], name);
}
