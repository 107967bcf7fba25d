//! `/api/v1/connectors/{id}/oauth` and `/oauth/callback`: connecting people to an
//! OAuth-protected MCP server whose authorization server is the PyPI `mcp` SDK's
//! (`peers/oauth_server.py`), over real sockets, without a browser.

use std::path::{Path, PathBuf};
use std::time::Duration;

use serde_json::{Value, json};
use switchboard_core::Role;
use switchboard_testkit::peers::PeerProcess;
use switchboard_testkit::{DbKind, Signed, TestApp};

use super::connectors::{developer, post};
use super::{assert_problem, on_both_backends, send};

pub(super) fn tools_file(dir: &Path) -> PathBuf {
    let path = dir.join("tools.json");
    let tools = json!([{"name": "echo", "description": "Use this to echo.", "inputSchema": {"type": "object",
        "properties": {"text": {"type": "string"}}}, "annotations": {"readOnlyHint": true}}]);
    std::fs::write(&path, serde_json::to_vec(&tools).expect("json")).expect("write tools");
    path
}

/// Create an OAuth app as `who`: its id.
async fn create(app: &TestApp, who: &Signed, peer: &PeerProcess) -> String {
    let created = created(app, who, peer).await;
    assert!(!created["warnings"].to_string().contains("offline_access"), "the server lists it: {created}");
    created["connector"]["id"].as_str().expect("id").to_owned()
}

/// The answer to creating an OAuth app as `who`, checked for what every one carries.
async fn created(app: &TestApp, who: &Signed, peer: &PeerProcess) -> Value {
    let body = json!({"name": "Protected", "url": peer.url, "auth": {"mode": "oauth"}});
    let (status, created) = send(post(app, who, "/api/v1/connectors", body)).await;
    assert_eq!(status, 201, "{created}");
    assert_eq!(created["connector"]["auth_mode"], "oauth");
    assert_eq!(created["connector"]["tool_count"], 0, "nothing is listed before someone connects");
    let id = created["connector"]["id"].as_str().expect("id").to_owned();
    assert_eq!(created["connect_url"], format!("/api/v1/connectors/{id}/oauth/start"));
    created
}

/// Follow the flow as a browser would, without one: start (302 to the
/// authorization server), the authorization server (which approves at once and
/// answers 302 to our callback): the callback URL.
async fn authorize(app: &TestApp, who: &Signed, id: &str) -> String {
    let start = who.client.get(app.at(&format!("/api/v1/connectors/{id}/oauth/start"))).send().await.expect("start");
    assert_eq!(start.status(), 302, "{:?}", start.text().await);
    let to_as = start.headers()["location"].to_str().expect("location").to_owned();
    assert!(to_as.contains("code_challenge_method=S256") && to_as.contains("resource="), "{to_as}");
    let answer = TestApp::client().get(&to_as).send().await.expect("authorization server");
    assert_eq!(answer.status(), 302, "{:?}", answer.text().await);
    let back = answer.headers()["location"].to_str().expect("location").to_owned();
    assert!(back.starts_with(&app.at("/oauth/callback?")), "{back}");
    back
}

/// The callback, as `who`: where it sends the browser.
pub(super) async fn callback(who: &Signed, url: &str) -> (u16, String, Value) {
    let response = who.client.get(url).send().await.expect("callback");
    let status = response.status().as_u16();
    let location = response.headers().get("location").map(|l| l.to_str().expect("location").to_owned());
    let body = response.text().await.unwrap_or_default();
    (status, location.unwrap_or_default(), serde_json::from_str(&body).unwrap_or(Value::Null))
}

async fn connect(app: &TestApp, who: &Signed, id: &str) {
    let url = authorize(app, who, id).await;
    let (status, location, _) = callback(who, &url).await;
    assert_eq!((status, location.as_str()), (302, format!("/settings/apps/{id}?oauth=connected").as_str()));
}

pub(super) async fn echo(app: &TestApp, who: &Signed, id: &str, text: &str) -> (reqwest::StatusCode, Value) {
    let path = format!("/api/v1/connectors/{id}/tools/echo/call");
    send(post(app, who, &path, json!({"arguments": {"text": text}}))).await
}

async fn stats(peer: &PeerProcess) -> Value {
    reqwest::get(format!("{}/test/stats", peer.origin())).await.expect("stats").json().await.expect("stats json")
}

