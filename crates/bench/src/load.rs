//! `bench load`: many people streaming conversations at the same time.
//!
//! [`Args::users`] people, each with an API token (made with the CLI, as an
//! administrator would) and a connector of their own to the [`echo`](crate::echo)
//! server, have [`Args::conversations`] conversations each, all running at once.
//! The model is testkit's [`ScriptedModel`] (OpenAI Chat Completions streamed as
//! server-sent events, its frames back to back), which answers by the last
//! message of the request:
//!
//! - the user's [`CALL`]: one call of [`TOOL`], a read (`readOnlyHint`), so it
//!   runs without waiting for a decision;
//! - a tool result: a text answer of [`CLOSING_TOKENS`] deltas;
//! - the user's [`SAY`]: a text answer of [`CLOSING_TOKENS`] deltas.
//!
//! Each conversation (created, untimed, before the round) makes a *tool turn*
//! ([`CALL`]), then a *text turn* ([`SAY`]), each followed over its SSE stream to
//! `done`. From the events the client sees:
//!
//! - **first token**: the text turn, from sending the message to its first `text_delta`;
//! - **tool round trip**: the tool turn, from `tool_call_proposed` (the model's
//!   call, recorded) to the first `text_delta` of the model's next answer: the
//!   call run upstream, its outcome recorded, the model asked again and its first
//!   token relayed.
//!
//! The baseline, in the same round and at the same concurrency: every conversation's
//! model requests (recorded from Switchboard during the warm-up, replayed byte for
//! byte) sent straight to the model server, and the tool called straight on the
//! echo server with the MCP client Switchboard uses upstream, one session per person.
//!
//! Anything but a turn that ends in `done` with reason `answered` is a failure,
//! counted by kind; the run goes on. The server's open descriptors and resident
//! memory are read before each round, sampled during it, and read after it.

use std::collections::BTreeMap;
use std::io::IsTerminal as _;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

use anyhow::Context as _;
use serde_json::{Value, json};
use switchboard_mcp::{ClientOptions, Endpoint, HttpTransport, UpstreamSession};
use switchboard_testkit::{Reply, ScriptedModel, ToolCall};

use crate::echo::{Answer, EchoServers};
use crate::instance::{Instance, OWNER, api_client, create_connector, user_token};
use crate::postgres;
use crate::process::{self, Descriptors, Memory, Running};
use crate::replay::{Streamed, recorded, replay};
use crate::sse::{Flow, StreamError, read_events};
use crate::startup::{start_until_ready, stop};
use crate::stats::{self, Table, percentile};

/// Deltas of every text answer: few, so that the figures are about the turn,
/// not about streaming.
const CLOSING_TOKENS: usize = 10;
/// One delta: the scripted model streams text in pieces of four characters.
const TOKEN: &str = "tok ";
/// The message that makes the model call [`TOOL`].
const CALL: &str = "echo something";
/// The message answered with text alone.
const SAY: &str = "say something";
/// The connector is named "Echo" and its tool `echo`.
const TOOL: &str = "echo__echo";
/// The argument of every call.
const TEXT: &str = "hello from bench load";
/// Longest wait for the next piece of a stream before the turn counts as stalled.
const READ_LIMIT: Duration = Duration::from_secs(30);
/// Longest a conversation's two turns may take before it counts as failed.
const CONVERSATION_LIMIT: Duration = Duration::from_secs(120);
/// How often the server's descriptors and memory are sampled during a round.
const SAMPLE_EVERY: Duration = Duration::from_millis(50);
/// Quiet time before the readings taken before and after a round.
const IDLE: Duration = Duration::from_secs(1);
/// How long to wait, after the last round, for the descriptors to come back.
/// Longer than twice the 90 s after which the server's HTTP client closes an
/// idle connection to the model (its pool checks once per that period).
const SETTLE_LIMIT: Duration = Duration::from_secs(200);
/// Worker threads of the model server's runtime and of the echo server's.
const PEER_WORKERS: usize = 2;
/// Identifies the bench's page session to Switchboard.
const CLIENT_SESSION: &str = "bench-load";
/// Used when `--postgres` is given without a URL and the variable below is unset.
const DEFAULT_POSTGRES_URL: &str = "postgres://postgres@127.0.0.1:5432/postgres";
const POSTGRES_URL_VARIABLE: &str = "SWITCHBOARD_TEST_POSTGRES_URL";

