//! A live connection to one MCP server.

use std::process::Stdio;
use std::time::{Duration, Instant};

use process_wrap::tokio::{CommandWrap, KillOnDrop, ProcessGroup};
use rmcp::model::{
    CallToolRequestParams, ClientCapabilities, ClientConfig, Implementation, PaginatedRequestParams, ProtocolVersion,
};
use rmcp::service::{ClientLifecycleMode, ClientServiceExt, RunningService};
use rmcp::transport::streamable_http_client::StreamableHttpClientTransportConfig;
use rmcp::transport::{StreamableHttpClientTransport, TokioChildProcess};
use rmcp::RoleClient;
use serde_json::{Map, Value};
use switchboard_core::catalog::Tool;

use crate::endpoint::{Endpoint, StdioCommand, INHERITED_ENV};
use crate::error::{with_causes, McpError};
use crate::http_client;
use crate::options::ClientOptions;

/// The result of one tool call.
#[derive(Clone, Debug, PartialEq)]
pub struct CallOutcome {
    /// The MCP `CallToolResult` (`content`, `structuredContent`, `isError`, …), possibly truncated.
    pub result: Value,
    /// The result was larger than the cap and was cut down.
    pub truncated: bool,
    /// Size of the result as received, in bytes of JSON.
    pub bytes: usize,
    pub latency: Duration,
}

/// A connected, handshaken MCP client session.
#[derive(Debug)]
pub struct Session {
    service: RunningService<RoleClient, ClientConfig>,
    protocol_version: String,
    server_info: Value,
    options: ClientOptions,
}

impl Session {
    /// Connect and complete the handshake: `server/discover` (2026-07-28) first,
    /// `initialize` for servers that predate it.
    pub async fn connect(endpoint: &Endpoint, options: &ClientOptions) -> Result<Session, McpError> {
        let info = ClientConfig::new(
            ClientCapabilities::default(),
            Implementation::new("switchboard", env!("CARGO_PKG_VERSION")),
        );
        let lifecycle = ClientLifecycleMode::Auto {
            preferred_versions: vec![ProtocolVersion::V_2026_07_28],
            legacy_version: Some(ProtocolVersion::V_2025_11_25),
        };
        let handshake = async {
            match endpoint {
                Endpoint::Http { url, .. } => {
                    http_client::preflight(url, &options.network).await?;
                    let client = http_client::build(options)?;
                    let config = StreamableHttpClientTransportConfig::with_uri(url.as_str());
                    let transport = StreamableHttpClientTransport::with_client(client, config);
                    info.serve_with_lifecycle(transport, lifecycle).await.map_err(|e| McpError::Connect(with_causes(&e)))
                }
                Endpoint::Stdio(command) => {
                    let transport = spawn(command)?;
                    info.serve_with_lifecycle(transport, lifecycle).await.map_err(|e| McpError::Connect(with_causes(&e)))
                }
            }
        };
        let service = tokio::time::timeout(options.connect_timeout, handshake)
            .await
            .map_err(|_| McpError::Timeout(options.connect_timeout))??;
        let peer = service.peer_info();
        let protocol_version = peer.as_ref().map(|p| p.protocol_version.to_string()).unwrap_or_default();
        let server_info = peer
            .as_ref()
            .and_then(|p| serde_json::to_value(&p.server_info).ok())
            .unwrap_or(Value::Null);
        Ok(Session { service, protocol_version, server_info, options: options.clone() })
    }

    /// The protocol version the handshake settled on, e.g. `2026-07-28` or `2025-06-18`.
    pub fn protocol_version(&self) -> &str {
        &self.protocol_version
    }

    /// The server's `name`, `version` and the rest of its self-description.
    pub fn server_info(&self) -> &Value {
        &self.server_info
    }

