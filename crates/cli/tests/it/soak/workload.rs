//! The scripted workload: a few workers at once create conversations, send
//! messages that ask for reads and writes, decide the writes that wait, and call
//! actions by hand in the playground, until the server dies under them.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};

use rand::Rng as _;
use rand::rngs::StdRng;
use serde_json::{Value, json};

use super::ledger::Ledger;
use super::model::{READ, WRITE};
use crate::api::Api;

/// Everything a worker needs; shared by the workers of one round.
pub(super) struct Workload {
    pub(super) api: Api,
    /// The server's base URL (`http://127.0.0.1:PORT`).
    pub(super) base: String,
    /// The connector of the upstream that records what it executes.
    pub(super) connector: String,
    pub(super) ledger: Arc<Mutex<Ledger>>,
    /// Set when the round is over; workers also stop on their own once the server is gone.
    pub(super) stop: Arc<AtomicBool>,
}

/// The server is gone (or the connection was cut): the worker stops.
struct Gone;

impl From<reqwest::Error> for Gone {
    fn from(_: reqwest::Error) -> Gone {
        Gone
    }
}

impl Workload {
    /// One worker: random steps until the round stops or the server is gone.
    /// Markers (`{name}-{n}`) are unique over the whole soak.
    pub(super) async fn run(self: Arc<Self>, name: String, mut rng: StdRng) -> usize {
        let mut steps = 0;
        while !self.stop.load(Ordering::SeqCst) {
            let marker = format!("{name}-{steps}");
            steps += 1;
            let step = match rng.gen_range(0..10) {
                0 => self.create_conversation().await.map(drop),
                1..=4 => self.send_message(&mut rng, &marker).await,
                5..=7 => self.decide(&mut rng).await,
                _ => self.call_by_hand(&mut rng, &marker).await,
            };
            if step.is_err() {
                break;
            }
        }
        steps
    }

    /// One write from start to end on a calm server: a conversation, a message
    /// asking for the write, its approval. True once both were acknowledged.
    pub(super) async fn write_and_approve(&self, marker: &str) -> bool {
        let Ok(Some(id)) = self.create_conversation().await else { return false };
        let body = json!({"content": format!("write {marker}"), "client_session": "soak"});
        let Ok(response) = self.api.post_to(self.url(&format!("/api/v1/conversations/{id}/messages")), body).await
        else {
            return false;
        };
        if response.status() != 200 {
            return false;
        }
        self.ledger.lock().expect("ledger").messages.push((id.clone(), format!("write {marker}")));
        if response.text().await.is_err() {
            return false;
        }
        let decisions = self.ledger.lock().expect("ledger").decisions.len();
        // The stream ended with the turn parked: the write waits for this decision.
        self.decide_in(&id, "approve").await.is_ok() && self.ledger.lock().expect("ledger").decisions.len() > decisions
    }

    fn url(&self, path: &str) -> String {
        format!("{}{path}", self.base)
    }

    fn pick_conversation(&self, rng: &mut StdRng) -> Option<String> {
        let ledger = self.ledger.lock().expect("ledger");
        let n = ledger.conversations.len();
        (n > 0).then(|| ledger.conversations[rng.gen_range(0..n)].clone())
    }

    /// The new conversation's id, once acknowledged.
    async fn create_conversation(&self) -> Result<Option<String>, Gone> {
        let body = json!({"connectors": [self.connector]});
        let response = self.api.post_to(self.url("/api/v1/conversations"), body).await?;
        if response.status() != 201 {
            return Ok(None);
        }
        let created: Value = response.json().await?;
        let id = created["id"].as_str().expect("a created conversation has an id").to_owned();
        self.ledger.lock().expect("ledger").conversations.push(id.clone());
        Ok(Some(id))
    }

    /// A message asking for a write (mostly) or a read; a busy conversation answers 409.
    async fn send_message(&self, rng: &mut StdRng, marker: &str) -> Result<(), Gone> {
        let Some(id) = self.pick_conversation(rng) else { return self.create_conversation().await.map(drop) };
        let content = if rng.gen_bool(0.7) { format!("write {marker}") } else { format!("read {marker}") };
        let body = json!({"content": content, "client_session": "soak"});
        let response = self.api.post_to(self.url(&format!("/api/v1/conversations/{id}/messages")), body).await?;
        if response.status() == 200 {
            self.ledger.lock().expect("ledger").messages.push((id, content));
        }
        response.text().await?;
        Ok(())
    }

    /// Approve (mostly) or deny a call that waits, if the conversation has one.
    async fn decide(&self, rng: &mut StdRng) -> Result<(), Gone> {
        let Some(id) = self.pick_conversation(rng) else { return Ok(()) };
        let decision = if rng.gen_bool(0.75) { "approve" } else { "deny" };
        self.decide_in(&id, decision).await
    }

    /// Decide the first call of conversation `id` that waits, if any.
    async fn decide_in(&self, id: &str, decision: &str) -> Result<(), Gone> {
        let detail: Value = self.api.get_from(self.url(&format!("/api/v1/conversations/{id}"))).await?.json().await?;
        let waiting: Vec<&str> = detail["tool_calls"]
            .as_array()
            .into_iter()
            .flatten()
            .filter(|c| c["status"] == "awaiting_approval")
            .filter_map(|c| c["id"].as_str())
            .collect();
        let Some(call) = waiting.first().map(|c| (*c).to_owned()) else { return Ok(()) };
        let body = json!({"decision": decision, "client_session": "soak"});
        let path = format!("/api/v1/conversations/{id}/tool-calls/{call}/decision");
        let response = self.api.post_to(self.url(&path), body).await?;
        if response.status() == 200 {
            self.ledger.lock().expect("ledger").decisions.push((call, decision.to_owned()));
        }
        response.text().await?;
        Ok(())
    }

    /// The playground: the owner calls the read or the write by hand, which needs no approval.
    async fn call_by_hand(&self, rng: &mut StdRng, marker: &str) -> Result<(), Gone> {
        let marker = format!("pg-{marker}");
        let (tool, arguments) =
            if rng.gen_bool(0.5) { (READ, json!({"key": marker})) } else { (WRITE, json!({"text": marker})) };
        self.ledger.lock().expect("ledger").playground_sent.insert(marker.clone());
        let path = format!("/api/v1/connectors/{}/tools/{tool}/call", self.connector);
        let response = self.api.post_to(self.url(&path), json!({"arguments": arguments})).await?;
        if response.status() == 200 {
            self.ledger.lock().expect("ledger").playground_answered.push(marker);
        }
        response.bytes().await?;
        Ok(())
    }
}