#[derive(Debug, clap::Args)]
pub(crate) struct Args {
    /// People, each with an API token and a connector of their own.
    #[arg(long, default_value_t = 50, value_parser = clap::value_parser!(u32).range(1..=1000))]
    users: u32,
    /// Conversations per person, all running at once (users × conversations in all).
    #[arg(long, default_value_t = 10, value_parser = clap::value_parser!(u32).range(1..=100))]
    conversations: u32,
    /// Rounds, each with new conversations; the tables give medians over them.
    #[arg(long, default_value_t = 3, value_parser = clap::value_parser!(u32).range(1..=100))]
    rounds: u32,
    /// Run on PostgreSQL: a new database on the server at URL, dropped afterwards
    /// (the role needs CREATEDB). Without URL: $SWITCHBOARD_TEST_POSTGRES_URL,
    /// else postgres://postgres@127.0.0.1:5432/postgres. [default: SQLite]
    #[arg(long, value_name = "URL", num_args = 0..=1)]
    postgres: Option<Option<String>>,
    /// The switchboard binary [default: the one next to this bench binary].
    #[arg(long, value_name = "PATH")]
    switchboard: Option<PathBuf>,
}

impl Args {
    fn postgres_url(&self) -> Option<String> {
        let given = self.postgres.as_ref()?;
        Some(given.clone().unwrap_or_else(|| {
            std::env::var(POSTGRES_URL_VARIABLE)
                .ok()
                .filter(|v| !v.trim().is_empty())
                .unwrap_or_else(|| DEFAULT_POSTGRES_URL.to_owned())
        }))
    }
}

/// What the scripted model answers to a request `body`.
fn answer(body: &Value) -> Reply {
    let last = body["messages"].as_array().and_then(|m| m.last()).cloned().unwrap_or_default();
    let reply = match (last["role"].as_str(), last["content"].as_str()) {
        (Some("tool"), _) | (Some("user"), Some(SAY)) => Reply::text(TOKEN.repeat(CLOSING_TOKENS)),
        (Some("user"), Some(CALL)) => Reply::tool_calls(vec![ToolCall::new("call_1", TOOL, json!({"text": TEXT}))]),
        _ => Reply::status(400).with_message("the bench's model answers its two messages or a tool result"),
    };
    reply.without_pauses()
}

pub(crate) fn run(args: &Args) -> anyhow::Result<()> {
    let switchboard = process::locate_switchboard(args.switchboard.as_deref())?;
    let work = tempfile::tempdir().context("cannot create a temporary directory")?;
    let data_dir = work.path().join("data");
    // A scratch database on PostgreSQL, dropped when `database` is.
    let database = match args.postgres_url() {
        None => None,
        Some(url) => {
            anyhow::ensure!(
                url.starts_with("postgres://") || url.starts_with("postgresql://"),
                "--postgres must be a postgres:// URL; leave it out to benchmark SQLite"
            );
            Some(postgres::Scratch::create(postgres::Server::connect(&url)?, "load")?)
        }
    };
    let instance = Instance { data_dir: &data_dir, database_url: database.as_ref().map(|d| d.url.as_str()) };

    // The model server gets a runtime of its own, as the echo server has, so
    // neither waits for a worker busy with the clients' tasks.
    let model_runtime = runtime(PEER_WORKERS, "model-worker")?;
    let model = model_runtime.block_on(ScriptedModel::start());
    model.respond_with(answer);
    let echo = EchoServers::start(PEER_WORKERS)?;

    let progress = std::io::stderr().is_terminal();
    if progress {
        eprintln!("adding {} people with the CLI", args.users);
    }
    let tokens = tokens(&switchboard, &instance, args.users)?;
    let base_url = model.openai_base_url();
    let env = [
        ("OPENAI_BASE_URL", base_url.as_str()),
        ("OPENAI_API_KEY", "sk-bench"),
        ("SWITCHBOARD_MODEL", "openai/scripted"),
    ];
    let log = work.path().join("switchboard.log");
    let (mut server, addr, _) = start_until_ready(&switchboard, &data_dir, instance.database_url, &env, &log)?;

    let clients = runtime(std::thread::available_parallelism().map_or(2, usize::from), "bench-client")?;
    let outcome = clients.block_on(measure(args, &mut server, addr, &tokens, &model, &echo, progress));
    let stopped = stop(&mut server);
    outcome?;
    stopped?;
    Ok(())
}

fn runtime(workers: usize, name: &str) -> anyhow::Result<tokio::runtime::Runtime> {
    tokio::runtime::Builder::new_multi_thread()
        .worker_threads(workers)
        .thread_name(name)
        .enable_all()
        .build()
        .context("tokio runtime")
}

