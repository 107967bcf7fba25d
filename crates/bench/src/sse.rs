//! Reading a server-sent event stream as a client does: each event's name and
//! its `data` parsed as JSON, with a bound on the wait for the next piece, and
//! failures that say which way the stream went wrong.

use std::fmt;
use std::time::Duration;

use serde_json::Value;

/// Whether to read on after an event.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Flow {
    Go,
    Stop,
}

/// How reading a stream failed.
#[derive(Debug)]
pub(crate) enum StreamError {
    /// Nothing more came within the limit.
    Stalled(Duration),
    /// The stream ended before the handler said stop.
    Ended,
    /// The connection failed while reading.
    Read(reqwest::Error),
    /// An event that is not UTF-8.
    NotUtf8,
    /// The handler refused an event.
    Handler(anyhow::Error),
}

impl fmt::Display for StreamError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Stalled(limit) => write!(f, "nothing more came in {limit:?}"),
            Self::Ended => f.write_str("the stream ended before its last event"),
            Self::Read(e) => write!(f, "reading a stream: {e}"),
            Self::NotUtf8 => f.write_str("an event that is not UTF-8"),
            Self::Handler(e) => write!(f, "{e:#}"),
        }
    }
}

impl std::error::Error for StreamError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match self {
            Self::Read(e) => Some(e),
            _ => None,
        }
    }
}

/// Hand each server-sent event of `response` to `on` as its name (`message`
/// when it has none) and its `data` parsed as JSON (a string when it is not
/// JSON), until `on` says stop; then read the rest, so the connection can be
/// used again. Waits at most `limit` for each piece of the stream.
pub(crate) async fn read_events(
    mut response: reqwest::Response,
    limit: Duration,
    mut on: impl FnMut(&str, &Value) -> anyhow::Result<Flow>,
) -> Result<(), StreamError> {
    let mut buffer: Vec<u8> = vec![];
    let mut stopped = false;
    while let Some(chunk) = next_chunk(&mut response, limit).await? {
        if stopped {
            continue;
        }
        buffer.extend_from_slice(chunk.as_ref());
        while let Some(end) = buffer.windows(2).position(|w| w == b"\n\n") {
            let block: Vec<u8> = buffer.drain(..end + 2).collect();
            let block = std::str::from_utf8(&block).map_err(|_| StreamError::NotUtf8)?;
            let mut name = "message";
            let mut data = String::new();
            for line in block.lines() {
                if let Some(value) = line.strip_prefix("event:") {
                    name = value.trim_start();
                } else if let Some(value) = line.strip_prefix("data:") {
                    if !data.is_empty() {
                        data.push('\n');
                    }
                    data.push_str(value.strip_prefix(' ').unwrap_or(value));
                }
            }
            if data.is_empty() {
                continue; // a comment, such as a keep-alive
            }
            let data = serde_json::from_str(&data).unwrap_or(Value::String(data));
            if on(name, &data).map_err(StreamError::Handler)? == Flow::Stop {
                stopped = true;
                break;
            }
        }
    }
    if stopped { Ok(()) } else { Err(StreamError::Ended) }
}

async fn next_chunk(
    response: &mut reqwest::Response,
    limit: Duration,
) -> Result<Option<impl AsRef<[u8]> + use<>>, StreamError> {
    tokio::time::timeout(limit, response.chunk())
        .await
        .map_err(|_| StreamError::Stalled(limit))?
        .map_err(StreamError::Read)
}
