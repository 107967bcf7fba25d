//! Child processes: finding the `switchboard` binary, starting it, signalling
//! it, waiting for it with a deadline, and reading its memory from `/proc`.

use std::fs::File;
use std::net::{Ipv4Addr, SocketAddr, TcpListener};
use std::os::unix::process::ExitStatusExt as _;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, ExitStatus, Stdio};
use std::sync::mpsc::{self, RecvTimeoutError};
use std::time::{Duration, Instant};

use anyhow::Context as _;
use rustix::process::{Pid, Signal, kill_process as kill};

/// The `switchboard` executable: `explicit` if given, else the one next to the
/// running `bench` (the same target directory and profile).
pub(crate) fn locate_switchboard(explicit: Option<&Path>) -> anyhow::Result<PathBuf> {
    if let Some(path) = explicit {
        anyhow::ensure!(
            path.is_file(),
            "{} does not exist; pass the path of a built switchboard binary",
            path.display()
        );
        return Ok(path.to_owned());
    }
    let bench = std::env::current_exe().context("cannot tell where the bench binary is")?;
    let dir = bench.parent().context("the bench binary has no parent directory")?;
    let path = dir.join(format!("switchboard{}", std::env::consts::EXE_SUFFIX));
    anyhow::ensure!(
        path.is_file(),
        "no switchboard binary at {}; run `cargo build --release -p switchboard-cli` \
         (same profile as bench) or pass --switchboard PATH",
        path.display()
    );
    Ok(path)
}

/// A loopback port nothing listens on right now. Another process could take
/// it before the server binds it; on a quiet machine that does not happen.
pub(crate) fn free_loopback_port() -> anyhow::Result<SocketAddr> {
    let listener = TcpListener::bind((Ipv4Addr::LOCALHOST, 0)).context("cannot bind a loopback port")?;
    listener.local_addr().context("cannot read the bound loopback port")
}

/// How long `command` takes from spawn to exit; it must exit 0.
pub(crate) fn time_to_exit(mut command: Command, limit: Duration) -> anyhow::Result<Duration> {
    command.stdin(Stdio::null()).stdout(Stdio::null()).stderr(Stdio::null());
    let started = Instant::now();
    let mut child = command.spawn().with_context(|| format!("cannot start {command:?}"))?;
    let exit = wait_at_most(&mut child, limit)?;
    let elapsed = started.elapsed();
    match exit {
        Exit::Exited(status) => {
            anyhow::ensure!(status.success(), "{command:?} failed: {status}");
            Ok(elapsed)
        }
        Exit::Killed => anyhow::bail!("{command:?} did not exit within {limit:?}; killed it"),
    }
}

/// Whether the process was ended by SIGTERM's default action rather than
/// exiting by itself.
pub(crate) fn died_of_sigterm(status: ExitStatus) -> bool {
    status.signal() == Some(Signal::TERM.as_raw())
}

/// How a bounded wait ended.
#[derive(Debug)]
pub(crate) enum Exit {
    Exited(ExitStatus),
    /// Still running when the time was up, so it was sent SIGKILL.
    Killed,
}

/// Block until `child` exits, or SIGKILL it after `limit`. Waiting in the
/// kernel rather than polling means the exit is seen the moment it happens.
fn wait_at_most(child: &mut Child, limit: Duration) -> anyhow::Result<Exit> {
    let pid = Pid::from_child(child);
    let (exited, wait_for_exit) = mpsc::channel::<()>();
    let watchdog = std::thread::spawn(move || {
        let timed_out = wait_for_exit.recv_timeout(limit) == Err(RecvTimeoutError::Timeout);
        if timed_out {
            // The child is not reaped until `wait` below returns, so `pid`
            // still names it.
            let _ = kill(pid, Signal::KILL);
        }
        timed_out
    });
    let status = child.wait();
    let _ = exited.send(());
    let killed = watchdog.join().unwrap_or(false);
    let status = status.context("cannot wait for the child process")?;
    Ok(if killed { Exit::Killed } else { Exit::Exited(status) })
}

/// A long-running child whose output goes to a log file. Dropping it kills the
/// process if it is still running, so no failure path leaves a server behind.
#[derive(Debug)]
pub(crate) struct Running {
    child: Child,
    log: PathBuf,
}

impl Running {
    /// Spawn `command` with stdout and stderr appended to `log`.
    pub(crate) fn spawn(mut command: Command, log: &Path) -> anyhow::Result<Self> {
        let out = File::options()
            .create(true)
            .append(true)
            .open(log)
            .with_context(|| format!("cannot open log file {}", log.display()))?;
        let err = out.try_clone().context("cannot share the log file")?;
        command.stdin(Stdio::null()).stdout(out).stderr(err);
        let child = command.spawn().with_context(|| format!("cannot start {command:?}"))?;
        Ok(Self { child, log: log.to_owned() })
    }

