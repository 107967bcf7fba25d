//! `bench agent-step`: what Switchboard adds to a conversation turn, per tool
//! round trip (model → tool → model) and per streamed token.
//!
//! A scripted model server (testkit's [`ScriptedModel`], speaking OpenAI Chat
//! Completions as server-sent events) is Switchboard's provider `openai`, model
//! `openai/scripted`. It answers instantly — its frames back to back — and by the
//! last message of the request alone:
//!
//! - the user's [`LIST`]: one call of [`TOOL`] with `{}`;
//! - a tool result: a text answer of [`CLOSING_TOKENS`] deltas;
//! - the user's `say N`: a text answer of N deltas.
//!
//! Each iteration then makes, in the same run and seconds apart:
//!
//! - **through Switchboard**, each as the first turn of a new conversation with
//!   the Kanban connector (created, untimed, just before), timed on the client
//!   from sending the message to the SSE `done` event:
//!   - a *tool turn*: `list the tasks` → tool call → `list_tasks` on Kanban →
//!     model again → [`CLOSING_TOKENS`] deltas;
//!   - a *short text turn*: `say 10`, answered by [`CLOSING_TOKENS`] deltas and no tool;
//!   - a *long text turn*: `say N` ([`Args::tokens`]), also timed to its first `text_delta`;
//! - **directly**, the baselines: each model request Switchboard made in those
//!   turns, replayed byte for byte to the model server by a plain HTTP client
//!   and read to `[DONE]` (the long one also timed to its first delta); and one
//!   MCP `tools/call` of `list_tasks` on the Kanban server, with the rmcp-based
//!   client Switchboard itself uses upstream.
//!
//! Both clients read every event of a stream and parse its JSON, so the client's
//! own work is the same on both sides. Interleaving the kinds in each iteration
//! means a burst of load from elsewhere lands on baselines and turns alike.
//!
//! Latency hides work done while waiting for the model, so the CPU time the
//! Switchboard process spent on each turn (all its threads, from `/proc`) is
//! reported too.

use std::net::SocketAddr;
use std::path::PathBuf;
use std::time::{Duration, Instant};

use anyhow::Context as _;
use serde_json::{Value, json};
use switchboard_mcp::UpstreamSession;
use switchboard_testkit::{Reply, ScriptedModel, ToolCall};

use crate::instance::{api_client, create_connector, owner_token};
use crate::kanban::{TASKS, direct_session, fill_board, locate_kanban, start_kanban};
use crate::process;
use crate::replay::{Streamed, recorded, replay};
use crate::sse::{Flow, read_events};
use crate::startup::start_until_ready;
use crate::stats::{Table, percentile};

/// Iterations made before the measured ones, not counted.
const WARM_UP: usize = 30;
/// Deltas of the answer after the tool result, and of the short text turn: few,
/// so that the round trip is not blurred by the cost of streaming.
const CLOSING_TOKENS: usize = 10;
/// The tool the model calls: `list_tasks` of the connector named "Kanban".
const TOOL: &str = "kanban__list_tasks";
/// The message that makes the model call [`TOOL`].
const LIST: &str = "list the tasks";
/// One delta: the scripted model streams text in pieces of four characters.
const TOKEN: &str = "tok ";
/// Longest wait for the next piece of a stream before the run fails.
const READ_LIMIT: Duration = Duration::from_secs(30);
/// Identifies the bench's page session to Switchboard.
const CLIENT_SESSION: &str = "bench-agent-step";

#[derive(Debug, clap::Args)]
pub(crate) struct Args {
    /// Measured iterations; each makes one turn of each kind and each baseline once.
    #[arg(long, default_value_t = 400, value_parser = clap::value_parser!(u32).range(1..=100_000))]
    turns: u32,
    /// Deltas of the long text answer, for the per-token figures (more than 10).
    #[arg(long, default_value_t = 200, value_parser = clap::value_parser!(u32).range(11..=100_000))]
    tokens: u32,
    /// The switchboard binary [default: the one next to this bench binary].
    #[arg(long, value_name = "PATH")]
    switchboard: Option<PathBuf>,
    /// The Kanban example's binary [default: `kanban` next to this bench binary].
    #[arg(long, value_name = "PATH")]
    kanban: Option<PathBuf>,
}

