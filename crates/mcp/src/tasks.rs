//! Tool calls that run as tasks: created, polled, cancelled and followed again
//! after a restart.
//!
//! Two dialects, chosen by what the session negotiated:
//!
//! - **2025-11-25** (SEP-1686). A tool says `execution.taskSupport`; the client asks
//!   for a task by sending `tools/call` with `params.task: {ttl}` and gets
//!   `{task: {taskId, status, pollInterval, …}}`. It polls `tasks/get`, fetches
//!   the result with `tasks/result` (which also carries the server's own queued
//!   requests, such as an elicitation while the task is `input_required`) and
//!   cancels with `tasks/cancel`. A task belongs to the session that created it.
//!   rmcp models none of this, so these requests go out as custom requests and
//!   their answers are read as JSON.
//! - **2026-07-28** (the `io.modelcontextprotocol/tasks` extension, SEP-2663). The
//!   client declares the extension and the server decides: a plain `tools/call`
//!   may be answered with `resultType: "task"`. `tasks/get` carries the result
//!   inline once completed, `inputRequests` while `input_required` (answered with
//!   `tasks/update`), and `tasks/cancel` cancels.
//!
//! Polling honours the server's interval, clamped to [`MIN_POLL`]..[`MAX_POLL`];
//! a poll whose answer says nothing new is left out of the call's exchange. A task
//! that outlives [`ClientOptions::task_deadline`](crate::ClientOptions) from its
//! creation, or whose caller asks it to [`Stop`], is cancelled upstream and the
//! call ends cancelled. A task is reported as soon as it exists
//! ([`TaskUpdate::Created`]), so its caller can keep what it takes to follow it
//! again ([`TaskRef`]) — on a new session, or, for a 2025-11-25 task created in a
//! Streamable HTTP session, with plain POSTs carrying that session's id.

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant, SystemTime};

use rmcp::model::{ClientRequest, CustomRequest, InputRequests, InputResponses, RequestId};
use rmcp::service::PeerRequestOptions;
use serde_json::{Map, Value, json};
use switchboard_core::SecretString;
use switchboard_core::catalog::TaskSupport;
use url::Url;

use crate::error::{Cause, McpError};
use crate::options::{ClientOptions, Elicitation};
use crate::recording::{Direction, Exchanged, Journal, ProgressWatcher, json_len};
use crate::session::{UpstreamOutcome, UpstreamSession, cap, point_to_result};

/// Shortest wait between two polls, whatever the server suggests.
pub const MIN_POLL: Duration = Duration::from_millis(200);
/// Longest wait between two polls, whatever the server suggests.
pub const MAX_POLL: Duration = Duration::from_secs(10);
/// The wait between polls when the server suggests none.
const DEFAULT_POLL: Duration = Duration::from_secs(1);
/// How much longer than the deadline the server is asked to keep a task (`ttl`).
const TTL_MARGIN: Duration = Duration::from_secs(60);
/// Polls in a row that may fail (no answer, an error) before the task is given up.
const MAX_FAILED_POLLS: u32 = 5;
/// Largest answer read from a server when a task is followed with plain POSTs.
const MAX_RAW_BODY: usize = 16 * 1024 * 1024;

/// Which tasks a session speaks.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum TaskDialect {
    /// MCP 2025-11-25 (SEP-1686): `params.task`, `tasks/get`, `tasks/result`, `tasks/cancel`.
    V2025,
    /// The 2026-07-28 extension `io.modelcontextprotocol/tasks` (SEP-2663).
    V2026,
}

impl TaskDialect {
    /// The protocol version the dialect belongs to, as stored.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::V2025 => "2025-11-25",
            Self::V2026 => "2026-07-28",
        }
    }

    pub fn parse(text: &str) -> Option<Self> {
        match text {
            "2025-11-25" => Some(Self::V2025),
            "2026-07-28" => Some(Self::V2026),
            _ => None,
        }
    }
}

/// What it takes to follow a task again: its id, dialect, the server session it
/// belongs to and when it must be over.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TaskRef {
    pub task_id: String,
    pub dialect: TaskDialect,
    /// The `Mcp-Session-Id` of the session that created it (Streamable HTTP with a
    /// session only): a 2025-11-25 task is found only in its own session.
    pub session_id: Option<String>,
    /// The protocol version that session negotiated.
    pub protocol_version: String,
    /// When the task is cancelled if it has not ended.
    pub deadline: SystemTime,
}

