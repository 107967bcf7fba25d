//! `bench startup`: how long `switchboard serve` takes to become ready and to
//! shut down, and how much memory it holds while idle.
//!
//! Each run gets an empty data dir (and, on PostgreSQL, an empty database), so
//! the first start pays for creating the key file and running migrations, as a
//! new install does. The server is then started a second time on the same data,
//! as on an ordinary restart. The baseline is `switchboard --version`:
//! starting and exiting the same binary without serving, timed in the same
//! iteration, so the ratio says how much more than a bare process start the
//! server needs.

use std::ffi::OsStr;
use std::io::IsTerminal as _;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::{Duration, Instant};

use anyhow::Context as _;

use crate::process::{self, Exit, Memory, Running};
use crate::stats::{self, Summary, Table};
use crate::{http, postgres};

/// Give up on a server that is not ready after this long.
const READY_LIMIT: Duration = Duration::from_secs(30);
/// Give up on a server that has not exited this long after SIGTERM.
const SHUTDOWN_LIMIT: Duration = Duration::from_secs(10);
/// Give up on `switchboard --version` after this long.
const VERSION_LIMIT: Duration = Duration::from_secs(10);
/// Pause between readiness probes. A refused connect on loopback costs a few
/// microseconds, so this sets the resolution of the startup figure.
const POLL_INTERVAL: Duration = Duration::from_millis(2);
/// How long the server sits idle after it is ready, before memory is read.
const IDLE: Duration = Duration::from_secs(1);
/// Requests made before memory is read a second time.
const REQUESTS: usize = 50;
/// Pause before each run's first measurement, so the disk and database work of
/// setting it up (removing the last data dir, CREATE DATABASE) is not measured.
const SETTLE: Duration = Duration::from_millis(200);

#[derive(Debug, clap::Args)]
pub(crate) struct Args {
    /// Measured runs; a warm-up run before them is reported on its own.
    #[arg(long, default_value_t = 15, value_parser = clap::value_parser!(u32).range(1..=1000))]
    runs: u32,
    /// The switchboard binary [default: the one next to this bench binary].
    #[arg(long, value_name = "PATH")]
    switchboard: Option<PathBuf>,
    /// Benchmark on PostgreSQL: postgres://USER@HOST:PORT/DB. Each run gets a
    /// new database on that server, dropped after the run (the role needs
    /// CREATEDB); DB itself is only used to connect. [default: SQLite]
    #[arg(long, value_name = "URL")]
    database_url: Option<String>,
}

/// Where runs keep their data.
#[derive(Debug)]
enum Backend {
    /// A SQLite file in each run's data dir (the server's default).
    Sqlite,
    /// A new database per run on this server.
    Postgres(postgres::Server),
}

/// What one run measured.
#[derive(Clone, Copy, Debug)]
struct Run {
    /// `switchboard --version`, spawn to exit: the baseline.
    process_start: Duration,
    /// `serve` on an empty data dir, spawn to the first 200 from /readyz.
    first_start: Duration,
    /// `serve` again on the data the first start left, spawn to ready.
    restart: Duration,
    /// SIGTERM sent to exit, after the idle period and the requests.
    shutdown: Duration,
    /// After start and [`IDLE`].
    idle: Memory,
    /// After [`REQUESTS`] more requests.
    after_requests: Memory,
}

pub(crate) fn run(args: &Args) -> anyhow::Result<()> {
    let binary = process::locate_switchboard(args.switchboard.as_deref())?;
    let backend = match &args.database_url {
        None => Backend::Sqlite,
        Some(url) => {
            anyhow::ensure!(
                url.starts_with("postgres://") || url.starts_with("postgresql://"),
                "--database-url must be a postgres:// URL; leave it out to benchmark SQLite"
            );
            Backend::Postgres(postgres::Server::connect(url)?)
        }
    };
    print_setup(&binary, &backend, args.runs);

    let progress = std::io::stderr().is_terminal();
    let warm_up = one_run(&binary, &backend, "warmup")?;
    let mut runs = Vec::new();
    for i in 1..=args.runs {
        if progress {
            eprint!("\rrun {i}/{}", args.runs);
        }
        runs.push(one_run(&binary, &backend, &i.to_string())?);
    }
    if progress {
        eprintln!();
    }

    println!(
        "warm-up run (excluded below): process start {}, first start {}, restart {}, shutdown {}\n",
        stats::ms(millis(warm_up.process_start)),
        stats::ms(millis(warm_up.first_start)),
        stats::ms(millis(warm_up.restart)),
        stats::ms(millis(warm_up.shutdown)),
    );
    print!("{}", timing_table(&runs).render());
    println!();
    print!("{}", memory_table(&runs).render());
    println!("\nload average at the end: {}", process::load_text());
    Ok(())
}