/// What the scripted model answers to a request `body`.
fn answer(body: &Value) -> Reply {
    let last = body["messages"].as_array().and_then(|m| m.last()).cloned().unwrap_or_default();
    let content = last["content"].as_str().unwrap_or_default();
    let reply = match last["role"].as_str() {
        Some("tool") => Reply::text(TOKEN.repeat(CLOSING_TOKENS)),
        Some("user") if content == LIST => Reply::tool_calls(vec![ToolCall::new("call_1", TOOL, json!({}))]),
        Some("user") => match content.strip_prefix("say ").and_then(|n| n.parse::<usize>().ok()) {
            Some(n) => Reply::text(TOKEN.repeat(n)),
            None => Reply::status(400).with_message(format!("the bench's model does not understand {content:?}")),
        },
        _ => Reply::status(400).with_message("the bench's model answers a user message or a tool result"),
    };
    reply.without_pauses()
}

pub(crate) fn run(args: &Args) -> anyhow::Result<()> {
    let switchboard = process::locate_switchboard(args.switchboard.as_deref())?;
    let kanban = locate_kanban(args.kanban.as_deref())?;
    let work = tempfile::tempdir().context("cannot create a temporary directory")?;
    let runtime = tokio::runtime::Builder::new_multi_thread().enable_all().build().context("tokio runtime")?;

    // The model server runs on the bench's runtime, in this process.
    let model = runtime.block_on(ScriptedModel::start());
    model.respond_with(answer);
    let kanban_addr = process::free_loopback_port()?;
    let _board = start_kanban(&kanban, kanban_addr, &work.path().join("kanban.log"))?;
    let upstream = format!("http://{kanban_addr}/mcp");
    let data_dir = work.path().join("data");
    let token = owner_token(&switchboard, &data_dir, None)?;
    let base_url = model.openai_base_url();
    let env = [
        ("OPENAI_BASE_URL", base_url.as_str()),
        ("OPENAI_API_KEY", "sk-bench"),
        ("SWITCHBOARD_MODEL", "openai/scripted"),
    ];
    let (server, addr, _) =
        start_until_ready(&switchboard, &data_dir, None, &env, &work.path().join("switchboard.log"))?;

    runtime.block_on(async {
        let tool = direct_session(&upstream).await?;
        fill_board(&tool).await?;
        let client = api_client(&token)?;
        let connector = create_connector(&client, addr, "Kanban", &upstream).await?;
        let tokens = args.tokens as usize;
        let turns = Turns { client, addr, connector, pid: server.pid() };

        // One turn of each kind, to record the requests Switchboard makes.
        turns.tool_turn().await?;
        turns.text_turn(CLOSING_TOKENS).await?;
        turns.text_turn(tokens).await?;
        let bodies = Bodies::recorded(&model, tokens)?;
        let direct = Direct {
            client: reqwest::Client::builder().tcp_nodelay(true).build().context("HTTP client")?,
            url: format!("{base_url}/chat/completions"),
            tool,
            bodies,
        };

        println!(
            "bench agent-step: {} iterations after {WARM_UP} warm-up ones; tool {TOOL} ({TASKS} tasks); \
             closing answers of {CLOSING_TOKENS} deltas, long answers of {tokens}",
            args.turns
        );
        let mut samples = Samples::default();
        for _ in 0..WARM_UP {
            iteration(&turns, &direct, tokens, &mut Samples::default()).await?;
        }
        for _ in 0..args.turns {
            iteration(&turns, &direct, tokens, &mut samples).await?;
        }
        print!("{}", report(&mut samples, tokens));
        if let Some(load) = process::load_average() {
            println!("load average (1 min) at the end: {load:.2}");
        }
        anyhow::Ok(())
    })
}

/// One sample of each measurement, baselines and turns interleaved.
async fn iteration(turns: &Turns, direct: &Direct, tokens: usize, samples: &mut Samples) -> anyhow::Result<()> {
    let bodies = &direct.bodies;
    samples.model_call.push(ms(direct.model(&bodies.call, Expect::ToolCall).await?.done));
    samples.model_closing.push(ms(direct.model(&bodies.closing, Expect::Text(CLOSING_TOKENS)).await?.done));
    samples.tool.push(ms(direct.tool().await?));
    let tool_turn = turns.tool_turn().await?;
    samples.tool_turn.push(ms(tool_turn.done));
    samples.tool_turn_cpu.push(ms(tool_turn.cpu));

    samples.model_short.push(ms(direct.model(&bodies.short, Expect::Text(CLOSING_TOKENS)).await?.done));
    let short = turns.text_turn(CLOSING_TOKENS).await?;
    samples.short_turn.push(ms(short.done));
    samples.short_turn_cpu.push(ms(short.cpu));

    let long = direct.model(&bodies.long, Expect::Text(tokens)).await?;
    samples.model_long.push(ms(long.done));
    samples.model_long_first.push(ms(long.first_text.context("no text delta")?));
    let long = turns.text_turn(tokens).await?;
    samples.long_turn.push(ms(long.done));
    samples.long_turn_first.push(ms(long.first_text.context("no text_delta")?));
    samples.long_turn_cpu.push(ms(long.cpu));
    Ok(())
}