/// The owner's token, then those of `users − 1` admins: an admin may build
/// connectors of their own under the default developer-mode policy.
fn tokens(switchboard: &Path, instance: &Instance<'_>, users: u32) -> anyhow::Result<Vec<String>> {
    let mut tokens = vec![user_token(switchboard, instance, OWNER, "owner")?];
    for i in 1..users {
        tokens.push(user_token(switchboard, instance, &format!("person{i}@example.com"), "admin")?);
    }
    Ok(tokens)
}

/// One person: their API client, their connector, and their direct session
/// with the echo server for the baseline.
#[derive(Debug)]
struct Person {
    client: reqwest::Client,
    connector: String,
    direct: UpstreamSession,
}

async fn measure(
    args: &Args,
    server: &mut Running,
    addr: SocketAddr,
    tokens: &[String],
    model: &ScriptedModel,
    echo: &EchoServers,
    progress: bool,
) -> anyhow::Result<()> {
    let pid = server.pid();
    let upstream = echo.url(Answer::Json);
    let model_port = model.openai_base_url().parse::<reqwest::Url>().ok().and_then(|u| u.port());
    let ports = Ports {
        server: addr.port(),
        model: model_port.context("the model server's port")?,
        echo: echo.addr(Answer::Json).port(),
    };
    let endpoint =
        Endpoint::Http { url: upstream.parse().context("echo URL")?, transport: HttpTransport::StreamableHttp };
    let mut people = vec![];
    for token in tokens {
        let client = api_client(token)?;
        let connector = create_connector(&client, addr, "Echo", &upstream).await?;
        let direct = UpstreamSession::connect(&endpoint, &ClientOptions::default()).await.context("connect to echo")?;
        people.push(Arc::new(Person { client, connector, direct }));
    }

    // One conversation per person, at once: each person's upstream session is
    // opened, and the requests Switchboard makes are recorded for the baseline.
    let warm_up = through_switchboard(addr, conversations(addr, &people, 1).await?).await;
    if let Some((kind, (count, detail))) = warm_up.failures.iter().next() {
        anyhow::bail!("{count} warm-up conversations failed ({kind}): {detail}\n{}", server.log_tail());
    }
    let bodies = Arc::new(Bodies::recorded(model)?);
    let model_url = format!("{}/chat/completions", model.openai_base_url());
    let direct_client = reqwest::Client::builder().tcp_nodelay(true).build().context("HTTP client")?;

    let total = people.len() * args.conversations as usize;
    let cpus = std::thread::available_parallelism().map_or(0, usize::from);
    println!(
        "bench load: {} people × {} conversations = {total} at once, each a tool turn ({TOOL}) then a text turn \
         ({CLOSING_TOKENS} deltas); {} rounds; {}; {cpus} CPUs; switchboard pid {pid}; load average {}",
        people.len(),
        args.conversations,
        args.rounds,
        if args.postgres.is_some() { "PostgreSQL" } else { "SQLite" },
        process::load_text()
    );

    tokio::time::sleep(IDLE).await;
    let start = Reading::take(pid, &ports)?;
    let mut rounds = vec![];
    for round in 0..args.rounds {
        if progress {
            eprint!("\rround {}/{}", round + 1, args.rounds);
        }
        let ids = conversations(addr, &people, args.conversations as usize).await?;
        let direct = || through_model(&direct_client, &model_url, &bodies, &people, args.conversations as usize);
        let (switchboard, baseline, peak);
        if round % 2 == 0 {
            baseline = direct().await?;
            (switchboard, peak) = sampled(pid, through_switchboard(addr, ids)).await?;
        } else {
            (switchboard, peak) = sampled(pid, through_switchboard(addr, ids)).await?;
            baseline = direct().await?;
        }
        if let Some(status) = server.exited()? {
            anyhow::bail!("switchboard serve exited ({status}) during round {}:\n{}", round + 1, server.log_tail());
        }
        tokio::time::sleep(IDLE).await;
        let after = Reading::take(pid, &ports)?;
        rounds.push(Round { conversations: total, switchboard, baseline, peak, after });
    }
    if progress {
        eprintln!();
    }
    print!("{}", latency_table(&rounds).render());
    println!("{}", spread(&rounds));
    println!();
    print!("{}", failure_table(&rounds).render());
    println!();
    print!("{}", resource_table(start, &rounds).render());

    // Close the bench's connections, then wait for the server's to go too.
    drop(people);
    drop(direct_client);
    let settled = settle(pid, &ports).await?;
    let (now, c) = (&settled.reading, settled.reading.connections);
    println!(
        "{} s after the clients closed their connections: {} descriptors ({} sockets; connections from clients {}, \
         to the model {}, to echo {}, other {}), {} before the first round; VmRSS {}; load average {}",
        settled.after.as_secs(),
        now.descriptors.total,
        now.descriptors.sockets,
        c.clients,
        c.model,
        c.echo,
        c.other,
        start.descriptors.total,
        mib(now.memory.rss_kib),
        process::load_text()
    );
    Ok(())
}