async fn poke(peer: &PeerProcess, what: &str) {
    let answer = reqwest::Client::new().post(format!("{}/test/{what}", peer.origin())).send().await.expect("poke");
    assert!(answer.status().is_success());
}

/// Every token the authorization server issued.
async fn issued_tokens(peer: &PeerProcess) -> Vec<String> {
    let s = stats(peer).await;
    ["access_tokens", "refresh_tokens"]
        .iter()
        .flat_map(|k| s[*k].as_array().cloned().unwrap_or_default())
        .filter_map(|t| t.as_str().map(str::to_owned))
        .collect()
}

fn assert_no_token(seen: &str, tokens: &[String], what: &str) {
    for t in tokens {
        assert!(!seen.contains(t.as_str()), "a token appears in {what}");
    }
}

mod connects_calls_and_disconnects_per_person {
    use super::*;

    pub(crate) async fn run(kind: DbKind) {
        let dir = tempfile::tempdir().expect("tempdir");
        let peer = PeerProcess::python_oauth(&tools_file(dir.path()), &["--revocation"]);
        let app = TestApp::start(kind).await;
        let dev = developer(&app, "dev@example.com").await;
        let admin = app.signed_in("admin@example.com", Role::Admin).await;
        let mut seen = String::new();

        let id = create(&app, &dev, &peer).await;
        let state_path = format!("/api/v1/connectors/{id}/oauth");
        let (status, before) = send(dev.client.get(app.at(&state_path))).await;
        assert_eq!((status.as_u16(), before["state"].as_str()), (200, Some("needs_connect")), "{before}");

        // Listing without a token is a sign-in to do, not a failure.
        let refused = send(post(&app, &dev, &format!("/api/v1/connectors/{id}/refresh"), json!({}))).await;
        assert_problem(&refused, 409, "auth_required");
        assert_eq!(refused.1["details"]["state"], "needs_connect");
        assert_eq!(refused.1["details"]["connect_url"], format!("/api/v1/connectors/{id}/oauth/start"));

        // A state is single-use and bound to the person who started it.
        let url = authorize(&app, &dev, &id).await;
        let (status, _, body) = callback(&admin, &url).await;
        assert_eq!((status, body["code"].as_str()), (400, Some("oauth_state_invalid")), "{body}");
        let (status, location, _) = callback(&dev, &url).await;
        assert_eq!((status, location), (302, format!("/settings/apps/{id}?oauth=connected")));
        let (status, _, body) = callback(&dev, &url).await;
        assert_eq!((status, body["code"].as_str()), (400, Some("oauth_state_invalid")), "replayed: {body}");
        assert_eq!(stats(&peer).await["code_exchanges"], 1);

        let (_, now) = send(dev.client.get(app.at(&state_path))).await;
        assert_eq!(now["state"], "connected", "{now}");
        assert_eq!(now["refreshable"], true);
        assert!(now["scopes"].as_array().expect("scopes").contains(&json!("mcp:tools")), "{now}");
        assert!(now["expires_at"].is_string());
        seen.push_str(&now.to_string());
        let (_, got) = send(dev.client.get(app.at(&format!("/api/v1/connectors/{id}")))).await;
        assert_eq!(got["tool_count"], 1, "the creator's first connection lists the tools: {got}");
        seen.push_str(&got.to_string());

        // Each person calls with their own token.
        let (status, mine) = echo(&app, &dev, &id, "mine").await;
        assert_eq!(status, 200, "{mine}");
        seen.push_str(&mine.to_string());
        // So is a call: the admin has not connected yet.
        let refused = echo(&app, &admin, &id, "hi").await;
        assert_problem(&refused, 409, "auth_required");
        assert_eq!(refused.1["details"]["state"], "needs_connect");
        connect(&app, &admin, &id).await;
        let (status, theirs) = echo(&app, &admin, &id, "theirs").await;
        assert_eq!(status, 200, "{theirs}");
        seen.push_str(&theirs.to_string());
        let of = |v: &Value| v["result"]["structuredContent"].clone();
        assert_eq!(of(&mine)["arguments"]["text"], "mine", "{mine}");
        assert!(of(&mine)["token"].is_string() && of(&theirs)["token"].is_string(), "{mine} {theirs}");
        assert_ne!(of(&mine)["token"], of(&theirs)["token"], "the server sees two tokens");
        assert_ne!(of(&mine)["subject"], of(&theirs)["subject"]);

        // Disconnecting revokes at the authorization server, then forgets.
        let (status, _) = send(dev.client.delete(app.at(&state_path)).headers(dev.csrf_headers())).await;
        assert_eq!(status, 204);
        let s = stats(&peer).await;
        assert_eq!(s["revoked"].as_array().map(Vec::len), Some(1), "{s}");
        let (_, after) = send(dev.client.get(app.at(&state_path))).await;
        assert_eq!(after["state"], "needs_connect");
        assert_problem(&echo(&app, &dev, &id, "again").await, 409, "auth_required");
        let (status, still) = echo(&app, &admin, &id, "still").await;
        assert_eq!(status, 200, "the other person stays connected: {still}");

        // No token in any answer nor in the audit trail.
        let tokens = issued_tokens(&peer).await;
        assert!(tokens.len() >= 4);
        assert_no_token(&seen, &tokens, "an API answer");
        let audit = app.store.audit_events(time::OffsetDateTime::UNIX_EPOCH, 1000).await.expect("audit");
        assert!(audit.iter().any(|e| e.event.kind == switchboard_core::AuditKind::OAuthConnected));
        assert_no_token(&format!("{audit:?}"), &tokens, "the audit trail");
    }
}