/// What a running task reports.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum TaskUpdate {
    /// The server created the task.
    Created(TaskRef),
    /// Its status (`working`, `input_required`, `completed`, `failed`, `cancelled`)
    /// or its status message changed.
    Status { status: String, message: Option<String> },
}

/// Told about each [`TaskUpdate`] of one call.
pub type TaskWatcher = Arc<dyn Fn(TaskUpdate) + Send + Sync>;

/// Why Switchboard cancelled a task.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum CancelReason {
    /// Its caller asked it to stop (a person's Stop).
    Stopped,
    /// It outlived its deadline.
    Deadline,
}

/// How a call that ran as a task ended, beside its result.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TaskEnd {
    pub task: TaskRef,
    /// The last status: `completed`, `failed` or `cancelled`.
    pub status: String,
    /// Set when Switchboard cancelled it (the server may have cancelled it itself).
    pub cancelled_by: Option<CancelReason>,
    /// How many times `tasks/get` was asked.
    pub polls: u32,
}

/// Asks a running task to stop; see [`stop_switch`].
#[derive(Clone, Debug)]
pub struct Stop(tokio::sync::watch::Receiver<bool>);

/// The switch of a [`Stop`].
#[derive(Debug)]
pub struct StopSwitch(tokio::sync::watch::Sender<bool>);

/// A switch and the [`Stop`] it throws.
pub fn stop_switch() -> (StopSwitch, Stop) {
    let (tx, rx) = tokio::sync::watch::channel(false);
    (StopSwitch(tx), Stop(rx))
}

impl StopSwitch {
    pub fn stop(&self) {
        self.0.send_replace(true);
    }
}

impl Stop {
    /// Resolves once stopped; never when the switch is gone unthrown.
    async fn stopped(&mut self) {
        if self.0.wait_for(|stopped| *stopped).await.is_err() {
            std::future::pending::<()>().await;
        }
    }
}

async fn stopped(stop: &mut Option<Stop>) {
    match stop {
        Some(stop) => stop.stopped().await,
        None => std::future::pending().await,
    }
}

/// What a call's caller wants to know and say while it runs.
#[derive(Clone, Default)]
pub struct CallWatch {
    /// Told about each `notifications/progress` of the call.
    pub progress: Option<ProgressWatcher>,
    /// Told about the task, when the call runs as one.
    pub task: Option<TaskWatcher>,
    /// The tool's `execution.taskSupport`.
    pub task_support: TaskSupport,
    /// Cancels the call's task upstream when thrown (a call that is not a task ignores it).
    pub stop: Option<Stop>,
}

impl std::fmt::Debug for CallWatch {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("CallWatch")
            .field("progress", &self.progress.is_some())
            .field("task", &self.task.is_some())
            .field("task_support", &self.task_support)
            .field("stop", &self.stop.is_some())
            .finish()
    }
}

impl From<Option<ProgressWatcher>> for CallWatch {
    fn from(progress: Option<ProgressWatcher>) -> Self {
        Self { progress, ..Self::default() }
    }
}

impl CallWatch {
    fn report(&self, update: TaskUpdate) {
        if let Some(watcher) = &self.task {
            watcher(update);
        }
    }
}

/// Whether to ask for a 2025-11-25 task: the session negotiated that version, and the
/// tool requires a task or allows one on a server that declared tasks for `tools/call`.
/// (From 2026-07-28 on the server decides; see [`follow_created`].)
pub(crate) fn wants_task(session: &UpstreamSession, watch: &CallWatch) -> bool {
    session.protocol_version() == TaskDialect::V2025.as_str()
        && match watch.task_support {
            TaskSupport::Required => true,
            TaskSupport::Optional => session.fields.task_calls_declared(),
            TaskSupport::Forbidden => false,
        }
}

/// One task's status as a server reported it.
#[derive(Clone, Debug, PartialEq)]
struct Snapshot {
    status: String,
    message: Option<String>,
    poll: Option<Duration>,
}

impl Snapshot {
    /// From a task object of either dialect (`pollInterval` in 2025, `pollIntervalMs` in 2026).
    fn of(task: &Value) -> Option<Snapshot> {
        let status = task.get("status")?.as_str()?.to_owned();
        let message = task.get("statusMessage").and_then(Value::as_str).map(str::to_owned);
        let poll = task.get("pollInterval").or_else(|| task.get("pollIntervalMs")).and_then(Value::as_u64);
        Some(Snapshot { status, message, poll: poll.map(Duration::from_millis) })
    }