    /// Every tool, following `nextCursor` page by page, bounded by `max_tools`.
    pub async fn list_tools(&self) -> Result<Vec<Tool>, McpError> {
        let mut tools = vec![];
        let mut cursor: Option<String> = None;
        loop {
            let params = PaginatedRequestParams::default().with_cursor(cursor.take());
            let page = tokio::time::timeout(self.options.call_timeout, self.service.list_tools(Some(params)))
                .await
                .map_err(|_| McpError::Timeout(self.options.call_timeout))?
                .map_err(|e| McpError::Protocol(e.to_string()))?;
            for tool in page.tools {
                if tools.len() >= self.options.max_tools {
                    return Err(McpError::TooManyTools(self.options.max_tools));
                }
                let raw = serde_json::to_value(&tool).map_err(|e| McpError::Protocol(e.to_string()))?;
                tools.push(serde_json::from_value(raw).map_err(|e| McpError::Protocol(e.to_string()))?);
            }
            match page.next_cursor.filter(|c| !c.is_empty()) {
                Some(next) => cursor = Some(next),
                None => return Ok(tools),
            }
        }
    }

    /// Call a tool. A result larger than `max_result_bytes` is truncated, and says so.
    pub async fn call_tool(&self, name: &str, arguments: Map<String, Value>) -> Result<CallOutcome, McpError> {
        let started = Instant::now();
        let params = CallToolRequestParams::new(name.to_owned()).with_arguments(arguments);
        let result = tokio::time::timeout(self.options.call_timeout, self.service.call_tool(params))
            .await
            .map_err(|_| McpError::Timeout(self.options.call_timeout))?
            .map_err(|e| McpError::Protocol(e.to_string()))?;
        let latency = started.elapsed();
        let result = serde_json::to_value(&result).map_err(|e| McpError::Protocol(e.to_string()))?;
        let bytes = result.to_string().len();
        let (result, truncated) = cap(result, bytes, self.options.max_result_bytes);
        Ok(CallOutcome { result, truncated, bytes, latency })
    }

    /// Close the session (and, for a local command, end its process group).
    pub async fn close(mut self) {
        let _ = self.service.close_with_timeout(Duration::from_secs(5)).await;
    }
}

/// Replace an oversized result by its beginning, as one text block, marked as truncated.
fn cap(result: Value, bytes: usize, max: usize) -> (Value, bool) {
    if bytes <= max {
        return (result, false);
    }
    let text = result.to_string();
    let mut end = max.min(text.len());
    while !text.is_char_boundary(end) {
        end -= 1;
    }
    let note = format!("[result truncated: {bytes} bytes received, the first {end} shown]");
    let capped = serde_json::json!({
        "content": [{"type": "text", "text": format!("{}\n{note}", &text[..end])}],
        "isError": result.get("isError").cloned().unwrap_or(Value::Bool(false)),
        "_meta": {"switchboard/truncated": true, "switchboard/originalBytes": bytes},
    });
    (capped, true)
}

/// Start a local command in its own process group, with a clean environment.
fn spawn(command: &StdioCommand) -> Result<TokioChildProcess, McpError> {
    let (program, args) = command.argv.split_first().ok_or(McpError::EmptyCommand)?;
    let mut cmd = tokio::process::Command::new(program);
    cmd.args(args).env_clear();
    for key in INHERITED_ENV {
        if let Ok(value) = std::env::var(key) {
            cmd.env(key, value);
        }
    }
    cmd.envs(&command.env);
    if let Some(dir) = &command.cwd {
        cmd.current_dir(dir);
    }
    let mut wrapped = CommandWrap::from(cmd);
    wrapped.wrap(ProcessGroup::leader()).wrap(KillOnDrop);
    let (transport, _stderr) = TokioChildProcess::builder(wrapped)
        .stderr(Stdio::null())
        .spawn()
        .map_err(|e| McpError::Spawn { program: program.clone(), reason: e.to_string() })?;
    Ok(transport)
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    #[test]
    fn small_results_pass_untouched() {
        let result = json!({"content": [{"type": "text", "text": "hi"}], "isError": false});
        let bytes = result.to_string().len();
        assert_eq!(cap(result.clone(), bytes, 1024), (result, false));
    }

    #[test]
    fn large_results_are_cut_on_a_char_boundary_and_say_so() {
        let result = json!({"content": [{"type": "text", "text": "é".repeat(1000)}], "isError": true});
        let bytes = result.to_string().len();
        let (capped, truncated) = cap(result, bytes, 102);
        assert!(truncated);
        assert_eq!(capped["isError"], true);
        assert_eq!(capped["_meta"]["switchboard/originalBytes"], bytes);
        let text = capped["content"][0]["text"].as_str().expect("text");
        assert!(text.ends_with(&format!("[result truncated: {bytes} bytes received, the first 101 shown]")), "{text}");
    }
}