mod refreshes_once_and_rotates {
    use super::*;

    pub(crate) async fn run(kind: DbKind) {
        let dir = tempfile::tempdir().expect("tempdir");
        let peer = PeerProcess::python_oauth(&tools_file(dir.path()), &["--token-lifetime", "3"]);
        let app = TestApp::start(kind).await;
        let dev = developer(&app, "dev@example.com").await;
        let id = create(&app, &dev, &peer).await;
        connect(&app, &dev, &id).await;
        let (status, first) = echo(&app, &dev, &id, "first").await;
        assert_eq!(status, 200, "{first}");

        // Past the refresh margin (a quarter of a 3-second life): five calls at
        // once, one refresh, everyone uses the winner's token.
        tokio::time::sleep(Duration::from_millis(2600)).await;
        let calls = (0..5).map(|i| {
            let (app, dev, id) = (&app, &dev, &id);
            async move { echo(app, dev, id, &format!("parallel {i}")).await }
        });
        let answers = futures::future::join_all(calls).await;
        for (status, body) in &answers {
            assert_eq!(*status, 200, "{body}");
        }
        let s = stats(&peer).await;
        assert_eq!(s["refreshes"], 1, "exactly one refresh for five calls: {s}");
        let tokens: std::collections::BTreeSet<String> =
            answers.iter().map(|(_, b)| b["result"]["structuredContent"]["token"].to_string()).collect();
        assert_eq!(tokens.len(), 1, "one token for all five: {tokens:?}");

        // The rotated refresh token is the one kept.
        let user = dev.user.id;
        let connector = id.parse().expect("connector id");
        let grant = app.store.oauth_grant(user, connector).await.expect("read").expect("grant");
        let last_refresh = s["refresh_tokens"].as_array().and_then(|a| a.last()).and_then(Value::as_str);
        assert_eq!(grant.refresh_token.as_ref().map(|r| r.expose()), last_refresh);

        // A token the server refuses (401) is renewed and the call sent again.
        poke(&peer, "expire-access").await;
        let (status, body) = echo(&app, &dev, &id, "after 401").await;
        assert_eq!(status, 200, "{body}");
        assert_eq!(stats(&peer).await["refreshes"], 2);

        // A grant the authorization server forgot: reconnect, said plainly.
        poke(&peer, "forget-grants").await;
        let refused = echo(&app, &dev, &id, "forgotten").await;
        assert_problem(&refused, 409, "auth_required");
        assert_eq!(refused.1["details"]["state"], "needs_reconnect", "{}", refused.1);
        let (_, now) = send(dev.client.get(app.at(&format!("/api/v1/connectors/{id}/oauth")))).await;
        assert_eq!(now["state"], "needs_reconnect");
        connect(&app, &dev, &id).await;
        let (status, body) = echo(&app, &dev, &id, "reconnected").await;
        assert_eq!(status, 200, "{body}");
    }
}

/// A refresh token is bound to the client it was issued to: each grant keeps the
/// client that obtained it, and renews and revokes with that one, even after the
/// app's registration was made anew (here: forgotten, as after an `invalid_client`,
/// and registered again by the next person to connect).
mod each_grant_renews_with_the_client_that_obtained_it {
    use super::*;