    fn says_the_same_as(&self, other: &Snapshot) -> bool {
        self.status == other.status && self.message == other.message
    }
}

/// The wait before the next poll: the server's interval, clamped.
pub(crate) fn poll_interval(suggested: Option<Duration>) -> Duration {
    suggested.unwrap_or(DEFAULT_POLL).clamp(MIN_POLL, MAX_POLL)
}

/// A way to send a task's requests and record them with the call.
trait Wire: Send + Sync {
    /// Send `method` with `params`; the JSON-RPC request sent and the response received
    /// (or the error), recorded only when `record` says so once the answer is known.
    fn request(
        &self,
        method: &str,
        params: Value,
        timeout: Duration,
    ) -> impl Future<Output = (Value, Result<(Value, Value), McpError>)> + Send;

    fn record(&self, direction: Direction, message: &Value);

    /// The answers to what a 2026 task asks (`inputRequests`), as during a call.
    fn answer_inputs(&self, asked: InputRequests) -> impl Future<Output = Result<InputResponses, McpError>> + Send;

    /// The messages of the call so far, in order; the call is forgotten.
    fn finish(&self) -> Vec<Exchanged>;
}

/// A task's requests over the session's own connection, recorded in its journal
/// under the call's entry.
struct SessionWire<'a> {
    session: &'a UpstreamSession,
    key: RequestId,
}

impl Wire for SessionWire<'_> {
    async fn request(
        &self,
        method: &str,
        params: Value,
        timeout: Duration,
    ) -> (Value, Result<(Value, Value), McpError>) {
        let peer = self.session.service.peer();
        let request = ClientRequest::CustomRequest(CustomRequest::new(method, Some(params.clone())));
        let handle = match peer.send_cancellable_request(request, PeerRequestOptions::with_timeout(timeout)).await {
            Ok(handle) => handle,
            Err(e) => {
                let sent = json!({"jsonrpc": "2.0", "method": method, "params": params});
                return (sent, Err(crate::session::failed(e, self.session)));
            }
        };
        let id = serde_json::to_value(&handle.id).unwrap_or_default();
        let sent = json!({"jsonrpc": "2.0", "id": id, "method": method, "params": params});
        let answer = match handle.await_response().await {
            Ok(result) => match serde_json::to_value(&result) {
                Ok(value) => Ok((json!({"jsonrpc": "2.0", "id": id, "result": value}), value)),
                Err(e) => Err(McpError::Protocol(e.to_string().into())),
            },
            Err(e) => Err(crate::session::failed(e, self.session)),
        };
        (sent, answer)
    }

    fn record(&self, direction: Direction, message: &Value) {
        self.session.journal.push(&self.key, direction, message);
    }

    async fn answer_inputs(&self, asked: InputRequests) -> Result<InputResponses, McpError> {
        // The person whose call follows the task is asked, as during a plain call.
        let asker = crate::elicitation::current().filter(|_| self.session.options.elicitation == Elicitation::Ask);
        self.session.answer_inputs(asked, asker.as_ref()).await
    }

    fn finish(&self) -> Vec<Exchanged> {
        self.session.journal.take(&self.key)
    }
}

/// Drops a call's journal entry when the call is abandoned before it ends.
struct Entry<'a> {
    journal: &'a Journal,
    key: Option<RequestId>,
}

impl Drop for Entry<'_> {
    fn drop(&mut self) {
        if let Some(key) = self.key.take() {
            self.journal.take(&key);
        }
    }
}