/// `per_person` new conversations of each person with their connector, each
/// with its owner; people in parallel, each person's one after another.
async fn conversations(
    addr: SocketAddr,
    people: &[Arc<Person>],
    per_person: usize,
) -> anyhow::Result<Vec<(Arc<Person>, String)>> {
    let mut made = tokio::task::JoinSet::new();
    for person in people {
        let person = person.clone();
        made.spawn(async move {
            let mut ids = vec![];
            for _ in 0..per_person {
                let created: Value = person
                    .client
                    .post(format!("http://{addr}/api/v1/conversations"))
                    .json(&json!({"connectors": [person.connector]}))
                    .send()
                    .await
                    .context("create a conversation")?
                    .json()
                    .await
                    .context("the conversation's JSON")?;
                let id = created["id"].as_str().with_context(|| format!("no conversation created: {created}"))?;
                ids.push((person.clone(), id.to_owned()));
            }
            anyhow::Ok(ids)
        });
    }
    let mut all = vec![];
    while let Some(ids) = made.join_next().await {
        all.extend(ids.context("a task creating conversations panicked")??);
    }
    Ok(all)
}

/// What one conversation measured, through Switchboard or directly.
#[derive(Clone, Copy, Debug)]
struct Measured {
    /// Tool turn: send → `tool_call_proposed` (directly: the model's reply with
    /// the call, to `[DONE]`).
    to_call: Duration,
    /// Tool turn: `tool_call_proposed` → the first `text_delta` of the next
    /// answer (directly: `tools/call`, then the closing request to its first delta).
    round_trip: Duration,
    /// Tool turn: send → `done` (directly: the three requests in turn, to `[DONE]`).
    tool_turn: Duration,
    /// Text turn: send → the first `text_delta` (directly: to the first delta).
    first_token: Duration,
    /// Text turn: send → `done` (directly: to `[DONE]`).
    text_turn: Duration,
}

/// Why a conversation failed: a kind to count by, and the detail of one.
#[derive(Debug)]
struct Failure {
    kind: String,
    detail: String,
}

impl Failure {
    fn new(kind: impl Into<String>, detail: impl Into<String>) -> Self {
        Self { kind: kind.into(), detail: detail.into() }
    }

    fn of_request(e: &reqwest::Error) -> Self {
        let kind = if e.is_connect() {
            "request: cannot connect"
        } else if e.is_timeout() {
            "request: timed out"
        } else {
            "request: failed"
        };
        Self::new(kind, format!("{e:#}"))
    }

    fn of_stream(e: StreamError) -> Self {
        let kind = match &e {
            StreamError::Stalled(_) => format!("stream: nothing for {} s", READ_LIMIT.as_secs()),
            StreamError::Ended => "stream: ended without done".to_owned(),
            StreamError::Read(_) => "stream: broken".to_owned(),
            StreamError::NotUtf8 => "stream: not UTF-8".to_owned(),
            StreamError::Handler(_) => "stream: unexpected event".to_owned(),
        };
        Self::new(kind, e.to_string())
    }
}

/// Failures by kind: how many, and the detail of the first.
type Failures = BTreeMap<String, (usize, String)>;

/// All the conversations of one phase.
#[derive(Debug, Default)]
struct Phase {
    samples: Vec<Measured>,
    failures: Failures,
    /// From the first conversation's start to the last one's end.
    wall: Duration,
}

impl Phase {
    fn failed(&self) -> usize {
        self.failures.values().map(|(n, _)| n).sum()
    }
}

/// Run every conversation at once through Switchboard: all wait at a barrier,
/// then send their first message together.
async fn through_switchboard(addr: SocketAddr, conversations: Vec<(Arc<Person>, String)>) -> Phase {
    let barrier = Arc::new(tokio::sync::Barrier::new(conversations.len()));
    let mut tasks = tokio::task::JoinSet::new();
    for (person, id) in conversations {
        let barrier = barrier.clone();
        tasks.spawn(async move {
            barrier.wait().await;
            let started = Instant::now();
            let result = match tokio::time::timeout(CONVERSATION_LIMIT, converse(addr, &person.client, &id)).await {
                Ok(result) => result,
                Err(_) => Err(Failure::new(
                    format!("not done within {} s", CONVERSATION_LIMIT.as_secs()),
                    format!("conversation {id}"),
                )),
            };
            (started, Instant::now(), result)
        });
    }
    collect(tasks).await
}

