//! The hostile MCP server (`peers/hostile_server.py`) and what reached it.
//!
//! A defence is proven twice: the client reports the refusal, and the server shows
//! that the refused request never arrived. The server appends every request that a
//! defence should have kept from it (a write tool call, a message posted where a
//! legacy endpoint event pointed, a request that followed a redirect) to a file as
//! one JSON line; [`HostileServer::recorded`] reads them back.

use std::path::PathBuf;

use serde_json::Value;

use crate::peers::PeerProcess;

/// The server, running on loopback, and its record of requests.
#[derive(Debug)]
pub struct HostileServer {
    pub peer: PeerProcess,
    record: PathBuf,
    _dir: tempfile::TempDir,
}

impl HostileServer {
    pub fn start() -> HostileServer {
        let dir = tempfile::tempdir().expect("tempdir");
        let record = dir.path().join("record.jsonl");
        let peer = PeerProcess::hostile(&record);
        HostileServer { peer, record, _dir: dir }
    }

    /// Its Streamable HTTP MCP endpoint, `http://127.0.0.1:PORT/mcp`.
    pub fn url(&self) -> &str {
        &self.peer.url
    }

    /// One of its other routes: `at("/redirect?to=…")`.
    pub fn at(&self, path: &str) -> String {
        format!("{}{path}", self.peer.origin())
    }

    /// The same route under the name `localhost`: the same server, another origin.
    pub fn elsewhere(&self, path: &str) -> String {
        format!("http://localhost:{}{path}", self.peer.port())
    }

    /// The requests recorded so far, oldest first.
    pub fn recorded(&self) -> Vec<Value> {
        let text = std::fs::read_to_string(&self.record).unwrap_or_default();
        text.lines().map(|l| serde_json::from_str(l).expect("a JSON line")).collect()
    }

    /// The recorded requests that have `key`.
    pub fn recorded_with(&self, key: &str) -> Vec<Value> {
        self.recorded().into_iter().filter(|e| e.get(key).is_some()).collect()
    }
}