/// Run `name` as a 2025-11-25 task on `session`: `tools/call` with `params.task`,
/// then [`follow`]. A server that answers with a plain result ran it at once.
pub(crate) async fn call_as_task(
    session: &UpstreamSession,
    name: &str,
    arguments: Map<String, Value>,
    watch: &CallWatch,
) -> Result<UpstreamOutcome, McpError> {
    let started = Instant::now();
    let options = &session.options;
    let deadline = SystemTime::now() + options.task_deadline;
    let ttl = u64::try_from((options.task_deadline + TTL_MARGIN).as_millis()).unwrap_or(u64::MAX);
    let params = json!({"name": name, "arguments": arguments, "task": {"ttl": ttl}});
    let request = ClientRequest::CustomRequest(CustomRequest::new("tools/call", Some(params)));
    let peer = session.service.peer();
    let handle = peer
        .send_cancellable_request(request, PeerRequestOptions::with_timeout(options.call_timeout))
        .await
        .map_err(|e| crate::session::failed(e, session))?;
    if let Some(watcher) = &watch.progress {
        session.journal.watch(&handle.id, watcher.clone());
    }
    // What the server asks the person while the task runs (on the `tasks/result`
    // stream, filed with this call) goes to the caller's person, as during a plain call.
    let asker = crate::elicitation::current().filter(|_| options.elicitation == Elicitation::Ask);
    let _filed = asker.map(|a| session.askers.file(&handle.id, a));
    let key = handle.id.clone();
    let mut entry = Entry { journal: &session.journal, key: Some(key.clone()) };
    let request_id = serde_json::to_value(&key).unwrap_or_default();
    let answer = handle.await_response().await.map_err(|e| crate::session::failed(e, session))?;
    let answer = serde_json::to_value(&answer).map_err(|e| McpError::Protocol(e.to_string().into()))?;
    let Some(created) = answer.get("task").filter(|t| t.is_object()) else {
        // Not a task after all: the result of the call.
        entry.key = None;
        let mut exchange = session.journal.take(&key);
        point_to_result(&mut exchange, &request_id);
        return Ok(outcome(answer, started, exchange, None, options));
    };
    let task = TaskRef {
        task_id: task_id(created)?,
        dialect: TaskDialect::V2025,
        session_id: session.http_session.get(),
        protocol_version: session.protocol_version().to_owned(),
        deadline,
    };
    let first = Snapshot::of(created).unwrap_or(Snapshot { status: "working".into(), message: None, poll: None });
    watch.report(TaskUpdate::Created(task.clone()));
    // `entry` stays armed: a caller that gives up on the task leaves no messages behind.
    let wire = SessionWire { session, key };
    let end = follow(&wire, &task, first, watch, options).await;
    Ok(finish(end, task, started, wire.finish(), options))
}

/// Follow a task a 2026-07-28 server made of a plain `tools/call` (`resultType: "task"`);
/// `exchange` holds the call's messages so far.
pub(crate) async fn follow_created(
    session: &UpstreamSession,
    created: Value,
    exchange: Vec<Exchanged>,
    watch: &CallWatch,
    started: Instant,
) -> Result<UpstreamOutcome, McpError> {
    let options = &session.options;
    let task = TaskRef {
        task_id: task_id(&created)?,
        dialect: TaskDialect::V2026,
        session_id: session.http_session.get(),
        protocol_version: session.protocol_version().to_owned(),
        deadline: SystemTime::now() + options.task_deadline,
    };
    let first = Snapshot::of(&created).unwrap_or(Snapshot { status: "working".into(), message: None, poll: None });
    watch.report(TaskUpdate::Created(task.clone()));
    let key = own_key(&task);
    session.journal.open(&key, exchange);
    let _entry = Entry { journal: &session.journal, key: Some(key.clone()) };
    let wire = SessionWire { session, key };
    let end = follow(&wire, &task, first, watch, options).await;
    Ok(finish(end, task, started, wire.finish(), options))
}

/// An entry key of our own for a task's messages, apart from any request id rmcp gives.
fn own_key(task: &TaskRef) -> RequestId {
    static NEXT: AtomicU64 = AtomicU64::new(1);
    let n = NEXT.fetch_add(1, Ordering::Relaxed);
    RequestId::String(format!("switchboard-task-{n}-{}", task.task_id).into())
}

impl UpstreamSession {
    /// Follow a task this client created earlier (before a restart, say) on this
    /// session: poll it to its end as [`UpstreamSession::call_tool_with`] would have.
    pub async fn resume_task(&self, task: &TaskRef, watch: &CallWatch) -> Result<UpstreamOutcome, McpError> {
        let started = Instant::now();
        let key = own_key(task);
        self.journal.open(&key, vec![]);
        let _entry = Entry { journal: &self.journal, key: Some(key.clone()) };
        let wire = SessionWire { session: self, key };
        let first = first_look(&wire, task, &self.options).await?;
        let end = follow(&wire, task, first, watch, &self.options).await;
        Ok(finish(end, task.clone(), started, wire.finish(), &self.options))
    }
}

