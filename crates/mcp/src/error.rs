use std::error::Error;
use std::fmt;
use std::io::ErrorKind;
use std::time::Duration;

use rmcp::service::{ClientInitializeError, ServiceError};
use rmcp::transport::DynamicTransportError;
use rmcp::transport::streamable_http_client::StreamableHttpError;

/// What went wrong talking to an upstream server, in words a server author can act on.
///
/// Its `Display` is for people: failures found by the libraries under Switchboard
/// (the MCP SDK, the HTTP client, the operating system) are told as a [`Cause`],
/// whose whole chain of errors — type names and all — is kept for the log
/// ([`McpError::chain`]).
#[derive(Debug, thiserror::Error)]
pub enum McpError {
    #[error("{0}")]
    Refused(#[from] switchboard_core::network::Refused),
    #[error("the URL is not usable: {0}")]
    BadUrl(String),
    #[error("the command is empty")]
    EmptyCommand,
    #[error("cannot start {program:?}: {reason}")]
    Spawn { program: String, reason: String },
    #[error("the program stopped before completing the MCP handshake ({reason}){}", stderr_note(stderr))]
    Stopped { reason: Cause, stderr: String },
    /// The server wants a token (HTTP 401), or refused the one it was sent.
    #[error("the server requires authorization (HTTP 401{})", challenge_note(challenge))]
    Unauthorized { challenge: Option<String> },
    /// The server refused the token's scope (HTTP 403, `insufficient_scope`).
    #[error("the server requires more authorization (HTTP 403{})", challenge_note(challenge))]
    InsufficientScope { challenge: Option<String> },
    #[error("cannot connect: {0}")]
    Connect(Cause),
    #[error("no answer within {0:?}")]
    Timeout(Duration),
    #[error("the server sent more than {0} tools; Switchboard accepts at most that many")]
    TooManyTools(usize),
    #[error("the server answered with an error: {0}")]
    Protocol(Cause),
    /// A request of an open session did not get through (the server went away, say).
    #[error("the request to the server failed: {0}")]
    Failed(Cause),
    #[error("the connection to the server is closed")]
    Closed,
    /// The server no longer knows the session the request carried (HTTP 404 or 400 to a
    /// request with `Mcp-Session-Id`, typically after it restarted). It refused the
    /// request without running it, so sending it again on a new session is safe.
    #[error("the server no longer knows this session (it restarted or ended it); connect again to start a new one")]
    SessionExpired,
    #[error(
        "the server's endpoint event points to another origin ({endpoint}); \
         Switchboard only posts messages to {origin}, the origin of the SSE URL"
    )]
    ForeignEndpoint { endpoint: String, origin: String },
    #[error("the server sent no endpoint event within {0:?}; check that the URL is the server's SSE endpoint")]
    NoEndpointEvent(Duration),
    #[error("the resource {uri} is {bytes} bytes; Switchboard accepts at most {max}")]
    ResourceTooLarge { uri: String, bytes: usize, max: usize },
    #[error("the server sent an event larger than {0} bytes; Switchboard accepts at most that much")]
    EventTooLarge(usize),
}

impl McpError {
    /// The server wants authorization, or more of it: HTTP 401, or 403 `insufficient_scope`.
    pub fn wants_authorization(&self) -> bool {
        matches!(self, Self::Unauthorized { .. } | Self::InsufficientScope { .. })
    }

    /// The `WWW-Authenticate` challenge of such an answer.
    pub fn challenge(&self) -> Option<&str> {
        match self {
            Self::Unauthorized { challenge } | Self::InsufficientScope { challenge } => challenge.as_deref(),
            _ => None,
        }
    }

    /// The error with the whole chain of errors under it, for the log (never for
    /// people: it names the libraries' types).
    pub fn chain(&self) -> String {
        match self {
            Self::Connect(cause) => format!("cannot connect: {}", cause.chain()),
            Self::Protocol(cause) => format!("the server answered with an error: {}", cause.chain()),
            Self::Failed(cause) => format!("the request to the server failed: {}", cause.chain()),
            Self::Stopped { reason, stderr } => {
                format!(
                    "the program stopped before completing the MCP handshake ({}){}",
                    reason.chain(),
                    stderr_note(stderr)
                )
            }
            other => other.to_string(),
        }
    }
}

