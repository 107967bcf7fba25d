//! A local command as an MCP transport: rmcp's newline-delimited JSON over the
//! child's pipes, the child in its own process group with a clean environment.
//!
//! rmcp's `TokioChildProcess` does the same but owns the pipes; this one reads
//! the child's stdout through [`Tap`], so a tool listing sees the raw lines
//! ([`ToolFields`]), as the HTTP transports let it see their bodies.

use std::pin::Pin;
use std::process::Stdio;
use std::task::{Context, Poll};
use std::time::Duration;

use process_wrap::tokio::{ChildWrapper, CommandWrap, KillOnDrop, ProcessGroup};
use rmcp::RoleClient;
use rmcp::service::{RxJsonRpcMessage, TxJsonRpcMessage};
use rmcp::transport::Transport;
use rmcp::transport::async_rw::AsyncRwTransport;
use tokio::io::{AsyncRead, ReadBuf};
use tokio::process::{ChildStdin, ChildStdout};

use crate::endpoint::{INHERITED_ENV, StdioCommand};
use crate::error::McpError;
use crate::stderr_tail::StderrTail;
use crate::tool_fields::ToolFields;

/// How long a closed server may take to exit, once after its stdin closes and
/// once after SIGTERM, before it is killed (the specification's shutdown order).
const EXIT_WAIT: Duration = Duration::from_secs(3);
const SIGTERM: i32 = 15;
/// Longest stdout line kept for a listing; a longer one is not looked at.
const MAX_TAPPED_LINE: usize = 16 * 1024 * 1024;

/// A running local server and the transport over its pipes. Dropping it kills the
/// server's process group.
pub(crate) struct ChildTransport {
    transport: AsyncRwTransport<RoleClient, Tap, ChildStdin>,
    child: Option<Box<dyn ChildWrapper>>,
}

/// Start `command` in its own process group, with a clean environment; its
/// stderr is drained into a tail that explains a failed start.
pub(crate) fn spawn(command: &StdioCommand, fields: ToolFields) -> Result<(ChildTransport, StderrTail), McpError> {
    let (program, args) = command.argv.split_first().ok_or(McpError::EmptyCommand)?;
    let failed = |reason: String| McpError::Spawn { program: program.clone(), reason };
    let mut cmd = tokio::process::Command::new(program);
    cmd.args(args).env_clear().stdin(Stdio::piped()).stdout(Stdio::piped()).stderr(Stdio::piped());
    for key in INHERITED_ENV {
        if let Ok(value) = std::env::var(key) {
            cmd.env(key, value);
        }
    }
    cmd.envs(&command.env);
    if let Some(dir) = &command.cwd {
        cmd.current_dir(dir);
    }
    let mut wrapped = CommandWrap::from(cmd);
    wrapped.wrap(ProcessGroup::leader()).wrap(KillOnDrop);
    let mut child = wrapped.spawn().map_err(|e| failed(e.to_string()))?;
    let pipes = child.inner_mut();
    let (Some(stdin), Some(stdout), Some(stderr)) =
        (pipes.stdin().take(), pipes.stdout().take(), pipes.stderr().take())
    else {
        return Err(failed("its standard streams could not be piped".into()));
    };
    let tap = Tap { inner: stdout, fields, line: Vec::new() };
    let transport = ChildTransport { transport: AsyncRwTransport::new_client(tap, stdin), child: Some(child) };
    Ok((transport, StderrTail::drain(stderr, program.clone())))
}

impl ChildTransport {
    /// Close stdin and wait; then SIGTERM and wait; then kill.
    async fn shut_down(&mut self) -> std::io::Result<()> {
        let Some(child) = self.child.as_mut() else { return Ok(()) };
        self.transport.close().await?;
        if exited(child).await {
            self.child = None;
            return Ok(());
        }
        if child.signal(SIGTERM).is_ok() && exited(child).await {
            self.child = None;
            return Ok(());
        }
        let killed = Box::into_pin(child.kill()).await;
        self.child = None;
        killed
    }
}

async fn exited(child: &mut Box<dyn ChildWrapper>) -> bool {
    matches!(tokio::time::timeout(EXIT_WAIT, child.wait()).await, Ok(Ok(_)))
}

impl Transport<RoleClient> for ChildTransport {
    type Error = std::io::Error;

    fn send(
        &mut self,
        item: TxJsonRpcMessage<RoleClient>,
    ) -> impl Future<Output = Result<(), Self::Error>> + Send + 'static {
        self.transport.send(item)
    }

    fn receive(&mut self) -> impl Future<Output = Option<RxJsonRpcMessage<RoleClient>>> + Send {
        self.transport.receive()
    }

    fn close(&mut self) -> impl Future<Output = Result<(), Self::Error>> + Send {
        self.shut_down()
    }
}

/// The child's stdout, passed on unchanged; while a listing is in flight each
/// line is also shown to [`ToolFields`].
struct Tap {
    inner: ChildStdout,
    fields: ToolFields,
    /// The line being read, while a listing is in flight.
    line: Vec<u8>,
}

impl Tap {
    fn see(&mut self, bytes: &[u8]) {
        if !self.fields.wanted() {
            self.line.clear();
            return;
        }
        for piece in bytes.split_inclusive(|b| *b == b'\n') {
            if self.line.len() + piece.len() <= MAX_TAPPED_LINE {
                self.line.extend_from_slice(piece);
            }
            if piece.ends_with(b"\n") {
                self.fields.offer(&self.line);
                self.line.clear();
            }
        }
    }
}

impl AsyncRead for Tap {
    fn poll_read(self: Pin<&mut Self>, cx: &mut Context<'_>, buf: &mut ReadBuf<'_>) -> Poll<std::io::Result<()>> {
        let this = self.get_mut();
        let before = buf.filled().len();
        let polled = Pin::new(&mut this.inner).poll_read(cx, buf);
        if let Poll::Ready(Ok(())) = polled
            && (this.fields.wanted() || !this.line.is_empty())
        {
            this.see(&buf.filled()[before..]);
        }
        polled
    }
}