/// Latencies in milliseconds, one vector per measurement.
#[derive(Debug, Default)]
struct Samples {
    /// Direct: the model's reply with the tool call.
    model_call: Vec<f64>,
    /// Direct: the model's closing reply, after the tool result.
    model_closing: Vec<f64>,
    /// Direct: the model's reply to `say 10`.
    model_short: Vec<f64>,
    /// Direct: the model's reply to `say N`, to `[DONE]` and to the first delta.
    model_long: Vec<f64>,
    model_long_first: Vec<f64>,
    /// Direct: MCP `tools/call` of `list_tasks`.
    tool: Vec<f64>,
    /// Through Switchboard, send → `done`.
    tool_turn: Vec<f64>,
    short_turn: Vec<f64>,
    long_turn: Vec<f64>,
    /// Through Switchboard, send → first `text_delta` of the long text turn.
    long_turn_first: Vec<f64>,
    /// CPU time of the Switchboard process during each kind of turn.
    tool_turn_cpu: Vec<f64>,
    short_turn_cpu: Vec<f64>,
    long_turn_cpu: Vec<f64>,
}

/// p50 and p99 of one measurement.
#[derive(Clone, Copy, Debug)]
struct Quantiles {
    p50: f64,
    p99: f64,
}

impl Quantiles {
    fn of(samples: &mut [f64]) -> Self {
        samples.sort_by(f64::total_cmp);
        Self { p50: percentile(samples, 0.50), p99: percentile(samples, 0.99) }
    }

    fn sum(parts: &[Quantiles]) -> Self {
        Self { p50: parts.iter().map(|q| q.p50).sum(), p99: parts.iter().map(|q| q.p99).sum() }
    }

    fn minus(self, other: Quantiles) -> Self {
        Self { p50: self.p50 - other.p50, p99: self.p99 - other.p99 }
    }

    fn per(self, count: usize) -> Self {
        Self { p50: self.p50 / count as f64, p99: self.p99 / count as f64 }
    }
}

