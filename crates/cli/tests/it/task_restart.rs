//! A `kill -9` while a tool call runs as a task on its server: after the restart the
//! call is not marked interrupted; its task is followed again in the server session
//! that created it, its result goes to the model and the turn goes on.

use std::time::{Duration, Instant};

use serde_json::{Value, json};
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

async fn detail(api: &Api, server: &Server, id: &str) -> Value {
    api.get(server, &format!("/api/v1/conversations/{id}")).await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_task_survives_a_restart_and_its_turn_goes_on() {
    let dir = tempfile::tempdir().expect("tempdir");
    let api = Api::owner(dir.path(), |cmd| cmd);
    let model = ScriptedModel::start().await;
    let sdk = PeerProcess::sdk_example();
    let mut server = serve(dir.path(), &model);
    let connector = api.json(&server, "/api/v1/connectors", json!({"name": "Sdk", "url": sdk.url})).await;
    let sdk_id = connector["connector"]["id"].as_str().expect("id").to_owned();
    let id = api.json(&server, "/api/v1/conversations", json!({"connectors": [sdk_id]})).await["id"]
        .as_str()
        .expect("id")
        .to_owned();

    // `delay` is a write: approved, it runs as a task for eight seconds.
    model.push(Reply::tool_calls(vec![ToolCall::new("t", "sdk__delay", json!({"duration": 8000}))]));
    let asked = api
        .post(
            &server,
            &format!("/api/v1/conversations/{id}/messages"),
            json!({"content": "Wait", "client_session": "p"}),
        )
        .await;
    assert!(asked.text().await.expect("stream").contains("awaiting_approval"));
    let call = detail(&api, &server, &id).await["tool_calls"][0]["id"].as_str().expect("call").to_owned();
    let decision = server.at(&format!("/api/v1/conversations/{id}/tool-calls/{call}/decision"));
    let (client, bearer) = (api.client.clone(), api.token.clone());
    let deciding = tokio::spawn(async move {
        let sent = client
            .post(decision)
            .bearer_auth(bearer)
            .json(&json!({"decision": "approve", "client_session": "p"}))
            .send()
            .await;
        match sent {
            Ok(response) => response.text().await.unwrap_or_default(),
            Err(_) => String::new(),
        }
    });
    let deadline = Instant::now() + Duration::from_secs(20);
    while detail(&api, &server, &id).await["tool_calls"][0]["status"] != "running" {
        assert!(Instant::now() < deadline, "the call never ran");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    // Created and polled for a moment; then the process dies.
    tokio::time::sleep(Duration::from_millis(2000)).await;
    server.child.kill().expect("kill -9");
    server.child.wait().expect("reaped");
    // The decision's stream was cut with the process, before any answer.
    let cut = deciding.await.expect("the decision's stream");
    assert!(!cut.contains("\"reason\":\"answered\""), "the task was still running: {cut}");

    model.push(Reply::text("Waited through a restart."));
    let server = serve(dir.path(), &model);
    let deadline = Instant::now() + Duration::from_secs(40);
    let after = loop {
        let now = detail(&api, &server, &id).await;
        if now["state"] == "idle" {
            break now;
        }
        assert!(Instant::now() < deadline, "the turn never went on: {now}");
        tokio::time::sleep(Duration::from_millis(200)).await;
    };
    let call = &after["tool_calls"][0];
    assert_eq!(call["status"], "completed", "not interrupted: {after}");
    assert_eq!(call["result"]["content"][0]["text"], "Completed 8000ms delay", "{call}");
    let sent: Vec<&str> =
        call["exchange"].as_array().into_iter().flatten().filter_map(|m| m["message"]["method"].as_str()).collect();
    assert_eq!(sent.first(), Some(&"tasks/get"), "followed again from a poll: {sent:?}");
    assert_eq!(sent.last(), Some(&"tasks/result"), "{sent:?}");
    let last = after["messages"].as_array().and_then(|m| m.last()).cloned().unwrap_or_default();
    assert_eq!(last["content"], "Waited through a restart.", "{after}");
    // The model was sent the task's result.
    let requests = model.requests();
    let messages = requests.last().expect("a request").body["messages"].clone();
    let tool = messages.as_array().into_iter().flatten().find(|m| m["role"] == "tool").cloned().unwrap_or_default();
    assert!(tool["content"].as_str().is_some_and(|c| c.contains("Completed 8000ms delay")), "{messages}");
}
