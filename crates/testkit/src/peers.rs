//! Real MCP servers run as child processes on loopback: npm
//! `@modelcontextprotocol/server-everything` and a server on PyPI `mcp`
//! (`peers/tools_server.py`, whose tool set is read from a JSON file; behind the
//! SDK's own OAuth authorization server in `peers/oauth_server.py`, or checking
//! tokens of an independent one in `peers/resource_server.py`), npm `oidc-provider`
//! as that independent authorization server (`peers/oidc_provider.mjs`), the npm MCP
//! SDK's example server `simpleStreamableHttp --oauth`, which nobody here wrote, and
//! our own example, `examples/kanban`; and a server on PyPI `mcp` that misbehaves
//! in every way it can (`peers/hostile_server.py`, see [`crate::hostile`]).
//!
//! `scripts/test` installs the npm and PyPI peers (and, in the PyPI venv, the pinned
//! schemathesis that checks the API against its OpenAPI document) under `SWITCHBOARD_PEERS_DIR`
//! (default `$HOME/.cache/switchboard-peers`); the Kanban server is built with
//! cargo on first use. A missing peer is a test failure, never a skip.

use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::OnceLock;
use std::time::{Duration, Instant};

use crate::lines::wait_for_line;

/// Where the test peers are installed.
pub fn peers_dir() -> PathBuf {
    match std::env::var_os("SWITCHBOARD_PEERS_DIR") {
        Some(dir) => PathBuf::from(dir),
        None => PathBuf::from(std::env::var_os("HOME").unwrap_or_default()).join(".cache/switchboard-peers"),
    }
}

fn must_exist(path: PathBuf) -> PathBuf {
    assert!(
        path.exists(),
        "test peer {} is missing: run scripts/test, which installs the pinned peers",
        path.display()
    );
    path
}

/// `node …/server-everything/dist/index.js`
pub fn everything_argv(mode: &str) -> Vec<String> {
    let entry = must_exist(peers_dir().join("npm/node_modules/@modelcontextprotocol/server-everything/dist/index.js"));
    vec!["node".into(), entry.display().to_string(), mode.into()]
}

/// `python tools_server.py --tools FILE --transport T`
pub fn python_tools_argv(tools: &Path, transport: &str) -> Vec<String> {
    let python = must_exist(peers_dir().join("py/bin/python"));
    let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("peers/tools_server.py");
    vec![
        python.display().to_string(),
        script.display().to_string(),
        "--tools".into(),
        tools.display().to_string(),
        "--transport".into(),
        transport.into(),
    ]
}

/// The pinned `schemathesis` CLI, installed in the same venv as the PyPI `mcp` peer.
pub fn schemathesis_binary() -> PathBuf {
    must_exist(peers_dir().join("py/bin/schemathesis"))
}

/// Where `scripts/test` installs the OAuth peers (npm `oidc-provider` and `@modelcontextprotocol/sdk`).
fn oauth_modules() -> PathBuf {
    must_exist(peers_dir().join("oauth/node_modules"))
}

/// The `kanban` binary of `examples/kanban`, built (once per test process) by the
/// cargo that runs the tests, into the same target directory.
pub fn kanban_binary() -> PathBuf {
    static BUILT: OnceLock<PathBuf> = OnceLock::new();
    BUILT
        .get_or_init(|| {
            let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("../..");
            let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".to_owned());
            let output = Command::new(cargo)
                .current_dir(&root)
                .args(["build", "--quiet", "-p", "switchboard-kanban", "--bin", "kanban", "--message-format=json"])
                .stderr(Stdio::inherit())
                .output()
                .unwrap_or_else(|e| panic!("cannot run cargo to build examples/kanban: {e}"));
            assert!(output.status.success(), "building examples/kanban failed");
            String::from_utf8_lossy(&output.stdout)
                .lines()
                .filter_map(|line| serde_json::from_str::<serde_json::Value>(line).ok())
                .find_map(|m| m["executable"].as_str().filter(|e| e.ends_with("kanban")).map(PathBuf::from))
                .expect("cargo names the kanban executable it built")
        })
        .clone()
}

/// A peer server process, killed (with its children) on drop.
#[derive(Debug)]
pub struct PeerProcess {
    child: Child,
    /// The MCP endpoint, e.g. `http://127.0.0.1:PORT/mcp`.
    pub url: String,
}

