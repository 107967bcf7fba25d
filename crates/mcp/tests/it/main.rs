//! The upstream client against real MCP servers over real sockets and pipes.

mod doctor;
mod hostile;
mod legacy_sse;
mod limits;
mod policy;
mod pool;
mod server_requests;
mod stdio;
mod streamable_http;
mod tasks;
mod tool_fields;

use std::path::Path;
use std::time::Duration;

use serde_json::{Value, json};
use switchboard_core::catalog::Tool;
use switchboard_mcp::{ClientOptions, Endpoint, HttpTransport, StdioCommand, UpstreamSession};

pub(crate) fn http(url: &str) -> Endpoint {
    Endpoint::Http { url: url.parse().expect("a url"), transport: HttpTransport::Auto }
}

pub(crate) fn stdio(argv: Vec<String>) -> Endpoint {
    Endpoint::Stdio(StdioCommand { argv, ..StdioCommand::default() })
}

pub(crate) fn options() -> ClientOptions {
    ClientOptions {
        connect_timeout: Duration::from_secs(30),
        call_timeout: Duration::from_secs(30),
        ..ClientOptions::default()
    }
}

pub(crate) async fn connect(endpoint: &Endpoint) -> UpstreamSession {
    UpstreamSession::connect(endpoint, &options()).await.unwrap_or_else(|e| panic!("connect to {endpoint:?}: {e}"))
}

pub(crate) fn tool<'a>(tools: &'a [Tool], name: &str) -> &'a Tool {
    tools
        .iter()
        .find(|t| t.name == name)
        .unwrap_or_else(|| panic!("tool {name} in {:?}", tools.iter().map(|t| &t.name).collect::<Vec<_>>()))
}

/// Write a tool set for the Python peer.
pub(crate) fn write_tools(path: &Path, tools: &Value) {
    std::fs::write(path, serde_json::to_vec(tools).expect("json")).expect("write tools file");
}

pub(crate) fn sample_tools() -> Value {
    json!([
        {"name": "lookup", "title": "Look up", "description": "Use this when you need a record.",
         "inputSchema": {"type": "object", "properties": {"id": {"type": "string"}}, "required": ["id"]},
         "annotations": {"readOnlyHint": true, "openWorldHint": false}},
        {"name": "update", "description": "Use this when a record must change.",
         "inputSchema": {"type": "object", "properties": {"id": {"type": "string"}, "value": {"type": "integer"}}},
         "annotations": {"readOnlyHint": false, "destructiveHint": false}},
        {"name": "erase", "description": "Use this when a record must go.",
         "inputSchema": {"type": "object", "properties": {"id": {"type": "string"}}},
         "annotations": {"destructiveHint": true}},
        {"name": "plain", "description": "No annotations at all.", "inputSchema": {"type": "object"}},
        {"name": "fail", "description": "Always fails.", "inputSchema": {"type": "object"}, "annotations": {"readOnlyHint": true}},
        {"name": "big", "description": "Large output.", "inputSchema": {"type": "object", "properties": {"size": {"type": "integer"}}}, "annotations": {"readOnlyHint": true}},
        {"name": "slow", "description": "Slow output.", "inputSchema": {"type": "object", "properties": {"seconds": {"type": "number"}}}, "annotations": {"readOnlyHint": true}}
    ])
}
