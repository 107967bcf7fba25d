//! SQLite on a file system with no space left: writes are refused with a clear error,
//! a turn whose step cannot be stored ends without leaving its conversation stuck,
//! nothing stored earlier is lost, and once space is freed the same server writes
//! again and the audit trail verifies.

use std::path::PathBuf;
use std::time::{Duration, Instant};

use serde_json::{Value, json};
use switchboard_testkit::peers::PeerProcess;
use switchboard_testkit::{Gate, Reply, ScriptedModel, ToolCall};

use crate::process::{Server, run, switchboard, text};
use crate::small_disk::SmallDisk;

/// A server whose data directory is on `disk`, with an owner's API token.
struct Setup {
    server: Server,
    client: reqwest::Client,
    token: String,
    data: PathBuf,
}

impl Setup {
    fn start(disk: &SmallDisk, model: Option<&ScriptedModel>) -> Setup {
        let data = disk.path().join("data");
        std::fs::create_dir(&data).expect("data directory");
        let mut add = switchboard(&data);
        add.args(["user", "add", "ada@example.com", "--role", "owner", "--password-stdin"]);
        let out = run(add, "correct horse battery\n");
        assert!(out.status.success(), "{}", text(&out.stderr));
        let mut create = switchboard(&data);
        create.args(["token", "create", "ada@example.com"]);
        let token = text(&run(create, "").stdout).trim().to_owned();
        let mut cmd = switchboard(&data);
        if let Some(model) = model {
            cmd.env("OPENAI_BASE_URL", model.openai_base_url())
                .env("OPENAI_API_KEY", "sk-test")
                .env("SWITCHBOARD_MODEL", "openai/scripted");
        }
        Setup { server: Server::start(cmd), client: switchboard_testkit::http_client(), token, data }
    }

    async fn post(&self, path: &str, body: Value) -> (u16, String, String) {
        let response = self
            .client
            .post(self.server.at(path))
            .bearer_auth(&self.token)
            .json(&body)
            .timeout(Duration::from_secs(30))
            .send()
            .await
            .expect("the server answers");
        let status = response.status().as_u16();
        let kind = response
            .headers()
            .get(reqwest::header::CONTENT_TYPE)
            .and_then(|v| v.to_str().ok())
            .unwrap_or_default()
            .to_owned();
        (status, kind, response.text().await.expect("body"))
    }

    async fn get(&self, path: &str) -> Value {
        let response = self.client.get(self.server.at(path)).bearer_auth(&self.token).send().await.expect("get");
        assert!(response.status().is_success(), "{path}: {}", response.status());
        response.json().await.expect("json")
    }

    /// `switchboard audit verify` on the data directory: the chain is whole.
    fn audit_verifies(&self) {
        let mut verify = switchboard(&self.data);
        verify.args(["audit", "verify"]);
        let out = run(verify, "");
        assert!(out.status.success(), "{}{}", text(&out.stdout), text(&out.stderr));
        assert!(text(&out.stdout).starts_with("audit trail verified: "), "{}", text(&out.stdout));
    }
}

/// A refusal that tells the person the disk is full, in a problem document.
fn assert_told_disk_full(status: u16, kind: &str, body: &str) {
    assert_eq!((status, kind), (503, "application/problem+json"), "{body}");
    let problem: Value = serde_json::from_str(body).expect("problem+json");
    assert_eq!(problem["code"], "storage_full", "{problem}");
    assert!(problem["detail"].as_str().is_some_and(|d| d.contains("no space left")), "{problem}");
}

