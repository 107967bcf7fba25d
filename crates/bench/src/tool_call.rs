//! `bench tool-call`: what Switchboard adds to a tool call against a fast
//! upstream.
//!
//! The upstream is [`echo`](crate::echo): an rmcp server in this process, on a
//! runtime of its own, whose `echo` tool answers from memory, once as one JSON
//! body and once as an SSE stream. Each is called two ways by the same client
//! ([`keep_alive`](crate::keep_alive): raw HTTP/1.1 over one keep-alive
//! connection per worker thread):
//!
//! - **direct**: JSON-RPC straight to the upstream — `initialize` and
//!   `notifications/initialized` once per connection, then `tools/call`;
//! - **switchboard**: the playground API, `POST /api/v1/connectors/{id}/tools/echo/call`
//!   with a bearer token — authentication, the connector and tool lookups,
//!   argument validation, the call on the connector's kept upstream session,
//!   the audit record, and the answer with the exchange.
//!
//! A round makes one batch of each way for each answer and connection count,
//! direct and Switchboard back to back (which goes first alternates by round),
//! so a burst of load from elsewhere lands on both. Each batch opens its
//! connections, makes [`WARM_UP`] calls that are not counted, then
//! [`Args::calls`]; latency is taken per call, calls/s over the batch's wall
//! time. The table gives medians over rounds; the added latency and the
//! throughput ratio are taken within each round, then their median.
//!
//! Each batch also takes the CPU time per call of the client's threads, of the
//! rest of this process (the upstream) and of the Switchboard process, and the
//! throughput ratio those allow when the cores are the limit. At one
//! connection a third batch calls the upstream directly again, pausing after
//! each call as long as a call through Switchboard took: the upstream then
//! idles between calls (its threads park and wake) as it does behind
//! Switchboard, which a back-to-back baseline never lets it do.
//!
//! With `--scale`, the database is first filled with [`scale::CONNECTORS`]
//! connectors, [`scale::TOOLS`] tools and [`scale::AUDIT_EVENTS`] audit records.

use std::io::IsTerminal as _;
use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::Barrier;
use std::time::{Duration, Instant};

use anyhow::Context as _;

use crate::echo::{Answer, EchoServers};
use crate::instance::{api_client, create_connector, owner_token};
use crate::keep_alive::{Connection, find};
use crate::process::{self, Running};
use crate::startup::{start_until_ready, stop};
use crate::stats::{self, Summary, Table, percentile};
use crate::{postgres, scale};

/// Calls made on each batch's connections before the measured ones, not counted.
const WARM_UP: usize = 200;
/// Worker threads of the echo server's runtime: as many as `switchboard serve`
/// gets on this machine, so neither side is favoured.
const ECHO_WORKERS: usize = 2;
/// The argument of every call, and so the text of every answer.
const TEXT: &str = "hello from bench tool-call";
/// The protocol version of the direct client's handshake.
const PROTOCOL_VERSION: &str = "2025-11-25";
/// How long the server sits idle after the runs before its memory is read.
const IDLE: Duration = Duration::from_secs(1);

#[derive(Debug, clap::Args)]
pub(crate) struct Args {
    /// Measured calls per batch (one batch per round, answer, connection count and way).
    #[arg(long, default_value_t = 2000, value_parser = clap::value_parser!(u32).range(1..=10_000_000))]
    calls: u32,
    /// Rounds; the table gives medians over them.
    #[arg(long, default_value_t = 5, value_parser = clap::value_parser!(u32).range(1..=1000))]
    rounds: u32,
    /// Connections, each with a worker making one call after another; one batch per value.
    #[arg(long, value_delimiter = ',', default_value = "1,16")]
    connections: Vec<usize>,
    /// How the upstream answers: json, sse or both.
    #[arg(long, value_delimiter = ',', default_value = "json,sse")]
    answers: Vec<AnswerArg>,
    /// Fill the database with 1,000 connectors, 10,000 tools and 1,000,000
    /// audit records before measuring.
    #[arg(long)]
    scale: bool,
    /// Benchmark on PostgreSQL: postgres://USER@HOST:PORT/DB. The run gets a
    /// new database on that server, dropped afterwards (the role needs
    /// CREATEDB). [default: SQLite]
    #[arg(long, value_name = "URL")]
    database_url: Option<String>,
    /// The switchboard binary [default: the one next to this bench binary].
    #[arg(long, value_name = "PATH")]
    switchboard: Option<PathBuf>,
}

