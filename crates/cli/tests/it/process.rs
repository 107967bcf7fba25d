//! Running the built binary and reading what it prints.

use std::io::Write as _;
use std::path::Path;
use std::process::{Child, Command, Output, Stdio};
use std::time::{Duration, Instant};

use switchboard_testkit::lines::wait_for_line;

pub(crate) const BIN: &str = env!("CARGO_BIN_EXE_switchboard");

/// A `switchboard` command with a clean environment apart from what a test sets.
pub(crate) fn switchboard(data_dir: &Path) -> Command {
    let mut cmd = Command::new(BIN);
    cmd.env_clear()
        .env("PATH", std::env::var("PATH").unwrap_or_default())
        .env("SWITCHBOARD_LOG", "warn")
        .arg("--data-dir")
        .arg(data_dir);
    cmd
}

/// Run to completion, feeding `stdin`.
pub(crate) fn run(mut cmd: Command, stdin: &str) -> Output {
    cmd.stdin(Stdio::piped()).stdout(Stdio::piped()).stderr(Stdio::piped());
    let mut child = cmd.spawn().expect("spawn switchboard");
    child.stdin.take().expect("stdin").write_all(stdin.as_bytes()).expect("write stdin");
    child.wait_with_output().expect("wait for switchboard")
}

pub(crate) fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

/// A running `switchboard serve`, stopped (SIGKILL) on drop if still running.
pub(crate) struct Server {
    pub(crate) child: Child,
    pub(crate) url: String,
    /// Lines printed on stdout up to and including the "listening" line.
    pub(crate) stdout: Vec<String>,
}

impl Server {
    /// Start `serve` on a free loopback port and wait until it says it listens.
    pub(crate) fn start(cmd: Command) -> Server {
        Self::start_with_args(cmd, &[])
    }

    /// The same, with more `serve` flags.
    pub(crate) fn start_with_args(mut cmd: Command, args: &[&str]) -> Server {
        cmd.args(["serve", "--listen", "127.0.0.1:0"])
            .args(args)
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .stdin(Stdio::null());
        let mut child = cmd.spawn().expect("spawn switchboard serve");
        let stdout = child.stdout.take().expect("stdout");
        let listening = wait_for_line(stdout, Duration::from_secs(30), |line| {
            line.strip_prefix("Switchboard is listening on ")
                .map(|rest| rest.split_whitespace().next().unwrap_or_default().to_owned())
        });
        match listening {
            Ok((url, lines)) => Server { child, url, stdout: lines },
            Err(lines) => {
                let _ = child.kill();
                let output = child.wait_with_output().expect("collect output");
                panic!("serve did not start within 30 s; stdout {lines:?}; stderr {}", text(&output.stderr));
            }
        }
    }

    pub(crate) fn at(&self, path: &str) -> String {
        format!("{}{path}", self.url)
    }

    /// Send SIGTERM and wait (bounded) for the exit status.
    pub(crate) fn terminate(mut self) -> std::process::ExitStatus {
        let pid = self.child.id().to_string();
        let sent = Command::new("kill").args(["-TERM", &pid]).status().expect("run kill");
        assert!(sent.success(), "kill -TERM {pid}");
        let deadline = Instant::now() + Duration::from_secs(15);
        loop {
            if let Some(status) = self.child.try_wait().expect("try_wait") {
                return status;
            }
            assert!(Instant::now() < deadline, "serve did not stop within 15 s of SIGTERM");
            std::thread::sleep(Duration::from_millis(20));
        }
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}
