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
    /// Be an MCP client from the command line: connect to a server, authorize where it asks
    /// (OAuth without a browser: the authorization redirect is followed by the client itself),
    /// list its tools and make the calls asked for. Exits 1 on any failure, saying why.
    /// The MCP conformance suite drives it (`conformance client --command "switchboard mcp-client"`).
    McpClient(McpClientArgs),
}

#[derive(Debug, Args)]
pub(crate) struct McpClientArgs {
    /// The server's MCP endpoint, e.g. http://127.0.0.1:3333/mcp.
    #[arg(value_parser = parse_http_url)]
    pub(crate) url: url::Url,
    /// Call a tool after listing: NAME, or NAME=JSON with the arguments as a JSON object. Repeatable;
    /// calls run in order. An argument value {"$inputSchemaOf": "TOOL"} is replaced by TOOL's
    /// inputSchema as listed (to check with an echo tool that schemas come through whole).
    #[arg(long = "call", value_name = "NAME[=JSON]")]
    pub(crate) calls: Vec<String>,
    /// A pre-registered OAuth client id, used before any other kind of client.
    #[arg(long, env = "SWITCHBOARD_OAUTH_CLIENT_ID")]
    pub(crate) client_id: Option<String>,
    /// The pre-registered client's secret.
    #[arg(long, env = "SWITCHBOARD_OAUTH_CLIENT_SECRET", hide_env_values = true, requires = "client_id")]
    pub(crate) client_secret: Option<String>,
    /// The URL of a Client ID Metadata Document describing this client, used as its client_id
    /// where the authorization server accepts one (else the client registers dynamically).
    #[arg(long)]
    pub(crate) client_metadata_url: Option<String>,
    /// Scopes to ask for (space-separated) instead of those the server suggests.
    #[arg(long, default_value = "")]
    pub(crate) scope: String,
    /// Where a server publishes no OAuth metadata at all (every discovery URL answers 404),
    /// authorize at the 2025-03-26 specification's default endpoints at its origin
    /// (/authorize, /token, /register). Off by default: without metadata nothing says the
    /// server checks PKCE with S256 (S256 and the resource indicator are sent all the same).
    #[arg(long)]
    pub(crate) legacy_oauth_endpoints: bool,
    /// The redirect URI to register and send; nothing needs to listen there.
    #[arg(long, default_value = "http://127.0.0.1/oauth/callback")]
    pub(crate) redirect_uri: String,
    /// The MCP conformance harness's scenario context (JSON): its `client_id` and `client_secret`
    /// are the pre-registered client when --client-id is not given, and its `toolCalls`
    /// (`name`, `arguments`) are made after those of --call.
    #[arg(long, env = "MCP_CONFORMANCE_CONTEXT", hide_env_values = true)]
    pub(crate) conformance_context: Option<String>,
    /// Speak only this protocol version, with its lifecycle (`initialize` up to 2025-11-25,
    /// `server/discover` from 2026-07-28) [default: 2026-07-28, else 2025-11-25 for older servers].
    #[arg(long, env = "MCP_CONFORMANCE_PROTOCOL_VERSION")]
    pub(crate) protocol_version: Option<String>,
    /// How to answer a server that asks for user input (elicitation): refuse (offer no
    /// elicitation), or accept every form with the defaults its schema gives.
    #[arg(long, value_enum, default_value = "refuse")]
    pub(crate) elicitation: ElicitationAnswer,
    /// Print what happened as JSON instead of text.
    #[arg(long)]
    pub(crate) json: bool,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub(crate) enum ElicitationAnswer {
    Refuse,
    AcceptDefaults,
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
