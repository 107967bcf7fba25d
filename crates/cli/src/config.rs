//! Configuration: flags > environment (both through clap) > config file > defaults.

use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::time::Duration;

use anyhow::Context as _;
use serde::Deserialize;

use crate::cli::{GlobalArgs, LogFormat, ServeArgs};

pub(crate) const DEFAULT_LISTEN: &str = "127.0.0.1:8080";
pub(crate) const DEFAULT_DATA_DIR: &str = "./switchboard-data";

/// The config file. Every key is optional; unknown keys are an error, so a typo
/// does not silently do nothing.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct FileConfig {
    pub(crate) listen: Option<SocketAddr>,
    pub(crate) data_dir: Option<PathBuf>,
    pub(crate) database_url: Option<String>,
    pub(crate) public_url: Option<String>,
    /// Extra `host:port` values accepted in Host/Origin (behind a proxy, say).
    #[serde(default)]
    pub(crate) allowed_hosts: Vec<String>,
    pub(crate) max_body_bytes: Option<usize>,
    pub(crate) session_ttl_hours: Option<u64>,
    pub(crate) database_max_connections: Option<u32>,
    pub(crate) database_timeout_seconds: Option<u64>,
    pub(crate) log_format: Option<LogFormat>,
    pub(crate) allow_local_commands: Option<bool>,
    /// Connecting to an MCP server and its handshake.
    pub(crate) upstream_connect_timeout_seconds: Option<u64>,
    /// One request to an MCP server (a page of tools, a tool call).
    pub(crate) upstream_call_timeout_seconds: Option<u64>,
    /// Largest tool result kept; larger ones are truncated and say so.
    pub(crate) upstream_max_result_bytes: Option<usize>,
}

/// What every command that touches the database needs.
#[derive(Debug)]
pub(crate) struct Common {
    pub(crate) data_dir: PathBuf,
    pub(crate) database_url: String,
    pub(crate) log_format: LogFormat,
    pub(crate) database_max_connections: u32,
    pub(crate) database_timeout: Duration,
    pub(crate) file: FileConfig,
}

/// What `serve` needs on top.
#[derive(Debug)]
pub(crate) struct Serve {
    pub(crate) listen: SocketAddr,
    pub(crate) public_url: Option<String>,
    pub(crate) allowed_hosts: Vec<String>,
    pub(crate) max_body_bytes: usize,
    pub(crate) session_ttl: Duration,
    pub(crate) allow_local_commands: bool,
    pub(crate) upstream: switchboard_mcp::ClientOptions,
}

pub(crate) fn load_file(path: Option<&Path>) -> anyhow::Result<FileConfig> {
    let Some(path) = path else { return Ok(FileConfig::default()) };
    let text = std::fs::read_to_string(path).with_context(|| format!("cannot read config file {}", path.display()))?;
    toml::from_str(&text).map_err(|e| anyhow::anyhow!("config file {}: {}", path.display(), e.message()))
}

pub(crate) fn common(args: &GlobalArgs) -> anyhow::Result<Common> {
    let file = load_file(args.config.as_deref())?;
    let data_dir =
        args.data_dir.clone().or_else(|| file.data_dir.clone()).unwrap_or_else(|| PathBuf::from(DEFAULT_DATA_DIR));
    let database_url = args
        .database_url
        .clone()
        .or_else(|| file.database_url.clone())
        .unwrap_or_else(|| sqlite_url(&data_dir.join("switchboard.db")));
    Ok(Common {
        log_format: args.log_format.or(file.log_format).unwrap_or(LogFormat::Text),
        database_max_connections: file.database_max_connections.unwrap_or(10),
        database_timeout: Duration::from_secs(file.database_timeout_seconds.unwrap_or(5)),
        data_dir,
        database_url,
        file,
    })
}

pub(crate) fn serve(args: &ServeArgs, common: &Common) -> anyhow::Result<Serve> {
    let file = &common.file;
    let listen = match args.listen.or(file.listen) {
        Some(addr) => addr,
        None => DEFAULT_LISTEN.parse().context("default listen address")?,
    };
    let public_url = args.public_url.clone().or_else(|| file.public_url.clone());
    if let Some(url) = public_url.as_ref().filter(|u| !(u.starts_with("http://") || u.starts_with("https://"))) {
        anyhow::bail!("public url {url:?} must start with http:// or https://");
    }
    Ok(Serve {
        listen,
        public_url,
        allowed_hosts: file.allowed_hosts.clone(),
        max_body_bytes: file.max_body_bytes.unwrap_or(1024 * 1024),
        session_ttl: Duration::from_secs(3600 * file.session_ttl_hours.unwrap_or(24 * 14)),
        allow_local_commands: args.allow_local_commands || file.allow_local_commands.unwrap_or(false),
        upstream: upstream(file),
    })
}

