//! A PostgreSQL cluster of a test's own: `initdb` in a temporary directory, `postgres` on
//! a free loopback port with its socket in that directory, so stopping it disturbs no
//! other server. Stopped when dropped, whatever the test did.
//!
//! PostgreSQL refuses to run as root; as root the cluster belongs to the `postgres`
//! account (or `nobody`), and its programs run under `setpriv`, which execs them, so the
//! child we hold is the postmaster itself and our signals reach it.

use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use sqlx::{Connection as _, PgConnection};
use switchboard_testkit::peers::free_port;

pub(crate) struct PgCluster {
    dir: tempfile::TempDir,
    bin: PathBuf,
    owner: Option<String>,
    pub(crate) port: u16,
    postmaster: Option<Child>,
}

/// Where `initdb` and `postgres` are: on `PATH`, or in Debian's versioned directory.
fn server_bin_dir() -> PathBuf {
    let on_path = std::env::var_os("PATH")
        .map(|p| std::env::split_paths(&p).collect::<Vec<_>>())
        .unwrap_or_default()
        .into_iter()
        .find(|dir| dir.join("initdb").is_file() && dir.join("postgres").is_file());
    let debian = || {
        let mut dirs: Vec<PathBuf> = std::fs::read_dir("/usr/lib/postgresql")
            .into_iter()
            .flatten()
            .flatten()
            .map(|e| e.path().join("bin"))
            .filter(|dir| dir.join("initdb").is_file())
            .collect();
        dirs.sort();
        dirs.pop()
    };
    on_path.or_else(debian).unwrap_or_else(|| {
        panic!("the PostgreSQL server programs (initdb, postgres) are needed: Debian's package `postgresql`")
    })
}

fn is_root() -> bool {
    let out = Command::new("id").arg("-u").output().expect("run id -u");
    String::from_utf8_lossy(&out.stdout).trim() == "0"
}

/// An account that may own the cluster when we are root.
fn unprivileged_account() -> String {
    ["postgres", "nobody"]
        .into_iter()
        .find(|name| Command::new("id").arg(name).output().is_ok_and(|o| o.status.success()))
        .expect("an unprivileged account (postgres or nobody) to own the cluster")
        .to_owned()
}

impl PgCluster {
    /// A new cluster, started and answering.
    pub(crate) async fn start() -> PgCluster {
        let bin = server_bin_dir();
        let dir = tempfile::tempdir().expect("tempdir");
        let owner = is_root().then(unprivileged_account);
        if let Some(owner) = &owner {
            let status = Command::new("chown").arg(format!("{owner}:")).arg(dir.path()).status().expect("chown");
            assert!(status.success(), "chown the cluster's directory to {owner}");
        }
        let mut cluster = PgCluster { dir, bin, owner, port: free_port(), postmaster: None };
        let data = cluster.data();
        let out = cluster
            .command("initdb")
            .args(["-U", "postgres", "--auth=trust", "-E", "UTF8", "--no-sync", "-D"])
            .arg(&data)
            .output()
            .expect("run initdb");
        assert!(out.status.success(), "initdb: {}", String::from_utf8_lossy(&out.stderr));
        cluster.run().await;
        cluster
    }

    fn data(&self) -> PathBuf {
        self.dir.path().join("data")
    }

    fn command(&self, program: &str) -> Command {
        let path = self.bin.join(program);
        match &self.owner {
            Some(owner) => {
                let mut cmd = Command::new("setpriv");
                cmd.args(["--reuid", owner, "--regid", owner, "--clear-groups"]).arg(path);
                cmd
            }
            None => Command::new(path),
        }
    }

    pub(crate) fn url(&self) -> String {
        format!("postgres://postgres@127.0.0.1:{}/postgres", self.port)
    }

    /// Start the postmaster and wait until it accepts connections.
    pub(crate) async fn run(&mut self) {
        assert!(self.postmaster.is_none(), "the cluster is already running");
        let log = std::fs::File::create(self.dir.path().join("server.log")).expect("log file");
        let child = self
            .command("postgres")
            .arg("-D")
            .arg(self.data())
            .args(["-p", &self.port.to_string(), "-c", "listen_addresses=127.0.0.1", "-c", "fsync=off", "-k"])
            .arg(self.dir.path())
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(log)
            .spawn()
            .expect("start postgres");
        self.postmaster = Some(child);
        let deadline = Instant::now() + Duration::from_secs(30);
        loop {
            if let Ok(conn) = PgConnection::connect(&self.url()).await {
                conn.close().await.ok();
                return;
            }
            if let Some(status) = self.postmaster.as_mut().and_then(|c| c.try_wait().ok().flatten()) {
                panic!("postgres exited with {status}: {}", self.log());
            }
            assert!(Instant::now() < deadline, "postgres did not answer within 30 s: {}", self.log());
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }

    /// Stop it as a crash would: SIGQUIT, PostgreSQL's immediate shutdown, which ends
    /// every connection at once without a checkpoint; the next start recovers from the WAL.
    pub(crate) fn crash(&mut self) {
        self.stop("QUIT");
    }

    /// Stop it as an operator's restart does: SIGINT, the fast shutdown, which ends
    /// each session with an error (`57P01`) and checkpoints.
    pub(crate) fn shut_down(&mut self) {
        self.stop("INT");
    }

    fn stop(&mut self, name: &str) {
        let mut child = self.postmaster.take().expect("the cluster is running");
        assert!(signal(&child, name), "kill -{name} {}", child.id());
        let deadline = Instant::now() + Duration::from_secs(15);
        while child.try_wait().expect("try_wait").is_none() {
            if Instant::now() > deadline {
                let _ = child.kill();
                let _ = child.wait();
                panic!("postgres did not stop within 15 s of SIG{name}");
            }
            std::thread::sleep(Duration::from_millis(20));
        }
    }

    fn log(&self) -> String {
        std::fs::read_to_string(self.dir.path().join("server.log")).unwrap_or_default()
    }
}

fn signal(child: &Child, name: &str) -> bool {
    Command::new("kill").arg(format!("-{name}")).arg(child.id().to_string()).status().is_ok_and(|s| s.success())
}

impl Drop for PgCluster {
    fn drop(&mut self) {
        if let Some(mut child) = self.postmaster.take() {
            // Immediate shutdown ends the backends too; SIGKILL only if it will not go.
            signal(&child, "QUIT");
            let deadline = Instant::now() + Duration::from_secs(10);
            while matches!(child.try_wait(), Ok(None)) && Instant::now() < deadline {
                std::thread::sleep(Duration::from_millis(20));
            }
            let _ = child.kill();
            let _ = child.wait();
        }
    }
}
