//! Shared parts of the conversation tests: an app with the scripted model, the
//! Kanban example and a PyPI `mcp` server connected, and turns read off SSE.

use std::path::PathBuf;

use serde_json::{Value, json};
use switchboard_core::Role;
use switchboard_testkit::peers::PeerProcess;
use switchboard_testkit::{DbKind, ScriptedModel, Signed, TestApp};

use super::send;

/// The PyPI server's actions: a read, a write, and a slow read.
pub(crate) fn notes_tools() -> Value {
    json!([
        {"name": "lookup", "description": "Use this when you need a record by its key.",
         "inputSchema": {"type": "object", "properties": {"key": {"type": "string"}}, "required": ["key"]},
         "annotations": {"readOnlyHint": true},
         "_meta": {"openai/toolInvocation/invoking": "Looking it up…", "openai/toolInvocation/invoked": "Looked it up"}},
        {"name": "record_note", "description": "Use this to save a note.",
         "inputSchema": {"type": "object", "properties": {"text": {"type": "string"}}, "required": ["text"]},
         "annotations": {"readOnlyHint": false, "destructiveHint": false}},
        {"name": "slow", "description": "Use this to wait.",
         "inputSchema": {"type": "object", "properties": {"seconds": {"type": "number"}}},
         "annotations": {"readOnlyHint": true}}
    ])
}

pub(crate) struct Chat {
    pub(crate) app: TestApp,
    pub(crate) model: ScriptedModel,
    pub(crate) owner: Signed,
    pub(crate) board: PeerProcess,
    /// Taken by a test that stops the server.
    pub(crate) notes: Option<PeerProcess>,
    pub(crate) kanban_id: String,
    pub(crate) notes_id: String,
    /// The PyPI server's tool file, read again on every `tools/list`.
    pub(crate) notes_tools: PathBuf,
    _dir: tempfile::TempDir,
}

impl Chat {
    pub(crate) async fn start(kind: DbKind) -> Chat {
        Self::start_with(kind, |c| c).await
    }

    /// [`Chat::start`] with the server's configuration changed by `configure`.
    pub(crate) async fn start_with(
        kind: DbKind,
        configure: impl FnOnce(switchboard_web::WebConfig) -> switchboard_web::WebConfig,
    ) -> Chat {
        let model = ScriptedModel::start().await;
        let providers = model.providers("openai/scripted");
        let app = TestApp::start_with(kind, move |mut c| {
            c.providers = providers;
            configure(c)
        })
        .await;
        let owner = app.signed_in("admin@example.com", Role::Admin).await;
        let board = PeerProcess::kanban();
        let dir = tempfile::tempdir().expect("tempdir");
        let file: PathBuf = dir.path().join("tools.json");
        std::fs::write(&file, notes_tools().to_string()).expect("tools file");
        let notes = PeerProcess::python_tools(&file, "streamable-http");
        let notes_url = notes.url.clone();
        let mut chat = Chat {
            app,
            model,
            owner,
            board,
            notes: Some(notes),
            kanban_id: String::new(),
            notes_id: String::new(),
            notes_tools: file,
            _dir: dir,
        };
        chat.kanban_id = chat.connector("Kanban", &chat.board.url.clone()).await;
        chat.notes_id = chat.connector("PyPI notes", &notes_url).await;
        chat
    }

    pub(crate) async fn connector(&self, name: &str, url: &str) -> String {
        let (status, created) = send(
            self.owner
                .client
                .post(self.app.at("/api/v1/connectors"))
                .headers(self.owner.csrf_headers())
                .json(&json!({"name": name, "url": url})),
        )
        .await;
        assert_eq!(status, 201, "{created}");
        created["connector"]["id"].as_str().expect("id").to_owned()
    }

    pub(crate) async fn conversation(&self, who: &Signed, body: Value) -> String {
        let (status, c) =
            send(who.client.post(self.app.at("/api/v1/conversations")).headers(who.csrf_headers()).json(&body)).await;
        assert_eq!(status, 201, "{c}");
        c["id"].as_str().expect("id").to_owned()
    }

    /// Send a message and read the whole turn.
    pub(crate) async fn say(&self, who: &Signed, id: &str, text: &str, session: &str) -> Turn {
        let response = who
            .client
            .post(self.app.at(&format!("/api/v1/conversations/{id}/messages")))
            .headers(who.csrf_headers())
            .json(&json!({"content": text, "client_session": session}))
            .send()
            .await
            .expect("request");
        Turn::read(response).await
    }

