//! `switchboard`: the one binary. Parses the command line, resolves configuration
//! (flags > environment > config file > defaults) and runs a command.

mod cli;
mod commands;
mod config;
mod logging;
mod runtime;

use std::process::ExitCode;

use clap::Parser as _;

fn main() -> ExitCode {
    let cli = cli::Cli::parse();
    let cores = std::thread::available_parallelism().map_or(1, usize::from);
    let workers = match runtime::worker_threads(std::env::var("SWITCHBOARD_WORKER_THREADS").ok().as_deref(), cores) {
        Ok(n) => n,
        Err(e) => {
            eprintln!("error: {e}");
            return ExitCode::FAILURE;
        }
    };
    let runtime = match tokio::runtime::Builder::new_multi_thread().worker_threads(workers).enable_all().build() {
        Ok(rt) => rt,
        Err(e) => {
            eprintln!("error: cannot start the async runtime: {e}");
            return ExitCode::FAILURE;
        }
    };
    match runtime.block_on(commands::run(cli)) {
        Ok(code) => code,
        Err(e) => {
            // One line a person can act on; details (if any) were logged.
            eprintln!("error: {e:#}");
            ExitCode::FAILURE
        }
    }
}
