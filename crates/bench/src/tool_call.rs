//! `bench tool-call`: what Switchboard adds to a tool call.
//!
//! The Kanban example serves on loopback with a board of [`TASKS`] tasks. The
//! same read tool (`list_tasks`) is called [`Args::calls`] times at each
//! concurrency, two ways, in the same run:
//!
//! - **direct**: one MCP client session straight to the Kanban server (the
//!   rmcp-based client Switchboard itself uses upstream), calls multiplexed on it;
//! - **switchboard**: the playground API, `POST /api/v1/connectors/{id}/tools/list_tasks/call`,
//!   with a personal API token over keep-alive HTTP — authentication, the
//!   connector and tool lookups, argument validation, the upstream call on the
//!   kept session, and the exchange in the answer.
//!
//! Each call's latency is taken on the client; throughput is calls over the wall
//! time of the whole batch. A warm-up batch before each measured one is not counted.

use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::Arc;
use std::time::{Duration, Instant};

use anyhow::Context as _;
use serde_json::{Value, json};
use switchboard_mcp::{ClientOptions, Endpoint, HttpTransport, Session};

use crate::process::{self, Running};
use crate::startup::{clean_env, start_until_ready};
use crate::stats::{Table, percentile};

/// Tasks on the board the read tool lists.
pub(crate) const TASKS: usize = 20;
/// Calls made before each measured batch, not counted.
const WARM_UP: usize = 200;

#[derive(Debug, clap::Args)]
pub(crate) struct Args {
    /// Calls per batch (one batch per concurrency and way).
    #[arg(long, default_value_t = 2000, value_parser = clap::value_parser!(u32).range(1..=1_000_000))]
    calls: u32,
    /// Calls in flight at once; one batch for each value.
    #[arg(long, value_delimiter = ',', default_value = "1,16")]
    concurrency: Vec<usize>,
    /// The switchboard binary [default: the one next to this bench binary].
    #[arg(long, value_name = "PATH")]
    switchboard: Option<PathBuf>,
    /// The Kanban example's binary [default: `kanban` next to this bench binary].
    #[arg(long, value_name = "PATH")]
    kanban: Option<PathBuf>,
}

/// One measured batch.
#[derive(Debug)]
struct Batch {
    p50_ms: f64,
    p99_ms: f64,
    calls_per_s: f64,
}

pub(crate) fn run(args: &Args) -> anyhow::Result<()> {
    let switchboard = process::locate_switchboard(args.switchboard.as_deref())?;
    let kanban = locate_kanban(args.kanban.as_deref())?;
    let work = tempfile::tempdir().context("cannot create a temporary directory")?;
    let runtime = tokio::runtime::Builder::new_multi_thread().enable_all().build().context("tokio runtime")?;

    let kanban_addr = process::free_loopback_port()?;
    let _board = start_kanban(&kanban, kanban_addr, &work.path().join("kanban.log"))?;
    let upstream = format!("http://{kanban_addr}/mcp");
    let data_dir = work.path().join("data");
    let token = owner_token(&switchboard, &data_dir)?;
    let (_server, addr, _) =
        start_until_ready(&switchboard, &data_dir, None, &[], &work.path().join("switchboard.log"))?;

    runtime.block_on(async {
        let direct = Arc::new(direct_session(&upstream).await?);
        fill_board(&direct).await?;
        let api = Api::new(addr, &token, &upstream).await?;

        println!(
            "bench tool-call: {} calls of kanban list_tasks ({TASKS} tasks) per batch, after {WARM_UP} warm-up calls",
            args.calls
        );
        let mut table = Table::new(&[
            "concurrency",
            "direct p50 ms",
            "switchboard p50 ms",
            "added p50 ms",
            "direct p99 ms",
            "switchboard p99 ms",
            "direct calls/s",
            "switchboard calls/s",
            "throughput ratio",
        ]);
        for &concurrency in &args.concurrency {
            anyhow::ensure!(concurrency >= 1, "a concurrency of 0 makes no calls");
            let calls = args.calls as usize;
            let session = direct.clone();
            let call_direct = move || {
                let session = session.clone();
                async move {
                    let outcome = session.call_tool("list_tasks", serde_json::Map::new()).await?;
                    anyhow::ensure!(outcome.result["isError"] != true, "list_tasks failed: {}", outcome.result);
                    Ok(())
                }
            };
            batch(WARM_UP, concurrency, call_direct.clone()).await?;
            let direct_batch = batch(calls, concurrency, call_direct).await?;
            let api = api.clone();
            let call_api = move || {
                let api = api.clone();
                async move { api.call().await }
            };
            batch(WARM_UP, concurrency, call_api.clone()).await?;
            let through = batch(calls, concurrency, call_api).await?;
            table.row(vec![
                concurrency.to_string(),
                format!("{:.3}", direct_batch.p50_ms),
                format!("{:.3}", through.p50_ms),
                format!("{:+.3}", through.p50_ms - direct_batch.p50_ms),
                format!("{:.3}", direct_batch.p99_ms),
                format!("{:.3}", through.p99_ms),
                format!("{:.0}", direct_batch.calls_per_s),
                format!("{:.0}", through.calls_per_s),
                format!("{:.2}", through.calls_per_s / direct_batch.calls_per_s),
            ]);
        }
        print!("{}", table.render());
        if let Some(load) = process::load_average() {
            println!("load average (1 min) at the end: {load:.2}");
        }
        anyhow::Ok(())
    })
}

