//! Sessions kept between calls: bounded, and replaced when the server forgets them.

use std::sync::Arc;
use std::time::{Duration, Instant};

use serde_json::{Map, Value, json};
use switchboard_mcp::{McpError, PoolLimits, SessionPool};
use switchboard_testkit::peers::PeerProcess;

use super::*;

fn streamable(url: &str) -> Endpoint {
    Endpoint::Http { url: url.parse().expect("a url"), transport: HttpTransport::StreamableHttp }
}

fn sum(a: i64, b: i64) -> Map<String, Value> {
    json!({"a": a, "b": b}).as_object().cloned().expect("object")
}

fn text(result: &Value) -> &str {
    result["content"][0]["text"].as_str().unwrap_or_else(|| panic!("text in {result}"))
}

/// A short call timeout: a call that waits for it fails the test fast instead of passing slowly.
fn short() -> ClientOptions {
    ClientOptions { call_timeout: Duration::from_secs(20), ..options() }
}

#[tokio::test]
async fn a_restarted_server_gets_the_refused_call_again_on_a_new_session() {
    let peer = PeerProcess::everything("streamableHttp");
    let (endpoint, options) = (streamable(&peer.url), short());
    let pool = SessionPool::new(PoolLimits::default());
    let first = pool.call_tool(&"k", &endpoint, &options, "get-sum", sum(2, 3), None).await.expect("first call");
    assert!(text(&first.result).contains('5'), "{}", first.result);
    let before = pool.session(&"k", &endpoint, &options).await.expect("kept");
    // A session of our own, to see what the restarted server answers it.
    let stale = UpstreamSession::connect(&endpoint, &options).await.expect("connect");

    let port = peer.port();
    drop(peer);
    let _restarted = PeerProcess::everything_on("streamableHttp", port);

    // server-everything answers a session it does not know with HTTP 400: the call was not run.
    let started = Instant::now();
    let refused = stale.call_tool("get-sum", sum(1, 1)).await;
    assert!(matches!(refused, Err(McpError::SessionExpired)), "{refused:?}");
    assert!(started.elapsed() < Duration::from_secs(10), "refused at once, not after the call timeout");

    // Through the pool, the same request goes again on a new session, once.
    let started = Instant::now();
    let again = pool.call_tool(&"k", &endpoint, &options, "get-sum", sum(4, 5), None).await.expect("after restart");
    assert!(started.elapsed() < Duration::from_secs(10), "answered at once: {:?}", started.elapsed());
    assert!(text(&again.result).contains('9'), "{}", again.result);
    let calls: Vec<_> = again.exchange.iter().filter(|m| m.message["method"] == "tools/call").collect();
    assert_eq!(calls.len(), 1, "the exchange is the answered attempt's: {:?}", again.exchange);
    let after = pool.session(&"k", &endpoint, &options).await.expect("kept");
    assert!(!Arc::ptr_eq(&before, &after), "the forgotten session was replaced");
    assert_eq!(pool.open_count().await, 1);
}

#[tokio::test]
async fn a_dead_server_fails_the_call_once_and_at_once() {
    let peer = PeerProcess::everything("streamableHttp");
    let (endpoint, options) = (streamable(&peer.url), short());
    let pool = SessionPool::new(PoolLimits::default());
    pool.call_tool(&"k", &endpoint, &options, "get-sum", sum(1, 2), None).await.expect("first call");
    drop(peer);

    let started = Instant::now();
    let failed = pool.call_tool(&"k", &endpoint, &options, "get-sum", sum(2, 2), None).await;
    assert!(started.elapsed() < Duration::from_secs(10), "failed at once: {:?}", started.elapsed());
    // Not sent again: a second attempt would have had to connect first, and failed with that.
    match failed {
        Err(McpError::Connect(_) | McpError::SessionExpired) | Ok(_) => panic!("sent again or not failed: {failed:?}"),
        Err(_) => {}
    }
    assert_eq!(pool.open_count().await, 0, "the broken session is not kept");
}

#[tokio::test]
async fn a_full_pool_closes_the_session_used_least_recently() {
    let dir = tempfile::tempdir().expect("tempdir");
    let file = dir.path().join("tools.json");
    write_tools(&file, &sample_tools());
    let peer = PeerProcess::python_tools(&file, "streamable-http");
    let (endpoint, options) = (http(&peer.url), options());
    let pool = SessionPool::new(PoolLimits { max_sessions: 2, ..PoolLimits::default() });

    let a = pool.session(&"a", &endpoint, &options).await.expect("a");
    let b = pool.session(&"b", &endpoint, &options).await.expect("b");
    let a_again = pool.session(&"a", &endpoint, &options).await.expect("a again");
    assert!(Arc::ptr_eq(&a, &a_again), "kept while there is room");
    // "b" is now the least recently used: "c" takes its place.
    let c = pool.session(&"c", &endpoint, &options).await.expect("c");
    assert_eq!(pool.open_count().await, 2);
    assert!(Arc::ptr_eq(&a, &pool.session(&"a", &endpoint, &options).await.expect("a")), "a was used later");
    assert!(Arc::ptr_eq(&c, &pool.session(&"c", &endpoint, &options).await.expect("c")));
    drop(b);
    let b_again = pool.session(&"b", &endpoint, &options).await.expect("b again");
    assert!(b_again.is_open());
    assert_eq!(pool.open_count().await, 2, "still at most two");

    let listed = pool.list_tools(&"b", &endpoint, &options).await.expect("tools");
    assert_eq!(listed.len(), 7);
    let args = json!({"id": "r-1"}).as_object().cloned().expect("object");
    let outcome = pool.call_tool(&"b", &endpoint, &options, "lookup", args, None).await.expect("call");
    assert_eq!(outcome.result["structuredContent"]["tool"], "lookup");
    pool.close_all().await;
    assert_eq!(pool.open_count().await, 0);
}