#[derive(Clone, Copy, Debug, clap::ValueEnum)]
enum AnswerArg {
    Json,
    Sse,
}

impl From<AnswerArg> for Answer {
    fn from(arg: AnswerArg) -> Self {
        match arg {
            AnswerArg::Json => Answer::Json,
            AnswerArg::Sse => Answer::Sse,
        }
    }
}

/// One measured batch.
#[derive(Clone, Copy, Debug)]
struct Batch {
    p50_ms: f64,
    p99_ms: f64,
    calls_per_s: f64,
    /// CPU time per call (warm-up included) of the client's worker threads,
    /// of the rest of this process (the echo server's runtime) and of the
    /// Switchboard process, in microseconds.
    cpu: CpuPerCall,
}

/// Where a batch's CPU time went, per call, in microseconds.
#[derive(Clone, Copy, Debug)]
struct CpuPerCall {
    client_us: f64,
    upstream_us: f64,
    switchboard_us: f64,
}

impl CpuPerCall {
    fn total(&self) -> f64 {
        self.client_us + self.upstream_us + self.switchboard_us
    }
}

/// The batches of one answer and connection count, a pair per round.
#[derive(Debug)]
struct Series {
    answer: Answer,
    connections: usize,
    direct: Vec<Batch>,
    switchboard: Vec<Batch>,
    /// At one connection: direct again, pausing between calls as long as a call
    /// through Switchboard took, so the upstream idles between calls as it does
    /// behind Switchboard.
    paced: Vec<Batch>,
}