    pub(crate) async fn run(kind: DbKind) {
        let dir = tempfile::tempdir().expect("tempdir");
        let peer = PeerProcess::python_oauth(&tools_file(dir.path()), &["--revocation"]);
        let app = TestApp::start(kind).await;
        let dev = developer(&app, "dev@example.com").await;
        let admin = app.signed_in("admin@example.com", Role::Admin).await;
        let id = create(&app, &dev, &peer).await;
        connect(&app, &dev, &id).await;
        let connector = id.parse().expect("connector id");
        let grant = app.store.oauth_grant(dev.user.id, connector).await.expect("read").expect("grant");
        let first = grant.client.clone().expect("the client is recorded");
        assert_eq!(first.registration, switchboard_core::oauth::Registration::Dynamic);
        assert_eq!(stats(&peer).await["clients"], json!([first.client_id]));

        // The registration is made anew: the next person to connect registers another client.
        let redirect_uri = app.at("/oauth/callback");
        let forgotten = app.store.forget_oauth_client(&grant.issuer, &redirect_uri, &first.client_id).await;
        assert!(forgotten.expect("forget"), "the registration was kept for {} {redirect_uri}", grant.issuer);
        connect(&app, &admin, &id).await;
        let theirs = app.store.oauth_grant(admin.user.id, connector).await.expect("read").expect("grant");
        let second = theirs.client.expect("recorded").client_id;
        assert_ne!(second, first.client_id);
        assert_eq!(stats(&peer).await["clients"], json!([first.client_id, second]));

        // The first person's token is renewed with the client that obtained it (the
        // authorization server refuses a refresh token from another client: invalid_grant).
        poke(&peer, "expire-access").await;
        let (status, body) = echo(&app, &dev, &id, "after 401").await;
        assert_eq!(status, 200, "{body}");
        assert_eq!(stats(&peer).await["refreshes"], 1);
        let renewed = app.store.oauth_grant(dev.user.id, connector).await.expect("read").expect("grant");
        assert_eq!(renewed.client.as_ref(), Some(&first), "a refresh keeps the client");

        // Disconnecting revokes with that client too (the server revokes only a token of the client asking).
        let kept_refresh = renewed.refresh_token.as_ref().expect("refresh token").expose().to_owned();
        let path = format!("/api/v1/connectors/{id}/oauth");
        let (status, _) = send(dev.client.delete(app.at(&path)).headers(dev.csrf_headers())).await;
        assert_eq!(status, 204);
        let revoked = stats(&peer).await["revoked"].clone();
        assert!(revoked.as_array().expect("list").contains(&json!(kept_refresh)), "revoked by its client: {revoked}");
    }
}

/// An authorization server that forgot the client Switchboard registered there
/// answers `invalid_client` (RFC 6749 §5.2): on a refresh, the registration is
/// forgotten and the person told to reconnect, which registers a new client; on a
/// code exchange, the same, and connecting again works.
mod a_forgotten_registration_is_made_anew {
    use super::*;

