//! Talking to a running `switchboard serve` as its owner would: a personal API
//! token made with the CLI, JSON requests with it.

use std::path::Path;
use std::process::Command;

use serde_json::Value;

use crate::process::{Server, run, switchboard, text};

/// An owner's API client.
#[derive(Clone)]
pub(crate) struct Api {
    pub(crate) client: reqwest::Client,
    pub(crate) token: String,
}

impl Api {
    /// Add the owner `ada@example.com` to the database of `dir` (and of whatever
    /// `with` adds to each command, e.g. a database URL) and make a token for her.
    pub(crate) fn owner(dir: &Path, with: impl Fn(Command) -> Command) -> Api {
        let mut add = with(switchboard(dir));
        add.args(["user", "add", "ada@example.com", "--role", "owner", "--password-stdin"]);
        let out = run(add, "correct horse battery\n");
        assert!(out.status.success(), "{}", text(&out.stderr));
        let mut token = with(switchboard(dir));
        token.args(["token", "create", "ada@example.com"]);
        let out = run(token, "");
        assert!(out.status.success(), "{}", text(&out.stderr));
        Api { client: switchboard_testkit::http_client(), token: text(&out.stdout).trim().to_owned() }
    }

    pub(crate) async fn post(&self, server: &Server, path: &str, body: Value) -> reqwest::Response {
        self.post_to(server.at(path), body).await.expect("request")
    }

    /// A POST to a full URL; the error is the caller's to judge (the server may be gone).
    pub(crate) async fn post_to(&self, url: String, body: Value) -> reqwest::Result<reqwest::Response> {
        self.client.post(url).bearer_auth(&self.token).json(&body).send().await
    }

    pub(crate) async fn json(&self, server: &Server, path: &str, body: Value) -> Value {
        let response = self.post(server, path, body).await;
        assert!(response.status().is_success(), "{path}: {}", response.status());
        response.json().await.expect("json")
    }

    pub(crate) async fn get(&self, server: &Server, path: &str) -> Value {
        self.get_from(server.at(path)).await.expect("request").json().await.expect("json")
    }

    /// A GET of a full URL; the error is the caller's to judge.
    pub(crate) async fn get_from(&self, url: String) -> reqwest::Result<reqwest::Response> {
        self.client.get(url).bearer_auth(&self.token).send().await
    }
}