    pub(crate) fn pid(&self) -> u32 {
        self.child.id()
    }

    /// `Some(status)` once the process has exited.
    pub(crate) fn exited(&mut self) -> anyhow::Result<Option<ExitStatus>> {
        self.child.try_wait().context("cannot check on the child process")
    }

    /// Send SIGTERM.
    pub(crate) fn terminate(&self) -> anyhow::Result<()> {
        kill(Pid::from_child(&self.child), Signal::TERM)
            .with_context(|| format!("cannot SIGTERM process {}", self.pid()))
    }

    /// Wait until the process exits, or SIGKILL it after `limit`.
    pub(crate) fn wait_at_most(&mut self, limit: Duration) -> anyhow::Result<Exit> {
        wait_at_most(&mut self.child, limit)
    }

    /// The last lines the process wrote, to explain a failure.
    pub(crate) fn log_tail(&self) -> String {
        let text = std::fs::read_to_string(&self.log).unwrap_or_default();
        let lines: Vec<&str> = text.lines().collect();
        let tail = lines[lines.len().saturating_sub(20)..].join("\n");
        if tail.is_empty() { "(the process wrote nothing)".to_owned() } else { tail }
    }
}

impl Drop for Running {
    fn drop(&mut self) {
        if matches!(self.child.try_wait(), Ok(None)) {
            kill_now(&mut self.child);
        }
    }
}

/// SIGKILL and reap, ignoring errors: this only cleans up after a failure.
fn kill_now(child: &mut Child) {
    let _ = child.kill();
    let _ = child.wait();
}

/// Resident memory of a process, from `/proc/PID/status`.
#[derive(Clone, Copy, Debug)]
pub(crate) struct Memory {
    /// `VmRSS`: resident now.
    pub(crate) rss_kib: u64,
    /// `VmHWM`: the most that was ever resident.
    pub(crate) peak_kib: u64,
}

pub(crate) fn memory(pid: u32) -> anyhow::Result<Memory> {
    let path = format!("/proc/{pid}/status");
    let text = std::fs::read_to_string(&path).with_context(|| format!("cannot read {path}"))?;
    parse_memory(&text).with_context(|| format!("no VmRSS/VmHWM in {path}"))
}

fn parse_memory(status: &str) -> Option<Memory> {
    let field = |name: &str| {
        status
            .lines()
            .find_map(|line| line.strip_prefix(name))
            .and_then(|rest| rest.trim().strip_suffix("kB"))
            .and_then(|kib| kib.trim().parse::<u64>().ok())
    };
    Some(Memory { rss_kib: field("VmRSS:")?, peak_kib: field("VmHWM:")? })
}

/// CPU time the threads of a process have run so far, summed from
/// `/proc/PID/task/*/schedstat` (nanoseconds, where `/proc/PID/stat` counts
/// clock ticks). Threads that have ended are no longer counted.
pub(crate) fn cpu_time(pid: u32) -> anyhow::Result<Duration> {
    let dir = format!("/proc/{pid}/task");
    let mut nanos = 0;
    for entry in std::fs::read_dir(&dir).with_context(|| format!("cannot list {dir}"))? {
        let path = entry.context("cannot list the threads")?.path().join("schedstat");
        // A thread that ended since the listing is skipped.
        let Ok(text) = std::fs::read_to_string(&path) else { continue };
        nanos += parse_schedstat(&text).with_context(|| format!("no run time in {}", path.display()))?;
    }
    Ok(Duration::from_nanos(nanos))
}

/// CPU time the calling thread has run so far (`/proc/thread-self/schedstat`).
pub(crate) fn thread_cpu_time() -> anyhow::Result<Duration> {
    let text = std::fs::read_to_string("/proc/thread-self/schedstat").context("cannot read this thread's schedstat")?;
    Ok(Duration::from_nanos(parse_schedstat(&text).context("no run time in this thread's schedstat")?))
}

/// The first field of `schedstat`: nanoseconds on a CPU.
fn parse_schedstat(text: &str) -> Option<u64> {
    text.split_whitespace().next()?.parse().ok()
}

/// Open file descriptors of a process, from `/proc/PID/fd`.
#[derive(Clone, Copy, Debug, Default)]
pub(crate) struct Descriptors {
    pub(crate) total: usize,
    /// Of which sockets (TCP connections and listeners, Unix sockets).
    pub(crate) sockets: usize,
}

/// Count the open descriptors of `pid` and which of them are sockets.
pub(crate) fn descriptors(pid: u32) -> anyhow::Result<Descriptors> {
    let dir = format!("/proc/{pid}/fd");
    let mut found = Descriptors::default();
    for entry in std::fs::read_dir(&dir).with_context(|| format!("cannot list {dir}"))? {
        let entry = entry.context("cannot list the descriptors")?;
        found.total += 1;
        // A descriptor closed since the listing is counted, not classified.
        let target = std::fs::read_link(entry.path()).unwrap_or_default();
        if target.as_os_str().as_encoded_bytes().starts_with(b"socket:") {
            found.sockets += 1;
        }
    }
    Ok(found)
}

