//! An app whose server moves to another authorization server: the tokens of
//! the old one are never sent to the new one, the connection needs reconnecting
//! (saying why), and reconnecting registers with the new one. The old server is
//! the PyPI `mcp` SDK's (`peers/oauth_server.py`); the moved one is the SDK's
//! resource server on the same address, now naming npm `oidc-provider`
//! (`peers/cimd_authorization_server.mjs --registration`) and accepting its tokens.

use std::path::{Path, PathBuf};

use serde_json::{Value, json};
use switchboard_testkit::peers::PeerProcess;
use switchboard_testkit::{DbKind, Signed, TestApp};

use super::connectors::{developer, post};
use super::oauth_client_metadata::through_the_authorization_server;
use super::{assert_problem, on_both_backends, send};

fn tools_file(dir: &Path) -> PathBuf {
    let path = dir.join("tools.json");
    let tools = json!([{"name": "echo", "description": "Use this to echo.", "inputSchema": {"type": "object"},
        "annotations": {"readOnlyHint": true}}]);
    std::fs::write(&path, serde_json::to_vec(&tools).expect("json")).expect("write tools");
    path
}

async fn echo(app: &TestApp, who: &Signed, id: &str) -> (reqwest::StatusCode, Value) {
    send(post(app, who, &format!("/api/v1/connectors/{id}/tools/echo/call"), json!({"arguments": {}}))).await
}

async fn token_requests(issuer: &str) -> Value {
    let stats: Value = reqwest::get(format!("{issuer}/test/stats")).await.expect("stats").json().await.expect("json");
    stats["token_requests"].clone()
}

mod the_old_issuer_s_tokens_stay_with_it {
    use super::*;

    pub(crate) async fn run(kind: DbKind) {
        let dir = tempfile::tempdir().expect("tempdir");
        let tools = tools_file(dir.path());
        let before = PeerProcess::python_oauth(&tools, &[]);
        let (url, old_issuer, port) = (before.url.clone(), before.origin(), before.port());
        let app = TestApp::start(kind).await;
        let dev = developer(&app, "dev@example.com").await;
        let body = json!({"name": "Moving", "url": url, "auth": {"mode": "oauth"}});
        let (status, created) = send(post(&app, &dev, "/api/v1/connectors", body)).await;
        assert_eq!(status, 201, "{created}");
        let id = created["connector"]["id"].as_str().expect("id").to_owned();
        let connect_url = created["connect_url"].as_str().expect("connect_url").to_owned();
        let start = dev.client.get(app.at(&connect_url)).send().await.expect("start");
        let to_as = start.headers()["location"].to_str().expect("location").to_owned();
        let back = TestApp::client().get(&to_as).send().await.expect("authorization server");
        let back = back.headers()["location"].to_str().expect("location").to_owned();
        dev.client.get(&back).send().await.expect("callback");
        let (status, answer) = echo(&app, &dev, &id).await;
        assert_eq!(status, 200, "{answer}");

        // The server moves: same address, another authorization server.
        drop(before);
        let moved_to = PeerProcess::cimd_authorization_server(&url, None, &["--registration"]);
        let new_issuer = moved_to.url.clone();
        let port = port.to_string();
        let after = PeerProcess::python_auth(&tools, &["--port", &port, "--as-issuer", &new_issuer]);
        assert_eq!(after.url, url);

        // The old token is refused; discovery names the new issuer; nothing of the
        // old grant goes there, and the person is told to reconnect, and why.
        let refused = echo(&app, &dev, &id).await;
        assert_problem(&refused, 409, "auth_required");
        assert_eq!(refused.1["details"]["state"], "needs_reconnect", "{}", refused.1);
        assert!(refused.1["detail"].as_str().is_some_and(|d| d.contains(&new_issuer)), "{}", refused.1);
        assert_eq!(token_requests(&new_issuer).await, 0, "no refresh token was sent to the new issuer");
        let (_, connection) = send(dev.client.get(app.at(&format!("/api/v1/connectors/{id}/oauth")))).await;
        assert_eq!(connection["state"], "needs_reconnect", "{connection}");
        assert_eq!(connection["issuer"], old_issuer.as_str());
        let reason = connection["reason"].as_str().expect("a reason");
        assert!(reason.contains("another authorization server") && reason.contains(&new_issuer), "{reason}");

        // Reconnecting registers with the new issuer (credentials are kept per issuer) and works.
        let start = dev.client.get(app.at(&connect_url)).send().await.expect("start");
        assert_eq!(start.status(), 302, "{:?}", start.text().await);
        let to_new = start.headers()["location"].to_str().expect("location").to_owned();
        assert!(to_new.starts_with(&new_issuer), "{to_new}");
        let back = through_the_authorization_server(&new_issuer, &to_new, &app.url).await;
        let done = dev.client.get(&back).send().await.expect("callback");
        let location = done.headers().get("location").map(|l| l.to_str().expect("location").to_owned());
        assert_eq!(location, Some(format!("/settings/apps/{id}?oauth=connected")));
        let (_, connection) = send(dev.client.get(app.at(&format!("/api/v1/connectors/{id}/oauth")))).await;
        assert_eq!(
            (connection["state"].as_str(), connection["issuer"].as_str()),
            (Some("connected"), Some(new_issuer.as_str()))
        );
        assert!(connection.get("reason").is_none(), "{connection}");
        let (status, answer) = echo(&app, &dev, &id).await;
        assert_eq!(status, 200, "{answer}");
        assert_eq!(token_requests(&new_issuer).await, 1, "one code exchange");
        let redirect_uri = app.at("/oauth/callback");
        assert!(app.store.oauth_client(&new_issuer, &redirect_uri).await.expect("read").is_some());
        assert!(app.store.oauth_client(&old_issuer, &redirect_uri).await.expect("read").is_some(), "kept per issuer");
        drop(after);
    }
}

on_both_backends!(the_old_issuer_s_tokens_stay_with_it);