    pub(crate) async fn run(kind: DbKind) {
        let dir = tempfile::tempdir().expect("tempdir");
        let peer = PeerProcess::python_oauth(&tools_file(dir.path()), &[]);
        let app = TestApp::start(kind).await;
        let dev = developer(&app, "dev@example.com").await;
        let id = create(&app, &dev, &peer).await;
        connect(&app, &dev, &id).await;
        assert_eq!(echo(&app, &dev, &id, "works").await.0, 200);
        let path = format!("/api/v1/connectors/{id}/oauth");
        let clients = |s: &Value| s["clients"].as_array().map_or(0, Vec::len);

        // On a refresh: needs_reconnect, saying why, and nothing more is sent to the token endpoint.
        poke(&peer, "forget-clients").await;
        poke(&peer, "expire-access").await;
        let refused = echo(&app, &dev, &id, "forgotten").await;
        assert_problem(&refused, 409, "auth_required");
        assert_eq!(refused.1["details"]["state"], "needs_reconnect", "{}", refused.1);
        let (_, now) = send(dev.client.get(app.at(&path))).await;
        assert_eq!(now["state"], "needs_reconnect", "{now}");
        let reason = now["reason"].as_str().unwrap_or_default();
        assert!(reason.contains("invalid_client") && reason.contains("registers a new client"), "{now}");
        let refused = echo(&app, &dev, &id, "again").await;
        assert_eq!(refused.1["details"]["state"], "needs_reconnect", "no second refresh: {}", refused.1);
        assert_eq!(stats(&peer).await["refreshes"], 0, "the refused refresh counts nothing");

        // Reconnecting registers a new client, and calls work.
        connect(&app, &dev, &id).await;
        assert_eq!(clients(&stats(&peer).await), 2);
        let (status, body) = echo(&app, &dev, &id, "reconnected").await;
        assert_eq!(status, 200, "{body}");

        // On a code exchange: the server forgets the client between the authorization and the callback.
        let url = authorize(&app, &dev, &id).await;
        poke(&peer, "forget-clients").await;
        let (status, location, _) = callback(&dev, &url).await;
        assert_eq!(status, 302);
        assert!(location.contains("oauth_error=oauth_failed"), "{location}");
        let message: String = url::form_urlencoded::parse(location.split_once('?').expect("query").1.as_bytes())
            .find(|(k, _)| k == "oauth_message")
            .map(|(_, v)| v.into_owned())
            .unwrap_or_default();
        assert!(message.contains("no longer knows") && message.contains("registers a new one"), "{message}");
        let (_, now) = send(dev.client.get(app.at(&path))).await;
        assert_eq!(now["state"], "needs_reconnect", "the grant from the forgotten client cannot be renewed: {now}");
        connect(&app, &dev, &id).await;
        assert_eq!(clients(&stats(&peer).await), 3, "registered anew");
        let (status, body) = echo(&app, &dev, &id, "after the exchange").await;
        assert_eq!(status, 200, "{body}");
    }
}

on_both_backends!(
    connects_calls_and_disconnects_per_person,
    refreshes_once_and_rotates,
    each_grant_renews_with_the_client_that_obtained_it,
    a_forgotten_registration_is_made_anew
);

/// The callback's outcome for a flow against a peer started with `flags`.
async fn callback_outcome(flags: &[&str]) -> (u16, String, Value) {
    let dir = tempfile::tempdir().expect("tempdir");
    let peer = PeerProcess::python_oauth(&tools_file(dir.path()), flags);
    let app = TestApp::start(DbKind::Sqlite).await;
    let dev = developer(&app, "dev@example.com").await;
    let id = create(&app, &dev, &peer).await;
    let url = authorize(&app, &dev, &id).await;
    let outcome = callback(&dev, &url).await;
    // Whatever happened, the app is still there and says what to do.
    let (status, state) = send(dev.client.get(app.at(&format!("/api/v1/connectors/{id}/oauth")))).await;
    assert_eq!(status, 200, "{state}");
    outcome
}