/// How many descriptors `pid` has open; cheaper than [`descriptors`], for sampling.
pub(crate) fn descriptor_count(pid: u32) -> anyhow::Result<usize> {
    let dir = format!("/proc/{pid}/fd");
    Ok(std::fs::read_dir(&dir).with_context(|| format!("cannot list {dir}"))?.count())
}

/// A TCP socket a process holds open.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct TcpSocket {
    pub(crate) local_port: u16,
    pub(crate) remote_port: u16,
    /// In the `LISTEN` state.
    pub(crate) listening: bool,
}

/// The TCP sockets among the descriptors of `pid`: their inodes from
/// `/proc/PID/fd`, their ports from `/proc/PID/net/tcp` and `tcp6`.
pub(crate) fn tcp_sockets(pid: u32) -> anyhow::Result<Vec<TcpSocket>> {
    let dir = format!("/proc/{pid}/fd");
    let mut inodes = std::collections::HashSet::new();
    for entry in std::fs::read_dir(&dir).with_context(|| format!("cannot list {dir}"))? {
        let target = std::fs::read_link(entry.context("cannot list the descriptors")?.path()).unwrap_or_default();
        let target = target.to_string_lossy();
        if let Some(inode) = target.strip_prefix("socket:[").and_then(|rest| rest.strip_suffix(']')) {
            inodes.insert(inode.to_owned());
        }
    }
    let mut sockets = vec![];
    for table in ["tcp", "tcp6"] {
        let path = format!("/proc/{pid}/net/{table}");
        let text = std::fs::read_to_string(&path).with_context(|| format!("cannot read {path}"))?;
        sockets.extend(text.lines().skip(1).filter_map(|line| parse_tcp_line(line, &inodes)));
    }
    Ok(sockets)
}

/// One line of `/proc/net/tcp` (`sl local rem st … uid timeout inode`), if
/// its inode is one of `inodes`.
fn parse_tcp_line(line: &str, inodes: &std::collections::HashSet<String>) -> Option<TcpSocket> {
    let fields: Vec<&str> = line.split_whitespace().collect();
    if !inodes.contains(*fields.get(9)?) {
        return None;
    }
    let port = |address: &str| u16::from_str_radix(address.rsplit_once(':')?.1, 16).ok();
    Some(TcpSocket { local_port: port(fields[1])?, remote_port: port(fields[2])?, listening: fields[3] == "0A" })
}

/// The one-minute load average as printed; above the CPU count, figures are
/// inflated by other work.
pub(crate) fn load_text() -> String {
    load_average().map_or_else(|| "unknown".to_owned(), |l| format!("{l:.2}"))
}

/// The one-minute load average, to tell a quiet machine from a busy one.
pub(crate) fn load_average() -> Option<f64> {
    std::fs::read_to_string("/proc/loadavg").ok()?.split_whitespace().next()?.parse().ok()
}

#[cfg(test)]
mod tests {
    use super::{TcpSocket, parse_memory, parse_schedstat, parse_tcp_line};

    #[test]
    fn memory_from_proc_status() {
        let status = "Name:\tswitchboard\nVmPeak:\t  300000 kB\nVmHWM:\t   14336 kB\nVmRSS:\t   12288 kB\n";
        let memory = parse_memory(status).expect("parsed");
        assert_eq!((memory.rss_kib, memory.peak_kib), (12288, 14336));
        assert!(parse_memory("Name:\tzombie\n").is_none());
    }

    #[test]
    fn run_time_from_schedstat() {
        assert_eq!(parse_schedstat("112246 1178163 2\n"), Some(112_246));
        assert_eq!(parse_schedstat(""), None);
    }

    #[test]
    fn tcp_sockets_from_proc_net_tcp() {
        let inodes = ["4242".to_owned()].into_iter().collect();
        let established = "   3: 0100007F:A1B2 0100007F:1F90 01 00000000:00000000 00:00000000 00000000     0        0 4242 1 0000000000000000 20 4 30 10 -1";
        let expect = TcpSocket { local_port: 0xA1B2, remote_port: 0x1F90, listening: false };
        assert_eq!(parse_tcp_line(established, &inodes), Some(expect));
        let other = established.replace(" 4242 ", " 4243 ");
        assert_eq!(parse_tcp_line(&other, &inodes), None);
        let listening =
            "   0: 0100007F:1F90 00000000:0000 0A 00000000:00000000 00:00000000 00000000     0        0 4242 1";
        assert_eq!(parse_tcp_line(listening, &inodes).map(|s| s.listening), Some(true));
    }
}