fn print_setup(binary: &Path, backend: &Backend, runs: u32) {
    let cpus = std::thread::available_parallelism().map_or(0, usize::from);
    let database = match backend {
        Backend::Sqlite => "SQLite in a new data dir per run",
        Backend::Postgres(_) => "PostgreSQL, a new database per run",
    };
    println!("binary: {}", binary.display());
    println!(
        "database: {database}; {runs} runs after one warm-up; {cpus} CPUs; load average {}\n",
        process::load_text()
    );
}

/// One iteration: the baseline, a first start with memory readings, a restart.
/// A PostgreSQL database made for the run is dropped whether or not it worked.
fn one_run(binary: &Path, backend: &Backend, label: &str) -> anyhow::Result<Run> {
    let dir = tempfile::Builder::new()
        .prefix("switchboard-bench-")
        .tempdir()
        .context("cannot create a temporary directory")?;
    match backend {
        Backend::Sqlite => measure(binary, dir.path(), None),
        Backend::Postgres(server) => {
            let name = server.scratch_name(label);
            server.create(&name)?;
            let result = measure(binary, dir.path(), Some(&server.url_of(&name)));
            let dropped = server.drop_database(&name);
            let run = result?;
            dropped?;
            Ok(run)
        }
    }
}

fn measure(binary: &Path, dir: &Path, database_url: Option<&str>) -> anyhow::Result<Run> {
    let data_dir = dir.join("data");
    let start = |log: &str| start_until_ready(binary, &data_dir, database_url, &[], &dir.join(log));

    let mut version = clean_env(Command::new(binary));
    version.arg("--version");
    std::thread::sleep(SETTLE);
    let process_start = process::time_to_exit(version, VERSION_LIMIT)?;

    let (mut server, addr, first_start) = start("first-start.log")?;
    std::thread::sleep(IDLE);
    let idle = process::memory(server.pid())?;
    for _ in 0..REQUESTS {
        let status = http::get_status(addr, "/healthz")?;
        anyhow::ensure!(status == 200, "GET /healthz answered {status}:\n{}", server.log_tail());
    }
    let after_requests = process::memory(server.pid())?;
    let shutdown = stop(&mut server)?;

    let (mut server, _, restart) = start("restart.log")?;
    stop(&mut server)?;

    Ok(Run { process_start, first_start, restart, shutdown, idle, after_requests })
}

/// Spawn `switchboard serve` on a free loopback port, with `env` added to its
/// environment, and probe /readyz until it answers 200; return the server, its
/// address and the time from spawn.
pub(crate) fn start_until_ready(
    binary: &Path,
    data_dir: &Path,
    database_url: Option<&str>,
    env: &[(&str, &str)],
    log: &Path,
) -> anyhow::Result<(Running, SocketAddr, Duration)> {
    let addr = process::free_loopback_port()?;
    let mut command = clean_env(Command::new(binary));
    command.envs(env.iter().copied());
    command.arg("serve").arg("--listen").arg(addr.to_string());
    command.arg("--data-dir").arg(data_dir);
    if let Some(url) = database_url {
        command.arg("--database-url").arg(url);
    }

    let started = Instant::now();
    let mut server = Running::spawn(command, log)?;
    let deadline = started + READY_LIMIT;
    let mut last = String::from("connection refused");
    loop {
        match http::get_status(addr, "/readyz") {
            Ok(200) => return Ok((server, addr, started.elapsed())),
            Ok(status) => last = format!("/readyz answered {status}"),
            Err(e) if http::is_refused(&e) => {}
            Err(e) => last = format!("{e:#}"),
        }
        if let Some(status) = server.exited()? {
            anyhow::bail!("switchboard serve exited ({status}) before it was ready:\n{}", server.log_tail());
        }
        if Instant::now() >= deadline {
            // Dropping `server` kills it.
            anyhow::bail!(
                "switchboard serve was not ready on {addr} within {READY_LIMIT:?} \
                 (last: {last}); killed it:\n{}",
                server.log_tail()
            );
        }
        std::thread::sleep(POLL_INTERVAL);
    }
}

