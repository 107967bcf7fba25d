use std::time::Duration;

/// What went wrong talking to an upstream server, in words a server author can act on.
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
    Stopped { reason: String, stderr: String },
    /// The server wants a token (HTTP 401), or refused the one it was sent.
    #[error("the server requires authorization (HTTP 401{})", challenge_note(challenge))]
    Unauthorized { challenge: Option<String> },
    #[error("cannot connect: {0}")]
    Connect(String),
    #[error("no answer within {0:?}")]
    Timeout(Duration),
    #[error("the server sent more than {0} tools; Switchboard accepts at most that many")]
    TooManyTools(usize),
    #[error("the server answered with an error: {0}")]
    Protocol(String),
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
    #[error("the server sent an event larger than {0} bytes; Switchboard accepts at most that much")]
    EventTooLarge(usize),
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