async fn collect(mut tasks: tokio::task::JoinSet<(Instant, Instant, Result<Measured, Failure>)>) -> Phase {
    let mut phase = Phase::default();
    let (mut first, mut last) = (None::<Instant>, None::<Instant>);
    while let Some(joined) = tasks.join_next().await {
        let result = match joined {
            Ok((started, ended, result)) => {
                first = Some(first.map_or(started, |f| f.min(started)));
                last = Some(last.map_or(ended, |l| l.max(ended)));
                result
            }
            Err(e) => Err(Failure::new("the bench's task panicked", e.to_string())),
        };
        match result {
            Ok(sample) => phase.samples.push(sample),
            Err(failure) => {
                let entry = phase.failures.entry(failure.kind).or_insert((0, failure.detail));
                entry.0 += 1;
            }
        }
    }
    if let (Some(first), Some(last)) = (first, last) {
        phase.wall = last - first;
    }
    phase
}

/// A conversation's tool turn, then its text turn.
async fn converse(addr: SocketAddr, client: &reqwest::Client, id: &str) -> Result<Measured, Failure> {
    let url = format!("http://{addr}/api/v1/conversations/{id}/messages");
    let tool = follow(client, &url, CALL).await?;
    let (Some(proposed), Some(answered)) = (tool.proposed, tool.first_text) else {
        return Err(Failure::new("turn: no call or no answer", format!("{tool:?}")));
    };
    if tool.results != ["completed"] || tool.deltas != CLOSING_TOKENS {
        return Err(Failure::new("turn: not one completed call and the answer", format!("{tool:?}")));
    }
    let text = follow(client, &url, SAY).await?;
    let Some(first_token) = text.first_text.filter(|_| text.deltas == CLOSING_TOKENS && text.results.is_empty()) else {
        return Err(Failure::new("turn: not the text answer", format!("{text:?}")));
    };
    Ok(Measured {
        to_call: proposed,
        round_trip: answered.saturating_sub(proposed),
        tool_turn: tool.done,
        first_token,
        text_turn: text.done,
    })
}

/// One turn as the client saw it, times from sending the message.
#[derive(Debug, Default)]
struct Followed {
    /// The first `tool_call_proposed`.
    proposed: Option<Duration>,
    /// The first `text_delta`.
    first_text: Option<Duration>,
    /// `done`.
    done: Duration,
    deltas: usize,
    /// The `status` of each `tool_result`.
    results: Vec<String>,
}

/// Send `content` and follow the turn's events to `done`, which must say `answered`.
async fn follow(client: &reqwest::Client, url: &str, content: &str) -> Result<Followed, Failure> {
    let body = json!({"content": content, "client_session": CLIENT_SESSION});
    let started = Instant::now();
    let response = client.post(url).json(&body).send().await.map_err(|e| Failure::of_request(&e))?;
    let status = response.status();
    if !status.is_success() {
        let text = response.text().await.unwrap_or_default();
        let problem: Value = serde_json::from_str(&text).unwrap_or_default();
        let code = problem["code"].as_str().unwrap_or("(no code)");
        return Err(Failure::new(format!("HTTP {} {code}", status.as_u16()), text));
    }
    let mut turn = Followed::default();
    let mut failed: Option<Failure> = None;
    read_events(response, READ_LIMIT, |name, data| {
        let at = started.elapsed();
        match name {
            "text_delta" => {
                turn.first_text.get_or_insert(at);
                turn.deltas += 1;
            }
            "tool_call_proposed" => {
                turn.proposed.get_or_insert(at);
            }
            "tool_result" => turn.results.push(data["call"]["status"].as_str().unwrap_or_default().to_owned()),
            // `done` follows; the error is the failure's kind.
            "error" => {
                let code = data["code"].as_str().unwrap_or("(no code)");
                failed.get_or_insert_with(|| Failure::new(format!("error event {code}"), data.to_string()));
            }
            "done" => {
                turn.done = at;
                let reason = data["reason"].as_str().unwrap_or("(none)");
                if reason != "answered" {
                    failed.get_or_insert_with(|| Failure::new(format!("done: {reason}"), data.to_string()));
                }
                return Ok(Flow::Stop);
            }
            _ => {}
        }
        Ok(Flow::Go)
    })
    .await
    .map_err(Failure::of_stream)?;
    match failed {
        Some(failure) => Err(failure),
        None => Ok(turn),
    }
}