/// Follow a 2025-11-25 task in the Streamable HTTP session that created it, which
/// still lives on the server though this client's connection is gone: plain POSTs
/// carrying its `Mcp-Session-Id`, through the same address policy and token.
pub async fn resume_task_in_session(
    url: &Url,
    options: &ClientOptions,
    task: &TaskRef,
    watch: &CallWatch,
) -> Result<UpstreamOutcome, McpError> {
    let Some(session_id) = task.session_id.clone() else {
        return Err(McpError::Protocol("the task has no session to be followed in".into()));
    };
    crate::http_client::preflight(url, &options.network).await?;
    let started = Instant::now();
    let wire = RawWire {
        client: crate::http_client::build(options)?,
        url: url.clone(),
        bearer: options.bearer.clone(),
        session_id,
        protocol_version: task.protocol_version.clone(),
        next_id: AtomicU64::new(1),
        log: std::sync::Mutex::new(vec![]),
        max_bytes: options.max_result_bytes,
    };
    let first = first_look(&wire, task, options).await?;
    let end = follow(&wire, task, first, watch, options).await;
    Ok(finish(end, task.clone(), started, wire.finish(), options))
}

/// The task's status when following it again: one `tasks/get`, recorded.
async fn first_look(wire: &impl Wire, task: &TaskRef, options: &ClientOptions) -> Result<Snapshot, McpError> {
    let (sent, answer) = wire.request("tasks/get", json!({"taskId": task.task_id}), options.call_timeout).await;
    wire.record(Direction::ClientToServer, &sent);
    let (received, result) = match answer {
        Ok(answer) => answer,
        Err(e) => {
            wire.record(Direction::ServerToClient, &json!({"error": e.to_string()}));
            return Err(e);
        }
    };
    wire.record(Direction::ServerToClient, &received);
    Snapshot::of(&result)
        .ok_or_else(|| McpError::Protocol("the server's answer to tasks/get is not a task's status".into()))
}

fn task_id(task: &Value) -> Result<String, McpError> {
    task.get("taskId")
        .and_then(Value::as_str)
        .filter(|id| !id.is_empty())
        .map(str::to_owned)
        .ok_or_else(|| McpError::Protocol("the server created a task without a taskId".into()))
}

/// How following a task ended.
#[derive(Debug)]
enum Followed {
    /// The tool's result (`CallToolResult`).
    Result(Value),
    /// The task failed; the server's words.
    Failed(String),
    /// The task was cancelled, by Switchboard (why) or by the server.
    Cancelled(Option<CancelReason>, Option<String>),
}

