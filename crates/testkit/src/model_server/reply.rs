//! What the scripted model answers to one request.

use std::sync::Arc;
use std::time::Duration;

use serde_json::Value;
use tokio::sync::Notify;

/// Holds a reply's remaining frames back until the test opens it: content that
/// arrives after a step the test takes, with no race against the stream.
#[derive(Clone, Debug, Default)]
pub struct Gate(Arc<Notify>);

impl Gate {
    pub fn new() -> Gate {
        Gate::default()
    }

    /// Let the held frames go (the permit is kept if the stream is not waiting yet).
    pub fn open(&self) {
        self.0.notify_one();
    }

    pub(super) async fn wait(&self) {
        self.0.notified().await;
    }
}

/// A tool call the scripted model makes.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ToolCall {
    pub id: String,
    pub name: String,
    /// The arguments as sent: JSON text, or anything for an invented call.
    pub arguments: String,
}

impl ToolCall {
    pub fn new(id: impl Into<String>, name: impl Into<String>, arguments: Value) -> ToolCall {
        ToolCall { id: id.into(), name: name.into(), arguments: arguments.to_string() }
    }
}

#[derive(Clone, Debug)]
pub(super) enum Kind {
    /// A streamed answer: text, then tool calls.
    Answer { text: String, calls: Vec<ToolCall> },
    /// An HTTP error with the provider's error body.
    Status { status: u16, retry_after: Option<u64>, message: Option<String> },
    /// No answer at all, not even headers, until the server stops.
    Hang,
    /// The start of an answer, then a `data:` line that is not JSON.
    Malformed,
}

/// One scripted answer. Build with [`Reply::text`], [`Reply::tool_calls`],
/// [`Reply::raw_arguments`], [`Reply::status`], [`Reply::hang`] or
/// [`Reply::malformed`], then adjust.
#[derive(Clone, Debug)]
pub struct Reply {
    pub(super) kind: Kind,
    /// Send this many SSE frames, then drop the connection.
    pub(super) cut_after: Option<usize>,
    /// Send this many SSE frames, then nothing more while keeping the connection.
    pub(super) stall_after: Option<usize>,
    /// `(input, output)` tokens reported.
    pub(super) usage: (u64, u64),
    /// The answer stopped at the token limit.
    pub(super) truncated: bool,
    /// Pause before each SSE frame.
    pub(super) pause: Duration,
    /// Send this many SSE frames, then the rest only once the gate opens.
    pub(super) hold: Option<(usize, Gate)>,
}

impl Reply {
    fn new(kind: Kind) -> Reply {
        Reply {
            kind,
            cut_after: None,
            stall_after: None,
            usage: (21, 9),
            truncated: false,
            pause: Duration::from_millis(1),
            hold: None,
        }
    }

    /// A text answer, streamed in several deltas.
    pub fn text(text: impl Into<String>) -> Reply {
        Reply::new(Kind::Answer { text: text.into(), calls: vec![] })
    }

    /// Tool calls, each one's arguments split over several deltas; on the OpenAI
    /// wire the deltas of two or more calls interleave (parallel tool calls).
    pub fn tool_calls(calls: Vec<ToolCall>) -> Reply {
        Reply::new(Kind::Answer { text: String::new(), calls })
    }

    /// One call whose arguments are exactly `raw` (invalid JSON, say).
    pub fn raw_arguments(id: impl Into<String>, name: impl Into<String>, raw: impl Into<String>) -> Reply {
        Reply::tool_calls(vec![ToolCall { id: id.into(), name: name.into(), arguments: raw.into() }])
    }

    /// An HTTP error status with a body shaped like the provider's.
    pub fn status(status: u16) -> Reply {
        Reply::new(Kind::Status { status, retry_after: None, message: None })
    }

    /// Never answer (the headers never come).
    pub fn hang() -> Reply {
        Reply::new(Kind::Hang)
    }

    /// Start an answer, then send a `data:` line that is not JSON.
    pub fn malformed() -> Reply {
        Reply::new(Kind::Malformed)
    }

    /// Text said before the tool calls.
    pub fn with_text(mut self, text: impl Into<String>) -> Reply {
        if let Kind::Answer { text: said, .. } = &mut self.kind {
            *said = text.into();
        }
        self
    }

    /// `Retry-After: SECONDS` on a status reply.
    pub fn retry_after(mut self, seconds: u64) -> Reply {
        if let Kind::Status { retry_after, .. } = &mut self.kind {
            *retry_after = Some(seconds);
        }
        self
    }

    /// The error message of a status reply, instead of the provider's usual one.
    pub fn with_message(mut self, text: impl Into<String>) -> Reply {
        if let Kind::Status { message, .. } = &mut self.kind {
            *message = Some(text.into());
        }
        self
    }

    /// Send `frames` SSE frames, then drop the connection without a terminator.
    pub fn cut_after(mut self, frames: usize) -> Reply {
        self.cut_after = Some(frames);
        self
    }

    /// Send `frames` SSE frames, then nothing more, keeping the connection open.
    pub fn stall_after(mut self, frames: usize) -> Reply {
        self.stall_after = Some(frames);
        self
    }

    /// Send `frames` SSE frames, then the rest once `gate` opens.
    pub fn hold_after(mut self, frames: usize, gate: &Gate) -> Reply {
        self.hold = Some((frames, gate.clone()));
        self
    }

    /// Report `input` and `output` tokens.
    pub fn with_usage(mut self, input: u64, output: u64) -> Reply {
        self.usage = (input, output);
        self
    }

    /// Stop as if the token limit was hit (`length` / `max_tokens`).
    pub fn truncated(mut self) -> Reply {
        self.truncated = true;
        self
    }

    /// Send the frames back to back instead of 1 ms apart, as a model that
    /// answers instantly would (benchmarks).
    pub fn without_pauses(mut self) -> Reply {
        self.pause = Duration::ZERO;
        self
    }
}