impl PeerProcess {
    /// The port the peer listens on (to start another one there).
    pub fn port(&self) -> u16 {
        let authority = self.url.split("://").nth(1).and_then(|rest| rest.split('/').next());
        authority.and_then(|a| a.rsplit(':').next()).and_then(|p| p.parse().ok()).expect("the peer's URL has a port")
    }
}

impl Drop for PeerProcess {
    fn drop(&mut self) {
        // `--` matters: without it, procps `kill` misreads `-PID` as an option and
        // can signal every process (-1) instead of this process group.
        let _ = Command::new("kill").args(["-KILL", "--", &format!("-{}", self.child.id())]).status();
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// A port nothing listens on now.
pub fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0").and_then(|l| l.local_addr()).map(|a| a.port()).expect("a free port")
}

fn spawn(argv: &[String], env: &[(&str, String)]) -> Child {
    use std::os::unix::process::CommandExt as _;
    let mut cmd = Command::new(&argv[0]);
    cmd.args(&argv[1..]).stdin(Stdio::null()).stdout(Stdio::piped()).stderr(Stdio::inherit()).process_group(0);
    for (k, v) in env {
        cmd.env(k, v);
    }
    cmd.spawn().unwrap_or_else(|e| panic!("cannot start test peer {argv:?}: {e}"))
}

impl PeerProcess {
    /// server-everything in `streamableHttp` (`/mcp`) or `sse` (`/sse`) mode.
    pub fn everything(mode: &str) -> PeerProcess {
        Self::everything_on(mode, free_port())
    }

    /// The same on a given port: a server restarted where it was.
    pub fn everything_on(mode: &str, port: u16) -> PeerProcess {
        let child = spawn(&everything_argv(mode), &[("PORT", port.to_string())]);
        let path = if mode == "sse" { "/sse" } else { "/mcp" };
        let peer = PeerProcess { child, url: format!("http://127.0.0.1:{port}{path}") };
        wait_for_port(port, Duration::from_secs(30));
        peer
    }

    /// The PyPI `mcp` server over `streamable-http` or `sse`, tools from `tools`.
    pub fn python_tools(tools: &Path, transport: &str) -> PeerProcess {
        Self::python_tools_with(tools, transport, &[])
    }

    /// The same, with more flags of `tools_server.py` (e.g. `--unchecked-schemas`).
    pub fn python_tools_with(tools: &Path, transport: &str, flags: &[&str]) -> PeerProcess {
        let mut argv = python_tools_argv(tools, transport);
        argv.extend(flags.iter().map(|f| (*f).to_owned()));
        Self::started(&argv, &[], "ready ")
    }

    /// A PyPI `mcp` server with the tasks extension of 2026-07-28 (`peers/tasks_server.py`):
    /// its `brew` tool runs as a task the server chose to make, over Streamable HTTP.
    pub fn python_tasks() -> PeerProcess {
        let python = must_exist(peers_dir().join("py/bin/python"));
        let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("peers/tasks_server.py");
        Self::started(&[python.display().to_string(), script.display().to_string()], &[], "ready ")
    }

    /// The same on a given port: a server restarted where it was.
    pub fn python_tools_on(tools: &Path, transport: &str, port: u16) -> PeerProcess {
        let port = port.to_string();
        Self::python_tools_with(tools, transport, &["--port", &port])
    }

    /// The PyPI `mcp` server behind OAuth (`--auth` and `flags`, see the script): it
    /// answers 401 with a challenge and serves the discovery metadata.
    pub fn python_auth(tools: &Path, flags: &[&str]) -> PeerProcess {
        let mut all = vec!["--auth"];
        all.extend_from_slice(flags);
        Self::python_tools_with(tools, "streamable-http", &all)
    }

    /// The PyPI `mcp` SDK's authorization server in front of its resource server
    /// (`peers/oauth_server.py`, with `flags`), tools from `tools`.
    pub fn python_oauth(tools: &Path, flags: &[&str]) -> PeerProcess {
        let python = must_exist(peers_dir().join("py/bin/python"));
        let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("peers/oauth_server.py");
        let mut argv = vec![python.display().to_string(), script.display().to_string(), "--tools".into()];
        argv.push(tools.display().to_string());
        argv.extend(flags.iter().map(|f| (*f).to_owned()));
        Self::started(&argv, &[], "ready ")
    }

