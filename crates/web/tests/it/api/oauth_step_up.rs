//! Scope step-up: a call the server refuses with 403 `insufficient_scope` asks
//! the person to connect again for the scopes granted plus those challenged, a
//! bounded number of times in a row. The server and its authorization server are
//! the PyPI `mcp` SDK's (`peers/oauth_server.py --step-up`), over real sockets.

use std::path::{Path, PathBuf};

use serde_json::{Value, json};
use switchboard_testkit::peers::PeerProcess;
use switchboard_testkit::{DbKind, Signed, TestApp};

use super::connectors::{developer, post};
use super::{assert_problem, on_both_backends, send};

fn tools_file(dir: &Path) -> PathBuf {
    let path = dir.join("tools.json");
    let tools = json!([{"name": "echo", "description": "Use this to echo.", "inputSchema": {"type": "object",
        "properties": {"text": {"type": "string"}}}, "annotations": {"readOnlyHint": true}}]);
    std::fs::write(&path, serde_json::to_vec(&tools).expect("json")).expect("write tools");
    path
}

/// Follow `connect_url` as a browser would: start, the authorization server
/// (which approves at once), the callback. The scopes asked for.
async fn connect_through(app: &TestApp, who: &Signed, id: &str, connect_url: &str) -> String {
    let start = who.client.get(app.at(connect_url)).send().await.expect("start");
    assert_eq!(start.status(), 302, "{:?}", start.text().await);
    let to_as = start.headers()["location"].to_str().expect("location").to_owned();
    let scope = url::Url::parse(&to_as)
        .expect("url")
        .query_pairs()
        .find(|(k, _)| k == "scope")
        .map(|(_, v)| v.into_owned())
        .unwrap_or_default();
    let answer = TestApp::client().get(&to_as).send().await.expect("authorization server");
    assert_eq!(answer.status(), 302, "{:?}", answer.text().await);
    let back = answer.headers()["location"].to_str().expect("location").to_owned();
    let done = who.client.get(&back).send().await.expect("callback");
    let location = done.headers().get("location").map(|l| l.to_str().expect("location").to_owned());
    assert_eq!(location, Some(format!("/settings/apps/{id}?oauth=connected")));
    scope
}

async fn create(app: &TestApp, who: &Signed, peer: &PeerProcess) -> (String, String) {
    let body = json!({"name": "Protected", "url": peer.url, "auth": {"mode": "oauth"}});
    let (status, created) = send(post(app, who, "/api/v1/connectors", body)).await;
    assert_eq!(status, 201, "{created}");
    let id = created["connector"]["id"].as_str().expect("id").to_owned();
    (id, created["connect_url"].as_str().expect("connect_url").to_owned())
}

async fn echo(app: &TestApp, who: &Signed, id: &str) -> (reqwest::StatusCode, Value) {
    let path = format!("/api/v1/connectors/{id}/tools/echo/call");
    send(post(app, who, &path, json!({"arguments": {"text": "hi"}}))).await
}

async fn stats(peer: &PeerProcess) -> Value {
    reqwest::get(format!("{}/test/stats", peer.origin())).await.expect("stats").json().await.expect("stats json")
}

mod asks_for_the_challenged_scopes_with_those_granted {
    use super::*;

    pub(crate) async fn run(kind: DbKind) {
        let dir = tempfile::tempdir().expect("tempdir");
        let peer = PeerProcess::python_oauth(&tools_file(dir.path()), &["--step-up", "mcp:write"]);
        let app = TestApp::start(kind).await;
        let dev = developer(&app, "dev@example.com").await;
        let (id, connect_url) = create(&app, &dev, &peer).await;
        let first = connect_through(&app, &dev, &id, &connect_url).await;
        assert!(!first.contains("mcp:write"), "a first connection asks for what the server names: {first}");

        // The server wants a scope the token lacks: connect again, for more.
        let refused = echo(&app, &dev, &id).await;
        assert_problem(&refused, 409, "auth_required");
        let details = &refused.1["details"];
        assert_eq!(details["state"], "needs_scope", "{}", refused.1);
        assert_eq!(details["scopes"], json!(["mcp:write"]));
        let step_up = details["connect_url"].as_str().expect("connect_url");
        assert_eq!(step_up, format!("/api/v1/connectors/{id}/oauth/start?scope=mcp%3Awrite"));
        assert!(refused.1["detail"].as_str().is_some_and(|d| d.contains("mcp:write")), "{}", refused.1);
        assert_eq!(stats(&peer).await["insufficient_scope"], 1);

        // The union of what was granted and what the server asked for.
        let asked = connect_through(&app, &dev, &id, step_up).await;
        let asked: Vec<&str> = asked.split_whitespace().collect();
        for scope in ["mcp:tools", "offline_access", "mcp:write"] {
            assert!(asked.contains(&scope), "{scope} in {asked:?}");
        }
        let user = dev.user.id;
        let connector = id.parse().expect("connector id");
        let grant = app.store.oauth_grant(user, connector).await.expect("read").expect("grant");
        assert_eq!(grant.step_ups, 1);
        assert!(grant.scopes.split_whitespace().any(|s| s == "mcp:write"), "{}", grant.scopes);

        let (status, answer) = echo(&app, &dev, &id).await;
        assert_eq!(status, 200, "{answer}");
        assert_eq!(answer["result"]["structuredContent"]["arguments"]["text"], "hi");
        let grant = app.store.oauth_grant(user, connector).await.expect("read").expect("grant");
        assert_eq!(grant.step_ups, 0, "a call that went through starts the count again");

        // A scope that is not a scope list is refused before anything is sent.
        let bad = send(dev.client.get(app.at(&format!("/api/v1/connectors/{id}/oauth/start?scope=a%22b")))).await;
        assert_problem(&bad, 422, "invalid_input");
    }
}

on_both_backends!(asks_for_the_challenged_scopes_with_those_granted);

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_server_that_always_wants_more_is_not_followed_for_ever() {
    let dir = tempfile::tempdir().expect("tempdir");
    let peer = PeerProcess::python_oauth(&tools_file(dir.path()), &["--step-up", "mcp:write", "--step-up-never"]);
    let app = TestApp::start(DbKind::Sqlite).await;
    let dev = developer(&app, "dev@example.com").await;
    let (id, connect_url) = create(&app, &dev, &peer).await;
    connect_through(&app, &dev, &id, &connect_url).await;
    for round in 1..=switchboard_core::oauth::MAX_AUTHORIZATIONS {
        let refused = echo(&app, &dev, &id).await;
        assert_problem(&refused, 409, "auth_required");
        assert_eq!(refused.1["details"]["state"], "needs_scope", "round {round}: {}", refused.1);
        let step_up = refused.1["details"]["connect_url"].as_str().expect("connect_url").to_owned();
        connect_through(&app, &dev, &id, &step_up).await;
    }
    // Three authorizations in a row asked for more, and the server still refuses: say so, offer no loop.
    let refused = echo(&app, &dev, &id).await;
    assert_problem(&refused, 422, "insufficient_scope");
    assert!(refused.1["details"].is_null(), "no link to go round again: {}", refused.1);
    let detail = refused.1["detail"].as_str().expect("detail");
    assert!(detail.contains("3 authorizations") && detail.contains("mcp:write"), "{detail}");
    let s = stats(&peer).await;
    assert_eq!(s["insufficient_scope"], 4, "{s}");
    assert_eq!(s["authorized_scopes"].as_array().map(Vec::len), Some(4), "one connection and three step-ups: {s}");
}
