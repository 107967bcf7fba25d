//! The fast upstream of `bench tool-call`: an MCP server with one read tool,
//! `echo`, that sends its argument back from memory, over Streamable HTTP on
//! loopback ports.
//!
//! It runs in the bench process but on a Tokio runtime and threads of its own,
//! so the measuring client (plain threads) never waits for a worker of the
//! server's runtime. Two listeners share that runtime, one per [`Answer`]; a
//! server with a single listener that is not being called costs nothing.
//!
//! Both serve statelessly (`legacy_session_mode` off): a 2026-07-28 client,
//! which is what Switchboard's upstream client is against rmcp 3.9, is always
//! served that way, so the direct client and Switchboard reach the same path
//! of the server whichever handshake they make.

use std::net::{Ipv4Addr, SocketAddr};
use std::sync::Arc;
use std::sync::mpsc;
use std::thread::JoinHandle;

use anyhow::Context as _;
use axum::serve::ListenerExt as _;
use rmcp::handler::server::wrapper::Parameters;
use rmcp::transport::streamable_http_server::session::never::NeverSessionManager;
use rmcp::transport::streamable_http_server::{StreamableHttpServerConfig, StreamableHttpService};
use rmcp::{ServerHandler, tool, tool_handler, tool_router};
use schemars::JsonSchema;
use serde::Deserialize;
use tokio_util::sync::CancellationToken;

/// How the server answers a `tools/call` POST.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Answer {
    /// One `application/json` body (rmcp's `json_response`).
    Json,
    /// A `text/event-stream` with one event, then the end of the stream, as
    /// servers that stream every answer do (npm `server-everything`).
    Sse,
}

impl Answer {
    pub(crate) const ALL: [Answer; 2] = [Answer::Json, Answer::Sse];

    pub(crate) fn label(self) -> &'static str {
        match self {
            Answer::Json => "JSON",
            Answer::Sse => "SSE",
        }
    }
}

/// The MCP server: no state, so every request gets a fresh copy for free.
#[derive(Clone, Debug, Default)]
struct Echo;

#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
struct EchoParams {
    /// The text to send back.
    text: String,
}

#[tool_router]
impl Echo {
    #[tool(
        name = "echo",
        title = "Echo",
        description = "Use this to test a connection: it answers with the text it is given, unchanged.",
        annotations(title = "Echo", read_only_hint = true, open_world_hint = false)
    )]
    async fn echo(&self, Parameters(params): Parameters<EchoParams>) -> String {
        params.text
    }
}

#[tool_handler(name = "bench-echo", instructions = "One tool, echo, which answers with its argument.")]
impl ServerHandler for Echo {}

/// The two echo servers, one per [`Answer`], on their runtime's thread.
/// Dropping it stops them and waits for the thread.
#[derive(Debug)]
pub(crate) struct EchoServers {
    json: SocketAddr,
    sse: SocketAddr,
    stop: CancellationToken,
    thread: Option<JoinHandle<anyhow::Result<()>>>,
}

impl EchoServers {
    /// Bind two loopback ports and serve on a runtime of `workers` threads.
    pub(crate) fn start(workers: usize) -> anyhow::Result<Self> {
        let stop = CancellationToken::new();
        let (bound, addresses) = mpsc::channel();
        let thread = std::thread::Builder::new()
            .name("echo-server".into())
            .spawn({
                let stop = stop.clone();
                move || serve(workers, stop, bound)
            })
            .context("cannot start the echo server's thread")?;
        match addresses.recv() {
            Ok((json, sse)) => Ok(Self { json, sse, stop, thread: Some(thread) }),
            // The thread ended before it bound its ports: its error says why.
            Err(_) => match thread.join() {
                Ok(Err(e)) => Err(e),
                _ => anyhow::bail!("the echo server's thread ended before it listened"),
            },
        }
    }

    /// The MCP endpoint answering the way `answer` says.
    pub(crate) fn url(&self, answer: Answer) -> String {
        format!("http://{}/mcp", self.addr(answer))
    }

    pub(crate) fn addr(&self, answer: Answer) -> SocketAddr {
        match answer {
            Answer::Json => self.json,
            Answer::Sse => self.sse,
        }
    }
}

impl Drop for EchoServers {
    fn drop(&mut self) {
        self.stop.cancel();
        if let Some(thread) = self.thread.take() {
            let _ = thread.join();
        }
    }
}

fn serve(workers: usize, stop: CancellationToken, bound: mpsc::Sender<(SocketAddr, SocketAddr)>) -> anyhow::Result<()> {
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(workers)
        .thread_name("echo-worker")
        .enable_all()
        .build()
        .context("cannot start the echo server's runtime")?;
    runtime.block_on(async {
        let json = listen().await?;
        let sse = listen().await?;
        let addresses = (json.local_addr()?, sse.local_addr()?);
        let servers = [(json, Answer::Json), (sse, Answer::Sse)].map(|(listener, answer)| {
            // As `switchboard serve` does: without it, the first event of an SSE
            // answer can wait for the client's delayed ACK of the headers.
            let listener = listener.tap_io(|tcp| {
                let _ = tcp.set_nodelay(true);
            });
            let app = axum::Router::new().nest_service("/mcp", service(answer, &stop));
            let stop = stop.clone();
            tokio::spawn(async move { axum::serve(listener, app).with_graceful_shutdown(stop.cancelled_owned()).await })
        });
        // The receiver may be gone if `start` failed in between; then stop.
        if bound.send(addresses).is_err() {
            stop.cancel();
        }
        for server in servers {
            server.await.context("the echo server panicked")?.context("the echo server failed")?;
        }
        anyhow::Ok(())
    })
}

async fn listen() -> anyhow::Result<tokio::net::TcpListener> {
    tokio::net::TcpListener::bind((Ipv4Addr::LOCALHOST, 0)).await.context("cannot bind a loopback port")
}

fn service(answer: Answer, stop: &CancellationToken) -> StreamableHttpService<Echo, NeverSessionManager> {
    let config = StreamableHttpServerConfig::default()
        .with_legacy_session_mode(false)
        .with_json_response(answer == Answer::Json)
        .with_cancellation_token(stop.child_token());
    StreamableHttpService::new(|| Ok(Echo), Arc::new(NeverSessionManager::default()), config)
}
