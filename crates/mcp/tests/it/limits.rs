//! Sizes and times are bounded.

use std::time::{Duration, Instant};

use serde_json::json;
use switchboard_mcp::{Direction, McpError};
use switchboard_testkit::peers::PeerProcess;

use super::*;

#[tokio::test]
async fn large_results_are_capped_and_slow_calls_time_out() {
    let dir = tempfile::tempdir().expect("tempdir");
    let file = dir.path().join("tools.json");
    write_tools(&file, &sample_tools());
    let peer = PeerProcess::python_tools(&file, "streamable-http");
    let limited = ClientOptions { max_result_bytes: 4096, call_timeout: Duration::from_secs(2), ..options() };
    let session = UpstreamSession::connect(&http(&peer.url), &limited).await.expect("connect");

    let args = json!({"size": 100_000}).as_object().cloned().expect("object");
    let outcome = session.call_tool("big", args).await.expect("call");
    assert!(outcome.truncated);
    assert!(outcome.bytes > 100_000);
    assert!(outcome.result.to_string().len() < 4096 + 512, "capped near the limit");
    assert!(outcome.result["content"][0]["text"].as_str().expect("text").contains("[result truncated"));

    assert_eq!(outcome.exchange.len(), 2, "request and response: {:?}", outcome.exchange);
    let (request, response) = (&outcome.exchange[0], &outcome.exchange[1]);
    assert_eq!(request.direction, Direction::ClientToServer);
    assert_eq!(request.message["method"], "tools/call");
    assert_eq!(request.message["params"]["name"], "big");
    // The answer is over the cap too: the exchange keeps its envelope and its size, not its body.
    assert_eq!(response.direction, Direction::ServerToClient);
    assert_eq!(response.message["id"], request.message["id"]);
    assert_eq!(response.message["jsonrpc"], "2.0");
    assert!(response.message.get("result").is_none(), "{}", response.message);
    let cut = response.message["switchboard/cut"]["bytes"].as_u64().expect("the size it had");
    assert!(cut as usize > outcome.bytes, "the whole message, result and envelope: {cut}");
    assert!(response.message.to_string().len() < 1024, "a small stand-in");

    // A call that outlives the timeout is cancelled upstream, not left running.
    let record = dir.path().join("cancelled");
    let started = Instant::now();
    let args = json!({"seconds": 30, "record": record}).as_object().cloned().expect("object");
    let slow = session.call_tool("slow", args).await;
    assert!(matches!(slow, Err(McpError::Timeout(_))), "{slow:?}");
    assert!(started.elapsed() < Duration::from_secs(10));
    assert_eq!(eventually_read(&record).await, "cancelled", "the server was told to stop");

    // So is a call whose caller gives up.
    let record = dir.path().join("abandoned");
    let args = json!({"seconds": 30, "record": record}).as_object().cloned().expect("object");
    let abandoned = tokio::time::timeout(Duration::from_millis(500), session.call_tool("slow", args)).await;
    assert!(abandoned.is_err(), "still running when given up on");
    assert_eq!(eventually_read(&record).await, "cancelled", "the server was told to stop");

    // The session goes on serving calls.
    let args = json!({"size": 10}).as_object().cloned().expect("object");
    assert!(!session.call_tool("big", args).await.expect("call after cancellations").truncated);
}

/// The file's text once it exists (within 10 s), or "" when it never appears.
async fn eventually_read(path: &std::path::Path) -> String {
    for _ in 0..100 {
        if let Ok(text) = std::fs::read_to_string(path) {
            return text;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    String::new()
}

#[tokio::test]
async fn ten_thousand_tools_across_pages_within_bounds() {
    let dir = tempfile::tempdir().expect("tempdir");
    let file = dir.path().join("tools.json");
    let many: Vec<_> = (0..10_000)
        .map(|i| json!({"name": format!("tool_{i:05}"), "description": "generated", "inputSchema": {"type": "object"}}))
        .collect();
    write_tools(&file, &json!(many));
    let peer = PeerProcess::python_tools(&file, "streamable-http");
    let session = connect(&http(&peer.url)).await;
    let tools = session.list_tools().await.expect("all pages");
    assert_eq!(tools.len(), 10_000);
    assert_eq!(tools[9_999].name, "tool_09999");

    let capped = ClientOptions { max_tools: 2_000, ..options() };
    let session = UpstreamSession::connect(&http(&peer.url), &capped).await.expect("connect");
    let too_many = session.list_tools().await;
    assert!(matches!(too_many, Err(McpError::TooManyTools(2_000))), "{too_many:?}");
}