/// The two tables: the tool round trip, and streaming.
fn report(s: &mut Samples, tokens: usize) -> String {
    let samples = s.tool_turn.len();
    let model_call = Quantiles::of(&mut s.model_call);
    let model_closing = Quantiles::of(&mut s.model_closing);
    let tool = Quantiles::of(&mut s.tool);
    let baseline = Quantiles::sum(&[model_call, model_closing, tool]);
    let tool_turn = Quantiles::of(&mut s.tool_turn);
    let model_short = Quantiles::of(&mut s.model_short);
    let short_turn = Quantiles::of(&mut s.short_turn);
    let model_long = Quantiles::of(&mut s.model_long);
    let model_long_first = Quantiles::of(&mut s.model_long_first);
    let long_turn = Quantiles::of(&mut s.long_turn);
    let long_turn_first = Quantiles::of(&mut s.long_turn_first);
    let tool_turn_cpu = Quantiles::of(&mut s.tool_turn_cpu);
    let short_turn_cpu = Quantiles::of(&mut s.short_turn_cpu);
    let long_turn_cpu = Quantiles::of(&mut s.long_turn_cpu);

    let added_round_trip = tool_turn.minus(baseline);
    let added_short = short_turn.minus(model_short);
    let added_long = long_turn.minus(model_long);

    let mut round_trip = Table::new(&["tool round trip (model → tool → model)", "samples", "p50 ms", "p99 ms"]);
    let row = |table: &mut Table, what: &str, q: Quantiles, sign: bool| {
        let cell = |v: f64| if sign { format!("{v:+.3}") } else { format!("{v:.3}") };
        table.row(vec![what.to_owned(), samples.to_string(), cell(q.p50), cell(q.p99)]);
    };
    row(&mut round_trip, "direct: model reply with the tool call", model_call, false);
    row(&mut round_trip, &format!("direct: model closing reply, {CLOSING_TOKENS} deltas"), model_closing, false);
    row(&mut round_trip, "direct: MCP tools/call list_tasks", tool, false);
    row(&mut round_trip, "direct: sum of the three", baseline, false);
    row(&mut round_trip, "switchboard: tool turn, send → done", tool_turn, false);
    row(&mut round_trip, "added per round trip (turn − sum)", added_round_trip, true);
    row(&mut round_trip, &format!("direct: model reply, {CLOSING_TOKENS} deltas, no tool"), model_short, false);
    row(&mut round_trip, &format!("switchboard: text turn, {CLOSING_TOKENS} deltas, send → done"), short_turn, false);
    row(&mut round_trip, "added per text turn (turn − reply)", added_short, true);
    row(&mut round_trip, "added by the tool step (round trip − text turn)", added_round_trip.minus(added_short), true);

    let mut streaming = Table::new(&["streaming", "samples", "p50 ms", "p99 ms"]);
    row(&mut streaming, &format!("direct: model reply, {tokens} deltas, to [DONE]"), model_long, false);
    row(&mut streaming, &format!("switchboard: text turn, {tokens} deltas, send → done"), long_turn, false);
    row(&mut streaming, "added per turn (turn − reply)", added_long, true);
    row(&mut streaming, "direct: to the first delta", model_long_first, false);
    row(&mut streaming, "switchboard: to the first text_delta", long_turn_first, false);
    row(&mut streaming, "added to the first token", long_turn_first.minus(model_long_first), true);
    let mut cpu = Table::new(&["switchboard CPU time (all threads) per turn", "samples", "p50 ms", "p99 ms"]);
    row(&mut cpu, &format!("tool turn, {CLOSING_TOKENS} deltas"), tool_turn_cpu, false);
    row(&mut cpu, &format!("text turn, {CLOSING_TOKENS} deltas"), short_turn_cpu, false);
    row(&mut cpu, &format!("text turn, {tokens} deltas"), long_turn_cpu, false);
    row(&mut cpu, "the tool step (tool turn − text turn)", tool_turn_cpu.minus(short_turn_cpu), true);

    let per_token = added_long.per(tokens);
    let marginal = added_long.minus(added_short).per(tokens - CLOSING_TOKENS);
    let cpu_per_token = long_turn_cpu.minus(short_turn_cpu).per(tokens - CLOSING_TOKENS);
    let micros = |v: f64| format!("{:+.1} µs", v * 1000.0);
    format!(
        "{}\n{}\n{}\nadded per token: {} at p50, {} from p99s (turn − reply, over {tokens} deltas); \
         {} at p50 beyond the {CLOSING_TOKENS}-delta turn (the slope, without the cost of the turn itself)\n\
         switchboard CPU per token: {} at p50 (the slope between the text turns)\n",
        round_trip.render(),
        streaming.render(),
        cpu.render(),
        micros(per_token.p50),
        micros(per_token.p99),
        micros(marginal.p50),
        micros(cpu_per_token.p50),
    )
}

fn ms(d: Duration) -> f64 {
    d.as_secs_f64() * 1000.0
}

/// The Switchboard side: conversations with the Kanban connector.
#[derive(Debug)]
struct Turns {
    client: reqwest::Client,
    addr: SocketAddr,
    connector: String,
    /// The Switchboard process, whose CPU time is read around each turn.
    pid: u32,
}

impl Turns {
    /// A new conversation (untimed), then `content` sent and followed to `done`.
    async fn turn(&self, content: &str) -> anyhow::Result<Turn> {
        let created: Value = self
            .client
            .post(format!("http://{}/api/v1/conversations", self.addr))
            .json(&json!({"connectors": [self.connector]}))
            .send()
            .await
            .context("create a conversation")?
            .json()
            .await
            .context("the conversation's JSON")?;
        let id = created["id"].as_str().with_context(|| format!("no conversation created: {created}"))?;
        let url = format!("http://{}/api/v1/conversations/{id}/messages", self.addr);
        let body = json!({"content": content, "client_session": CLIENT_SESSION});

        let cpu = process::cpu_time(self.pid)?;
        let started = Instant::now();
        let response = self.client.post(&url).json(&body).send().await.context("send a message")?;
        let status = response.status();
        anyhow::ensure!(status == 200, "sending a message answered {status}: {}", response.text().await?);
        let mut turn = Turn { first_text: None, done: Duration::ZERO, cpu: Duration::ZERO, deltas: 0, results: vec![] };
        read_events(response, READ_LIMIT, |name, data| {
            match name {
                "text_delta" => {
                    turn.first_text.get_or_insert_with(|| started.elapsed());
                    turn.deltas += 1;
                }
                "tool_result" => turn.results.push(data["call"]["status"].as_str().unwrap_or_default().to_owned()),
                "error" => anyhow::bail!("the turn failed: {data}"),
                "done" => {
                    turn.done = started.elapsed();
                    anyhow::ensure!(data["reason"] == "answered", "the turn ended without an answer: {data}");
                    return Ok(Flow::Stop);
                }
                _ => {}
            }
            Ok(Flow::Go)
        })
        .await?;
        turn.cpu = process::cpu_time(self.pid)?.saturating_sub(cpu);
        Ok(turn)
    }

