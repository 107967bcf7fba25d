//! Upstream sessions through the API: each person has their own, and after the
//! server restarts (npm server-everything, which answers a session it no longer
//! knows with HTTP 400) the next call answers at once on a new session.

use std::time::{Duration, Instant};

use serde_json::json;
use switchboard_testkit::peers::PeerProcess;
use switchboard_testkit::{DbKind, TestApp};

use super::connectors::{developer, post};
use super::{on_both_backends, send};

mod a_restarted_server_answers_the_next_call {
    use super::*;

    pub(crate) async fn run(kind: DbKind) {
        let peer = PeerProcess::everything("streamableHttp");
        let app = TestApp::start_with(kind, |mut c| {
            // A call that waited for the timeout would fail the test rather than pass slowly.
            c.upstream.call_timeout = Duration::from_secs(20);
            c
        })
        .await;
        let ada = developer(&app, "ada@example.com").await;
        let body = json!({"name": "Everything", "url": peer.url, "transport": "streamable_http"});
        let (status, created) = send(post(&app, &ada, "/api/v1/connectors", body)).await;
        assert_eq!(status, 201, "{created}");
        let id = created["connector"]["id"].as_str().expect("id").to_owned();
        let path = format!("/api/v1/connectors/{id}/tools/get-sum/call");

        // Ada's calls share her session; an admin calling the same app gets their own.
        for (a, b) in [(2, 3), (4, 5)] {
            let (status, got) = send(post(&app, &ada, &path, json!({"arguments": {"a": a, "b": b}}))).await;
            assert_eq!(status, 200, "{got}");
        }
        assert_eq!(app.state.services.connectors().open_sessions().await, 1, "one session for Ada");
        let admin = app.signed_in("admin@example.com", switchboard_core::Role::Admin).await;
        let (status, got) = send(post(&app, &admin, &path, json!({"arguments": {"a": 1, "b": 1}}))).await;
        assert_eq!(status, 200, "{got}");
        assert_eq!(app.state.services.connectors().open_sessions().await, 2, "one each");

        let port = peer.port();
        drop(peer);
        let _restarted = PeerProcess::everything_on("streamableHttp", port);

        let started = Instant::now();
        let (status, got) = send(post(&app, &ada, &path, json!({"arguments": {"a": 20, "b": 22}}))).await;
        assert_eq!(status, 200, "answered on a new session: {got}");
        assert!(got["result"]["content"][0]["text"].as_str().unwrap_or_default().contains("42"), "{got}");
        assert!(started.elapsed() < Duration::from_secs(10), "at once, not after a timeout: {:?}", started.elapsed());
        let sent = got["exchange"].as_array().expect("exchange");
        let calls = sent.iter().filter(|m| m["message"]["method"] == "tools/call").count();
        assert_eq!(calls, 1, "the exchange is the answered attempt's: {sent:?}");
    }
}

on_both_backends!(a_restarted_server_answers_the_next_call);
