//! What servers keep in memory never outlives a change: a revoked token, a
//! removed user, a changed role or a turned-off action is refused on the next
//! request to the server that made the change, and within a second on another
//! server sharing the database (its poll of the change counter).

use std::time::{Duration, Instant};

use reqwest::StatusCode;
use serde_json::{Value, json};
use switchboard_core::Role;
use switchboard_testkit::peers::PeerProcess;
use switchboard_testkit::{DbKind, TestApp};

use super::{on_both_backends, send};

/// What other servers are promised: a change made elsewhere applies within this.
const REPLICA_DELAY: Duration = Duration::from_secs(1);

async fn status_of(request: reqwest::RequestBuilder) -> StatusCode {
    send(request).await.0
}

/// Ask until the answer is `want`; how long that took. Fails after a few
/// seconds, so a cache that never notices is a failure, not a hang.
async fn until_status(want: StatusCode, request: impl Fn() -> reqwest::RequestBuilder) -> Duration {
    let started = Instant::now();
    loop {
        let got = status_of(request()).await;
        if got == want {
            return started.elapsed();
        }
        assert!(started.elapsed() < Duration::from_secs(5), "still {got} after 5 s, expected {want}");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

fn bearer(client: &reqwest::Client, url: String, token: &str) -> reqwest::RequestBuilder {
    client.get(url).bearer_auth(token)
}

mod revoked_removed_and_demoted {
    use super::*;

    pub(crate) async fn run(kind: DbKind) {
        let app = TestApp::start(kind).await;
        let replica = app.replica().await;
        let http = TestApp::client();
        let owner = app.signed_in("owner@example.com", Role::Owner).await;

        // A revoked token: refused at once here, within a second there.
        let member = app.user("member@example.com", Role::Member).await;
        let token = app.token_for(&member).await;
        for server in [app.at("/api/v1/me"), replica.at("/api/v1/me")] {
            for _ in 0..2 {
                assert_eq!(status_of(bearer(&http, server.clone(), &token)).await, 200, "warm {server}");
            }
        }
        let listed = app.store.list_api_tokens(member.id).await.expect("tokens");
        app.store.delete_api_token(member.id, listed[0].id).await.expect("revoke");
        assert_eq!(status_of(bearer(&http, app.at("/api/v1/me"), &token)).await, 401, "refused at once here");
        let took = until_status(StatusCode::UNAUTHORIZED, || bearer(&http, replica.at("/api/v1/me"), &token)).await;
        assert!(took <= REPLICA_DELAY, "the other server took {took:?}");

        // A changed role, made through the other server's API this time.
        let admin = app.user("admin@example.com", Role::Admin).await;
        let admin_token = app.token_for(&admin).await;
        for server in [app.at("/api/v1/users"), replica.at("/api/v1/users")] {
            assert_eq!(status_of(bearer(&http, server, &admin_token)).await, 200);
        }
        let owner_token = app.token_for(&owner.user).await;
        let demote = replica.at(&format!("/api/v1/users/{}", admin.id));
        let (status, body) = send(http.patch(demote).bearer_auth(&owner_token).json(&json!({"role": "member"}))).await;
        assert_eq!(status, 200, "{body}");
        assert_eq!(status_of(bearer(&http, replica.at("/api/v1/users"), &admin_token)).await, 403, "at once there");
        let took = until_status(StatusCode::FORBIDDEN, || bearer(&http, app.at("/api/v1/users"), &admin_token)).await;
        assert!(took <= REPLICA_DELAY, "this server took {took:?}");

        // A removed user: their token and their browser session stop working.
        let leaver = app.signed_in("leaver@example.com", Role::Member).await;
        let leaver_token = app.token_for(&leaver.user).await;
        for server in [app.at("/api/v1/me"), replica.at("/api/v1/me")] {
            assert_eq!(status_of(bearer(&http, server, &leaver_token)).await, 200);
        }
        assert_eq!(status_of(leaver.client.get(app.at("/api/v1/me"))).await, 200);
        let (status, body) = send(
            owner.client.delete(app.at(&format!("/api/v1/users/{}", leaver.user.id))).headers(owner.csrf_headers()),
        )
        .await;
        assert_eq!(status, 204, "{body}");
        assert_eq!(status_of(bearer(&http, app.at("/api/v1/me"), &leaver_token)).await, 401);
        assert_eq!(status_of(leaver.client.get(app.at("/api/v1/me"))).await, 401, "the browser session too");
        let took =
            until_status(StatusCode::UNAUTHORIZED, || bearer(&http, replica.at("/api/v1/me"), &leaver_token)).await;
        assert!(took <= REPLICA_DELAY, "the other server took {took:?}");
    }
}

mod turned_off_actions {
    use super::*;

    pub(crate) async fn run(kind: DbKind) {
        let dir = tempfile::tempdir().expect("tempdir");
        let tools = json!([{"name": "lookup", "description": "Use this when you need a record.",
            "inputSchema": {"type": "object", "properties": {"id": {"type": "string"}}},
            "annotations": {"readOnlyHint": true}}]);
        let file = dir.path().join("tools.json");
        std::fs::write(&file, serde_json::to_vec(&tools).expect("json")).expect("write tools");
        let peer = PeerProcess::python_tools(&file, "streamable-http");
        let app = TestApp::start(kind).await;
        let replica = app.replica().await;
        let http = TestApp::client();
        let admin = app.user("admin@example.com", Role::Admin).await;
        let token = app.token_for(&admin).await;
        let (status, created) = send(
            http.post(app.at("/api/v1/connectors"))
                .bearer_auth(&token)
                .json(&json!({"name": "Records", "url": peer.url})),
        )
        .await;
        assert_eq!(status, 201, "{created}");
        let id = created["connector"]["id"].as_str().expect("id").to_owned();
        let call = |url: String| http.post(url).bearer_auth(&token).json(&json!({"arguments": {"id": "r1"}}));
        let path = format!("/api/v1/connectors/{id}/tools/lookup/call");
        for server in [app.at(&path), replica.at(&path)] {
            let (status, body) = send(call(server)).await;
            assert_eq!(status, 200, "{body}");
        }

        // Turned off on the replica: refused there at once, here within a second.
        let toggle = replica.at(&format!("/api/v1/connectors/{id}/tools/lookup"));
        let (status, body) = send(http.patch(toggle).bearer_auth(&token).json(&json!({"enabled": false}))).await;
        assert_eq!(status, 200, "{body}");
        let (status, body): (StatusCode, Value) = send(call(replica.at(&path))).await;
        assert_eq!(status, 409, "{body}");
        let took = until_status(StatusCode::CONFLICT, || call(app.at(&path))).await;
        assert!(took <= REPLICA_DELAY, "this server took {took:?}");
    }
}

on_both_backends!(revoked_removed_and_demoted, turned_off_actions);