    async fn tool_turn(&self) -> anyhow::Result<Turn> {
        let turn = self.turn(LIST).await?;
        anyhow::ensure!(turn.results == ["completed"], "expected one completed call, got {:?}", turn.results);
        anyhow::ensure!(turn.deltas == CLOSING_TOKENS, "expected {CLOSING_TOKENS} deltas, got {}", turn.deltas);
        Ok(turn)
    }

    async fn text_turn(&self, tokens: usize) -> anyhow::Result<Turn> {
        let turn = self.turn(&format!("say {tokens}")).await?;
        anyhow::ensure!(turn.results.is_empty(), "expected no tool call, got {:?}", turn.results);
        anyhow::ensure!(turn.deltas == tokens, "expected {tokens} deltas, got {}", turn.deltas);
        Ok(turn)
    }
}

/// One turn as the client saw it.
#[derive(Debug)]
struct Turn {
    /// Send → the first `text_delta`.
    first_text: Option<Duration>,
    /// Send → `done`.
    done: Duration,
    /// CPU time the Switchboard process spent meanwhile.
    cpu: Duration,
    deltas: usize,
    /// The `status` of each `tool_result`.
    results: Vec<String>,
}

/// The request bodies Switchboard sent the model, to replay directly.
#[derive(Debug)]
struct Bodies {
    /// The tool turn's first request (ends with the user's message).
    call: Vec<u8>,
    /// The tool turn's second request (ends with the tool result).
    closing: Vec<u8>,
    /// The text turns' requests.
    short: Vec<u8>,
    long: Vec<u8>,
}

impl Bodies {
    fn recorded(model: &ScriptedModel, tokens: usize) -> anyhow::Result<Self> {
        let requests = model.requests();
        Ok(Self {
            call: recorded(&requests, "the tool call", "user", Some(LIST))?,
            closing: recorded(&requests, "the closing answer", "tool", None)?,
            short: recorded(&requests, "the short answer", "user", Some(&format!("say {CLOSING_TOKENS}")))?,
            long: recorded(&requests, "the long answer", "user", Some(&format!("say {tokens}")))?,
        })
    }
}

/// The baselines: the model server and the Kanban server, without Switchboard.
#[derive(Debug)]
struct Direct {
    client: reqwest::Client,
    /// The model server's `/v1/chat/completions`.
    url: String,
    tool: UpstreamSession,
    bodies: Bodies,
}

/// What a direct model reply must contain.
#[derive(Clone, Copy, Debug)]
enum Expect {
    ToolCall,
    Text(usize),
}

impl Direct {
    /// Post `body` and read the stream to `[DONE]`.
    async fn model(&self, body: &[u8], expect: Expect) -> anyhow::Result<Streamed> {
        let streamed = replay(&self.client, &self.url, body, TOOL, READ_LIMIT).await?;
        let (deltas, calls) = (streamed.deltas, streamed.calls);
        match expect {
            Expect::ToolCall => anyhow::ensure!(calls == 1, "expected one call of {TOOL}, got {calls}"),
            Expect::Text(n) => anyhow::ensure!(deltas == n, "expected {n} deltas, got {deltas}"),
        }
        Ok(streamed)
    }

    /// One MCP `tools/call` of `list_tasks`.
    async fn tool(&self) -> anyhow::Result<Duration> {
        let started = Instant::now();
        let outcome = self.tool.call_tool("list_tasks", serde_json::Map::new()).await?;
        let took = started.elapsed();
        anyhow::ensure!(outcome.result["isError"] != true, "list_tasks failed: {}", outcome.result);
        Ok(took)
    }
}
