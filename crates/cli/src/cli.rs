//! The command line.

use std::net::SocketAddr;
use std::path::PathBuf;

use clap::{Args, Parser, Subcommand, ValueEnum};

#[derive(Debug, Parser)]
#[command(name = "switchboard", version, about = "Self-hosted developer mode for MCP")]
pub(crate) struct Cli {
    #[command(flatten)]
    pub(crate) global: GlobalArgs,
    #[command(subcommand)]
    pub(crate) command: Command,
}

/// Options every command that touches the database understands.
#[derive(Debug, Args)]
pub(crate) struct GlobalArgs {
    /// TOML config file (flags > environment > this file > defaults).
    #[arg(long, env = "SWITCHBOARD_CONFIG", global = true)]
    pub(crate) config: Option<PathBuf>,
    /// Where Switchboard keeps its SQLite database and key file [default: ./switchboard-data].
    #[arg(long, env = "SWITCHBOARD_DATA_DIR", global = true)]
    pub(crate) data_dir: Option<PathBuf>,
    /// sqlite://PATH or postgres://USER@HOST:PORT/DB [default: a SQLite file in the data dir].
    #[arg(long, env = "SWITCHBOARD_DATABASE_URL", global = true, hide_env_values = true)]
    pub(crate) database_url: Option<String>,
    /// Log format on stderr [default: text].
    #[arg(long, env = "SWITCHBOARD_LOG_FORMAT", global = true)]
    pub(crate) log_format: Option<LogFormat>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum, serde::Deserialize)]
#[serde(rename_all = "lowercase")]
pub(crate) enum LogFormat {
    Text,
    Json,
}

#[derive(Debug, Subcommand)]
pub(crate) enum Command {
    /// Run the server (migrations run first).
    Serve(ServeArgs),
    /// Apply database migrations and exit.
    Migrate,
    /// Manage users.
    #[command(subcommand)]
    User(UserCommand),
    /// Manage personal API tokens.
    #[command(subcommand)]
    Token(TokenCommand),
    /// Check the audit trail.
    #[command(subcommand)]
    Audit(AuditCommand),
    /// Check an MCP server's readiness: transports, protocol versions, OAuth discovery,
    /// and every tool's name, schema, annotations and descriptions. Exits 1 when a check fails.
    Doctor(DoctorArgs),
}

#[derive(Debug, Args)]
pub(crate) struct DoctorArgs {
    /// The server's MCP endpoint, e.g. http://127.0.0.1:3333/mcp (or its /sse URL).
    #[arg(value_parser = parse_http_url)]
    pub(crate) url: url::Url,
    /// Print the report as JSON (the shape of POST /api/v1/doctor) instead of text.
    #[arg(long)]
    pub(crate) json: bool,
}

/// An absolute http(s) URL with a host.
fn parse_http_url(text: &str) -> Result<url::Url, String> {
    let url: url::Url = text.trim().parse().map_err(|e| format!("not a URL: {e}"))?;
    if !matches!(url.scheme(), "http" | "https") || url.host().is_none() {
        return Err("the URL must start with http:// or https:// and name a host".to_owned());
    }
    Ok(url)
}

#[derive(Debug, Args)]
pub(crate) struct ServeArgs {
    /// Address to listen on [default: 127.0.0.1:8080].
    #[arg(long, env = "SWITCHBOARD_LISTEN")]
    pub(crate) listen: Option<SocketAddr>,
    /// The URL people use to reach this server (links, cookies, later OAuth callbacks)
    /// [default: http://LISTEN].
    #[arg(long, env = "SWITCHBOARD_PUBLIC_URL")]
    pub(crate) public_url: Option<String>,
    /// Let owners and admins add connectors that run local commands (stdio). Off by default.
    #[arg(long, env = "SWITCHBOARD_ALLOW_LOCAL_COMMANDS")]
    pub(crate) allow_local_commands: bool,
}

#[derive(Debug, Subcommand)]
pub(crate) enum UserCommand {
    /// Add a user; with --role owner on a new install this completes setup.
    Add {
        email: String,
        #[arg(long, value_parser = ["owner", "admin", "member", "auditor"])]
        role: String,
        /// Display name [default: the part of the email before @].
        #[arg(long)]
        name: Option<String>,
        /// Read the password from the first line of standard input.
        #[arg(long)]
        password_stdin: bool,
    },
}

#[derive(Debug, Subcommand)]
pub(crate) enum AuditCommand {
    /// Walk the hash chain from the first record to the head. Prints the number of
    /// records and exits 0 when it holds; names the first broken record and exits 1
    /// when it does not; exits 2 when the database cannot be read.
    Verify,
}

#[derive(Debug, Subcommand)]
pub(crate) enum TokenCommand {
    /// Create a personal API token for a user and print it (alone) on stdout.
    Create {
        email: String,
        /// What the token is for.
        #[arg(long, default_value = "cli")]
        name: String,
        /// Days until it expires [default: never].
        #[arg(long)]
        expires_in_days: Option<u32>,
    },
}