pub(crate) fn run(args: &Args) -> anyhow::Result<()> {
    anyhow::ensure!(!args.connections.contains(&0), "0 connections make no calls");
    let binary = process::locate_switchboard(args.switchboard.as_deref())?;
    let answers: Vec<Answer> =
        Answer::ALL.into_iter().filter(|a| args.answers.iter().any(|&b| Answer::from(b) == *a)).collect();
    let work = tempfile::tempdir().context("cannot create a temporary directory")?;
    let data_dir = work.path().join("data");
    let log = work.path().join("switchboard.log");

    // A scratch database on PostgreSQL, dropped when `_database` is.
    let database = match &args.database_url {
        None => None,
        Some(url) => {
            anyhow::ensure!(
                url.starts_with("postgres://") || url.starts_with("postgresql://"),
                "--database-url must be a postgres:// URL; leave it out to benchmark SQLite"
            );
            Some(postgres::Scratch::create(postgres::Server::connect(url)?, "tool_call")?)
        }
    };
    let database_url = database.as_ref().map(|d| d.url.clone());
    let backend = match &database_url {
        Some(url) => scale::Backend::Postgres(url.clone()),
        None => scale::Backend::Sqlite(data_dir.join("switchboard.db")),
    };

    let echo = EchoServers::start(ECHO_WORKERS)?;
    let token = owner_token(&binary, &data_dir, database_url.as_deref())?;
    let (mut server, mut addr, _) = start_until_ready(&binary, &data_dir, database_url.as_deref(), &[], &log)?;
    let connectors = register(addr, &token, &echo)?;
    // One call through each, so the audit trail has a record to copy and a bad
    // set-up fails here rather than in a batch.
    for (answer, id) in &connectors {
        Target::Switchboard { addr, token: &token, connector: id }.connect()?.call().context(answer.label())?;
    }
    let mut setup_note = String::new();
    if args.scale {
        stop(&mut server)?;
        let filled = scale::fill(&backend, &connectors[0].1)?;
        setup_note = format!(", database filled in {:.1} s ({filled})", filled.took.as_secs_f64());
        (server, addr, _) = start_until_ready(&binary, &data_dir, database_url.as_deref(), &[], &log)?;
    }

    let cpus = std::thread::available_parallelism().map_or(0, usize::from);
    println!(
        "bench tool-call: echo tool, {} measured calls per batch after {WARM_UP} warm-up, {} rounds; \
         {}{setup_note}; {cpus} CPUs; switchboard pid {}; load average {}",
        args.calls,
        args.rounds,
        if database_url.is_some() { "PostgreSQL" } else { "SQLite" },
        server.pid(),
        process::load_text()
    );
    let mut series: Vec<Series> = answers
        .iter()
        .flat_map(|&answer| {
            args.connections.iter().map(move |&connections| Series {
                answer,
                connections,
                direct: Vec::new(),
                switchboard: Vec::new(),
                paced: Vec::new(),
            })
        })
        .collect();
    let progress = std::io::stderr().is_terminal();
    for round in 0..args.rounds {
        if progress {
            eprint!("\rround {}/{}", round + 1, args.rounds);
        }
        for s in &mut series {
            let connector = &connectors.iter().find(|(a, _)| *a == s.answer).context("no connector")?.1;
            let direct = Target::Direct { addr: echo.addr(s.answer) };
            let through = Target::Switchboard { addr, token: &token, connector };
            let calls = args.calls as usize;
            // Alternate which way goes first, so neither always follows the other.
            if round % 2 == 0 {
                s.direct.push(batch(&direct, calls, s.connections, server.pid(), Duration::ZERO)?);
                s.switchboard.push(batch(&through, calls, s.connections, server.pid(), Duration::ZERO)?);
            } else {
                s.switchboard.push(batch(&through, calls, s.connections, server.pid(), Duration::ZERO)?);
                s.direct.push(batch(&direct, calls, s.connections, server.pid(), Duration::ZERO)?);
            }
            if s.connections == 1 {
                let pause = s.switchboard.last().map_or(Duration::ZERO, |b| Duration::from_secs_f64(b.p50_ms / 1000.0));
                s.paced.push(batch(&direct, calls, 1, server.pid(), pause)?);
            }
        }
        alive(&mut server)?;
    }
    if progress {
        eprintln!();
    }
    print!("{}", table(&series).render());
    println!("{}", ranges(&series));
    println!(
        "\nCPU per call in µs (warm-up included), medians over rounds; \"CPU-bound ratio\" is the \
         throughput ratio the cores allow if both ways keep them busy: direct CPU per call over Switchboard's"
    );
    print!("{}", cpu_table(&series).render());
    println!(
        "\nAt one connection, direct calls paced as slowly as Switchboard's (a pause of its p50 between \
         calls), so the upstream idles between calls as it does behind Switchboard; medians over rounds"
    );
    print!("{}", paced_table(&series).render());

    std::thread::sleep(IDLE);
    let memory = process::memory(server.pid())?;
    println!(
        "switchboard serve after the runs and {} s idle: VmRSS {:.1} MiB, VmHWM (peak) {:.1} MiB; load average {}",
        IDLE.as_secs(),
        memory.rss_kib as f64 / 1024.0,
        memory.peak_kib as f64 / 1024.0,
        process::load_text()
    );
    stop(&mut server)?;
    Ok(())
}

/// One connector per echo server, named after how it answers.
fn register(addr: SocketAddr, token: &str, echo: &EchoServers) -> anyhow::Result<Vec<(Answer, String)>> {
    let runtime = tokio::runtime::Builder::new_current_thread().enable_all().build().context("tokio runtime")?;
    runtime.block_on(async {
        let client = api_client(token)?;
        let mut connectors = Vec::new();
        for answer in Answer::ALL {
            let name = format!("Echo {}", answer.label());
            connectors.push((answer, create_connector(&client, addr, &name, &echo.url(answer)).await?));
        }
        Ok(connectors)
    })
}

/// Fail early, with the server's log, if it died during a round.
fn alive(server: &mut Running) -> anyhow::Result<()> {
    match server.exited()? {
        Some(status) => anyhow::bail!("switchboard serve exited ({status}) during the run:\n{}", server.log_tail()),
        None => Ok(()),
    }
}

/// Where a batch's calls go.
#[derive(Clone, Copy, Debug)]
enum Target<'a> {
    /// The echo server's MCP endpoint.
    Direct { addr: SocketAddr },
    /// Switchboard's playground API, with a bearer token, for the connector.
    Switchboard { addr: SocketAddr, token: &'a str, connector: &'a str },
}

/// One worker's connection, ready to call.
#[derive(Debug)]
struct Caller {
    connection: Connection,
    path: String,
    headers: String,
    kind: CallerKind,
}

