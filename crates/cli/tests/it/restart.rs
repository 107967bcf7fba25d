//! A `kill -9` mid-turn and a restart lose nothing: a pending approval can be
//! decided afterwards and its turn completes; a turn cut off while the model was
//! answering ends with a note and the conversation goes on.

use std::time::{Duration, Instant};

use serde_json::json;
use switchboard_testkit::peers::PeerProcess;
use switchboard_testkit::{Reply, ScriptedModel, ToolCall};

use crate::api::Api;
use crate::process::{Server, switchboard};

fn serve(dir: &std::path::Path, model: &ScriptedModel) -> Server {
    let mut cmd = switchboard(dir);
    cmd.env("OPENAI_BASE_URL", model.openai_base_url())
        .env("OPENAI_API_KEY", "sk-test")
        .env("SWITCHBOARD_MODEL", "openai/scripted");
    Server::start(cmd)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_restart_while_awaiting_approval_loses_nothing() {
    let dir = tempfile::tempdir().expect("tempdir");
    let api = Api::owner(dir.path(), |cmd| cmd);

    let model = ScriptedModel::start().await;
    let board = PeerProcess::kanban();
    let mut server = serve(dir.path(), &model);
    let connector = api.json(&server, "/api/v1/connectors", json!({"name": "Kanban", "url": board.url})).await;
    let kanban = connector["connector"]["id"].as_str().expect("id").to_owned();

    // A: a write waits for approval.
    let a = api.json(&server, "/api/v1/conversations", json!({"connectors": [kanban]})).await["id"]
        .as_str()
        .expect("id")
        .to_owned();
    model.push(Reply::tool_calls(vec![ToolCall::new(
        "c1",
        "kanban__create_task",
        json!({"title": "Survive a restart"}),
    )]));
    let turn = api
        .post(
            &server,
            &format!("/api/v1/conversations/{a}/messages"),
            json!({"content": "Add a task", "client_session": "p1"}),
        )
        .await;
    let body = turn.text().await.expect("stream");
    assert!(body.contains("event: done") && body.contains("awaiting_approval"), "{body}");

    // B: the model is still answering when the server dies.
    let b = api.json(&server, "/api/v1/conversations", json!({"connectors": [kanban]})).await["id"]
        .as_str()
        .expect("id")
        .to_owned();
    model.push(Reply::hang());
    let seen = model.requests().len();
    let path = server.at(&format!("/api/v1/conversations/{b}/messages"));
    let (client, bearer) = (api.client.clone(), api.token.clone());
    let hanging = tokio::spawn(async move {
        client
            .post(path)
            .bearer_auth(bearer)
            .json(&json!({"content": "Summarise", "client_session": "p1"}))
            .send()
            .await
    });
    let deadline = Instant::now() + Duration::from_secs(10);
    while model.requests().len() == seen {
        assert!(Instant::now() < deadline, "the model was never asked");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }

    server.child.kill().expect("kill -9");
    server.child.wait().expect("reaped");
    hanging.abort();
    let server = serve(dir.path(), &model);

    // A: the pending approval is still there and can be decided; the turn completes.
    let detail = api.get(&server, &format!("/api/v1/conversations/{a}")).await;
    assert_eq!(detail["state"], "awaiting_approval", "{detail}");
    let call = detail["tool_calls"][0]["id"].as_str().expect("call").to_owned();
    model.push(Reply::text("Added it."));
    let decided = api
        .post(
            &server,
            &format!("/api/v1/conversations/{a}/tool-calls/{call}/decision"),
            json!({"decision": "approve", "client_session": "p2"}),
        )
        .await;
    let body = decided.text().await.expect("stream");
    assert!(body.contains("\"status\":\"completed\"") && body.contains("\"reason\":\"answered\""), "{body}");
    let detail = api.get(&server, &format!("/api/v1/conversations/{a}")).await;
    assert_eq!(detail["state"], "idle");
    assert_eq!(detail["tool_calls"][0]["result"]["structuredContent"]["title"], "Survive a restart");
    let last = detail["messages"].as_array().and_then(|m| m.last()).cloned().unwrap_or_default();
    assert_eq!(last["content"], "Added it.", "{detail}");

    // B: the message is kept, the turn ended with a note, and the conversation goes on.
    let detail = api.get(&server, &format!("/api/v1/conversations/{b}")).await;
    assert_eq!(detail["state"], "idle", "{detail}");
    let roles: Vec<&str> =
        detail["messages"].as_array().expect("messages").iter().filter_map(|m| m["role"].as_str()).collect();
    assert_eq!(roles, ["user", "error"], "{detail}");
    assert_eq!(detail["messages"][0]["content"], "Summarise");
    model.push(Reply::text("Here is the summary."));
    let again = api
        .post(
            &server,
            &format!("/api/v1/conversations/{b}/messages"),
            json!({"content": "Try again", "client_session": "p2"}),
        )
        .await;
    assert!(again.text().await.expect("stream").contains("\"reason\":\"answered\""));
    let detail = api.get(&server, &format!("/api/v1/conversations/{b}")).await;
    let last = detail["messages"].as_array().and_then(|m| m.last()).cloned().unwrap_or_default();
    assert_eq!(last["content"], "Here is the summary.", "{detail}");
}

/// A call waiting for the person's input when the server dies: after the restart the
/// request is expired (the server's side of it died with the connection), cannot be
/// answered, and the call is marked interrupted, never sent again.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_restart_while_a_call_waits_for_input_expires_the_request() {
    let dir = tempfile::tempdir().expect("tempdir");
    let api = Api::owner(dir.path(), |cmd| cmd);
    let model = ScriptedModel::start().await;
    let vault = PeerProcess::python_elicit();
    let mut server = serve(dir.path(), &model);
    let connector = api.json(&server, "/api/v1/connectors", json!({"name": "Vault", "url": vault.url})).await;
    let app = connector["connector"]["id"].as_str().expect("id").to_owned();
    let id = api.json(&server, "/api/v1/conversations", json!({"connectors": [app]})).await["id"]
        .as_str()
        .expect("id")
        .to_owned();
    model.push(Reply::tool_calls(vec![ToolCall::new("c1", "vault__sign_in", json!({"service": "Acme"}))]));
    let turn = api
        .post(
            &server,
            &format!("/api/v1/conversations/{id}/messages"),
            json!({"content": "Sign in", "client_session": "p1"}),
        )
        .await;
    assert!(turn.text().await.expect("stream").contains("awaiting_approval"));
    let detail = api.get(&server, &format!("/api/v1/conversations/{id}")).await;
    let call = detail["tool_calls"][0]["id"].as_str().expect("call").to_owned();
    let path = server.at(&format!("/api/v1/conversations/{id}/tool-calls/{call}/decision"));
    let (client, bearer) = (api.client.clone(), api.token.clone());
    let approving = tokio::spawn(async move {
        let response = client
            .post(path)
            .bearer_auth(bearer)
            .json(&json!({"decision": "approve", "client_session": "p1"}))
            .send()
            .await;
        if let Ok(response) = response {
            let _ = response.text().await;
        }
    });
    let deadline = Instant::now() + Duration::from_secs(20);
    let asked = loop {
        let detail = api.get(&server, &format!("/api/v1/conversations/{id}")).await;
        if let Some(first) = detail["elicitations"].as_array().and_then(|e| e.first()) {
            break first.clone();
        }
        assert!(Instant::now() < deadline, "no request for input came: {detail}");
        tokio::time::sleep(Duration::from_millis(100)).await;
    };

    server.child.kill().expect("kill -9");
    server.child.wait().expect("reaped");
    approving.abort();
    let server = serve(dir.path(), &model);

    let detail = api.get(&server, &format!("/api/v1/conversations/{id}")).await;
    assert!(detail.get("elicitations").is_none(), "nothing waits after the restart: {detail}");
    let call = &detail["tool_calls"][0];
    assert_eq!(call["status"], "interrupted", "{detail}");
    assert!(call["result"]["error"].as_str().is_some_and(|e| e.contains("not sent again")), "{detail}");
    let eid = asked["id"].as_str().expect("id");
    let late =
        api.post(&server, &format!("/api/v1/conversations/{id}/elicitations/{eid}"), json!({"action": "cancel"})).await;
    assert_eq!(late.status(), 409, "an expired request is not answered");
}
