//! Where an MCP server is and how to talk to it.

use std::collections::BTreeMap;
use std::path::PathBuf;

use url::Url;

/// How to reach a server.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Endpoint {
    Http {
        url: Url,
        transport: HttpTransport,
    },
    /// A local command speaking MCP on stdin/stdout.
    Stdio(StdioCommand),
}

/// Which HTTP transport to use.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum HttpTransport {
    /// Streamable HTTP first; a server that refuses it (HTTP 400, 404 or 405 to the
    /// initialize POST) is asked for the HTTP+SSE transport at the same URL, as the
    /// specification's compatibility procedure says.
    Auto,
    StreamableHttp,
    /// The HTTP+SSE transport of protocol version 2024-11-05: the URL is the event stream.
    Sse,
}

/// A local command: the exact argv (never passed through a shell), extra
/// environment on top of a clean one, and a working directory.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct StdioCommand {
    pub argv: Vec<String>,
    pub env: BTreeMap<String, String>,
    pub cwd: Option<PathBuf>,
}

/// Environment variables a local command inherits from Switchboard's own
/// environment; everything else starts empty.
pub const INHERITED_ENV: &[&str] = &["PATH", "HOME", "LANG", "LC_ALL", "TZ", "TMPDIR", "SYSTEMROOT"];
