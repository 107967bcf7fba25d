//! Upstreams that are not, or no longer, MCP servers: each gives a clear,
//! specific error through the API, and nothing is stored half-made.
//!
//! The broken servers are `testkit::not_mcp` listeners: misbehaviour no real MCP
//! peer can be asked for.

use std::time::Duration;

use serde_json::{Value, json};
use switchboard_core::Role;
use switchboard_testkit::not_mcp::NotMcp;
use switchboard_testkit::peers::{PeerProcess, python_tools_argv};
use switchboard_testkit::{DbKind, Signed, TestApp};

use super::{assert_plain_words, assert_problem, send};

/// The failing step of a 422 `connection_failed`: (step, detail, has a hint).
fn failing_step(got: &(reqwest::StatusCode, Value)) -> (String, String, bool) {
    assert_problem(got, 422, "connection_failed");
    let steps = got.1["details"]["steps"].as_array().cloned().unwrap_or_default();
    let failed = steps.iter().find(|s| s["ok"] == false).cloned().unwrap_or(Value::Null);
    (
        failed["step"].as_str().unwrap_or_default().to_owned(),
        failed["detail"].as_str().unwrap_or_default().to_owned(),
        failed["hint"].as_str().is_some_and(|h| !h.is_empty()),
    )
}

async fn create(app: &TestApp, who: &Signed, body: Value) -> (reqwest::StatusCode, Value) {
    send(who.client.post(app.at("/api/v1/connectors")).headers(who.csrf_headers()).json(&body)).await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn broken_upstreams_are_diagnosed_step_by_step() {
    let app = TestApp::start_with(DbKind::Sqlite, |mut c| {
        c.upstream.connect_timeout = Duration::from_secs(2);
        c.allow_local_commands = true;
        c
    })
    .await;
    let admin = app.signed_in("admin@example.com", Role::Admin).await;
    let by_url = |url: String| json!({"name": "Broken", "url": url});

    let html = NotMcp::html_page();
    let (step, detail, hint) = failing_step(&create(&app, &admin, by_url(html.url.clone())).await);
    assert_eq!(step, "content_type", "{detail}");
    assert!(detail.contains("text/html"), "{detail}");
    assert!(hint);

    let garbage = NotMcp::garbage_json();
    let (step, detail, hint) = failing_step(&create(&app, &admin, by_url(garbage.url.clone())).await);
    assert_eq!(step, "jsonrpc", "{detail}");
    assert!(hint);

    let to_metadata = NotMcp::redirect_to("http://169.254.169.254/latest/meta-data/");
    let (step, detail, hint) = failing_step(&create(&app, &admin, by_url(to_metadata.url.clone())).await);
    assert_eq!(step, "redirect", "{detail}");
    assert!(detail.contains("169.254.169.254"), "{detail}");
    assert!(hint);

    let silent = NotMcp::silent();
    let started = std::time::Instant::now();
    let (step, detail, hint) = failing_step(&create(&app, &admin, by_url(silent.url.clone())).await);
    assert_eq!(step, "http_status", "{detail}");
    assert!(detail.contains("no answer"), "{detail}");
    assert!(hint);
    assert!(started.elapsed() < Duration::from_secs(15), "bounded by the connect timeout");

    let exits = json!({"name": "Exits", "command": {"argv": ["sh", "-c", "echo starting >&2; exit 3"]}});
    let (step, detail, hint) = failing_step(&create(&app, &admin, exits).await);
    assert_eq!(step, "start", "{detail}");
    assert!(detail.contains("stopped before completing the MCP handshake"), "{detail}");
    assert!(detail.contains("starting"), "what it wrote to stderr: {detail}");
    assert!(hint);

    assert!(app.store.list_connectors().await.expect("listed").is_empty(), "nothing stored half-made");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_upstream_that_dies_and_comes_back() {
    let dir = tempfile::tempdir().expect("tempdir");
    let file = dir.path().join("tools.json");
    let tools = json!([{"name": "lookup", "description": "Use this when you need a record.",
        "inputSchema": {"type": "object"}, "annotations": {"readOnlyHint": true}}]);
    std::fs::write(&file, tools.to_string()).expect("write tools");
    let app = TestApp::start_with(DbKind::Sqlite, |mut c| {
        c.upstream.connect_timeout = Duration::from_secs(10);
        c.allow_local_commands = true;
        c
    })
    .await;
    let admin = app.signed_in("admin@example.com", Role::Admin).await;
    let call = |id: &str| {
        admin
            .client
            .post(app.at(&format!("/api/v1/connectors/{id}/tools/lookup/call")))
            .headers(admin.csrf_headers())
            .json(&json!({"arguments": {}}))
    };

    // Over HTTP: calls share one session; when the server dies the call says so,
    // and once it is back the next call reconnects on its own.
    let peer = PeerProcess::python_tools(&file, "streamable-http");
    let url = peer.url.clone();
    let (status, created) = create(&app, &admin, json!({"name": "Records", "url": url})).await;
    assert_eq!(status, 201, "{created}");
    let id = created["connector"]["id"].as_str().expect("id").to_owned();
    for _ in 0..3 {
        let (status, called) = send(call(&id)).await;
        assert_eq!(status, 200, "{called}");
        assert_eq!(called["exchange"][0]["message"]["params"]["name"], "lookup");
        assert_eq!(called["exchange"][1]["message"]["id"], called["exchange"][0]["message"]["id"]);
    }
    assert_eq!(app.state.services.connectors().open_sessions().await, 1, "one kept session");
    drop(peer);
    let (status, dead) = send(call(&id)).await;
    assert!(status == 502 || status == 422, "{status} {dead}");
    assert!(dead["detail"].as_str().unwrap_or_default().contains("MCP server"), "{dead}");
    let port: u16 = url.rsplit(':').next().and_then(|p| p.trim_end_matches("/mcp").parse().ok()).expect("port");
    let _back = PeerProcess::python_tools_on(&file, "streamable-http", port);
    let (status, again) = send(call(&id)).await;
    assert_eq!(status, 200, "reconnected: {again}");

    // Over stdio: a command that dies is started again by the next call, and
    // ends with its connector.
    let argv = python_tools_argv(&file, "stdio");
    let pattern = format!("{} --transport stdio", file.display());
    let (status, created) = create(&app, &admin, json!({"name": "Local", "command": {"argv": argv}})).await;
    assert_eq!(status, 201, "{created}");
    let id = created["connector"]["id"].as_str().expect("id").to_owned();
    assert_eq!(send(call(&id)).await.0, 200);
    assert_eq!(running(&pattern), 1, "one kept process");
    assert_eq!(send(call(&id)).await.0, 200);
    assert_eq!(running(&pattern), 1, "still one: the session is kept, not restarted per call");
    std::process::Command::new("pkill").args(["-KILL", "-f", &pattern]).status().expect("pkill");
    tokio::time::sleep(Duration::from_millis(500)).await;
    let (status, again) = send(call(&id)).await;
    assert_eq!(status, 200, "restarted: {again}");
    let delete = admin.client.delete(app.at(&format!("/api/v1/connectors/{id}"))).headers(admin.csrf_headers());
    assert_eq!(send(delete).await.0, 204);
    assert_eq!(app.state.services.connectors().open_sessions().await, 1, "only the HTTP connector's session is left");
    for _ in 0..50 {
        if running(&pattern) == 0 {
            return;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    panic!("the deleted connector's process still runs");
}

/// How many processes run with `pattern` in their command line.
fn running(pattern: &str) -> usize {
    let out = std::process::Command::new("pgrep").args(["-f", pattern]).output().expect("pgrep");
    String::from_utf8_lossy(&out.stdout).lines().count()
}

/// What a person reads when an upstream fails says what failed and what to do, in
/// words: the error's internals (type names, module paths, debug output) go to the
/// log only. Checked on a closed port and on a server that answers garbage, when
/// creating a connector, calling one of its tools and refreshing it.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn upstream_failures_are_told_in_plain_words() {
    let app = TestApp::start_with(DbKind::Sqlite, |mut c| {
        c.upstream.connect_timeout = Duration::from_secs(5);
        c
    })
    .await;
    let admin = app.signed_in("admin@example.com", Role::Admin).await;
    let shown = |what: &str, got: &(reqwest::StatusCode, Value)| {
        let detail = got.1["detail"].as_str().unwrap_or_default();
        eprintln!("{what}: {} {detail}", got.0);
        assert!(got.0.is_client_error() || got.0.is_server_error(), "{what}: {got:?}");
        assert_plain_words(detail);
        for step in got.1["details"]["steps"].as_array().into_iter().flatten() {
            eprintln!("  {step}");
            assert_plain_words(step["detail"].as_str().unwrap_or_default());
        }
    };

    // Creating a connector.
    let garbage = NotMcp::garbage_json();
    let closed = std::net::TcpListener::bind("127.0.0.1:0").and_then(|l| l.local_addr()).expect("a free port");
    for url in [garbage.url.clone(), format!("http://{closed}/mcp")] {
        shown(&format!("create {url}"), &create(&app, &admin, json!({"name": "Broken", "url": url})).await);
    }

    // A connector whose server went away, then was replaced by one answering garbage.
    let dir = tempfile::tempdir().expect("tempdir");
    let file = dir.path().join("tools.json");
    let tools = json!([{"name": "lookup", "description": "Use this when you need a record.",
        "inputSchema": {"type": "object"}, "annotations": {"readOnlyHint": true}}]);
    std::fs::write(&file, tools.to_string()).expect("write tools");
    let peer = PeerProcess::python_tools(&file, "streamable-http");
    let port = peer.port();
    let (status, created) = create(&app, &admin, json!({"name": "Records", "url": peer.url})).await;
    assert_eq!(status, 201, "{created}");
    let id = created["connector"]["id"].as_str().expect("id").to_owned();
    let call = || {
        admin
            .client
            .post(app.at(&format!("/api/v1/connectors/{id}/tools/lookup/call")))
            .headers(admin.csrf_headers())
            .json(&json!({"arguments": {}}))
    };
    let refresh =
        || admin.client.post(app.at(&format!("/api/v1/connectors/{id}/refresh"))).headers(admin.csrf_headers());
    assert_eq!(send(call()).await.0, 200);
    drop(peer);
    shown("call, closed port", &send(call()).await);
    shown("refresh, closed port", &send(refresh()).await);
    let _garbage = NotMcp::garbage_json_on(port);
    shown("call, garbage", &send(call()).await);
    shown("refresh, garbage", &send(refresh()).await);
}
