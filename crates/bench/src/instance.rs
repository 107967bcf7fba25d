//! Setting up a Switchboard instance to measure: an owner with an API token,
//! made with the CLI as an administrator would, and connectors made through the
//! API as a developer would.

use std::net::SocketAddr;
use std::path::Path;
use std::process::{Command, Stdio};

use anyhow::Context as _;
use serde_json::{Value, json};

use crate::startup::clean_env;

/// The owner every scenario signs in as.
pub(crate) const OWNER: &str = "bench@example.com";

/// Add an owner to a new data dir (and `database_url`, when given) and create
/// their API token. An owner is an admin, so the workspace's default developer
/// mode policy (`admins`) lets them create and call connectors.
pub(crate) fn owner_token(switchboard: &Path, data_dir: &Path, database_url: Option<&str>) -> anyhow::Result<String> {
    user_token(switchboard, &Instance { data_dir, database_url }, OWNER, "owner")
}

/// Where the CLI finds the instance: its data dir and, on PostgreSQL, its database.
#[derive(Clone, Copy, Debug)]
pub(crate) struct Instance<'a> {
    pub(crate) data_dir: &'a Path,
    pub(crate) database_url: Option<&'a str>,
}

/// Add `email` with `role` (`owner`, `admin`, `member`, `auditor`) with
/// `switchboard user add`, as an administrator would, and create their API
/// token with `switchboard token create`; the token.
pub(crate) fn user_token(
    switchboard: &Path,
    instance: &Instance<'_>,
    email: &str,
    role: &str,
) -> anyhow::Result<String> {
    let cli = |args: &[&str]| {
        let mut command = clean_env(Command::new(switchboard));
        command.args(args).arg("--data-dir").arg(instance.data_dir);
        if let Some(url) = instance.database_url {
            command.arg("--database-url").arg(url);
        }
        command
    };
    let mut add = cli(&["user", "add", email, "--role", role, "--password-stdin"]);
    add.stdin(Stdio::piped()).stdout(Stdio::null()).stderr(Stdio::inherit());
    let mut child = add.spawn().context("switchboard user add")?;
    {
        use std::io::Write as _;
        let mut stdin = child.stdin.take().context("stdin")?;
        stdin.write_all(b"a long benchmark password\n").context("write the password")?;
    }
    anyhow::ensure!(child.wait().context("switchboard user add")?.success(), "switchboard user add {email} failed");
    let out = cli(&["token", "create", email, "--name", "bench"])
        .stderr(Stdio::inherit())
        .output()
        .context("switchboard token create")?;
    anyhow::ensure!(out.status.success(), "switchboard token create {email} failed");
    Ok(String::from_utf8(out.stdout).context("token")?.trim().to_owned())
}

/// A keep-alive HTTP client that sends `token` as a bearer token.
pub(crate) fn api_client(token: &str) -> anyhow::Result<reqwest::Client> {
    let mut headers = reqwest::header::HeaderMap::new();
    headers.insert(reqwest::header::AUTHORIZATION, format!("Bearer {token}").parse().context("token header")?);
    reqwest::Client::builder()
        .default_headers(headers)
        .pool_max_idle_per_host(64)
        .tcp_nodelay(true)
        .build()
        .context("HTTP client")
}

/// Register the MCP server at `upstream` as a connector called `name`; its id.
pub(crate) async fn create_connector(
    client: &reqwest::Client,
    addr: SocketAddr,
    name: &str,
    upstream: &str,
) -> anyhow::Result<String> {
    let created: Value = client
        .post(format!("http://{addr}/api/v1/connectors"))
        .json(&json!({"name": name, "url": upstream}))
        .send()
        .await
        .context("create the connector")?
        .json()
        .await
        .context("the connector's JSON")?;
    let id = created["connector"]["id"].as_str().with_context(|| format!("no connector created: {created}"))?;
    Ok(id.to_owned())
}