fn group_names(listed: &Value) -> Vec<String> {
    listed.as_array().into_iter().flatten().filter_map(|g| g["name"].as_str()).map(str::to_owned).collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn writes_on_a_full_disk_are_refused_plainly_and_lose_nothing() {
    let disk = SmallDisk::mount(16);
    let app = Setup::start(&disk, None);
    let mut kept = Vec::new();
    for n in 0..3 {
        let name = format!("before {n}");
        let (status, _, body) = app.post("/api/v1/groups", json!({"name": name})).await;
        assert_eq!(status, 201, "{body}");
        kept.push(name);
    }

    disk.fill();
    // What the write-ahead log already holds may take a few more; the disk runs out soon.
    let refused = 'refused: {
        for n in 0..500 {
            let name = format!("on a full disk {n}");
            let (status, kind, body) = app.post("/api/v1/groups", json!({"name": name})).await;
            if status != 201 {
                break 'refused (status, kind, body);
            }
            kept.push(name);
        }
        panic!("500 writes on a full disk were all stored");
    };
    assert_told_disk_full(refused.0, &refused.1, &refused.2);
    let health = app.client.get(app.server.at("/readyz")).send().await.expect("readyz");
    assert!(health.status().is_success() || health.status() == 503, "readyz answers: {}", health.status());

    disk.free();
    let (status, _, body) = app.post("/api/v1/groups", json!({"name": "after"})).await;
    assert_eq!(status, 201, "the same server writes again once there is space: {body}");
    kept.push("after".to_owned());
    let listed = group_names(&app.get("/api/v1/groups").await);
    for name in &kept {
        assert!(listed.contains(name), "{name} was acknowledged and is lost: {listed:?}");
    }
    app.audit_verifies();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_turn_stored_on_a_full_disk_ends_plainly_and_the_conversation_goes_on() {
    let disk = SmallDisk::mount(16);
    let model = ScriptedModel::start().await;
    let board = PeerProcess::kanban();
    let app = Setup::start(&disk, Some(&model));
    let (status, _, body) = app.post("/api/v1/connectors", json!({"name": "Kanban", "url": board.url})).await;
    assert_eq!(status, 201, "{body}");
    let kanban = serde_json::from_str::<Value>(&body).expect("json")["connector"]["id"].clone();
    let (_, _, body) = app.post("/api/v1/conversations", json!({"connectors": [kanban]})).await;
    let id = serde_json::from_str::<Value>(&body).expect("json")["id"].as_str().expect("id").to_owned();
    let messages = format!("/api/v1/conversations/{id}/messages");
    let list = || Reply::tool_calls(vec![ToolCall::new("l", "kanban__list_tasks", json!({}))]);

    model.push(list());
    model.push(Reply::text("Four tasks."));
    let (_, _, stream) = app.post(&messages, json!({"content": "What is on the board?", "client_session": "p"})).await;
    assert!(stream.contains("\"reason\":\"answered\""), "{stream}");

    // The next turn runs its read; the disk fills while the model writes its answer.
    let gate = Gate::new();
    model.push(list());
    model.push(Reply::text("An answer there is no room for.").hold_after(1, &gate));
    let asked = model.requests().len() + 2;
    let turn = {
        let (client, url, token) = (app.client.clone(), app.server.at(&messages), app.token.clone());
        tokio::spawn(async move {
            let body = json!({"content": "And now?", "client_session": "p"});
            client.post(url).bearer_auth(token).json(&body).send().await.expect("send").text().await.expect("stream")
        })
    };
    let deadline = Instant::now() + Duration::from_secs(20);
    while model.requests().len() < asked {
        assert!(Instant::now() < deadline, "the model was not asked for its answer");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    disk.fill();
    gate.open();
    let stream = tokio::time::timeout(Duration::from_secs(30), turn).await.expect("the turn ends").expect("stream");
    assert!(stream.contains("\"code\":\"storage_full\"") && stream.contains("no space left"), "{stream}");
    // The end of the turn could not be saved either: the stream says so truly.
    assert!(stream.contains("\"reason\":\"failed\"") && stream.contains("\"state\":\"running\""), "{stream}");
    let detail = app.get(&format!("/api/v1/conversations/{id}")).await;
    assert_eq!(detail["state"], "running", "{detail}");
    // A cancel while the disk is still full is refused plainly.
    let (status, kind, body) = app.post(&format!("/api/v1/conversations/{id}/cancel"), json!({})).await;
    assert_told_disk_full(status, &kind, &body);

    // Once space is freed the server ends the turn by itself.
    disk.free();
    let deadline = Instant::now() + Duration::from_secs(20);
    let detail = loop {
        let detail = app.get(&format!("/api/v1/conversations/{id}")).await;
        if detail["state"] == "idle" {
            break detail;
        }
        assert!(Instant::now() < deadline, "the failed turn was not ended once space was freed: {detail}");
        tokio::time::sleep(Duration::from_millis(100)).await;
    };

    // Read back: the first turn whole, the second's message and completed read kept.
    let contents: Vec<&str> =
        detail["messages"].as_array().expect("messages").iter().filter_map(|m| m["content"].as_str()).collect();
    let said_last = contents.last().copied().unwrap_or_default();
    assert!(said_last.contains("could not be saved"), "the note says why the turn stopped: {detail}");
    for said in ["What is on the board?", "Four tasks.", "And now?"] {
        assert!(contents.contains(&said), "{said} is lost: {detail}");
    }
    let calls: Vec<&str> =
        detail["tool_calls"].as_array().expect("calls").iter().filter_map(|c| c["status"].as_str()).collect();
    assert_eq!(calls, ["completed", "completed"], "{detail}");

    // The conversation goes on, on the same server.
    model.push(Reply::text("Still four tasks."));
    let (_, _, stream) = app.post(&messages, json!({"content": "Once more", "client_session": "p"})).await;
    assert!(stream.contains("\"reason\":\"answered\""), "{stream}");
    app.audit_verifies();
}