/// Why something failed: a sentence a person can act on, and the chain of errors
/// it was found in, for the log. `Display` shows the sentence only.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Cause {
    said: String,
    chain: String,
}

impl Cause {
    /// The cause of `err`, a failure reported by a library.
    pub(crate) fn of(err: &(dyn Error + 'static)) -> Self {
        Self { said: reason(err), chain: with_causes(err) }
    }

    /// Two causes of one failure: "`first` (`a`), `second`: `b`".
    pub(crate) fn both(first: &str, a: &Cause, second: &str, b: &Cause) -> Self {
        Self {
            said: format!("{first} ({a}), {second}: {b}"),
            chain: format!("{first} ({}), {second}: {}", a.chain, b.chain),
        }
    }

    /// The whole chain of errors, for the log.
    pub fn chain(&self) -> &str {
        &self.chain
    }
}

/// A cause Switchboard itself words: the sentence is the whole story.
impl From<String> for Cause {
    fn from(said: String) -> Self {
        Self { chain: said.clone(), said }
    }
}

impl From<&str> for Cause {
    fn from(said: &str) -> Self {
        said.to_owned().into()
    }
}

impl fmt::Display for Cause {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.said)
    }
}

const NOT_MCP: &str =
    "the server's answer is not an MCP (JSON-RPC) message: check that the URL is the server's MCP endpoint";
const FAILED: &str = "the connection to the server failed";

