//! Every field of a tool definition survives the listing, over every transport:
//! rmcp's typed `Tool` drops what it does not know (`execution`, a tool's own
//! `securitySchemes`, later additions), and Switchboard puts it back from the raw
//! answer (`tool_fields.rs` has the unit tests for fields no peer here sends: PyPI
//! `mcp` drops unknown fields itself, and leaves `execution` out at 2026-07-28).

use serde_json::json;
use switchboard_mcp::Endpoint;
use switchboard_testkit::peers::{PeerProcess, everything_argv};

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
