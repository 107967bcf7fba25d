//! Requests a server sends Switchboard while a call runs, which it does not support.

use serde_json::{Value, json};
use switchboard_mcp::Direction;
use switchboard_testkit::peers::PeerProcess;

use super::*;

/// Over an `initialize`-based session (HTTP+SSE), a tool of the PyPI SDK's server
/// asks for sampling and then roots on the call's back-channel. Switchboard
/// declared neither capability, so each is answered "method not found": the server
/// sees a clear error, not an empty list or a made-up answer, and the call's
/// exchange shows both requests and both answers in the order they crossed.
#[tokio::test]
async fn sampling_and_roots_are_answered_method_not_found() {
    let dir = tempfile::tempdir().expect("tempdir");
    let file = dir.path().join("tools.json");
    let ask = json!({"name": "ask_client", "description": "Asks the client.", "inputSchema": {"type": "object"},
                     "annotations": {"readOnlyHint": true}});
    write_tools(&file, &json!([ask]));
    let peer = PeerProcess::python_tools(&file, "sse");
    let endpoint = Endpoint::Http { url: peer.url.parse().expect("a url"), transport: HttpTransport::Sse };
    let session = connect(&endpoint).await;
    assert_eq!(session.protocol_version(), "2024-11-05", "a session with a back-channel");

    let outcome = session.call_tool("ask_client", Default::default()).await.expect("the call ends");
    let answers = &outcome.result["structuredContent"];
    for method in ["sampling/createMessage", "roots/list"] {
        let error = &answers[method]["error"];
        assert_eq!(error["code"], -32601, "{method}: {answers}");
        let message = error["message"].as_str().unwrap_or_default();
        assert!(message.contains("does not support") && message.contains(method), "{method}: {message}");
    }

    // The exchange: our call, then each request of the server and our answer to it,
    // then the server's result.
    let seen: Vec<(Direction, Value)> = outcome
        .exchange
        .iter()
        .map(|m| {
            let label = m
                .message
                .get("method")
                .cloned()
                .unwrap_or_else(|| if m.message.get("error").is_some() { json!("error") } else { json!("result") });
            (m.direction, label)
        })
        .collect();
    let expected = [
        (Direction::ClientToServer, json!("tools/call")),
        (Direction::ServerToClient, json!("sampling/createMessage")),
        (Direction::ClientToServer, json!("error")),
        (Direction::ServerToClient, json!("roots/list")),
        (Direction::ClientToServer, json!("error")),
        (Direction::ServerToClient, json!("result")),
    ];
    assert_eq!(seen, expected, "{:#?}", outcome.exchange);
    // Each answer is to the request before it, by id.
    for pair in outcome.exchange[1..5].chunks(2) {
        assert_eq!(pair[0].message["id"], pair[1].message["id"], "{pair:?}");
        assert_eq!(pair[1].message["error"]["code"], -32601, "{pair:?}");
    }
    session.close().await;
}
