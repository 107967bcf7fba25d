//! Starting the binary, connecting clients, calling tools — every wait bounded.

use std::{ffi::OsStr, future::Future, path::Path, process::Stdio, time::Duration};

use rmcp::{
    ClientLifecycleMode, ClientServiceExt as _, RoleClient, ServiceExt as _,
    model::{CallToolRequestParams, CallToolResult, ClientCapabilities, ClientConfig, Implementation, ProtocolVersion},
    service::RunningService,
    transport::{StreamableHttpClientTransport, TokioChildProcess},
};
use serde_json::Value;
use tokio::{
    io::{AsyncBufReadExt as _, BufReader},
    process::{Child, Command},
};

pub(crate) type Client = RunningService<RoleClient, ClientConfig>;

/// How long any one step may take before the test fails instead of hanging.
const STEP: Duration = Duration::from_secs(30);

/// Awaits `future`, failing the test if it takes longer than [`STEP`].
pub(crate) async fn within<T>(what: &str, future: impl Future<Output = T>) -> T {
    match tokio::time::timeout(STEP, future).await {
        Ok(value) => value,
        Err(_) => panic!("{what} took longer than {STEP:?}"),
    }
}

/// How a client starts its MCP lifecycle.
#[derive(Debug, Clone, Copy)]
pub(crate) enum Lifecycle {
    /// `initialize`, as `ServiceExt::serve` does.
    Initialize,
    /// `server/discover` first (2026-07-28), falling back to `initialize`.
    Auto,
}

fn client_config() -> ClientConfig {
    ClientConfig::new(ClientCapabilities::default(), Implementation::new("kanban-tests", "0.0.0"))
}

async fn connect<T, E, A>(transport: T, lifecycle: Lifecycle) -> Client
where
    T: rmcp::transport::IntoTransport<RoleClient, E, A>,
    E: std::error::Error + Send + Sync + 'static,
{
    let started = match lifecycle {
        Lifecycle::Initialize => within("initialize", client_config().serve(transport)).await,
        Lifecycle::Auto => {
            let mode = ClientLifecycleMode::Auto {
                preferred_versions: vec![ProtocolVersion::V_2026_07_28],
                legacy_version: Some(ProtocolVersion::V_2025_11_25),
            };
            within("discover", client_config().serve_with_lifecycle(transport, mode)).await
        }
    };
    started.expect("client starts")
}

fn kanban() -> Command {
    let mut command = Command::new(env!("CARGO_BIN_EXE_kanban"));
    command.env("KANBAN_LOG", "error").kill_on_drop(true);
    command
}

/// Starts `kanban stdio` as a child process and connects to it. Closing the client closes
/// the child's stdin, which ends it.
pub(crate) async fn stdio_client(data: Option<&Path>, lifecycle: Lifecycle) -> Client {
    let mut command = kanban();
    command.arg("stdio");
    if let Some(data) = data {
        command.arg("--data").arg(data);
    }
    let transport = TokioChildProcess::new(command).expect("kanban starts");
    connect(transport, lifecycle).await
}

/// `kanban http` on a free port of 127.0.0.1.
#[derive(Debug)]
pub(crate) struct HttpServer {
    child: Child,
    url: String,
}

impl HttpServer {
    pub(crate) async fn start(data: Option<&Path>) -> Self {
        match data {
            Some(data) => Self::start_with(&["--data".as_ref(), data.as_os_str()]).await,
            None => Self::start_with::<&str>(&[]).await,
        }
    }

    /// Starts the server with `args` after `http --listen 127.0.0.1:0`.
    pub(crate) async fn start_with<S: AsRef<OsStr>>(args: &[S]) -> Self {
        let mut command = kanban();
        command.args(["http", "--listen", "127.0.0.1:0"]).args(args).stdout(Stdio::piped());
        let mut child = command.spawn().expect("kanban starts");
        let stdout = child.stdout.take().expect("stdout is piped");
        let mut line = String::new();
        within("the listening line", BufReader::new(stdout).read_line(&mut line)).await.expect("stdout is readable");
        let url = line
            .trim()
            .strip_prefix("kanban listening on ")
            .unwrap_or_else(|| panic!("unexpected first line {line:?}"))
            .to_owned();
        assert!(url.starts_with("http://127.0.0.1:") && url.ends_with("/mcp"), "{url}");
        HttpServer { child, url }
    }

    /// `127.0.0.1:PORT`.
    pub(crate) fn authority(&self) -> &str {
        self.url.trim_start_matches("http://").trim_end_matches("/mcp")
    }

    pub(crate) async fn client(&self, lifecycle: Lifecycle) -> Client {
        // Only the first call installs it; later ones find it in place.
        let _ = rustls::crypto::ring::default_provider().install_default();
        connect(StreamableHttpClientTransport::from_uri(self.url.clone()), lifecycle).await
    }

    /// Sends SIGTERM and expects a clean exit; kills the process if it does not exit in time.
    pub(crate) async fn stop(mut self) {
        let pid = self.child.id().expect("the server is running").to_string();
        let sent = within("kill -TERM", Command::new("kill").args(["-TERM", &pid]).status()).await;
        assert!(sent.is_ok_and(|status| status.success()), "SIGTERM was sent");
        let status = tokio::time::timeout(Duration::from_secs(10), self.child.wait()).await;
        match status {
            Ok(status) => assert!(status.expect("wait works").success(), "a clean exit on SIGTERM"),
            Err(_) => {
                let _ = self.child.kill().await;
                panic!("the server did not exit within 10s of SIGTERM");
            }
        }
    }
}

impl Drop for HttpServer {
    fn drop(&mut self) {
        // Reached when a test fails before `stop`; `kill_on_drop` would do it too.
        let _ = self.child.start_kill();
    }
}

/// Closes the client; for a stdio client this also ends the child process.
pub(crate) async fn close(client: Client) {
    within("closing the client", client.cancel()).await.expect("client closes");
}

pub(crate) fn negotiated(client: &Client) -> ProtocolVersion {
    client.peer_info().expect("the server introduced itself").protocol_version.clone()
}

pub(crate) async fn call(client: &Client, tool: &str, arguments: Value) -> CallToolResult {
    let Value::Object(arguments) = arguments else { panic!("arguments must be an object") };
    let request = CallToolRequestParams::new(tool.to_owned()).with_arguments(arguments);
    within(tool, client.call_tool(request)).await.unwrap_or_else(|e| panic!("{tool} failed as a protocol error: {e}"))
}

/// Calls a tool that must succeed and returns its structured content, after checking that
/// the one text item holds the same JSON.
pub(crate) async fn call_ok(client: &Client, tool: &str, arguments: Value) -> Value {
    let result = call(client, tool, arguments).await;
    assert_eq!(result.is_error, Some(false), "{tool}: {result:?}");
    let structured = result.structured_content.clone().unwrap_or_else(|| panic!("{tool} has structuredContent"));
    assert_eq!(serde_json::from_str::<Value>(&only_text(&result)).expect("the text is JSON"), structured);
    structured
}

/// Calls a tool that must fail as a tool result and returns its message.
pub(crate) async fn call_err(client: &Client, tool: &str, arguments: Value) -> String {
    let result = call(client, tool, arguments).await;
    assert_eq!(result.is_error, Some(true), "{tool}: {result:?}");
    only_text(&result)
}

/// The text of a result that must hold exactly one content item, a text.
pub(crate) fn only_text(result: &CallToolResult) -> String {
    assert_eq!(result.content.len(), 1, "{result:?}");
    result.content[0].as_text().expect("the content is text").text.clone()
}
