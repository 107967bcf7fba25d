//! The Kanban example (`examples/kanban`) as the MCP server of `bench agent-step`.

use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::{Duration, Instant};

use anyhow::Context as _;
use serde_json::{Value, json};
use switchboard_mcp::{ClientOptions, Endpoint, HttpTransport, UpstreamSession};

use crate::process::Running;

/// Tasks on the board the read tool lists.
pub(crate) const TASKS: usize = 20;

/// Put [`TASKS`] tasks on the board.
pub(crate) async fn fill_board(session: &UpstreamSession) -> anyhow::Result<()> {
    for i in 0..TASKS {
        let args = json!({"title": format!("Task {i}"), "description": "A task on the benchmark board."});
        session.call_tool("create_task", object(args)).await.context("create a task")?;
    }
    Ok(())
}

pub(crate) async fn direct_session(url: &str) -> anyhow::Result<UpstreamSession> {
    let endpoint = Endpoint::Http { url: url.parse().context("kanban URL")?, transport: HttpTransport::StreamableHttp };
    UpstreamSession::connect(&endpoint, &ClientOptions::default()).await.context("connect to the Kanban server")
}

fn object(value: Value) -> serde_json::Map<String, Value> {
    value.as_object().cloned().unwrap_or_default()
}

pub(crate) fn locate_kanban(explicit: Option<&Path>) -> anyhow::Result<PathBuf> {
    let path = match explicit {
        Some(path) => path.to_owned(),
        None => std::env::current_exe().context("where is bench")?.with_file_name("kanban"),
    };
    anyhow::ensure!(
        path.is_file(),
        "no kanban binary at {}; run `cargo build --release -p switchboard-kanban` or pass --kanban PATH",
        path.display()
    );
    Ok(path)
}

pub(crate) fn start_kanban(binary: &Path, addr: SocketAddr, log: &Path) -> anyhow::Result<Running> {
    let mut command = Command::new(binary);
    command.args(["http", "--listen", &addr.to_string()]).env("KANBAN_LOG", "error");
    let mut board = Running::spawn(command, log)?;
    let deadline = Instant::now() + Duration::from_secs(30);
    while std::net::TcpStream::connect(addr).is_err() {
        if let Some(status) = board.exited()? {
            anyhow::bail!("kanban exited ({status}):\n{}", board.log_tail());
        }
        anyhow::ensure!(Instant::now() < deadline, "kanban did not listen on {addr} within 30 s");
        std::thread::sleep(Duration::from_millis(20));
    }
    Ok(board)
}
