//! Every field of a tool definition survives the listing, over every transport:
//! rmcp's typed `Tool` drops what it does not know (`execution`, a tool's
//! `securitySchemes`), and Switchboard puts it back from the raw answer.

use serde_json::json;
use switchboard_mcp::Endpoint;
use switchboard_testkit::peers::{PeerProcess, everything_argv, python_tools_argv};

use super::*;

/// server-everything's research tool runs only as a task; its sum tool does not.
async fn check_everything(endpoint: &Endpoint) {
    let session = connect(endpoint).await;
    let tools = session.list_tools().await.expect("tools");
    let research = tool(&tools, "simulate-research-query");
    assert_eq!(research.extra["execution"], json!({"taskSupport": "required"}), "{endpoint:?}");
    assert!(research.requires_task(), "{endpoint:?}");
    assert!(!tool(&tools, "get-sum").requires_task(), "{endpoint:?}");
    session.close().await;
}

#[tokio::test]
async fn server_everything_keeps_execution_over_streamable_http_sse_and_stdio() {
    let streamable = PeerProcess::everything("streamableHttp");
    check_everything(&http(&streamable.url)).await;
    let sse = PeerProcess::everything("sse");
    check_everything(&Endpoint::Http { url: sse.url.parse().expect("url"), transport: HttpTransport::Sse }).await;
    check_everything(&stdio(everything_argv("stdio"))).await;
}

#[tokio::test]
async fn the_python_server_keeps_unknown_fields_on_every_transport() {
    let dir = tempfile::tempdir().expect("tempdir");
    let file = dir.path().join("tools.json");
    let schemes = json!([{"type": "noauth"}, {"type": "oauth2", "scopes": ["tickets:write"]}]);
    let mut tools = sample_tools();
    tools.as_array_mut().expect("array").push(json!({
        "name": "file_ticket", "description": "Use this when a ticket must be filed.",
        "inputSchema": {"type": "object"},
        "execution": {"taskSupport": "optional"},
        "securitySchemes": schemes,
        "x-vendor": {"rank": 3}
    }));
    write_tools(&file, &tools);
    let streamable = PeerProcess::python_tools(&file, "streamable-http");
    let sse = PeerProcess::python_tools(&file, "sse");
    for endpoint in [http(&streamable.url), http(&sse.url), stdio(python_tools_argv(&file, "stdio"))] {
        let session = connect(&endpoint).await;
        let listed = session.list_tools().await.expect("tools");
        let ticket = tool(&listed, "file_ticket");
        assert_eq!(ticket.extra["securitySchemes"], schemes, "{endpoint:?}");
        assert_eq!(ticket.extra["execution"], json!({"taskSupport": "optional"}), "{endpoint:?}");
        assert_eq!(ticket.extra["x-vendor"], json!({"rank": 3}), "{endpoint:?}");
        assert!(!ticket.requires_task());
        assert!(tool(&listed, "lookup").extra.get("securitySchemes").is_none(), "{endpoint:?}");
        // The fields are kept by listing, not left over: a second listing gives the same.
        let again = session.list_tools().await.expect("tools again");
        assert_eq!(tool(&again, "file_ticket").extra, ticket.extra, "{endpoint:?}");
        session.close().await;
    }
}
