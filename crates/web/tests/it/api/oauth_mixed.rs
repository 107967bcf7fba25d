//! Mixed authentication: an app listed without a token whose tools each say,
//! in `securitySchemes`, whether a call needs the person's token. The server is
//! the PyPI `mcp` SDK's behind its own authorization server
//! (`peers/oauth_server.py --mixed`): it lets token-less requests through, and its
//! tools that are not `noauth` alone answer them with a tool error carrying
//! `_meta["mcp/www_authenticate"]`.

use std::path::{Path, PathBuf};

use serde_json::{Value, json};
use switchboard_core::Role;
use switchboard_testkit::peers::PeerProcess;
use switchboard_testkit::{DbKind, Signed, TestApp};

use super::connectors::{developer, post};
use super::{assert_problem, on_both_backends, send};

fn tools_file(dir: &Path) -> PathBuf {
    let path = dir.join("tools.json");
    let schema = json!({"type": "object", "properties": {"text": {"type": "string"}}});
    let read = json!({"readOnlyHint": true});
    let oauth = json!({"type": "oauth2", "scopes": ["mcp:tools"]});
    let tools = json!([
        {"name": "public_echo", "inputSchema": schema, "annotations": read,
            "_meta": {"securitySchemes": [{"type": "noauth"}]}},
        {"name": "private_echo", "inputSchema": schema, "annotations": read,
            "_meta": {"securitySchemes": [oauth]}},
        {"name": "maybe_echo", "inputSchema": schema, "annotations": read,
            "_meta": {"securitySchemes": [{"type": "noauth"}, oauth]}},
    ]);
    std::fs::write(&path, serde_json::to_vec(&tools).expect("json")).expect("write tools");
    path
}

async fn call(app: &TestApp, who: &Signed, id: &str, tool: &str) -> (reqwest::StatusCode, Value) {
    let path = format!("/api/v1/connectors/{id}/tools/{tool}/call");
    send(post(app, who, &path, json!({"arguments": {"text": tool}}))).await
}

fn subject(answer: &Value) -> &str {
    answer["result"]["structuredContent"]["subject"].as_str().unwrap_or_default()
}

/// Follow `connect_url` as a browser would, to the callback.
async fn connect(app: &TestApp, who: &Signed, id: &str, connect_url: &str) {
    let start = who.client.get(app.at(connect_url)).send().await.expect("start");
    assert_eq!(start.status(), 302, "{:?}", start.text().await);
    let to_as = start.headers()["location"].to_str().expect("location").to_owned();
    let answer = TestApp::client().get(&to_as).send().await.expect("authorization server");
    let back = answer.headers()["location"].to_str().expect("location").to_owned();
    let done = who.client.get(&back).send().await.expect("callback");
    let location = done.headers().get("location").map(|l| l.to_str().expect("location").to_owned());
    assert_eq!(location, Some(format!("/settings/apps/{id}?oauth=connected")));
}

mod each_tool_s_schemes_decide_whose_token_goes {
    use super::*;

    pub(crate) async fn run(kind: DbKind) {
        let dir = tempfile::tempdir().expect("tempdir");
        let peer = PeerProcess::python_oauth(&tools_file(dir.path()), &["--mixed"]);
        let app = TestApp::start(kind).await;
        let dev = developer(&app, "dev@example.com").await;
        let admin = app.signed_in("admin@example.com", Role::Admin).await;

        // Listed without a token, each tool saying what its calls need.
        let body = json!({"name": "Docs", "url": peer.url, "auth": {"mode": "mixed"}});
        let (status, created) = send(post(&app, &dev, "/api/v1/connectors", body)).await;
        assert_eq!(status, 201, "{created}");
        assert_eq!(created["connector"]["auth_mode"], "mixed");
        let id = created["connector"]["id"].as_str().expect("id").to_owned();
        let connect_url = created["connect_url"].as_str().expect("connect_url").to_owned();
        let (status, tools) = send(dev.client.get(app.at(&format!("/api/v1/connectors/{id}/tools")))).await;
        assert_eq!(status, 200, "{tools}");
        let auth_of =
            |name: &str| tools.as_array().expect("tools").iter().find(|t| t["name"] == name).map(|t| t["auth"].clone());
        assert_eq!(auth_of("public_echo"), Some(json!("none")));
        assert_eq!(auth_of("private_echo"), Some(json!("oauth")));
        assert_eq!(auth_of("maybe_echo"), Some(json!("optional")));
        assert_eq!(stats(&peer).await["code_exchanges"], 0, "nobody has signed in");

        // Before connecting: noauth runs anonymously; oauth2 is not even sent; an
        // optional tool that answers with a challenge is a sign-in to do.
        let (status, public) = call(&app, &dev, &id, "public_echo").await;
        assert_eq!((status.as_u16(), subject(&public)), (200, "anonymous"), "{public}");
        let private = call(&app, &dev, &id, "private_echo").await;
        assert_problem(&private, 409, "auth_required");
        assert_eq!(private.1["details"]["state"], "needs_connect");
        assert_eq!(private.1["details"]["connect_url"], connect_url.as_str());
        let maybe = call(&app, &dev, &id, "maybe_echo").await;
        assert_problem(&maybe, 409, "auth_required");
        assert_eq!(maybe.1["details"]["state"], "needs_connect", "{}", maybe.1);

        // Connected: the person's token goes with the calls that may use it; noauth stays anonymous.
        connect(&app, &dev, &id, &connect_url).await;
        for tool in ["private_echo", "maybe_echo"] {
            let (status, answer) = call(&app, &dev, &id, tool).await;
            assert_eq!(status, 200, "{tool}: {answer}");
            assert!(subject(&answer).starts_with("person-"), "{tool} runs as the person: {answer}");
        }
        let (status, public) = call(&app, &dev, &id, "public_echo").await;
        assert_eq!((status.as_u16(), subject(&public)), (200, "anonymous"), "{public}");
        // Someone else who has not connected still gets only the public tool.
        let (status, public) = call(&app, &admin, &id, "public_echo").await;
        assert_eq!((status.as_u16(), subject(&public)), (200, "anonymous"), "{public}");
        assert_problem(&call(&app, &admin, &id, "private_echo").await, 409, "auth_required");
    }
}

