//! `bench`: benchmarks of the `switchboard` binary. One subcommand per scenario;
//! each prints medians and a ratio to a baseline measured in the same run, so
//! figures from noisy machines can still be compared.

mod agent_step;
mod echo;
mod http;
mod instance;
mod kanban;
mod keep_alive;
mod load;
mod postgres;
mod process;
mod replay;
mod scale;
mod sse;
mod startup;
mod stats;
mod tool_call;

use std::process::ExitCode;

use clap::{Parser, Subcommand};

#[derive(Debug, Parser)]
#[command(name = "bench", about = "Benchmarks of the switchboard binary")]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Time from spawning `switchboard serve` to the first 200 from /readyz,
    /// graceful shutdown time, and resident memory while idle.
    Startup(startup::Args),
    /// A fast echo tool (answering as JSON or SSE) called directly over raw
    /// HTTP and through the playground API, over 1 and 16 connections, in
    /// alternating rounds: p50, p99, calls/s, added latency and throughput ratio.
    ToolCall(tool_call::Args),
    /// A conversation turn with a scripted model that answers instantly: time
    /// added per tool round trip (model → tool → model) and per streamed token.
    AgentStep(agent_step::Args),
    /// Many people streaming conversations at once (50 × 10 by default), each a
    /// tool turn and a text turn: p50/p99 of the first token and of the tool
    /// round trip against the same requests made directly, failures by kind, and
    /// the server's descriptors and memory before, during and after.
    Load(load::Args),
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    switchboard_mcp::install_crypto_provider();
    let result = match cli.command {
        Command::Startup(args) => startup::run(&args),
        Command::ToolCall(args) => tool_call::run(&args),
        Command::AgentStep(args) => agent_step::run(&args),
        Command::Load(args) => load::run(&args),
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("error: {e:#}");
            ExitCode::FAILURE
        }
    }
}