/// `err` in a sentence: what the libraries' errors mean for the person, found by
/// walking down the errors that wrap it (including those the MCP SDK wraps
/// without naming them as sources).
fn reason(err: &(dyn Error + 'static)) -> String {
    // Our own errors (a refused address, the legacy SSE transport's) are worded already.
    if let Some(ours) = err.downcast_ref::<McpError>() {
        return ours.to_string();
    }
    if let Some(refused) = err.downcast_ref::<switchboard_core::network::Refused>() {
        return refused.to_string();
    }
    if let Some(e) = err.downcast_ref::<ClientInitializeError>() {
        return match e {
            ClientInitializeError::TransportError { error, .. } => reason(error),
            ClientInitializeError::LegacyFallbackFailed { fallback, .. } => reason(fallback.as_ref()),
            ClientInitializeError::ConnectionClosed(_) => "the connection closed before the handshake completed".into(),
            ClientInitializeError::JsonRpcError(data) => format!("the server refused the handshake: {}", data.message),
            ClientInitializeError::NoCompatibleProtocolVersion { .. } => {
                "the server speaks no MCP protocol version Switchboard speaks".into()
            }
            _ => "the server's answer to the handshake is not what MCP prescribes".into(),
        };
    }
    if let Some(e) = err.downcast_ref::<ServiceError>() {
        return match e {
            ServiceError::McpError(data) => format!("the server answered with a JSON-RPC error: {}", data.message),
            ServiceError::TransportSend(inner) => reason(inner),
            ServiceError::TransportClosed => "the connection to the server is closed".into(),
            ServiceError::Timeout { .. } => "no answer in time".into(),
            ServiceError::Cancelled { .. } => "the request was cancelled".into(),
            _ => "the server's answer is not what MCP prescribes".into(),
        };
    }
    if let Some(e) = err.downcast_ref::<DynamicTransportError>() {
        return reason(e.error.as_ref());
    }
    if let Some(e) = err.downcast_ref::<StreamableHttpError<reqwest::Error>>() {
        return streamable(e);
    }
    if let Some(e) = err.downcast_ref::<reqwest::Error>() {
        return http(e);
    }
    if let Some(e) = err.downcast_ref::<std::io::Error>() {
        return io(e);
    }
    if err.is::<serde_json::Error>() {
        return NOT_MCP.into();
    }
    match err.source() {
        Some(inner) => reason(inner),
        None => FAILED.into(),
    }
}

fn streamable(e: &StreamableHttpError<reqwest::Error>) -> String {
    match e {
        StreamableHttpError::Client(inner) => http(inner),
        StreamableHttpError::Io(inner) => io(inner),
        StreamableHttpError::HttpStatus(status) => format!("the server answered HTTP {}", status.status),
        // The status is only in the text: `HTTP 404 Not Found: <body>`.
        StreamableHttpError::UnexpectedServerResponse(text) => match text.strip_prefix("HTTP ") {
            Some(rest) => format!("the server answered HTTP {}", rest.split(':').next().unwrap_or(rest).trim()),
            None => NOT_MCP.into(),
        },
        StreamableHttpError::Deserialize(_) | StreamableHttpError::Sse(_) => NOT_MCP.into(),
        StreamableHttpError::UnexpectedContentType(content_type) => format!(
            "the server answered {} instead of JSON or an event stream",
            content_type.as_deref().unwrap_or("without a content type")
        ),
        StreamableHttpError::UnexpectedEndOfStream => "the server ended its answer early".into(),
        StreamableHttpError::ResponseBodyTooLarge { max_size } => {
            format!("the server's answer is larger than {max_size} bytes")
        }
        StreamableHttpError::SessionExpired => "the server no longer knows this session".into(),
        StreamableHttpError::AuthRequired(_) => "the server asks for authorization (HTTP 401)".into(),
        StreamableHttpError::InsufficientScope(_) => "the server refused the authorization's scope (HTTP 403)".into(),
        _ => FAILED.into(),
    }
}

fn http(e: &reqwest::Error) -> String {
    let mut next = e.source();
    while let Some(inner) = next {
        // Our own refusals (a redirect elsewhere, an address the policy refuses) are worded already.
        if let Some(ours) = inner.downcast_ref::<crate::http_client::Refusal>() {
            return ours.to_string();
        }
        if let Some(io_error) = inner.downcast_ref::<std::io::Error>() {
            // An I/O error carrying ours does not name it as its source.
            if let Some(ours) = io_error.get_ref().and_then(|e| e.downcast_ref::<crate::http_client::Refusal>()) {
                return ours.to_string();
            }
            return io(io_error);
        }
        next = inner.source();
    }
    if e.is_timeout() {
        return "no answer in time".into();
    }
    if e.is_connect() {
        return "could not connect to the server".into();
    }
    if e.is_body() || e.is_decode() {
        return "the server's answer could not be read".into();
    }
    FAILED.into()
}

fn io(e: &std::io::Error) -> String {
    match e.kind() {
        ErrorKind::ConnectionRefused => {
            "the connection was refused: nothing accepts connections at that address and port".into()
        }
        ErrorKind::ConnectionReset
        | ErrorKind::ConnectionAborted
        | ErrorKind::BrokenPipe
        | ErrorKind::UnexpectedEof => "the server closed the connection".into(),
        ErrorKind::TimedOut => "no answer in time".into(),
        ErrorKind::AddrNotAvailable | ErrorKind::NetworkUnreachable | ErrorKind::HostUnreachable => {
            "the address cannot be reached from this server".into()
        }
        ErrorKind::InvalidData if e.to_string().to_ascii_lowercase().contains("certificate") => {
            "the server's TLS certificate was not accepted: it must be valid, for this host name, and signed by a \
             known authority"
                .into()
        }
        ErrorKind::InvalidData => "the secure (TLS) connection failed".into(),
        _ => FAILED.into(),
    }
}

fn challenge_note(challenge: &Option<String>) -> String {
    challenge.as_deref().map(|c| format!(", WWW-Authenticate: {c}")).unwrap_or_default()
}

fn stderr_note(stderr: &str) -> String {
    if stderr.is_empty() { "; it wrote nothing to stderr".into() } else { format!("; its stderr ends with: {stderr}") }
}

/// An error with its causes, outermost first: `a: b: c`. Transport errors hide the
/// useful part (a refused address, a TLS failure) several sources deep.
pub(crate) fn with_causes(err: &(dyn std::error::Error + 'static)) -> String {
    let mut text = err.to_string();
    let mut source = err.source();
    while let Some(cause) = source {
        let more = cause.to_string();
        if !text.contains(&more) {
            text.push_str(": ");
            text.push_str(&more);
        }
        source = cause.source();
    }
    text
}