async fn stats(peer: &PeerProcess) -> Value {
    reqwest::get(format!("{}/test/stats", peer.origin())).await.expect("stats").json().await.expect("stats json")
}

on_both_backends!(each_tool_s_schemes_decide_whose_token_goes);

/// In a conversation, a call that needs the person's connection is not sent:
/// the model reads that the person must connect, and the call's result carries
/// what the chat needs to show a Connect button.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_conversation_s_call_that_needs_a_connection_says_so() {
    use switchboard_testkit::{Reply, ScriptedModel, ToolCall};

    let dir = tempfile::tempdir().expect("tempdir");
    let peer = PeerProcess::python_oauth(&tools_file(dir.path()), &["--mixed"]);
    let model = ScriptedModel::start().await;
    let providers = model.providers("openai/scripted");
    let app = TestApp::start_with(DbKind::Sqlite, move |mut c| {
        c.providers = providers;
        c
    })
    .await;
    let owner = app.signed_in("admin@example.com", Role::Admin).await;
    let body = json!({"name": "Docs", "url": peer.url, "auth": {"mode": "mixed"}});
    let (status, created) = send(post(&app, &owner, "/api/v1/connectors", body)).await;
    assert_eq!(status, 201, "{created}");
    let id = created["connector"]["id"].as_str().expect("id").to_owned();
    let (status, conversation) = send(post(&app, &owner, "/api/v1/conversations", json!({"connectors": [id]}))).await;
    assert_eq!(status, 201, "{conversation}");
    let conversation = conversation["id"].as_str().expect("id").to_owned();

    model.push(Reply::tool_calls(vec![
        ToolCall::new("c1", "docs__public_echo", json!({"text": "open"})),
        ToolCall::new("c2", "docs__private_echo", json!({"text": "mine"})),
    ]));
    model.push(Reply::text("The public one worked; connect Docs for the other."));
    let path = format!("/api/v1/conversations/{conversation}/messages");
    let response =
        post(&app, &owner, &path, json!({"content": "echo both", "client_session": "s1"})).send().await.expect("turn");
    let turn = super::chat::Turn::read(response).await;
    turn.done();
    let results = turn.of("tool_result");
    let by_name = |name: &str| results.iter().map(|e| &e["call"]).find(|c| c["name"] == name).cloned();
    let public = by_name("docs__public_echo").expect("public result");
    assert_eq!(public["status"], "completed", "{public}");
    let private = by_name("docs__private_echo").expect("private result");
    assert_eq!(private["status"], "failed", "{private}");
    let auth = &private["result"]["auth_required"];
    assert_eq!(auth["state"], "needs_connect", "{private}");
    assert_eq!(auth["connector_id"], id.as_str());
    let sent: Vec<String> = model.requests().last().expect("a request").body["messages"]
        .as_array()
        .into_iter()
        .flatten()
        .filter(|m| m["role"] == "tool")
        .map(|m| m["content"].as_str().unwrap_or_default().to_owned())
        .collect();
    assert!(
        sent.iter().any(|t| t.contains("connect your account") && t.contains("Docs")),
        "the model reads why: {sent:?}"
    );
    assert_eq!(stats(&peer).await["code_exchanges"], 0);
}