/// The request bodies Switchboard sent the model, to replay directly.
#[derive(Debug)]
struct Bodies {
    /// The tool turn's first request (ends with the user's [`CALL`]).
    call: Vec<u8>,
    /// The tool turn's second request (ends with the tool result).
    closing: Vec<u8>,
    /// The text turn's request (ends with the user's [`SAY`]).
    text: Vec<u8>,
}

impl Bodies {
    fn recorded(model: &ScriptedModel) -> anyhow::Result<Self> {
        let requests = model.requests();
        Ok(Self {
            call: recorded(&requests, "the tool call", "user", Some(CALL))?,
            closing: recorded(&requests, "the closing answer", "tool", None)?,
            text: recorded(&requests, "the text answer", "user", Some(SAY))?,
        })
    }
}

/// The baseline: as many conversations at once, straight to the model server
/// and the echo server, each person's calls on their own MCP session.
async fn through_model(
    client: &reqwest::Client,
    url: &str,
    bodies: &Arc<Bodies>,
    people: &[Arc<Person>],
    per_person: usize,
) -> anyhow::Result<Phase> {
    let count = people.len() * per_person;
    let barrier = Arc::new(tokio::sync::Barrier::new(count));
    let mut tasks = tokio::task::JoinSet::new();
    for person in people {
        for _ in 0..per_person {
            let (client, url, bodies, person, barrier) =
                (client.clone(), url.to_owned(), bodies.clone(), person.clone(), barrier.clone());
            tasks.spawn(async move {
                barrier.wait().await;
                let started = Instant::now();
                let result = tokio::time::timeout(CONVERSATION_LIMIT, direct(&client, &url, &bodies, &person.direct))
                    .await
                    .unwrap_or_else(|_| anyhow::bail!("not done within {CONVERSATION_LIMIT:?}"))
                    .map_err(|e| Failure::new("direct", format!("{e:#}")));
                (started, Instant::now(), result)
            });
        }
    }
    let phase = collect(tasks).await;
    // The baseline has no reason to fail: if it does, the machine or the bench is at fault.
    if let Some((kind, (n, detail))) = phase.failures.iter().next() {
        anyhow::bail!("{n} direct conversations failed ({kind}): {detail}");
    }
    Ok(phase)
}

/// One conversation's requests, directly.
async fn direct(
    client: &reqwest::Client,
    url: &str,
    bodies: &Bodies,
    session: &UpstreamSession,
) -> anyhow::Result<Measured> {
    let call = model_reply(client, url, &bodies.call).await?;
    anyhow::ensure!(call.calls == 1, "expected one call of {TOOL}, got {}", call.calls);
    let started = Instant::now();
    let mut arguments = serde_json::Map::new();
    arguments.insert("text".into(), TEXT.into());
    let outcome = session.call_tool("echo", arguments).await.context("tools/call echo")?;
    anyhow::ensure!(outcome.result["isError"] != true, "echo failed: {}", outcome.result);
    let tool = started.elapsed();
    let closing = model_reply(client, url, &bodies.closing).await?;
    let text = model_reply(client, url, &bodies.text).await?;
    Ok(Measured {
        to_call: call.done,
        round_trip: tool + closing.first_text.context("no text in the closing reply")?,
        tool_turn: call.done + tool + closing.done,
        first_token: text.first_text.context("no text in the text reply")?,
        text_turn: text.done,
    })
}

/// Post `body` to the model server and read the stream to `[DONE]`.
async fn model_reply(client: &reqwest::Client, url: &str, body: &[u8]) -> anyhow::Result<Streamed> {
    replay(client, url, body, TOOL, READ_LIMIT).await
}

/// The ports that tell the server's connections apart.
#[derive(Clone, Copy, Debug)]
struct Ports {
    /// Switchboard's own: connections from the bench's clients.
    server: u16,
    model: u16,
    echo: u16,
}

/// The server's TCP connections by peer (listening sockets left out).
#[derive(Clone, Copy, Debug, Default)]
struct Connections {
    clients: usize,
    model: usize,
    echo: usize,
    /// Anything else: PostgreSQL's, say.
    other: usize,
}

impl Connections {
    fn of(pid: u32, ports: &Ports) -> anyhow::Result<Self> {
        let mut found = Self::default();
        for socket in process::tcp_sockets(pid)?.into_iter().filter(|s| !s.listening) {
            let count = match socket {
                s if s.local_port == ports.server => &mut found.clients,
                s if s.remote_port == ports.model => &mut found.model,
                s if s.remote_port == ports.echo => &mut found.echo,
                _ => &mut found.other,
            };
            *count += 1;
        }
        Ok(found)
    }
}