/// SIGTERM the server and time its exit, which must be with status 0.
pub(crate) fn stop(server: &mut Running) -> anyhow::Result<Duration> {
    let signalled = Instant::now();
    server.terminate()?;
    let exit = server.wait_at_most(SHUTDOWN_LIMIT)?;
    let elapsed = signalled.elapsed();
    match exit {
        Exit::Exited(status) if status.success() => Ok(elapsed),
        Exit::Exited(status) => {
            let hint = if process::died_of_sigterm(status) {
                " (the signal's default action, so the server had no SIGTERM handler yet, \
                 although it already answered /readyz)"
            } else {
                ""
            };
            anyhow::bail!("switchboard serve exited with {status} after SIGTERM, not 0{hint}:\n{}", server.log_tail())
        }
        Exit::Killed => anyhow::bail!(
            "switchboard serve did not exit within {SHUTDOWN_LIMIT:?} of SIGTERM; killed it:\n{}",
            server.log_tail()
        ),
    }
}

/// `command` without the `SWITCHBOARD_*` variables (and log filters) of the
/// calling shell, which would otherwise choose another database or config.
pub(crate) fn clean_env(mut command: Command) -> Command {
    for (name, _) in std::env::vars_os() {
        let bytes = name.as_encoded_bytes();
        if bytes.starts_with(b"SWITCHBOARD_") || name == OsStr::new("RUST_LOG") {
            command.env_remove(&name);
        }
    }
    command
}

fn millis(d: Duration) -> f64 {
    d.as_secs_f64() * 1000.0
}

fn timing_table(runs: &[Run]) -> Table {
    let summary = |pick: fn(&Run) -> Duration| {
        let samples: Vec<Duration> = runs.iter().map(pick).collect();
        Summary::of_durations(&samples)
    };
    let rows = [
        ("baseline: switchboard --version, spawn → exit", summary(|r| r.process_start)),
        ("first start: spawn → /readyz 200", summary(|r| r.first_start)),
        ("restart: spawn → /readyz 200", summary(|r| r.restart)),
        ("graceful shutdown: SIGTERM → exit 0", summary(|r| r.shutdown)),
    ];
    let mut table = Table::new(&["scenario", "runs", "median", "p90", "min", "max", "× baseline"]);
    let Some(baseline) = rows[0].1 else {
        return table;
    };
    for (name, s) in rows {
        let Some(s) = s else { continue };
        table.row(vec![
            name.to_owned(),
            s.runs.to_string(),
            stats::ms(s.median),
            stats::ms(s.p90),
            stats::ms(s.min),
            stats::ms(s.max),
            format!("{:.1}", s.median / baseline.median),
        ]);
    }
    table
}

fn memory_table(runs: &[Run]) -> Table {
    let summary = |pick: fn(&Run) -> u64| {
        let samples: Vec<f64> = runs.iter().map(|r| pick(r) as f64).collect();
        Summary::of(&samples)
    };
    let rows = [
        ("VmRSS after ready + 1 s idle".to_owned(), summary(|r| r.idle.rss_kib)),
        (format!("VmRSS after {REQUESTS} × GET /healthz"), summary(|r| r.after_requests.rss_kib)),
        ("VmHWM (peak) after the requests".to_owned(), summary(|r| r.after_requests.peak_kib)),
    ];
    let mut table = Table::new(&["memory (resident)", "runs", "median", "min", "max"]);
    for (name, s) in rows {
        let Some(s) = s else { continue };
        table.row(vec![name, s.runs.to_string(), stats::mib(s.median), stats::mib(s.min), stats::mib(s.max)]);
    }
    table
}