/// Poll `task` from `first` to its end, its result, or its cancellation.
async fn follow(
    wire: &impl Wire,
    task: &TaskRef,
    first: Snapshot,
    watch: &CallWatch,
    options: &ClientOptions,
) -> (Followed, u32) {
    let remaining = task.deadline.duration_since(SystemTime::now()).unwrap_or_default();
    let deadline = tokio::time::Instant::now() + remaining;
    let mut stop = watch.stop.clone();
    let mut last = first;
    let mut polls = 0;
    let mut failed_polls = 0;
    watch.report(TaskUpdate::Status { status: last.status.clone(), message: last.message.clone() });
    let mut interval = poll_interval(last.poll);
    let mut inline: Option<Value> = None;
    loop {
        match (task.dialect, last.status.as_str()) {
            (_, "cancelled") => return (Followed::Cancelled(None, last.message), polls),
            (TaskDialect::V2026, "completed") => {
                let result = inline.take().and_then(|t| t.get("result").cloned());
                return match result {
                    Some(result) => (Followed::Result(result), polls),
                    None => (Followed::Failed("the server completed the task without a result".into()), polls),
                };
            }
            (TaskDialect::V2026, "failed") => {
                let error = inline.take().and_then(|t| t.get("error").cloned()).unwrap_or_default();
                let words = error.get("message").and_then(Value::as_str).map(str::to_owned);
                let words = words.or(last.message.clone()).unwrap_or_else(|| "the task failed".into());
                return (Followed::Failed(words), polls);
            }
            (TaskDialect::V2026, "input_required") => {
                // SEP-2663: answer what the task asks with `tasks/update`, then keep polling.
                let asked = inline.take().and_then(|t| t.get("inputRequests").cloned()).unwrap_or_default();
                let answers = match serde_json::from_value(asked) {
                    Ok(asked) => wire.answer_inputs(asked).await,
                    Err(e) => Err(McpError::Protocol(e.to_string().into())),
                };
                let answers = answers.and_then(|answers| {
                    serde_json::to_value(answers).map_err(|e| McpError::Protocol(e.to_string().into()))
                });
                let answers = match answers {
                    Ok(answers) => answers,
                    Err(e) => {
                        return cancel(wire, task, CancelReason::Stopped, Some(e.to_string()), options, polls).await;
                    }
                };
                let params = json!({"taskId": task.task_id, "inputResponses": answers});
                let (sent, answer) = wire.request("tasks/update", params, options.call_timeout).await;
                wire.record(Direction::ClientToServer, &sent);
                record_answer(wire, &answer);
            }
            (TaskDialect::V2025, "completed" | "failed" | "input_required") => {
                // `tasks/result` waits for the end, delivering the server's queued requests on the way.
                let wait = deadline.saturating_duration_since(tokio::time::Instant::now()).max(options.call_timeout);
                let params = json!({"taskId": task.task_id});
                let fetched = tokio::select! {
                    fetched = wire.request("tasks/result", params, wait) => fetched,
                    () = stopped(&mut stop) => return cancel(wire, task, CancelReason::Stopped, None, options, polls).await,
                    () = tokio::time::sleep_until(deadline) => return cancel(wire, task, CancelReason::Deadline, None, options, polls).await,
                };
                let (sent, answer) = fetched;
                wire.record(Direction::ClientToServer, &sent);
                record_answer(wire, &answer);
                return match answer {
                    Ok((_, result)) if last.status == "failed" && result.get("content").is_none() => {
                        (Followed::Failed(last.message.unwrap_or_else(|| "the task failed".into())), polls)
                    }
                    Ok((_, result)) => (Followed::Result(result), polls),
                    Err(e) => (Followed::Failed(format!("the server did not give the task's result: {e}")), polls),
                };
            }
            _ => {}
        }
        tokio::select! {
            () = tokio::time::sleep(interval) => {}
            () = stopped(&mut stop) => return cancel(wire, task, CancelReason::Stopped, None, options, polls).await,
            () = tokio::time::sleep_until(deadline) => return cancel(wire, task, CancelReason::Deadline, None, options, polls).await,
        }
        let polled = tokio::select! {
            polled = wire.request("tasks/get", json!({"taskId": task.task_id}), options.call_timeout) => polled,
            () = stopped(&mut stop) => return cancel(wire, task, CancelReason::Stopped, None, options, polls).await,
            () = tokio::time::sleep_until(deadline) => return cancel(wire, task, CancelReason::Deadline, None, options, polls).await,
        };
        polls += 1;
        let (sent, answer) = polled;
        let (received, result) = match answer {
            Ok(answer) => answer,
            Err(e) => {
                // A poll that fails says nothing about the task: record it and try again later,
                // waiting longer each time, a few times in a row at most.
                wire.record(Direction::ClientToServer, &sent);
                wire.record(Direction::ServerToClient, &json!({"error": e.to_string()}));
                tracing::debug!(task = %task.task_id, error = %e, "a poll of a task failed");
                failed_polls += 1;
                if failed_polls >= MAX_FAILED_POLLS {
                    let words = format!("the server stopped answering about the task ({e}); it may or may not finish");
                    return (Followed::Failed(words), polls);
                }
                interval = (interval * 2).min(MAX_POLL);
                continue;
            }
        };
        failed_polls = 0;
        let Some(now) = Snapshot::of(&result) else {
            wire.record(Direction::ClientToServer, &sent);
            wire.record(Direction::ServerToClient, &received);
            return (Followed::Failed("the server's answer to tasks/get is not a task's status".into()), polls);
        };
        if !now.says_the_same_as(&last) || result.get("result").is_some() || result.get("inputRequests").is_some() {
            wire.record(Direction::ClientToServer, &sent);
            wire.record(Direction::ServerToClient, &received);
            watch.report(TaskUpdate::Status { status: now.status.clone(), message: now.message.clone() });
        }
        interval = poll_interval(now.poll.or(last.poll));
        last = now;
        inline = Some(result);
    }
}

