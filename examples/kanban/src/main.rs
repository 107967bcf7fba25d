//! `kanban`: a small Kanban board served over MCP, on stdin/stdout or over Streamable HTTP.
//!
//! `board` holds the domain and its file, `tools` the MCP tools; this file parses the command
//! line and runs a transport.

mod board;
mod tools;

use std::{net::SocketAddr, path::PathBuf, process::ExitCode, sync::Arc};

use anyhow::Context as _;
use clap::{Args, Parser, Subcommand};
use rmcp::{
    ServiceExt as _,
    transport::streamable_http_server::{
        StreamableHttpServerConfig, StreamableHttpService, session::local::LocalSessionManager,
    },
};
use tracing_subscriber::EnvFilter;

use crate::{
    board::{Board, Store},
    tools::Kanban,
};

/// A Kanban board (columns todo, doing, done) served over MCP.
#[derive(Debug, Parser)]
#[command(name = "kanban", version)]
struct Cli {
    #[command(subcommand)]
    transport: Transport,
}

#[derive(Debug, Subcommand)]
enum Transport {
    /// Serve MCP over Streamable HTTP at /mcp.
    Http {
        /// Address to listen on; port 0 picks a free port.
        #[arg(long, value_name = "ADDR", default_value = "127.0.0.1:3333")]
        listen: SocketAddr,
        /// Also accept requests whose Host header names HOST (or HOST:PORT). Only loopback
        /// names are accepted otherwise, which guards against DNS rebinding.
        #[arg(long = "allow-host", value_name = "HOST")]
        allow_hosts: Vec<String>,
        #[command(flatten)]
        board: BoardArgs,
    },
    /// Speak MCP over stdin and stdout. Logs go to stderr.
    Stdio {
        #[command(flatten)]
        board: BoardArgs,
    },
}

#[derive(Debug, Args)]
struct BoardArgs {
    /// Keep the board in this JSON file, so it survives restarts (created empty if missing).
    /// Without it the board lives in memory and starts with a few example tasks.
    #[arg(long, value_name = "FILE")]
    data: Option<PathBuf>,
}

impl BoardArgs {
    fn open(self) -> anyhow::Result<Arc<Store>> {
        let store = match self.data {
            Some(path) => Store::open(path)?,
            None => Store::in_memory(Board::seeded()),
        };
        Ok(Arc::new(store))
    }
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    // stdout may be the MCP channel, so logs only ever go to stderr.
    let filter = std::env::var("KANBAN_LOG").or_else(|_| std::env::var("RUST_LOG")).unwrap_or_else(|_| "info".into());
    tracing_subscriber::fmt().with_env_filter(EnvFilter::new(filter)).with_writer(std::io::stderr).init();

    let runtime = match tokio::runtime::Builder::new_multi_thread().enable_all().build() {
        Ok(runtime) => runtime,
        Err(e) => {
            eprintln!("error: cannot start the async runtime: {e}");
            return ExitCode::FAILURE;
        }
    };
    let result = runtime.block_on(async {
        match cli.transport {
            Transport::Http { listen, allow_hosts, board } => serve_http(listen, allow_hosts, board.open()?).await,
            Transport::Stdio { board } => serve_stdio(board.open()?).await,
        }
    });
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("error: {e:#}");
            ExitCode::FAILURE
        }
    }
}

async fn serve_stdio(store: Arc<Store>) -> anyhow::Result<()> {
    tracing::info!("serving MCP on stdin/stdout");
    let service =
        Kanban::new(store).serve(rmcp::transport::stdio()).await.context("cannot start MCP on stdin/stdout")?;
    let reason = service.waiting().await.context("MCP on stdin/stdout failed")?;
    tracing::info!(?reason, "MCP on stdin/stdout ended");
    Ok(())
}

async fn serve_http(listen: SocketAddr, allow_hosts: Vec<String>, store: Arc<Store>) -> anyhow::Result<()> {
    let mut config = StreamableHttpServerConfig::default();
    config.allowed_hosts.extend(allow_hosts);
    // Cancelling it closes every MCP connection and, below, stops the HTTP server.
    let shutdown = config.cancellation_token.clone();
    let mcp = StreamableHttpService::new(
        move || Ok(Kanban::new(store.clone())),
        Arc::new(LocalSessionManager::default()),
        config,
    );
    let app = axum::Router::new().nest_service("/mcp", mcp);

    let listener = tokio::net::TcpListener::bind(listen).await.with_context(|| format!("cannot listen on {listen}"))?;
    let address = listener.local_addr().context("cannot read the listening address")?;
    // Scripts and tests wait for this line: the server accepts connections once it is printed.
    println!("kanban listening on http://{address}/mcp");
    tracing::info!(%address, "serving MCP over Streamable HTTP at /mcp");

    tokio::spawn({
        let shutdown = shutdown.clone();
        async move {
            wait_for_signal().await;
            tracing::info!("shutting down");
            shutdown.cancel();
        }
    });
    axum::serve(listener, app)
        .with_graceful_shutdown(shutdown.cancelled_owned())
        .await
        .context("the HTTP server failed")?;
    Ok(())
}

/// Resolves on Ctrl-C or, on Unix, SIGTERM.
async fn wait_for_signal() {
    let ctrl_c = async {
        if let Err(error) = tokio::signal::ctrl_c().await {
            tracing::warn!(%error, "cannot listen for Ctrl-C");
            std::future::pending::<()>().await;
        }
    };
    #[cfg(unix)]
    let terminate = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut signal) => {
                signal.recv().await;
            }
            Err(error) => {
                tracing::warn!(%error, "cannot listen for SIGTERM");
                std::future::pending::<()>().await;
            }
        }
    };
    #[cfg(not(unix))]
    let terminate = std::future::pending::<()>();
    tokio::select! {
        () = ctrl_c => {}
        () = terminate => {}
    }
}