    /// npm `oidc-provider` as configured by `peers/oidc_provider.mjs` (with `flags`): an
    /// authorization server with rotating refresh tokens. Its `url` is the issuer; the
    /// resource server introspects tokens as a client whose secret is `resource_secret`.
    pub fn oidc_provider(resource_secret: &str, flags: &[&str]) -> PeerProcess {
        let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("peers/oidc_provider.mjs");
        let mut argv = vec!["node".to_owned(), script.display().to_string(), "--modules".into()];
        argv.push(oauth_modules().display().to_string());
        // One argument with `=`: a random secret may start with `-`, which would read as an option.
        argv.push(format!("--resource-secret={resource_secret}"));
        argv.extend(flags.iter().map(|f| (*f).to_owned()));
        Self::started(&argv, &[], "ready ")
    }

    /// The PyPI `mcp` server as a resource server of the authorization server `issuer`
    /// (`peers/resource_server.py`), which it asks about every token (introspection).
    pub fn introspecting_resource(tools: &Path, issuer: &str, resource_secret: &str) -> PeerProcess {
        let python = must_exist(peers_dir().join("py/bin/python"));
        let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("peers/resource_server.py");
        let argv = [
            python.display().to_string(),
            script.display().to_string(),
            "--tools".into(),
            tools.display().to_string(),
            "--issuer".into(),
            issuer.to_owned(),
            // One argument with `=`: a random secret may start with `-`.
            format!("--resource-secret={resource_secret}"),
        ];
        Self::started(&argv, &[], "ready ")
    }

    /// The npm MCP SDK's example server `simpleStreamableHttp` without authorization: among
    /// its tools `delay`, which runs only as a task (MCP 2025-11-25) and completes after
    /// `duration` milliseconds, and `collect-user-info`, which asks the client for a form
    /// (`elicitation/create`). `url` is `http://localhost:PORT/mcp`.
    pub fn sdk_example() -> PeerProcess {
        let entry = oauth_modules().join("@modelcontextprotocol/sdk/dist/esm/examples/server/simpleStreamableHttp.js");
        let entry = must_exist(entry);
        let port = free_port();
        let argv = ["node".to_owned(), entry.display().to_string()];
        let env = [("MCP_PORT", port.to_string())];
        let mut peer = Self::started(&argv, &env, "MCP Streamable HTTP Server listening on port ");
        peer.url = format!("http://localhost:{port}/mcp");
        peer
    }

    /// The npm MCP SDK's example server `simpleStreamableHttp --oauth`, with the SDK's
    /// demo authorization server beside it (which approves every authorization at once
    /// and issues no refresh token). Both name themselves `localhost`, so `url` is
    /// `http://localhost:PORT/mcp`.
    pub fn sdk_oauth_example() -> PeerProcess {
        let entry = oauth_modules().join("@modelcontextprotocol/sdk/dist/esm/examples/server/simpleStreamableHttp.js");
        let entry = must_exist(entry);
        let (mcp_port, auth_port) = (free_port(), free_port());
        let argv = ["node".to_owned(), entry.display().to_string(), "--oauth".into()];
        let env = [("MCP_PORT", mcp_port.to_string()), ("MCP_AUTH_PORT", auth_port.to_string())];
        let mut peer = Self::started(&argv, &env, "MCP Streamable HTTP Server listening on port ");
        wait_for_port(auth_port, Duration::from_secs(30));
        peer.url = format!("http://localhost:{mcp_port}/mcp");
        peer
    }

    /// `peers/elicit_server.py` on PyPI `mcp`: a tool that asks for a username and an API
    /// token (an `input_required` result at 2026-07-28, a request during the call before).
    pub fn python_elicit() -> PeerProcess {
        let python = must_exist(peers_dir().join("py/bin/python"));
        let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("peers/elicit_server.py");
        Self::started(&[python.display().to_string(), script.display().to_string()], &[], "ready ")
    }

    /// The hostile MCP server (`peers/hostile_server.py`): it appends each request a
    /// defence should have stopped to `record`, one JSON line each. See
    /// [`crate::hostile::HostileServer`], which reads that file.
    pub fn hostile(record: &Path) -> PeerProcess {
        let python = must_exist(peers_dir().join("py/bin/python"));
        let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("peers/hostile_server.py");
        let argv = [python.display().to_string(), script.display().to_string(), "--record".into()];
        let mut argv = argv.to_vec();
        argv.push(record.display().to_string());
        Self::started(&argv, &[], "ready ")
    }