    pub(crate) async fn decide(
        &self,
        who: &Signed,
        id: &str,
        call: &str,
        decision: &str,
        remember: bool,
        session: &str,
    ) -> Turn {
        let response = who
            .client
            .post(self.app.at(&format!("/api/v1/conversations/{id}/tool-calls/{call}/decision")))
            .headers(who.csrf_headers())
            .json(&json!({"decision": decision, "remember": remember, "client_session": session}))
            .send()
            .await
            .expect("request");
        Turn::read(response).await
    }

    pub(crate) async fn detail(&self, id: &str) -> Value {
        let (status, body) = send(self.owner.client.get(self.app.at(&format!("/api/v1/conversations/{id}")))).await;
        assert_eq!(status, 200, "{body}");
        body
    }

    /// The tool names offered in the model's `n`th request.
    pub(crate) fn offered(&self, n: usize) -> Vec<String> {
        let requests = self.model.requests();
        let body = &requests.get(n).unwrap_or_else(|| panic!("no request {n}; {} in all", requests.len())).body;
        body["tools"]
            .as_array()
            .into_iter()
            .flatten()
            .map(|t| t["function"]["name"].as_str().or(t["name"].as_str()).unwrap_or_default().to_owned())
            .collect()
    }

    /// The tool results the model was sent in its last request, as text.
    pub(crate) fn tool_results_sent(&self) -> Vec<String> {
        self.last_messages()
            .iter()
            .filter(|m| m["role"] == "tool")
            .map(|m| m["content"].as_str().unwrap_or_default().to_owned())
            .collect()
    }

    /// The messages of the model's last request.
    pub(crate) fn last_messages(&self) -> Vec<Value> {
        let requests = self.model.requests();
        requests.last().expect("a request").body["messages"].as_array().cloned().unwrap_or_default()
    }
}

/// A turn's events as they came: `(event, data)`.
#[derive(Debug)]
pub(crate) struct Turn {
    pub(crate) status: u16,
    pub(crate) events: Vec<(String, Value)>,
    pub(crate) body: String,
}

impl Turn {
    pub(crate) async fn read(response: reqwest::Response) -> Turn {
        let status = response.status().as_u16();
        let body = response.text().await.expect("body");
        let mut events = vec![];
        for block in body.split("\n\n") {
            let mut name = None;
            let mut data = String::new();
            for line in block.lines() {
                if let Some(v) = line.strip_prefix("event:") {
                    name = Some(v.trim().to_owned());
                } else if let Some(v) = line.strip_prefix("data:") {
                    data.push_str(v.trim_start());
                }
            }
            if let Some(name) = name {
                let value: Value = serde_json::from_str(&data).expect("event data is JSON");
                assert_eq!(value["type"], name.as_str(), "the data names its event");
                events.push((name, value));
            }
        }
        Turn { status, events, body }
    }

    pub(crate) fn of(&self, kind: &str) -> Vec<&Value> {
        self.events.iter().filter(|(n, _)| n == kind).map(|(_, v)| v).collect()
    }

    pub(crate) fn text(&self) -> String {
        self.of("text_delta").iter().filter_map(|e| e["text"].as_str()).collect()
    }

    #[track_caller]
    pub(crate) fn done(&self) -> &Value {
        assert_eq!(self.status, 200, "{}", self.body);
        let (name, last) = self.events.last().unwrap_or_else(|| panic!("no events: {}", self.body));
        assert_eq!(name, "done", "the last event is done: {:?}", self.events);
        last
    }

    /// The one call waiting for a decision.
    #[track_caller]
    pub(crate) fn waiting(&self) -> String {
        let waiting = self.of("awaiting_approval");
        assert_eq!(waiting.len(), 1, "{:?}", self.events);
        waiting[0]["call"]["id"].as_str().expect("id").to_owned()
    }

    /// The results, as (tool, status, decision).
    pub(crate) fn results(&self) -> Vec<(String, String, String)> {
        self.of("tool_result")
            .iter()
            .map(|e| {
                let c = &e["call"];
                (
                    c["name"].as_str().unwrap_or_default().to_owned(),
                    c["status"].as_str().unwrap_or_default().to_owned(),
                    c["decision"].as_str().unwrap_or_default().to_owned(),
                )
            })
            .collect()
    }
}
