//! The upstream client against a server that misbehaves on purpose
//! (`peers/hostile_server.py`): every answer that is too large, too slow, endless or
//! malformed ends in a bounded time with an error or a cap, and nothing is sent
//! where a legacy endpoint event or a redirect tries to lead.

use std::time::{Duration, Instant};

use serde_json::json;
use switchboard_core::network::AddressClass;
use switchboard_mcp::{McpError, Progress, ProgressWatcher, oauth};
use switchboard_testkit::HostileServer;

use super::*;

/// Short limits, so every case that must end does so in seconds.
fn tight() -> ClientOptions {
    ClientOptions {
        connect_timeout: Duration::from_secs(3),
        call_timeout: Duration::from_secs(1),
        max_result_bytes: 64 * 1024,
        ..ClientOptions::default()
    }
}

fn args(value: serde_json::Value) -> serde_json::Map<String, serde_json::Value> {
    value.as_object().cloned().expect("an object")
}

/// Wait (at most 10 s) until the server has recorded an entry with `key` equal to `value`.
async fn eventually_recorded(server: &HostileServer, key: &str, value: &str) -> bool {
    for _ in 0..100 {
        if server.recorded_with(key).iter().any(|e| e[key] == value) {
            return true;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    false
}

#[tokio::test]
async fn enormous_results_are_capped() {
    let server = HostileServer::start();
    let session = UpstreamSession::connect(&http(server.url()), &tight()).await.expect("connect");

    // 8 MiB of text: kept to the cap, and marked as cut.
    let outcome = session.call_tool("enormous", args(json!({"size": 8 << 20}))).await.expect("a capped result");
    assert!(outcome.truncated);
    assert!(outcome.bytes > 8 << 20, "{}", outcome.bytes);
    assert!(outcome.result.to_string().len() < 64 * 1024 + 512, "capped near the limit");
    let text = outcome.result["content"][0]["text"].as_str().expect("text");
    assert!(text.contains("[result truncated"), "the cut says so");
    assert!(outcome.exchange.iter().all(|m| m.message.to_string().len() < 64 * 1024 + 512), "the exchange too");

    // More than any one message may be (16 MiB): refused, not read to its end.
    let started = Instant::now();
    let refused = session.call_tool("enormous", args(json!({"size": 20 << 20}))).await;
    let err = refused.expect_err("an answer past the message limit is refused");
    assert!(err.to_string().contains("larger than 16777216 bytes"), "{err}");
    assert!(started.elapsed() < Duration::from_secs(10), "{:?}", started.elapsed());
}

#[tokio::test]
async fn slow_and_endless_calls_time_out_and_are_cancelled() {
    let server = HostileServer::start();
    let session = UpstreamSession::connect(&http(server.url()), &tight()).await.expect("connect");

    let started = Instant::now();
    let slow = session.call_tool("slow", args(json!({"seconds": 60}))).await;
    assert!(matches!(slow, Err(McpError::Timeout(_))), "{slow:?}");
    assert!(started.elapsed() < Duration::from_secs(5), "{:?}", started.elapsed());
    assert!(eventually_recorded(&server, "cancelled", "slow").await, "the server was told to stop");

    // Progress that never ends does not keep a call alive past its timeout.
    let seen = std::sync::Arc::new(std::sync::atomic::AtomicUsize::new(0));
    let counter = seen.clone();
    let watcher: ProgressWatcher = std::sync::Arc::new(move |_: Progress| {
        counter.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
    });
    let started = Instant::now();
    let endless = session.call_tool_watched("endless", args(json!({})), Some(watcher)).await;
    assert!(matches!(endless, Err(McpError::Timeout(_))), "{endless:?}");
    assert!(started.elapsed() < Duration::from_secs(5), "{:?}", started.elapsed());
    assert!(seen.load(std::sync::atomic::Ordering::Relaxed) > 0, "progress kept coming until the timeout");
    assert!(eventually_recorded(&server, "cancelled", "endless").await, "the server was told to stop");

    // The session is still usable.
    let after = session.call_tool("enormous", args(json!({"size": 10}))).await.expect("a call after the timeouts");
    assert!(!after.truncated);
}

#[tokio::test]
async fn malformed_answers_fail_the_handshake_in_words() {
    let server = HostileServer::start();
    let not_mcp = "the server's answer is not an MCP (JSON-RPC) message";
    let cases = [
        ("truncated", not_mcp),
        ("binary", not_mcp),
        ("not-jsonrpc", not_mcp),
        ("deep", not_mcp),
        ("html", "the server answered text/html; charset=utf-8 instead of JSON or an event stream"),
        // Its one event is unreadable and the stream ends: no answer will come.
        ("sse-garbage", "the connection closed before the handshake completed"),
    ];
    for (kind, expect) in cases {
        let started = Instant::now();
        let url = server.at(&format!("/malformed/{kind}"));
        let err = UpstreamSession::connect(&http(&url), &tight()).await.expect_err(kind);
        assert!(matches!(err, McpError::Connect(_)), "{kind}: {err:?}");
        assert!(err.to_string().contains(expect), "{kind}: {err}");
        assert!(started.elapsed() < Duration::from_secs(3), "{kind}: not by the timeout: {:?}", started.elapsed());
    }
}

#[tokio::test]
async fn endless_answers_are_cut_off() {
    let server = HostileServer::start();
    // One event that never ends: refused once it passes the event limit.
    let started = Instant::now();
    let err = UpstreamSession::connect(&http(&server.at("/endless-event")), &tight()).await.expect_err("too large");
    assert!(started.elapsed() < Duration::from_secs(5), "{:?}", started.elapsed());
    assert!(!matches!(err, McpError::Timeout(_)), "cut by size, not by time: {err:?}");

    // Keep-alives for ever and never an answer: the connect timeout ends it.
    let started = Instant::now();
    let err = UpstreamSession::connect(&http(&server.at("/endless-stream")), &tight()).await.expect_err("no answer");
    assert!(matches!(err, McpError::Timeout(_)), "{err:?}");
    assert!(started.elapsed() < Duration::from_secs(5), "{:?}", started.elapsed());
}

fn sse(url: &str) -> Endpoint {
    Endpoint::Http { url: url.parse().expect("a url"), transport: HttpTransport::Sse }
}

#[tokio::test]
async fn a_legacy_endpoint_on_another_origin_gets_nothing() {
    let server = HostileServer::start();
    // The same server under another name, and the cloud metadata address.
    let metadata = "http://169.254.169.254/latest/meta-data/";
    for url in [server.at("/sse"), server.at(&format!("/sse?endpoint={metadata}"))] {
        let err = UpstreamSession::connect(&sse(&url), &tight()).await.expect_err("another origin");
        assert!(matches!(err, McpError::ForeignEndpoint { .. }), "{url}: {err:?}");
    }
    assert_eq!(server.recorded_with("elsewhere"), Vec::<serde_json::Value>::new(), "nothing was posted there");

    // The same path on the SSE URL's own origin is where messages go: the record shows it.
    let same = server.at("/sse?endpoint=/elsewhere/messages");
    let quick = ClientOptions { connect_timeout: Duration::from_secs(1), ..tight() };
    let _ = UpstreamSession::connect(&sse(&same), &quick).await;
    let posted = server.recorded_with("elsewhere");
    assert!(posted.iter().any(|e| e["body"].as_str().unwrap_or("").contains("initialize")), "{posted:?}");
}

#[tokio::test]
async fn redirects_to_metadata_or_another_origin_are_not_followed() {
    let server = HostileServer::start();
    let targets = [
        "http://169.254.169.254/latest/meta-data/".to_owned(),
        "http://[::ffff:169.254.169.254]/latest/meta-data/".to_owned(),
        "http://[fd00:ec2::254]/latest/meta-data/".to_owned(),
        server.elsewhere("/elsewhere/mcp"),
        // A hop on the same origin first, then away.
        format!("/redirect?to={}", urlencode("http://169.254.169.254/latest/meta-data/")),
    ];
    for to in targets {
        let url = server.at(&format!("/redirect?to={}", urlencode(&to)));
        let err = UpstreamSession::connect(&http(&url), &tight()).await.expect_err(&to);
        assert!(matches!(err, McpError::Connect(_)), "{to}: {err:?}");
        assert!(err.to_string().contains("redirect"), "{to}: {err}");
    }
    assert!(!server.recorded_with("redirect").is_empty(), "the redirects were answered");
    assert_eq!(server.recorded_with("elsewhere"), Vec::<serde_json::Value>::new(), "nothing followed one");

    // OAuth discovery does not fetch metadata the server's challenge points at the metadata address.
    let discovery = oauth::discover(
        &server.at("/protected").parse().expect("url"),
        switchboard_core::oauth::LegacyEndpoints::Allowed,
        &tight(),
    )
    .await;
    let err = discovery.expect_err("refused");
    assert!(err.to_string().contains(&AddressClass::CloudMetadata.to_string()), "{err}");
}

/// The query-string form of `s`.
fn urlencode(s: &str) -> String {
    url::form_urlencoded::byte_serialize(s.as_bytes()).collect()
}