    /// Our widgets server (`peers/widgets_server.py`): an Apps SDK component, a hostile
    /// MCP Apps view and broken widgets; each call it runs is appended to `executed`.
    pub fn widgets(executed: &Path) -> PeerProcess {
        let python = must_exist(peers_dir().join("py/bin/python"));
        let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("peers/widgets_server.py");
        let argv = [python.display().to_string(), script.display().to_string(), "--executed".into()];
        let mut argv = argv.to_vec();
        argv.push(executed.display().to_string());
        Self::started(&argv, &[], "ready ")
    }

    /// npm `@modelcontextprotocol/server-basic-vanillajs`, the MCP Apps example
    /// server, over Streamable HTTP (`/mcp`) on a free port.
    pub fn basic_vanillajs() -> PeerProcess {
        let entry = must_exist(
            peers_dir().join("apps/node_modules/@modelcontextprotocol/server-basic-vanillajs/dist/index.js"),
        );
        let port = free_port();
        let child = spawn(&["node".into(), entry.display().to_string()], &[("PORT", port.to_string())]);
        let peer = PeerProcess { child, url: format!("http://127.0.0.1:{port}/mcp") };
        wait_for_port(port, Duration::from_secs(30));
        peer
    }

    /// The origin of the peer's URL (`http://127.0.0.1:PORT`).
    pub fn origin(&self) -> String {
        format!("http://127.0.0.1:{}", self.port())
    }

    /// `examples/kanban` over Streamable HTTP on a free port, its board in memory.
    pub fn kanban() -> PeerProcess {
        let argv = [kanban_binary().display().to_string(), "http".into(), "--listen".into(), "127.0.0.1:0".into()];
        Self::started(&argv, &[("KANBAN_LOG", "error".to_owned())], "kanban listening on ")
    }

    /// npm `oidc-provider` accepting Client ID Metadata Documents
    /// (`peers/cimd_authorization_server.mjs`, with `flags`) for the protected
    /// resource `resource`; its `url` is the issuer. `trust` is a PEM certificate it
    /// trusts when it fetches a document over https.
    pub fn cimd_authorization_server(resource: &str, trust: Option<&Path>, flags: &[&str]) -> PeerProcess {
        let modules = must_exist(peers_dir().join("oauth/node_modules"));
        let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("peers/cimd_authorization_server.mjs");
        let mut argv = vec![
            "node".to_owned(),
            script.display().to_string(),
            "--modules".into(),
            modules.display().to_string(),
            "--resource".into(),
            resource.to_owned(),
        ];
        argv.extend(flags.iter().map(|f| (*f).to_owned()));
        let env: Vec<_> = trust.map(|t| ("NODE_EXTRA_CA_CERTS", t.display().to_string())).into_iter().collect();
        Self::started(&argv, &env, "ready ")
    }

    /// A TLS front (`peers/tls_proxy.py`, a self-signed certificate for 127.0.0.1
    /// written to `cert`) on `port`, for the plain HTTP server on `to`.
    pub fn tls_proxy(port: u16, to: u16, cert: &Path) -> PeerProcess {
        let python = must_exist(peers_dir().join("py/bin/python"));
        let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("peers/tls_proxy.py");
        let argv = [
            python.display().to_string(),
            script.display().to_string(),
            "--port".into(),
            port.to_string(),
            "--to".into(),
            to.to_string(),
            "--cert".into(),
            cert.display().to_string(),
        ];
        Self::started(&argv, &[], "ready ")
    }

    /// Start `argv` and wait for the line `prefix URL` on its stdout.
    fn started(argv: &[String], env: &[(&str, String)], prefix: &str) -> PeerProcess {
        // Owned by a PeerProcess from the start, so a failed start still kills it.
        let mut peer = PeerProcess { child: spawn(argv, env), url: String::new() };
        let stdout = peer.child.stdout.take().expect("stdout");
        let ready =
            wait_for_line(stdout, Duration::from_secs(30), |l| l.strip_prefix(prefix).map(|u| u.trim().to_owned()));
        match ready {
            Ok((url, _)) => {
                peer.url = url;
                peer
            }
            Err(lines) => panic!("{argv:?} did not start within 30 s; it printed {lines:?}"),
        }
    }
}

fn wait_for_port(port: u16, limit: Duration) {
    let deadline = Instant::now() + limit;
    while std::net::TcpStream::connect(("127.0.0.1", port)).is_err() {
        assert!(Instant::now() < deadline, "nothing listens on 127.0.0.1:{port} after {limit:?}");
        std::thread::sleep(Duration::from_millis(50));
    }
}