#[derive(Debug)]
enum CallerKind {
    /// JSON-RPC ids go up by one per call on a connection.
    Direct {
        next_id: u64,
    },
    Switchboard {
        body: Vec<u8>,
    },
}

impl Target<'_> {
    /// Open a connection and, for the upstream, make the MCP handshake on it.
    fn connect(&self) -> anyhow::Result<Caller> {
        match *self {
            Target::Direct { addr } => {
                let mut connection = Connection::open(addr)?;
                let accept = "Accept: application/json, text/event-stream\r\n";
                let initialize = format!(
                    r#"{{"jsonrpc":"2.0","id":0,"method":"initialize","params":{{"protocolVersion":"{PROTOCOL_VERSION}","capabilities":{{}},"clientInfo":{{"name":"switchboard-bench","version":"0"}}}}}}"#
                );
                let answer = connection.post("/mcp", accept, initialize.as_bytes())?;
                anyhow::ensure!(
                    answer.status == 200 && find(&answer.body, b"\"result\"").is_some(),
                    "initialize failed: {} {}",
                    answer.status,
                    String::from_utf8_lossy(&answer.body)
                );
                let mut headers = format!("{accept}MCP-Protocol-Version: {PROTOCOL_VERSION}\r\n");
                if let Some(session) = &answer.session_id {
                    headers.push_str(&format!("Mcp-Session-Id: {session}\r\n"));
                }
                let initialized = br#"{"jsonrpc":"2.0","method":"notifications/initialized"}"#;
                let answer = connection.post("/mcp", &headers, initialized)?;
                anyhow::ensure!(answer.status == 202, "notifications/initialized: HTTP {}", answer.status);
                Ok(Caller { connection, path: "/mcp".into(), headers, kind: CallerKind::Direct { next_id: 1 } })
            }
            Target::Switchboard { addr, token, connector } => Ok(Caller {
                connection: Connection::open(addr)?,
                path: format!("/api/v1/connectors/{connector}/tools/echo/call"),
                headers: format!("Authorization: Bearer {token}\r\n"),
                kind: CallerKind::Switchboard { body: format!(r#"{{"arguments":{{"text":"{TEXT}"}}}}"#).into_bytes() },
            }),
        }
    }
}

impl Caller {
    /// One `echo` call; an answer that is not a successful result is an error.
    fn call(&mut self) -> anyhow::Result<()> {
        match &mut self.kind {
            CallerKind::Direct { next_id } => {
                let id = *next_id;
                *next_id += 1;
                let body = format!(
                    r#"{{"jsonrpc":"2.0","id":{id},"method":"tools/call","params":{{"name":"echo","arguments":{{"text":"{TEXT}"}}}}}}"#
                );
                let answer = self.connection.post(&self.path, &self.headers, body.as_bytes())?;
                // JSON or one SSE event: either way the result's text is in it.
                anyhow::ensure!(
                    answer.status == 200
                        && find(&answer.body, TEXT.as_bytes()).is_some()
                        && find(&answer.body, br#""isError":true"#).is_none(),
                    "tools/call failed: {} {}",
                    answer.status,
                    String::from_utf8_lossy(&answer.body)
                );
            }
            CallerKind::Switchboard { body } => {
                let answer = self.connection.post(&self.path, &self.headers, body)?;
                anyhow::ensure!(
                    answer.status == 200 && find(&answer.body, br#""is_error":false"#).is_some(),
                    "playground call failed: {} {}",
                    answer.status,
                    String::from_utf8_lossy(&answer.body)
                );
            }
        }
        Ok(())
    }
}

/// `calls` calls over `connections` connections, one worker thread each making
/// one call after another, after [`WARM_UP`] calls on the same connections.
/// The CPU time of the workers, of the rest of this process and of the
/// Switchboard process (`switchboard_pid`) is taken over the whole batch. Each
/// worker waits `pause` after each call (not counted in its latency).
fn batch(
    target: &Target<'_>,
    calls: usize,
    connections: usize,
    switchboard_pid: u32,
    pause: Duration,
) -> anyhow::Result<Batch> {
    // Connect (and shake hands) before any worker starts.
    let callers = (0..connections).map(|_| target.connect()).collect::<anyhow::Result<Vec<_>>>()?;
    // Workers end before the second reading, so this process's figure is the rest of it.
    let process_before = process::cpu_time(std::process::id())?;
    let switchboard_before = process::cpu_time(switchboard_pid)?;
    let warmed = Barrier::new(connections);
    let results: Vec<anyhow::Result<Worker>> = std::thread::scope(|scope| {
        let workers: Vec<_> = callers
            .into_iter()
            .enumerate()
            .map(|(i, mut caller)| {
                // Spread the calls evenly: the first `calls % connections` workers make one more.
                let share = move |n: usize| n / connections + usize::from(i < n % connections);
                let warmed = &warmed;
                scope.spawn(move || {
                    let cpu_before = process::thread_cpu_time()?;
                    let warm = (0..share(WARM_UP)).try_for_each(|_| caller.call());
                    // Every worker reaches the barrier exactly once, failed or not.
                    warmed.wait();
                    warm.context("a warm-up call")?;
                    let mut latencies = Vec::with_capacity(share(calls));
                    let started = Instant::now();
                    for _ in 0..share(calls) {
                        let one = Instant::now();
                        caller.call()?;
                        latencies.push(one.elapsed());
                        if !pause.is_zero() {
                            std::thread::sleep(pause);
                        }
                    }
                    let ended = Instant::now();
                    let cpu = process::thread_cpu_time()? - cpu_before;
                    Ok(Worker { latencies, started, ended, cpu })
                })
            })
            .collect();
        workers.into_iter().map(|w| w.join().unwrap_or_else(|_| Err(anyhow::anyhow!("a worker panicked")))).collect()
    });
    let workers = results.into_iter().collect::<anyhow::Result<Vec<_>>>()?;
    let process_cpu = process::cpu_time(std::process::id())?.saturating_sub(process_before);
    let switchboard_cpu = process::cpu_time(switchboard_pid)?.saturating_sub(switchboard_before);
    let made = (calls + WARM_UP) as f64;
    let per_call = |d: Duration| d.as_secs_f64() * 1e6 / made;
    let cpu = CpuPerCall {
        client_us: per_call(workers.iter().map(|w| w.cpu).sum()),
        upstream_us: per_call(process_cpu),
        switchboard_us: per_call(switchboard_cpu),
    };
    let started = workers.iter().map(|w| w.started).min().context("no workers")?;
    let ended = workers.iter().map(|w| w.ended).max().context("no workers")?;
    let mut ms: Vec<f64> = workers.iter().flat_map(|w| &w.latencies).map(|d| d.as_secs_f64() * 1000.0).collect();
    ms.sort_by(f64::total_cmp);
    Ok(Batch {
        p50_ms: percentile(&ms, 0.50),
        p99_ms: percentile(&ms, 0.99),
        calls_per_s: ms.len() as f64 / (ended - started).as_secs_f64(),
        cpu,
    })
}

/// What one worker measured.
#[derive(Debug)]
struct Worker {
    latencies: Vec<Duration>,
    started: Instant,
    ended: Instant,
    /// The worker thread's own CPU time, warm-up included.
    cpu: Duration,
}

/// Medians over rounds; added latency and throughput ratio paired by round.
fn table(series: &[Series]) -> Table {
    let mut table = Table::new(&[
        "upstream answer",
        "connections",
        "direct p50 ms",
        "switchboard p50 ms",
        "added p50 ms",
        "direct p99 ms",
        "switchboard p99 ms",
        "direct calls/s",
        "switchboard calls/s",
        "throughput ratio",
    ]);
    for s in series {
        let over_rounds = |batches: &[Batch], f: fn(&Batch) -> f64| stats::median(batches.iter().map(f).collect());
        let paired = |f: fn(&Batch, &Batch) -> f64| {
            stats::median(s.direct.iter().zip(&s.switchboard).map(|(d, t)| f(d, t)).collect())
        };
        table.row(vec![
            s.answer.label().to_owned(),
            s.connections.to_string(),
            format!("{:.3}", over_rounds(&s.direct, |b| b.p50_ms)),
            format!("{:.3}", over_rounds(&s.switchboard, |b| b.p50_ms)),
            format!("{:+.3}", paired(|d, t| t.p50_ms - d.p50_ms)),
            format!("{:.3}", over_rounds(&s.direct, |b| b.p99_ms)),
            format!("{:.3}", over_rounds(&s.switchboard, |b| b.p99_ms)),
            format!("{:.0}", over_rounds(&s.direct, |b| b.calls_per_s)),
            format!("{:.0}", over_rounds(&s.switchboard, |b| b.calls_per_s)),
            format!("{:.2}", paired(|d, t| t.calls_per_s / d.calls_per_s)),
        ]);
    }
    table
}

/// CPU per call of each side, medians over rounds, and the throughput ratio
/// the cores would allow if both ways kept them busy, next to the one measured.
fn cpu_table(series: &[Series]) -> Table {
    let mut table = Table::new(&[
        "upstream answer",
        "connections",
        "direct: client µs",
        "direct: upstream µs",
        "switchboard: client µs",
        "switchboard: upstream µs",
        "switchboard: switchboard µs",
        "CPU-bound ratio",
        "measured ratio",
    ]);
    for s in series {
        let over_rounds =
            |batches: &[Batch], f: fn(&CpuPerCall) -> f64| stats::median(batches.iter().map(|b| f(&b.cpu)).collect());
        let paired = |f: fn(&Batch, &Batch) -> f64| {
            stats::median(s.direct.iter().zip(&s.switchboard).map(|(d, t)| f(d, t)).collect())
        };
        table.row(vec![
            s.answer.label().to_owned(),
            s.connections.to_string(),
            format!("{:.1}", over_rounds(&s.direct, |c| c.client_us)),
            format!("{:.1}", over_rounds(&s.direct, |c| c.upstream_us)),
            format!("{:.1}", over_rounds(&s.switchboard, |c| c.client_us)),
            format!("{:.1}", over_rounds(&s.switchboard, |c| c.upstream_us)),
            format!("{:.1}", over_rounds(&s.switchboard, |c| c.switchboard_us)),
            format!("{:.2}", paired(|d, t| (d.cpu.total() - d.cpu.switchboard_us) / t.cpu.total())),
            format!("{:.2}", paired(|d, t| t.calls_per_s / d.calls_per_s)),
        ]);
    }
    table
}

/// The one-connection series: direct back to back, direct paced, Switchboard.
fn paced_table(series: &[Series]) -> Table {
    let mut table = Table::new(&[
        "upstream answer",
        "direct p50 ms",
        "direct paced p50 ms",
        "switchboard p50 ms",
        "added to paced p50 ms",
        "paced: upstream CPU µs",
    ]);
    for s in series.iter().filter(|s| !s.paced.is_empty()) {
        let over_rounds = |batches: &[Batch], f: fn(&Batch) -> f64| stats::median(batches.iter().map(f).collect());
        let added = stats::median(s.paced.iter().zip(&s.switchboard).map(|(p, t)| t.p50_ms - p.p50_ms).collect());
        table.row(vec![
            s.answer.label().to_owned(),
            format!("{:.3}", over_rounds(&s.direct, |b| b.p50_ms)),
            format!("{:.3}", over_rounds(&s.paced, |b| b.p50_ms)),
            format!("{:.3}", over_rounds(&s.switchboard, |b| b.p50_ms)),
            format!("{added:+.3}"),
            format!("{:.1}", over_rounds(&s.paced, |b| b.cpu.upstream_us)),
        ]);
    }
    table
}

/// The spread over rounds of the two figures the aims are about.
fn ranges(series: &[Series]) -> String {
    let parts: Vec<String> = series
        .iter()
        .filter_map(|s| {
            let pairs = || s.direct.iter().zip(&s.switchboard);
            let added = Summary::of(&pairs().map(|(d, t)| t.p50_ms - d.p50_ms).collect::<Vec<_>>())?;
            let ratio = Summary::of(&pairs().map(|(d, t)| t.calls_per_s / d.calls_per_s).collect::<Vec<_>>())?;
            Some(format!(
                "{} ×{}: added {:+.3} to {:+.3} ms, ratio {:.2} to {:.2}",
                s.answer.label(),
                s.connections,
                added.min,
                added.max,
                ratio.min,
                ratio.max
            ))
        })
        .collect();
    format!("over rounds (min to max): {}", parts.join("; "))
}
