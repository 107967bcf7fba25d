//! Local commands over stdio.

use serde_json::json;
use switchboard_core::catalog::Classification;
use switchboard_mcp::McpError;
use switchboard_testkit::peers::{everything_argv, python_tools_argv};

use super::*;

#[tokio::test]
async fn server_everything_and_the_python_server_over_stdio() {
    let session = connect(&stdio(everything_argv("stdio"))).await;
    let tools = session.list_tools().await.expect("tools");
    assert_eq!(tool(&tools, "echo").classification(), Classification::Read);
    let args = json!({"message": "hello"}).as_object().cloned().expect("object");
    let outcome = session.call_tool("echo", args).await.expect("call");
    assert!(outcome.result["content"][0]["text"].as_str().expect("text").contains("hello"));
    session.close().await;

    let dir = tempfile::tempdir().expect("tempdir");
    let file = dir.path().join("tools.json");
    write_tools(&file, &sample_tools());
    let session = connect(&stdio(python_tools_argv(&file, "stdio"))).await;
    assert_eq!(session.protocol_version(), "2026-07-28");
    assert_eq!(session.list_tools().await.expect("tools").len(), 7);
    session.close().await;
}

#[tokio::test]
async fn commands_that_cannot_serve_fail_clearly() {
    let missing = UpstreamSession::connect(&stdio(vec!["/nonexistent/mcp-server".into()]), &options()).await;
    assert!(matches!(missing, Err(McpError::Spawn { .. })), "{missing:?}");
    assert!(matches!(UpstreamSession::connect(&stdio(vec![]), &options()).await, Err(McpError::EmptyCommand)));
    let exits = UpstreamSession::connect(&stdio(vec!["true".into()]), &options()).await;
    let err = exits.expect_err("a command that exits at once is no server");
    assert!(matches!(&err, McpError::Stopped { stderr, .. } if stderr.is_empty()), "{err:?}");
    assert!(err.to_string().contains("it wrote nothing to stderr"), "{err}");
    let argv = vec!["sh".into(), "-c".into(), "echo 'missing API_KEY' >&2; exit 2".into()];
    let err = UpstreamSession::connect(&stdio(argv), &options()).await.expect_err("exits with an error");
    assert!(matches!(&err, McpError::Stopped { stderr, .. } if stderr == "missing API_KEY"), "{err:?}");
}