/// The server's descriptors, connections and memory at one moment.
#[derive(Clone, Copy, Debug)]
struct Reading {
    descriptors: Descriptors,
    connections: Connections,
    memory: Memory,
}

impl Reading {
    fn take(pid: u32, ports: &Ports) -> anyhow::Result<Self> {
        Ok(Self {
            descriptors: process::descriptors(pid)?,
            connections: Connections::of(pid, ports)?,
            memory: process::memory(pid)?,
        })
    }
}

/// The most seen while sampling.
#[derive(Clone, Copy, Debug, Default)]
struct Peak {
    descriptors: usize,
    rss_kib: u64,
    /// `VmHWM` at the end of the phase.
    hwm_kib: u64,
}

/// Run `phase` while a thread samples the server's descriptors and memory.
async fn sampled(pid: u32, phase: impl Future<Output = Phase>) -> anyhow::Result<(Phase, Peak)> {
    let stop = Arc::new(AtomicBool::new(false));
    let sampler = std::thread::spawn({
        let stop = stop.clone();
        move || {
            let mut peak = Peak::default();
            // Bounded by the phase, which is bounded by CONVERSATION_LIMIT.
            while !stop.load(Ordering::Relaxed) {
                if let Ok(n) = process::descriptor_count(pid) {
                    peak.descriptors = peak.descriptors.max(n);
                }
                if let Ok(memory) = process::memory(pid) {
                    peak.rss_kib = peak.rss_kib.max(memory.rss_kib);
                }
                std::thread::sleep(SAMPLE_EVERY);
            }
            peak
        }
    });
    let phase = phase.await;
    stop.store(true, Ordering::Relaxed);
    let mut peak = sampler.join().map_err(|_| anyhow::anyhow!("the sampling thread panicked"))?;
    peak.hwm_kib = process::memory(pid)?.peak_kib;
    Ok((phase, peak))
}

/// What a wait for the descriptors to come back found.
#[derive(Debug)]
struct Settled {
    reading: Reading,
    after: Duration,
}

/// Wait, checking every second for at most [`SETTLE_LIMIT`], until the server
/// has closed every connection the load opened: from the clients, to the model
/// and to the echo server. What is left is what it holds at rest.
async fn settle(pid: u32, ports: &Ports) -> anyhow::Result<Settled> {
    let started = Instant::now();
    loop {
        let reading = Reading::take(pid, ports)?;
        let c = reading.connections;
        if c.clients + c.model + c.echo == 0 || started.elapsed() >= SETTLE_LIMIT {
            return Ok(Settled { reading, after: started.elapsed() });
        }
        tokio::time::sleep(Duration::from_secs(1)).await;
    }
}

/// One round: both phases and the readings around them.
#[derive(Debug)]
struct Round {
    conversations: usize,
    switchboard: Phase,
    baseline: Phase,
    peak: Peak,
    after: Reading,
}

/// One figure of a conversation.
type Pick = fn(&Measured) -> Duration;

/// p50 and p99 of one figure over a phase's conversations, in milliseconds.
#[derive(Clone, Copy, Debug)]
struct Quantiles {
    p50: f64,
    p99: f64,
}

impl Quantiles {
    fn of(phase: &Phase, pick: Pick) -> Self {
        let mut ms: Vec<f64> = phase.samples.iter().map(|m| pick(m).as_secs_f64() * 1000.0).collect();
        ms.sort_by(f64::total_cmp);
        Self { p50: percentile(&ms, 0.50), p99: percentile(&ms, 0.99) }
    }
}

/// One figure of one round, directly and through Switchboard.
#[derive(Clone, Copy, Debug)]
struct Paired {
    direct: Quantiles,
    through: Quantiles,
}

/// The figures, each as p50 and p99 directly, through Switchboard and added;
/// medians over rounds, the added ones taken within each round.
fn latency_table(rounds: &[Round]) -> Table {
    let figures: [(&str, Pick); 5] = [
        ("first token: text turn, send → first text_delta", |m| m.first_token),
        ("tool round trip: tool_call_proposed → first text_delta", |m| m.round_trip),
        ("tool turn: send → tool_call_proposed", |m| m.to_call),
        ("tool turn: send → done", |m| m.tool_turn),
        ("text turn: send → done", |m| m.text_turn),
    ];
    let mut table = Table::new(&[
        "figure (median of rounds)",
        "direct p50 ms",
        "switchboard p50 ms",
        "added p50 ms",
        "direct p99 ms",
        "switchboard p99 ms",
        "added p99 ms",
    ]);
    for (name, pick) in figures {
        let per_round: Vec<Paired> = rounds
            .iter()
            .map(|r| Paired { direct: Quantiles::of(&r.baseline, pick), through: Quantiles::of(&r.switchboard, pick) })
            .collect();
        let over = |f: fn(&Paired) -> f64| stats::median(per_round.iter().map(f).collect());
        table.row(vec![
            name.to_owned(),
            format!("{:.2}", over(|p| p.direct.p50)),
            format!("{:.2}", over(|p| p.through.p50)),
            format!("{:+.2}", over(|p| p.through.p50 - p.direct.p50)),
            format!("{:.2}", over(|p| p.direct.p99)),
            format!("{:.2}", over(|p| p.through.p99)),
            format!("{:+.2}", over(|p| p.through.p99 - p.direct.p99)),
        ]);
    }
    table
}