/// Make `calls` calls, `concurrency` at a time; latencies and wall time.
async fn batch<F, Fut>(calls: usize, concurrency: usize, call: F) -> anyhow::Result<Batch>
where
    F: Fn() -> Fut + Clone + Send + 'static,
    Fut: Future<Output = anyhow::Result<()>> + Send,
{
    let started = Instant::now();
    let mut workers = tokio::task::JoinSet::new();
    for worker in 0..concurrency {
        // Spread the calls evenly: the first `calls % concurrency` workers make one more.
        let share = calls / concurrency + usize::from(worker < calls % concurrency);
        let call = call.clone();
        workers.spawn(async move {
            let mut latencies = Vec::with_capacity(share);
            for _ in 0..share {
                let one = Instant::now();
                call().await?;
                latencies.push(one.elapsed());
            }
            anyhow::Ok(latencies)
        });
    }
    let mut latencies = Vec::with_capacity(calls);
    while let Some(done) = workers.join_next().await {
        latencies.extend(done.context("a worker panicked")??);
    }
    let wall = started.elapsed();
    let mut ms: Vec<f64> = latencies.iter().map(|d| d.as_secs_f64() * 1000.0).collect();
    ms.sort_by(f64::total_cmp);
    Ok(Batch {
        p50_ms: percentile(&ms, 0.50),
        p99_ms: percentile(&ms, 0.99),
        calls_per_s: calls as f64 / wall.as_secs_f64(),
    })
}

/// The playground API with a token, and the connector made for the run.
#[derive(Clone, Debug)]
struct Api {
    client: reqwest::Client,
    call_url: String,
}

impl Api {
    async fn new(addr: SocketAddr, token: &str, upstream: &str) -> anyhow::Result<Self> {
        let client = api_client(token)?;
        let id = create_connector(&client, addr, upstream).await?;
        Ok(Self { client, call_url: format!("http://{addr}/api/v1/connectors/{id}/tools/list_tasks/call") })
    }

    async fn call(&self) -> anyhow::Result<()> {
        let response =
            self.client.post(&self.call_url).json(&json!({"arguments": {}})).send().await.context("playground call")?;
        let status = response.status();
        let body: Value = response.json().await.context("the playground's JSON")?;
        anyhow::ensure!(status == 200 && body["is_error"] == false, "playground call failed: {status} {body}");
        Ok(())
    }
}

/// A keep-alive HTTP client that sends `token` as a bearer token.
pub(crate) fn api_client(token: &str) -> anyhow::Result<reqwest::Client> {
    let mut headers = reqwest::header::HeaderMap::new();
    headers.insert(reqwest::header::AUTHORIZATION, format!("Bearer {token}").parse().context("token header")?);
    reqwest::Client::builder()
        .default_headers(headers)
        .pool_max_idle_per_host(64)
        .tcp_nodelay(true)
        .build()
        .context("HTTP client")
}

/// Register the Kanban server at `upstream` as a connector named "Kanban"; its id.
pub(crate) async fn create_connector(
    client: &reqwest::Client,
    addr: SocketAddr,
    upstream: &str,
) -> anyhow::Result<String> {
    let created: Value = client
        .post(format!("http://{addr}/api/v1/connectors"))
        .json(&json!({"name": "Kanban", "url": upstream}))
        .send()
        .await
        .context("create the connector")?
        .json()
        .await
        .context("the connector's JSON")?;
    let id = created["connector"]["id"].as_str().with_context(|| format!("no connector created: {created}"))?;
    Ok(id.to_owned())
}

/// Put [`TASKS`] tasks on the board.
pub(crate) async fn fill_board(session: &Session) -> anyhow::Result<()> {
    for i in 0..TASKS {
        let args = json!({"title": format!("Task {i}"), "description": "A task on the benchmark board."});
        session.call_tool("create_task", object(args)).await.context("create a task")?;
    }
    Ok(())
}

pub(crate) async fn direct_session(url: &str) -> anyhow::Result<Session> {
    let endpoint = Endpoint::Http { url: url.parse().context("kanban URL")?, transport: HttpTransport::StreamableHttp };
    Session::connect(&endpoint, &ClientOptions::default()).await.context("connect to the Kanban server")
}

fn object(value: Value) -> serde_json::Map<String, Value> {
    value.as_object().cloned().unwrap_or_default()
}

/// Add an owner to a new data dir and create their API token.
pub(crate) fn owner_token(switchboard: &Path, data_dir: &Path) -> anyhow::Result<String> {
    let mut add = clean_env(Command::new(switchboard));
    add.args(["user", "add", "bench@example.com", "--role", "owner", "--password-stdin"])
        .arg("--data-dir")
        .arg(data_dir);
    add.stdin(Stdio::piped()).stdout(Stdio::null()).stderr(Stdio::inherit());
    let mut child = add.spawn().context("switchboard user add")?;
    {
        use std::io::Write as _;
        let mut stdin = child.stdin.take().context("stdin")?;
        stdin.write_all(b"a long benchmark password\n").context("write the password")?;
    }
    anyhow::ensure!(child.wait().context("switchboard user add")?.success(), "switchboard user add failed");
    let mut create = clean_env(Command::new(switchboard));
    create.args(["token", "create", "bench@example.com", "--name", "bench"]).arg("--data-dir").arg(data_dir);
    let out = create.stderr(Stdio::inherit()).output().context("switchboard token create")?;
    anyhow::ensure!(out.status.success(), "switchboard token create failed");
    Ok(String::from_utf8(out.stdout).context("token")?.trim().to_owned())
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
