//! The HTTP+SSE transport of 2024-11-05, asked for or reached by falling back from Streamable HTTP.

use serde_json::json;
use switchboard_core::catalog::Classification;
use switchboard_mcp::McpError;
use switchboard_testkit::peers::{PeerProcess, python_tools_argv};

use super::*;

fn sse(url: &str) -> Endpoint {
    Endpoint::Http { url: url.parse().expect("a url"), transport: HttpTransport::Sse }
}

fn streamable(url: &str) -> Endpoint {
    Endpoint::Http { url: url.parse().expect("a url"), transport: HttpTransport::StreamableHttp }
}

/// Connect, then list the tools and call a read tool and a write tool of server-everything.
async fn check_everything(endpoint: &Endpoint) {
    let session = connect(endpoint).await;
    assert_eq!(session.transport(), "sse");
    assert_eq!(session.protocol_version(), "2024-11-05");
    assert_eq!(session.server_info()["name"], "mcp-servers/everything");
    let tools = session.list_tools().await.expect("tools");
    assert_eq!(tool(&tools, "get-sum").classification(), Classification::Read);
    assert_eq!(tool(&tools, "toggle-simulated-logging").classification(), Classification::Write);

    let args = json!({"a": 2, "b": 3}).as_object().cloned().expect("object");
    let read = session.call_tool("get-sum", args).await.expect("call a read tool");
    assert!(read.result["content"][0]["text"].as_str().expect("text").contains('5'), "{}", read.result);
    let write = session.call_tool("toggle-simulated-logging", Default::default()).await.expect("call a write tool");
    assert_ne!(write.result["isError"], true, "{}", write.result);
    session.close().await;
}

#[tokio::test]
async fn server_everything_over_sse_when_asked_and_by_falling_back() {
    let peer = PeerProcess::everything("sse");
    check_everything(&sse(&peer.url)).await;
    // Its /sse answers the Streamable HTTP POSTs with 404: an older server, asked again over SSE.
    check_everything(&http(&peer.url)).await;
}

#[tokio::test]
async fn python_server_over_sse_when_asked_and_by_falling_back() {
    let dir = tempfile::tempdir().expect("tempdir");
    let file = dir.path().join("tools.json");
    write_tools(&file, &sample_tools());
    let peer = PeerProcess::python_tools(&file, "sse");
    for endpoint in [sse(&peer.url), http(&peer.url)] {
        let session = connect(&endpoint).await;
        assert_eq!(session.transport(), "sse", "{endpoint:?}");
        assert_eq!(session.protocol_version(), "2024-11-05");
        assert_eq!(session.server_info()["name"], "switchboard-test-tools");
        let tools = session.list_tools().await.expect("tools");
        assert_eq!(tools.len(), 7);
        assert_eq!(tool(&tools, "lookup").classification(), Classification::Read);
        assert_eq!(tool(&tools, "update").classification(), Classification::Write);

        let args = json!({"id": "r-1"}).as_object().cloned().expect("object");
        let read = session.call_tool("lookup", args).await.expect("call a read tool");
        assert_eq!(read.result["structuredContent"], json!({"tool": "lookup", "arguments": {"id": "r-1"}}));
        let args = json!({"id": "r-1", "value": 7}).as_object().cloned().expect("object");
        let write = session.call_tool("update", args).await.expect("call a write tool");
        assert_eq!(
            write.result["structuredContent"],
            json!({"tool": "update", "arguments": {"id": "r-1", "value": 7}})
        );
        let failed = session.call_tool("fail", Default::default()).await.expect("a tool error is a result");
        assert_eq!(failed.result["isError"], true);
        session.close().await;
    }
}

#[tokio::test]
async fn no_fallback_when_streamable_http_is_asked_for_or_nothing_serves_sse() {
    let dir = tempfile::tempdir().expect("tempdir");
    let file = dir.path().join("tools.json");
    write_tools(&file, &sample_tools());
    let peer = PeerProcess::python_tools(&file, "sse");

    // Streamable HTTP asked for: the server's 405 is the answer, and the diagnosis says what to choose.
    let err = UpstreamSession::connect(&streamable(&peer.url), &options()).await.expect_err("no Streamable HTTP here");
    assert!(matches!(err, McpError::Connect(_)), "{err:?}");
    let steps = switchboard_mcp::diagnose(&streamable(&peer.url), &err, &options()).await;
    let last = steps.last().expect("a step");
    assert_eq!((last.step, last.ok), ("http_status", false), "{steps:?}");
    let hint = last.hint.as_deref().expect("a hint");
    assert!(hint.contains("legacy HTTP+SSE") && hint.contains("set the transport to sse, or to auto"), "{hint}");
    // Asked for auto, the same URL needs no such hint: it falls back by itself.
    let auto = switchboard_mcp::diagnose(&http(&peer.url), &err, &options()).await;
    assert!(!auto.last().and_then(|s| s.hint.as_deref()).unwrap_or("").contains("legacy HTTP+SSE"), "{auto:?}");

    // Neither transport at this path: the error tells both stories.
    let nothing = peer.url.replace("/sse", "/nothing");
    let err = UpstreamSession::connect(&http(&nothing), &options()).await.expect_err("nothing serves MCP here");
    let text = err.to_string();
    assert!(text.contains("the server refused Streamable HTTP (") && text.contains("HTTP 404"), "{text}");
    assert!(text.contains("HTTP+SSE at the same URL failed: the SSE URL answered HTTP 404 Not Found"), "{text}");

    // The SSE transport asked for at a Streamable HTTP server: its GET is no SSE endpoint.
    let modern = PeerProcess::python_tools(&file, "streamable-http");
    let err = UpstreamSession::connect(&sse(&modern.url), &options()).await.expect_err("no SSE endpoint here");
    assert!(matches!(err, McpError::Connect(_) | McpError::NoEndpointEvent(_)), "{err:?}");
}

#[tokio::test]
async fn the_transport_used_is_recorded() {
    let dir = tempfile::tempdir().expect("tempdir");
    let file = dir.path().join("tools.json");
    write_tools(&file, &sample_tools());
    let peer = PeerProcess::python_tools(&file, "streamable-http");
    let session = connect(&http(&peer.url)).await;
    assert_eq!(session.transport(), "streamable_http");
    session.close().await;
    let session = connect(&stdio(python_tools_argv(&file, "stdio"))).await;
    assert_eq!(session.transport(), "stdio");
    session.close().await;
}