/// Per round: the two headline figures, the phases' wall time and turns per second.
fn spread(rounds: &[Round]) -> String {
    let parts: Vec<String> = rounds
        .iter()
        .enumerate()
        .map(|(i, r)| {
            let first = Quantiles::of(&r.switchboard, |m| m.first_token);
            let trip = Quantiles::of(&r.switchboard, |m| m.round_trip);
            let turns = |p: &Phase| 2.0 * p.samples.len() as f64 / p.wall.as_secs_f64().max(f64::MIN_POSITIVE);
            format!(
                "round {}: first token p50 {:.1} / p99 {:.1} ms, round trip p50 {:.1} / p99 {:.1} ms, \
                 {} of {} conversations answered in {:.2} s ({:.0} turns/s; directly {:.2} s, {:.0} turns/s)",
                i + 1,
                first.p50,
                first.p99,
                trip.p50,
                trip.p99,
                r.switchboard.samples.len(),
                r.conversations,
                r.switchboard.wall.as_secs_f64(),
                turns(&r.switchboard),
                r.baseline.wall.as_secs_f64(),
                turns(&r.baseline),
            )
        })
        .collect();
    parts.join("\n")
}

/// Failures through Switchboard, by kind and round.
fn failure_table(rounds: &[Round]) -> Table {
    let mut kinds: Failures = BTreeMap::new();
    for r in rounds {
        for (kind, (n, detail)) in &r.switchboard.failures {
            kinds.entry(kind.clone()).or_insert((0, detail.clone())).0 += n;
        }
    }
    let mut header = vec!["failures through switchboard".to_owned()];
    header.extend((1..=rounds.len()).map(|i| format!("round {i}")));
    header.push("first detail".to_owned());
    let header: Vec<&str> = header.iter().map(String::as_str).collect();
    let mut table = Table::new(&header);
    let mut total = vec!["all (conversations not answered)".to_owned()];
    total.extend(rounds.iter().map(|r| format!("{} of {}", r.switchboard.failed(), r.conversations)));
    total.push(String::new());
    table.row(total);
    for (kind, (_, detail)) in kinds {
        let mut row = vec![kind.clone()];
        row.extend(rounds.iter().map(|r| r.switchboard.failures.get(&kind).map_or(0, |(n, _)| *n).to_string()));
        row.push(detail.chars().take(160).collect::<String>().replace('|', "/"));
        table.row(row);
    }
    table
}

/// Descriptors, connections and memory of the server before, during and after each round.
fn resource_table(start: Reading, rounds: &[Round]) -> Table {
    let mut table = Table::new(&[
        "switchboard serve",
        "descriptors",
        "sockets",
        "from clients",
        "to the model",
        "to echo",
        "other TCP",
        "VmRSS",
        "VmHWM (peak)",
    ]);
    let reading = |what: String, r: &Reading| {
        let c = r.connections;
        vec![
            what,
            r.descriptors.total.to_string(),
            r.descriptors.sockets.to_string(),
            c.clients.to_string(),
            c.model.to_string(),
            c.echo.to_string(),
            c.other.to_string(),
            mib(r.memory.rss_kib),
            mib(r.memory.peak_kib),
        ]
    };
    table.row(reading("before the first round, idle".to_owned(), &start));
    for (i, r) in rounds.iter().enumerate() {
        table.row(vec![
            format!("round {}: most seen during it", i + 1),
            r.peak.descriptors.to_string(),
            String::new(),
            String::new(),
            String::new(),
            String::new(),
            String::new(),
            mib(r.peak.rss_kib),
            mib(r.peak.hwm_kib),
        ]);
        table.row(reading(format!("round {}: after, {} s idle", i + 1, IDLE.as_secs()), &r.after));
    }
    table
}

fn mib(kib: u64) -> String {
    stats::mib(kib as f64)
}