/// Timeouts and limits for MCP servers from the config file; the address policy is
/// the default one (private allowed, link-local and metadata refused).
pub(crate) fn upstream(file: &FileConfig) -> switchboard_mcp::ClientOptions {
    let defaults = switchboard_mcp::ClientOptions::default();
    switchboard_mcp::ClientOptions {
        connect_timeout: file
            .upstream_connect_timeout_seconds
            .map(Duration::from_secs)
            .unwrap_or(defaults.connect_timeout),
        call_timeout: file.upstream_call_timeout_seconds.map(Duration::from_secs).unwrap_or(defaults.call_timeout),
        max_result_bytes: file.upstream_max_result_bytes.unwrap_or(defaults.max_result_bytes),
        ..defaults
    }
}

fn sqlite_url(path: &Path) -> String {
    format!("sqlite://{}?mode=rwc", path.display())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn args(config: Option<PathBuf>, data_dir: Option<&str>, url: Option<&str>) -> GlobalArgs {
        GlobalArgs {
            config,
            data_dir: data_dir.map(PathBuf::from),
            database_url: url.map(str::to_owned),
            log_format: None,
        }
    }

    #[test]
    fn defaults_put_sqlite_in_the_data_dir() {
        let c = common(&args(None, None, None)).expect("resolves");
        assert_eq!(c.data_dir, PathBuf::from("./switchboard-data"));
        assert_eq!(c.database_url, "sqlite://./switchboard-data/switchboard.db?mode=rwc");
        let c = common(&args(None, Some("/srv/sb"), None)).expect("resolves");
        assert_eq!(c.database_url, "sqlite:///srv/sb/switchboard.db?mode=rwc");
    }

    #[test]
    fn flags_beat_the_file_and_the_file_beats_defaults() {
        let dir = tempfile::tempdir().expect("tempdir");
        let path = dir.path().join("sb.toml");
        std::fs::write(
            &path,
            "data_dir = \"/from/file\"\ndatabase_url = \"postgres://file@h/db\"\nlisten = \"0.0.0.0:9000\"\n",
        )
        .expect("write");
        let c = common(&args(Some(path.clone()), None, None)).expect("resolves");
        assert_eq!(c.data_dir, PathBuf::from("/from/file"));
        assert_eq!(c.database_url, "postgres://file@h/db");
        let s =
            serve(&ServeArgs { listen: None, public_url: None, allow_local_commands: false }, &c).expect("resolves");
        assert_eq!(s.listen.to_string(), "0.0.0.0:9000");
        let c = common(&args(Some(path), Some("/from/flag"), Some("sqlite://x.db"))).expect("resolves");
        assert_eq!(c.data_dir, PathBuf::from("/from/flag"));
        assert_eq!(c.database_url, "sqlite://x.db");
        let s = serve(
            &ServeArgs {
                listen: Some("127.0.0.1:1234".parse().expect("addr")),
                public_url: None,
                allow_local_commands: false,
            },
            &c,
        )
        .expect("resolves");
        assert_eq!(s.listen.to_string(), "127.0.0.1:1234");
    }

    #[test]
    fn unknown_keys_and_missing_files_are_errors() {
        let dir = tempfile::tempdir().expect("tempdir");
        let path = dir.path().join("sb.toml");
        std::fs::write(&path, "lisen = \"0.0.0.0:9000\"\n").expect("write");
        let err = common(&args(Some(path), None, None)).expect_err("typo refused");
        assert!(err.to_string().contains("unknown field `lisen`"), "{err}");
        let err = common(&args(Some(dir.path().join("missing.toml")), None, None)).expect_err("missing refused");
        assert!(err.to_string().contains("cannot read config file"), "{err}");
    }

    #[test]
    fn public_url_must_be_http() {
        let c = common(&args(None, None, None)).expect("resolves");
        let err = serve(
            &ServeArgs { listen: None, public_url: Some("javascript:alert(1)".into()), allow_local_commands: false },
            &c,
        )
        .expect_err("refused");
        assert!(err.to_string().contains("must start with http"), "{err}");
    }
}