/// What starting a flow answers against a peer started with `flags`.
async fn start_outcome(flags: &[&str]) -> (reqwest::StatusCode, Value) {
    let dir = tempfile::tempdir().expect("tempdir");
    let peer = PeerProcess::python_oauth(&tools_file(dir.path()), flags);
    let app = TestApp::start(DbKind::Sqlite).await;
    let dev = developer(&app, "dev@example.com").await;
    let id = create(&app, &dev, &peer).await;
    let answer = send(dev.client.get(app.at(&format!("/api/v1/connectors/{id}/oauth/start")))).await;
    let (status, got) = send(dev.client.get(app.at(&format!("/api/v1/connectors/{id}")))).await;
    assert_eq!(status, 200, "the app is still there: {got}");
    answer
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn creating_an_app_whose_server_offers_no_refresh_warns_that_people_sign_in_again() {
    let dir = tempfile::tempdir().expect("tempdir");
    let peer = PeerProcess::python_oauth(&tools_file(dir.path()), &["--no-offline-access"]);
    let app = TestApp::start(DbKind::Sqlite).await;
    let dev = developer(&app, "dev@example.com").await;
    let created = created(&app, &dev, &peer).await;
    let warnings = created["warnings"].as_array().expect("warnings");
    let offline: Vec<_> = warnings.iter().filter_map(Value::as_str).filter(|w| w.contains("offline_access")).collect();
    assert_eq!(offline.len(), 1, "{created}");
    assert!(offline[0].contains("sign in again"), "{created}");
    // The app is made all the same, and people can still connect.
    let id = created["connector"]["id"].as_str().expect("id");
    connect(&app, &dev, id).await;
    let (status, answer) = echo(&app, &dev, id, "still works").await;
    assert_eq!(status, 200, "{answer}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn authorization_servers_that_cannot_be_used_are_explained() {
    let no_pkce = start_outcome(&["--no-pkce"]).await;
    assert_problem(&no_pkce, 422, "oauth_unsupported");
    assert!(no_pkce.1["detail"].as_str().is_some_and(|d| d.contains("S256")), "{}", no_pkce.1);

    let refused = start_outcome(&["--registration", "refused"]).await;
    assert_problem(&refused, 422, "oauth_failed");
    assert!(refused.1["detail"].as_str().is_some_and(|d| d.contains("register")), "{}", refused.1);

    let none = start_outcome(&["--registration", "off"]).await;
    assert_problem(&none, 422, "oauth_failed");
    assert!(none.1["detail"].as_str().is_some_and(|d| d.contains("client_id")), "{}", none.1);
}

/// A 2025-03-26 server that publishes no metadata at all (`--no-metadata`: every
/// well-known URL answers 404, the challenge names none) is refused, saying why and
/// how to allow it, unless the app allows legacy OAuth endpoints; then people connect
/// at its own `/authorize`, `/token` and `/register`, with PKCE S256 and `resource`.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_server_without_metadata_is_used_only_where_the_app_allows_it() {
    let dir = tempfile::tempdir().expect("tempdir");
    let peer = PeerProcess::python_oauth(&tools_file(dir.path()), &["--no-metadata"]);
    let app = TestApp::start(DbKind::Sqlite).await;
    let dev = developer(&app, "dev@example.com").await;
    let make = |name: &str, auth: Value| {
        send(post(&app, &dev, "/api/v1/connectors", json!({"name": name, "url": peer.url, "auth": auth})))
    };

    // By default (DESIGN S3): the app is made, and connecting is refused with the reason and the way out.
    let (status, created) = make("Strict", json!({"mode": "oauth"})).await;
    assert_eq!(status, 201, "{created}");
    assert!(created["warnings"].to_string().contains("legacy OAuth endpoints"), "{created}");
    let strict = created["connector"]["id"].as_str().expect("id").to_owned();
    let start = |id: &str| dev.client.get(app.at(&format!("/api/v1/connectors/{id}/oauth/start")));
    let refused = send(start(&strict)).await;
    assert_problem(&refused, 422, "oauth_failed");
    let detail = refused.1["detail"].as_str().unwrap_or_default();
    for words in ["publishes no protected resource metadata", "PKCE with S256", "allow legacy OAuth endpoints"] {
        assert!(detail.contains(words), "{words:?} in {detail}");
    }
    assert_eq!(stats(&peer).await["clients"], json!([]), "nothing was registered");

    // Allowed for one app: its people connect at the server's own default endpoints.
    let (status, created) = make("Legacy", json!({"mode": "oauth", "legacy_endpoints": true})).await;
    assert_eq!(status, 201, "{created}");
    let legacy = created["connector"]["id"].as_str().expect("id").to_owned();
    let started = start(&legacy).send().await.expect("start");
    assert_eq!(started.status(), 302);
    let to_as = started.headers()["location"].to_str().expect("location").to_owned();
    assert!(to_as.starts_with(&format!("{}/authorize?", peer.origin())), "{to_as}");
    let query: std::collections::HashMap<String, String> =
        url::Url::parse(&to_as).expect("url").query_pairs().into_owned().collect();
    assert_eq!(query.get("code_challenge_method").map(String::as_str), Some("S256"), "{to_as}");
    assert_eq!(query.get("resource"), Some(&peer.url), "{to_as}");
    connect(&app, &dev, &legacy).await;
    assert_eq!(stats(&peer).await["clients"].as_array().map(Vec::len), Some(1), "registered at /register");
    let (status, body) = echo(&app, &dev, &legacy, "old server").await;
    assert_eq!(status, 200, "{body}");

    // The other app still refuses; and the setting goes only with OAuth.
    assert_problem(&send(start(&strict)).await, 422, "oauth_failed");
    let (status, body) = make("None", json!({"mode": "none", "legacy_endpoints": true})).await;
    assert_eq!(status, 422, "{body}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn callbacks_with_a_wrong_issuer_or_garbage_tokens_are_refused() {
    let error_of = |location: &str| {
        let query = location.split_once('?').map(|(_, q)| q).unwrap_or_default();
        url::form_urlencoded::parse(query.as_bytes()).into_owned().collect::<std::collections::HashMap<_, _>>()
    };
    for (flags, code, words) in [
        (&["--iss", "wrong"][..], "oauth_issuer_mismatch", "another-issuer"),
        (&["--iss", "missing"][..], "oauth_issuer_mismatch", "RFC 9207"),
        (&["--token-garbage"][..], "oauth_failed", "token endpoint"),
    ] {
        let (status, location, _) = callback_outcome(flags).await;
        assert_eq!(status, 302, "{flags:?}");
        let query = error_of(&location);
        assert_eq!(query.get("oauth_error").map(String::as_str), Some(code), "{flags:?}: {location}");
        assert!(query.get("oauth_message").is_some_and(|m| m.contains(words)), "{flags:?}: {query:?}");
    }
    let (status, location, _) = callback_outcome(&["--iss", "right"]).await;
    assert_eq!(status, 302);
    assert!(location.ends_with("?oauth=connected"), "{location}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_callback_returns_to_the_page_that_started_the_connection() {
    let dir = tempfile::tempdir().expect("tempdir");
    let peer = PeerProcess::python_oauth(&tools_file(dir.path()), &[]);
    let app = TestApp::start(DbKind::Sqlite).await;
    let dev = developer(&app, "dev@example.com").await;
    let id = create(&app, &dev, &peer).await;
    let start = |return_to: &str| {
        let query = url::form_urlencoded::Serializer::new(String::new()).append_pair("return_to", return_to).finish();
        dev.client.get(app.at(&format!("/api/v1/connectors/{id}/oauth/start?{query}")))
    };

    // Only pages of this site's chat and apps: nothing is started for anywhere else.
    for elsewhere in ["https://evil.example/chat", "//evil.example/chat", "/\\evil.example", "/settings/users", ""] {
        let refused = send(start(elsewhere)).await;
        assert_problem(&refused, 422, "invalid_input");
        assert!(refused.1["detail"].as_str().is_some_and(|d| d.contains("return_to")), "{elsewhere:?}: {}", refused.1);
    }

    // From a conversation: back to it, with the outcome and the app named.
    let started = start("/chat?c=0190c3e5-1b2c-7def-8123-456789abcdef").send().await.expect("start");
    assert_eq!(started.status(), 302);
    let to_as = started.headers()["location"].to_str().expect("location").to_owned();
    let answer = TestApp::client().get(&to_as).send().await.expect("authorization server");
    let back = answer.headers()["location"].to_str().expect("location").to_owned();
    let (status, location, _) = callback(&dev, &back).await;
    assert_eq!(status, 302);
    assert_eq!(location, format!("/chat?c=0190c3e5-1b2c-7def-8123-456789abcdef&oauth=connected&app={id}"));
}

/// OAuth over the legacy HTTP+SSE transport (`peers/oauth_server.py --transport sse`:
/// the GET of the event stream and every POST to its endpoint behind the PyPI `mcp`
/// SDK's bearer middleware). The GET answered 401 leads through discovery to Connect;
/// then the token goes on the GET and on every POST (or neither would be answered),
/// and a token the server refuses is renewed and the call sent again.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn oauth_works_over_the_legacy_sse_transport() {
    let dir = tempfile::tempdir().expect("tempdir");
    let peer = PeerProcess::python_oauth(&tools_file(dir.path()), &["--transport", "sse"]);
    assert!(peer.url.ends_with("/sse"), "{}", peer.url);
    let app = TestApp::start(DbKind::Sqlite).await;
    let dev = developer(&app, "dev@example.com").await;
    let body = json!({"name": "Legacy", "url": peer.url, "transport": "sse", "auth": {"mode": "oauth"}});
    let (status, created) = send(post(&app, &dev, "/api/v1/connectors", body)).await;
    assert_eq!(status, 201, "{created}");
    let id = created["connector"]["id"].as_str().expect("id").to_owned();

    // Without a token the event stream is refused: connect first.
    let refused = send(post(&app, &dev, &format!("/api/v1/connectors/{id}/refresh"), json!({}))).await;
    assert_problem(&refused, 409, "auth_required");
    assert_eq!(refused.1["details"]["state"], "needs_connect");

    connect(&app, &dev, &id).await;
    let (_, got) = send(dev.client.get(app.at(&format!("/api/v1/connectors/{id}")))).await;
    assert_eq!(got["tool_count"], 1, "the tools are listed over the event stream with the token: {got}");
    let (status, body) = echo(&app, &dev, &id, "over sse").await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["result"]["structuredContent"]["arguments"]["text"], "over sse", "{body}");

    // The server forgets the access token: the POST is refused (401), renewed once, sent again.
    poke(&peer, "expire-access").await;
    let (status, body) = echo(&app, &dev, &id, "after 401").await;
    assert_eq!(status, 200, "{body}");
    let s = stats(&peer).await;
    assert_eq!((s["refreshes"].as_u64(), s["code_exchanges"].as_u64()), (Some(1), Some(1)), "{s}");
}

/// Writes every log line into a shared buffer.
#[derive(Clone, Default)]
struct Captured(std::sync::Arc<std::sync::Mutex<Vec<u8>>>);

impl std::io::Write for Captured {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.0.lock().expect("log buffer").extend_from_slice(buf);
        Ok(buf.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

/// The whole flow, a refresh and a disconnect with every log at debug: no token
/// in any line.
#[tokio::test(flavor = "current_thread")]
async fn tokens_never_reach_the_logs() {
    let captured = Captured::default();
    let writer = captured.clone();
    let subscriber = tracing_subscriber::fmt()
        .with_max_level(tracing::Level::DEBUG)
        .with_ansi(false)
        .with_writer(move || writer.clone())
        .finish();
    // Global, not scoped: a callsite first reached by another test on another
    // thread would otherwise keep its cached "not interested" and log nothing here.
    // The other tests of this binary then log into the buffer too, which only adds lines.
    tracing::subscriber::set_global_default(subscriber).expect("no other test sets a global subscriber");

    let dir = tempfile::tempdir().expect("tempdir");
    let peer = PeerProcess::python_oauth(&tools_file(dir.path()), &["--revocation"]);
    let app = TestApp::start(DbKind::Sqlite).await;
    let dev = developer(&app, "dev@example.com").await;
    let id = create(&app, &dev, &peer).await;
    connect(&app, &dev, &id).await;
    assert_eq!(echo(&app, &dev, &id, "one").await.0, 200);
    poke(&peer, "expire-access").await;
    assert_eq!(echo(&app, &dev, &id, "after 401").await.0, 200);
    let (status, _) =
        send(dev.client.delete(app.at(&format!("/api/v1/connectors/{id}/oauth"))).headers(dev.csrf_headers())).await;
    assert_eq!(status, 204);

    let tokens = issued_tokens(&peer).await;
    assert!(tokens.len() >= 4, "two grants were issued");
    let logs = String::from_utf8(captured.0.lock().expect("log buffer").clone()).expect("utf-8 logs");
    assert!(logs.contains("oauth token refreshed") && logs.contains("oauth connected"), "the flow was logged: {logs}");
    assert_no_token(&logs, &tokens, "the logs");
}

/// A token endpoint that answers garbage or fails while a token is renewed: the call
/// says so, the connection stays (its refresh token was never refused), and once the
/// endpoint recovers the next call renews and works.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_token_endpoint_that_fails_on_refresh_leaves_the_connection_usable() {
    let dir = tempfile::tempdir().expect("tempdir");
    let peer = PeerProcess::python_oauth(&tools_file(dir.path()), &[]);
    let app = TestApp::start(DbKind::Sqlite).await;
    let dev = developer(&app, "dev@example.com").await;
    let id = create(&app, &dev, &peer).await;
    connect(&app, &dev, &id).await;
    assert_eq!(echo(&app, &dev, &id, "works").await.0, 200);
    let state_path = format!("/api/v1/connectors/{id}/oauth");

    for (mode, words) in [
        ("garbage", "token endpoint answered HTTP 200 with a body that is not a JSON object"),
        ("unavailable", "temporarily_unavailable (the token service is down)"),
    ] {
        poke(&peer, &format!("token-failure/{mode}")).await;
        poke(&peer, "expire-access").await;
        let failed = echo(&app, &dev, &id, mode).await;
        assert_problem(&failed, 422, "oauth_failed");
        assert!(failed.1["detail"].as_str().is_some_and(|d| d.contains(words)), "{mode}: {}", failed.1);
        let (_, now) = send(dev.client.get(app.at(&state_path))).await;
        assert_eq!((now["state"].as_str(), now["refreshable"].as_bool()), (Some("connected"), Some(true)), "{now}");
    }

    poke(&peer, "token-failure/off").await;
    let (status, body) = echo(&app, &dev, &id, "recovered").await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(stats(&peer).await["refreshes"], 1, "one refresh, once the endpoint answered");
}