fn record_answer(wire: &impl Wire, answer: &Result<(Value, Value), McpError>) {
    match answer {
        Ok((received, _)) => wire.record(Direction::ServerToClient, received),
        Err(e) => wire.record(Direction::ServerToClient, &json!({"error": e.to_string()})),
    }
}

/// Cancel `task` upstream (`tasks/cancel`), then look once more at its status, both recorded.
async fn cancel(
    wire: &impl Wire,
    task: &TaskRef,
    why: CancelReason,
    words: Option<String>,
    options: &ClientOptions,
    polls: u32,
) -> (Followed, u32) {
    let params = json!({"taskId": task.task_id});
    let (sent, answer) = wire.request("tasks/cancel", params.clone(), options.call_timeout).await;
    wire.record(Direction::ClientToServer, &sent);
    record_answer(wire, &answer);
    if answer.is_ok() {
        let (sent, answer) = wire.request("tasks/get", params, options.call_timeout).await;
        wire.record(Direction::ClientToServer, &sent);
        record_answer(wire, &answer);
    }
    (Followed::Cancelled(Some(why), words), polls)
}

fn outcome(
    result: Value,
    started: Instant,
    exchange: Vec<Exchanged>,
    task: Option<TaskEnd>,
    options: &ClientOptions,
) -> UpstreamOutcome {
    let bytes = json_len(&result);
    let (result, truncated) = cap(result, bytes, options.max_result_bytes);
    UpstreamOutcome { result, truncated, bytes, latency: started.elapsed(), exchange, task }
}

fn finish(
    (followed, polls): (Followed, u32),
    task: TaskRef,
    started: Instant,
    exchange: Vec<Exchanged>,
    options: &ClientOptions,
) -> UpstreamOutcome {
    let error = |text: String| json!({"content": [{"type": "text", "text": text}], "isError": true});
    let (result, status, cancelled_by) = match followed {
        Followed::Result(result) => (result, "completed", None),
        Followed::Failed(words) => (error(format!("the task failed: {words}")), "failed", None),
        Followed::Cancelled(by, words) => {
            let why = match by {
                Some(CancelReason::Stopped) => "it was stopped".to_owned(),
                Some(CancelReason::Deadline) => {
                    format!("it did not finish within the task deadline of {} s", options.task_deadline.as_secs())
                }
                None => "the server cancelled it".to_owned(),
            };
            let words = words.map(|w| format!(" ({w})")).unwrap_or_default();
            (error(format!("the task was cancelled: {why}{words}")), "cancelled", by)
        }
    };
    let end = TaskEnd { task, status: status.to_owned(), cancelled_by, polls };
    outcome(result, started, exchange, Some(end), options)
}

/// A task's requests as plain POSTs in an existing Streamable HTTP session.
struct RawWire {
    client: reqwest::Client,
    url: Url,
    bearer: Option<SecretString>,
    session_id: String,
    protocol_version: String,
    next_id: AtomicU64,
    log: std::sync::Mutex<Vec<Exchanged>>,
    max_bytes: usize,
}

impl RawWire {
    async fn post(&self, id: u64, message: &Value, timeout: Duration) -> Result<Value, McpError> {
        let mut request = self
            .client
            .post(self.url.clone())
            .timeout(timeout)
            .header(reqwest::header::CONTENT_TYPE, "application/json")
            .header(reqwest::header::ACCEPT, "application/json, text/event-stream")
            .header("Mcp-Session-Id", &self.session_id)
            .header("MCP-Protocol-Version", &self.protocol_version)
            .json(message);
        if let Some(token) = &self.bearer {
            request = request.bearer_auth(token.expose());
        }
        let response = request.send().await.map_err(|e| McpError::Failed(Cause::of(&e)))?;
        let status = response.status();
        if status == reqwest::StatusCode::NOT_FOUND {
            return Err(McpError::SessionExpired);
        }
        if !status.is_success() {
            return Err(McpError::Protocol(format!("the server answered HTTP {status}").into()));
        }
        let sse = response
            .headers()
            .get(reqwest::header::CONTENT_TYPE)
            .and_then(|v| v.to_str().ok())
            .is_some_and(|v| v.starts_with("text/event-stream"));
        let body = read_bounded(response).await?;
        let messages: Vec<Value> = if sse {
            crate::legacy_sse::legacy_sse_events(&[&body], MAX_RAW_BODY)?
                .into_iter()
                .filter_map(|(_, data)| serde_json::from_str(&data).ok())
                .collect()
        } else {
            vec![serde_json::from_slice(&body).map_err(|e| McpError::Protocol(e.to_string().into()))?]
        };
        let id = json!(id);
        for message in messages {
            if message.get("id") == Some(&id) && message.get("method").is_none() {
                return Ok(message);
            }
            // Anything else on the answer's stream (a notification, a request of the
            // server's that nobody here can answer) is kept with the call.
            self.record(Direction::ServerToClient, &message);
        }
        Err(McpError::Protocol("the server's answer carried no response to the request".into()))
    }
}

async fn read_bounded(mut response: reqwest::Response) -> Result<Vec<u8>, McpError> {
    let mut body = vec![];
    while let Some(chunk) = response.chunk().await.map_err(|e| McpError::Failed(Cause::of(&e)))? {
        if body.len() + chunk.len() > MAX_RAW_BODY {
            return Err(McpError::Protocol(format!("the server's answer is larger than {MAX_RAW_BODY} bytes").into()));
        }
        body.extend_from_slice(&chunk);
    }
    Ok(body)
}

impl Wire for RawWire {
    async fn request(
        &self,
        method: &str,
        params: Value,
        timeout: Duration,
    ) -> (Value, Result<(Value, Value), McpError>) {
        let id = self.next_id.fetch_add(1, Ordering::Relaxed);
        let sent = json!({"jsonrpc": "2.0", "id": id, "method": method, "params": params});
        let answer = match self.post(id, &sent, timeout).await {
            Ok(received) => match (received.get("result"), received.get("error")) {
                (Some(result), _) => Ok((received.clone(), result.clone())),
                (None, Some(error)) => {
                    let words = error.get("message").and_then(Value::as_str).unwrap_or("no message");
                    Err(McpError::Protocol(format!("the server answered {method} with an error: {words}").into()))
                }
                (None, None) => Err(McpError::Protocol("the server's response has neither result nor error".into())),
            },
            Err(e) => Err(e),
        };
        (sent, answer)
    }

    fn record(&self, direction: Direction, message: &Value) {
        if let Some(message) = crate::recording::bounded(message, self.max_bytes) {
            self.log.lock().unwrap_or_else(std::sync::PoisonError::into_inner).push(Exchanged { direction, message });
        }
    }

    async fn answer_inputs(&self, _asked: InputRequests) -> Result<InputResponses, McpError> {
        Err(McpError::Protocol("a task followed after a restart cannot be given input".into()))
    }

    fn finish(&self) -> Vec<Exchanged> {
        std::mem::take(&mut *self.log.lock().unwrap_or_else(std::sync::PoisonError::into_inner))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_poll_interval_is_the_servers_within_bounds() {
        for (suggested, expect) in [
            (None, DEFAULT_POLL),
            (Some(Duration::from_millis(0)), MIN_POLL),
            (Some(Duration::from_millis(50)), MIN_POLL),
            (Some(Duration::from_millis(1500)), Duration::from_millis(1500)),
            (Some(Duration::from_secs(3600)), MAX_POLL),
        ] {
            assert_eq!(poll_interval(suggested), expect, "{suggested:?}");
        }
    }

    #[test]
    fn a_status_reads_alike_from_both_dialects() {
        let v2025 = json!({"taskId": "t", "status": "working", "statusMessage": "Gathering", "pollInterval": 500});
        let v2026 = json!({"taskId": "t", "status": "working", "statusMessage": "Gathering", "pollIntervalMs": 500,
                           "resultType": "complete"});
        let expect = Snapshot {
            status: "working".into(),
            message: Some("Gathering".into()),
            poll: Some(Duration::from_millis(500)),
        };
        assert_eq!(Snapshot::of(&v2025), Some(expect.clone()));
        assert_eq!(Snapshot::of(&v2026), Some(expect));
        assert_eq!(Snapshot::of(&json!({"taskId": "t"})), None);
        assert_eq!(TaskDialect::parse(TaskDialect::V2025.as_str()), Some(TaskDialect::V2025));
        assert_eq!(TaskDialect::parse(TaskDialect::V2026.as_str()), Some(TaskDialect::V2026));
        assert_eq!(TaskDialect::parse("2025-06-18"), None);
    }
}
