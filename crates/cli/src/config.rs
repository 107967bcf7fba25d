//! Configuration: flags > environment (both through clap) > config file > defaults.

use std::collections::BTreeMap;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::time::Duration;

use anyhow::Context as _;
use serde::Deserialize;
use switchboard_agent::provider::env::{
    DEFAULT_ANTHROPIC_BASE_URL, DEFAULT_MAX_RETRIES, DEFAULT_OPENAI_BASE_URL, configs_from_env, trim_base_url,
};
use switchboard_agent::{ProviderConfig, ProviderKind, Providers};
use switchboard_core::SecretString;
use switchboard_core::sign_in::SignInLimits;
use switchboard_store::InstanceId;
use switchboard_web::TrustedProxies;

use crate::cli::{GlobalArgs, LogFormat, ServeArgs};

pub(crate) const DEFAULT_LISTEN: &str = "127.0.0.1:8080";
pub(crate) const DEFAULT_DATA_DIR: &str = "./switchboard-data";
/// Longest wait for a model's first byte, and between two chunks of its answer.
pub(crate) const DEFAULT_MODEL_TIMEOUT: Duration = Duration::from_secs(120);

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
    /// Longest a tool call that runs as a task may take before it is cancelled upstream.
    pub(crate) upstream_task_deadline_seconds: Option<u64>,
    /// Largest tool result kept; larger ones are truncated and say so.
    pub(crate) upstream_max_result_bytes: Option<usize>,
    /// Most upstream sessions kept at once (every person's and connector's together).
    pub(crate) upstream_max_sessions: Option<usize>,
    /// Seconds between checks of published apps for tool changes their servers
    /// made (drift); 0 turns the check off. Default: 3600.
    pub(crate) drift_check_seconds: Option<u64>,
    /// Model providers by name (`[providers.NAME]`), besides those the environment makes.
    #[serde(default)]
    pub(crate) providers: BTreeMap<String, ProviderTable>,
    /// `provider/model` used when a conversation names none (`SWITCHBOARD_MODEL` wins).
    pub(crate) default_model: Option<String>,
    pub(crate) model_timeout_seconds: Option<u64>,
    /// This process's name among those sharing the database (`SWITCHBOARD_INSTANCE_ID` wins).
    pub(crate) instance_id: Option<String>,
    /// Failed sign-ins of one account tolerated in the window.
    pub(crate) sign_in_max_failures_per_account: Option<u32>,
    /// Failed sign-ins from one client address tolerated in the window.
    pub(crate) sign_in_max_failures_per_address: Option<u32>,
    pub(crate) sign_in_window_minutes: Option<u64>,
    /// Proxies (addresses or networks) whose `X-Forwarded-For` names the client.
    #[serde(default)]
    pub(crate) trusted_proxies: Vec<String>,
}

/// One `[providers.NAME]` table. The key is never in the file: `api_key_env`
/// names the environment variable that holds it.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct ProviderTable {
    pub(crate) kind: ProviderKindName,
    /// Default: the provider's public API.
    pub(crate) base_url: Option<String>,
    /// None for local servers that need no key.
    pub(crate) api_key_env: Option<String>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "lowercase")]
pub(crate) enum ProviderKindName {
    Openai,
    Anthropic,
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
    pub(crate) upstream_max_sessions: usize,
    pub(crate) drift_check_interval: Option<Duration>,
    pub(crate) providers: Providers,
    /// Set in the environment or the file; else the one kept in the data dir.
    pub(crate) instance_id: Option<InstanceId>,
    pub(crate) sign_in: SignInLimits,
    pub(crate) trusted_proxies: TrustedProxies,
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
        upstream_max_sessions: file
            .upstream_max_sessions
            .unwrap_or(switchboard_mcp::PoolLimits::default().max_sessions),
        drift_check_interval: match file.drift_check_seconds.unwrap_or(3600) {
            0 => None,
            seconds => Some(Duration::from_secs(seconds)),
        },
        providers: providers(file, |name| std::env::var(name).ok())?,
        instance_id: instance_id(file, |name| std::env::var(name).ok())?,
        sign_in: sign_in(file)?,
        trusted_proxies: TrustedProxies::parse(&file.trusted_proxies)?,
    })
}

/// The sign-in limits: the file's, else the defaults (10 per account and 50 per
/// address in 15 minutes).
pub(crate) fn sign_in(file: &FileConfig) -> anyhow::Result<SignInLimits> {
    let defaults = SignInLimits::default();
    let limits = SignInLimits {
        per_account: file.sign_in_max_failures_per_account.unwrap_or(defaults.per_account),
        per_address: file.sign_in_max_failures_per_address.unwrap_or(defaults.per_address),
        window: file.sign_in_window_minutes.map_or(defaults.window, |m| Duration::from_secs(m * 60)),
    };
    if limits.per_account == 0 || limits.per_address == 0 || limits.window.is_zero() {
        anyhow::bail!("sign-in limits and their window must be at least 1: 0 would refuse every sign-in");
    }
    Ok(limits)
}

/// This process's instance id when one is given: `SWITCHBOARD_INSTANCE_ID` over
/// the file's `instance_id`. Without one, `serve` keeps its own in the data dir.
pub(crate) fn instance_id(
    file: &FileConfig,
    get: impl Fn(&str) -> Option<String>,
) -> anyhow::Result<Option<InstanceId>> {
    let given = get("SWITCHBOARD_INSTANCE_ID").or_else(|| file.instance_id.clone()).filter(|v| !v.trim().is_empty());
    Ok(given.map(|text| InstanceId::parse(&text)).transpose()?)
}

/// The model providers: the file's `[providers.NAME]` tables, then those the
/// environment makes (`OPENAI_*`, `ANTHROPIC_*`) under names no table took, and
/// the default model (`SWITCHBOARD_MODEL` over the file's `default_model`).
pub(crate) fn providers(file: &FileConfig, get: impl Fn(&str) -> Option<String>) -> anyhow::Result<Providers> {
    let get = |name: &str| get(name).filter(|v| !v.trim().is_empty());
    let default_model = get("SWITCHBOARD_MODEL").or_else(|| file.default_model.clone().filter(|m| !m.is_empty()));
    let http = model_client()?;
    Ok(provider_configs(file, get)?.into_iter().fold(Providers::new(default_model), |providers, config| {
        providers.with(config.name.clone(), switchboard_agent::provider::build(config, http.clone()))
    }))
}

/// The one HTTP client of the model providers. They reach only the base URLs the
/// operator configured, so the workspace's address policy does not apply to them.
fn model_client() -> anyhow::Result<reqwest::Client> {
    switchboard_mcp::install_crypto_provider();
    reqwest::Client::builder()
        .user_agent(concat!("switchboard/", env!("CARGO_PKG_VERSION")))
        .tcp_nodelay(true)
        .build()
        .context("the model providers' HTTP client")
}

/// What [`providers`] builds from. A table named like an environment provider
/// (`openai`, `anthropic`) replaces it: writing the table takes control of it.
pub(crate) fn provider_configs(
    file: &FileConfig,
    get: impl Fn(&str) -> Option<String>,
) -> anyhow::Result<Vec<ProviderConfig>> {
    let timeout = file.model_timeout_seconds.map(Duration::from_secs).unwrap_or(DEFAULT_MODEL_TIMEOUT);
    let mut configs = vec![];
    for (name, table) in &file.providers {
        if name.is_empty() || !name.chars().all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_') {
            anyhow::bail!(
                "provider name {name:?} must be letters, digits, '-' or '_' (it is the part before / in a model name)"
            );
        }
        let (kind, default_url) = match table.kind {
            ProviderKindName::Openai => (ProviderKind::OpenAi, DEFAULT_OPENAI_BASE_URL),
            ProviderKindName::Anthropic => (ProviderKind::Anthropic, DEFAULT_ANTHROPIC_BASE_URL),
        };
        let base_url = trim_base_url(table.base_url.as_deref().unwrap_or(default_url));
        if !(base_url.starts_with("http://") || base_url.starts_with("https://")) {
            anyhow::bail!("provider {name}: base_url {base_url:?} must start with http:// or https://");
        }
        let api_key = match &table.api_key_env {
            Some(var) => match get(var) {
                Some(key) => Some(SecretString::new(key.trim())),
                None => anyhow::bail!("provider {name}: environment variable {var} (its api_key_env) is not set"),
            },
            None => None,
        };
        configs.push(ProviderConfig {
            name: name.clone(),
            kind,
            base_url,
            api_key,
            timeout,
            max_retries: DEFAULT_MAX_RETRIES,
        });
    }
    let from_env = configs_from_env(get, timeout);
    configs.extend(from_env.into_iter().filter(|c| !file.providers.contains_key(&c.name)));
    Ok(configs)
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
        task_deadline: file.upstream_task_deadline_seconds.map(Duration::from_secs).unwrap_or(defaults.task_deadline),
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
    fn sign_in_limits_and_trusted_proxies_come_from_the_file() {
        let file: FileConfig = toml::from_str(
            "sign_in_max_failures_per_account = 5\nsign_in_window_minutes = 60\ntrusted_proxies = [\"10.0.0.0/8\"]\n",
        )
        .expect("parses");
        let limits = sign_in(&file).expect("valid");
        assert_eq!((limits.per_account, limits.per_address, limits.window), (5, 50, Duration::from_secs(3600)));
        assert_eq!(sign_in(&FileConfig::default()).expect("defaults"), SignInLimits::default());
        let zero: FileConfig = toml::from_str("sign_in_max_failures_per_address = 0\n").expect("parses");
        assert!(sign_in(&zero).is_err(), "0 would lock everyone out");
        assert!(TrustedProxies::parse(&file.trusted_proxies).is_ok());
        assert!(TrustedProxies::parse(&["proxy.internal"]).is_err());
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

    /// A config file holding `toml`, and the environment `vars`.
    fn file(toml: &str) -> FileConfig {
        toml::from_str(toml).expect("valid config")
    }

    fn env<'a>(vars: &'a [(&'a str, &'a str)]) -> impl Fn(&str) -> Option<String> + 'a {
        |name| vars.iter().find(|(n, _)| *n == name).map(|(_, v)| (*v).to_owned())
    }

    #[test]
    fn providers_come_from_tables_and_the_environment() {
        // (file, environment, expected (name, base_url, key) per provider, default model)
        type Case<'a> = (&'a str, &'a [(&'a str, &'a str)], &'a [(&'a str, &'a str, Option<&'a str>)], Option<&'a str>);
        let cases: &[Case<'_>] = &[
            ("", &[], &[], None),
            ("", &[("OPENAI_API_KEY", "sk-env")], &[("openai", "https://api.openai.com/v1", Some("sk-env"))], None),
            (
                "default_model = \"local/llama3.1:8b\"\n[providers.local]\nkind = \"openai\"\nbase_url = \"http://localhost:11434/v1/\"\n",
                &[],
                &[("local", "http://localhost:11434/v1", None)],
                Some("local/llama3.1:8b"),
            ),
            (
                "default_model = \"claude/claude-sonnet-4-5\"\n[providers.claude]\nkind = \"anthropic\"\napi_key_env = \"MY_CLAUDE_KEY\"\n",
                &[
                    ("MY_CLAUDE_KEY", "k-1"),
                    ("OPENAI_BASE_URL", "http://vllm:8000/v1"),
                    ("SWITCHBOARD_MODEL", "openai/qwen"),
                ],
                &[("claude", "https://api.anthropic.com", Some("k-1")), ("openai", "http://vllm:8000/v1", None)],
                Some("openai/qwen"),
            ),
            (
                "[providers.openai]\nkind = \"openai\"\nbase_url = \"https://gateway.example/v1\"\napi_key_env = \"OPENAI_API_KEY\"\n",
                &[("OPENAI_API_KEY", "sk-env")],
                &[("openai", "https://gateway.example/v1", Some("sk-env"))],
                None,
            ),
        ];
        for (toml, vars, expect, default_model) in cases {
            let file = file(toml);
            let configs = provider_configs(&file, env(vars)).expect("resolves");
            let got: Vec<(&str, &str, Option<&str>)> = configs
                .iter()
                .map(|c| (c.name.as_str(), c.base_url.as_str(), c.api_key.as_ref().map(SecretString::expose)))
                .collect();
            assert_eq!(got, *expect, "{toml} {vars:?}");
            let providers = providers(&file, env(vars)).expect("resolves");
            assert_eq!(providers.default_model(), *default_model, "{toml} {vars:?}");
            assert_eq!(providers.names().collect::<Vec<_>>(), expect.iter().map(|e| e.0).collect::<Vec<_>>());
        }
    }

    #[test]
    fn the_model_timeout_applies_to_every_provider() {
        let file = file("model_timeout_seconds = 30\n[providers.a]\nkind = \"anthropic\"\n");
        let configs = provider_configs(&file, env(&[("OPENAI_API_KEY", "k")])).expect("resolves");
        assert_eq!(configs.len(), 2);
        assert!(configs.iter().all(|c| c.timeout == Duration::from_secs(30)), "{configs:?}");
        let configs = provider_configs(&FileConfig::default(), env(&[("OPENAI_API_KEY", "k")])).expect("resolves");
        assert_eq!(configs[0].timeout, DEFAULT_MODEL_TIMEOUT);
    }

    #[test]
    fn the_instance_id_comes_from_the_environment_then_the_file() {
        let from_file = file("instance_id = \"replica-a\"\n");
        let id = |f: &FileConfig, vars: &[(&str, &str)]| {
            instance_id(f, env(vars)).expect("valid").map(|i| i.as_str().to_owned())
        };
        assert_eq!(id(&from_file, &[]), Some("replica-a".into()));
        assert_eq!(id(&from_file, &[("SWITCHBOARD_INSTANCE_ID", "replica-b")]), Some("replica-b".into()));
        assert_eq!(id(&file(""), &[]), None, "none given: serve keeps one in the data dir");
        let error = instance_id(&file("instance_id = \"two words\"\n"), env(&[])).expect_err("refused");
        assert!(error.to_string().contains("must be 1 to 64 letters"), "{error}");
    }

    #[test]
    fn bad_provider_tables_are_errors() {
        let cases: &[(&str, &str)] = &[
            ("[providers.\"a/b\"]\nkind = \"openai\"\n", "must be letters, digits"),
            ("[providers.x]\nkind = \"openai\"\nbase_url = \"ftp://h\"\n", "must start with http"),
            ("[providers.x]\nkind = \"anthropic\"\napi_key_env = \"NOT_SET\"\n", "environment variable NOT_SET"),
        ];
        for (toml, expect) in cases {
            let err = provider_configs(&file(toml), env(&[])).expect_err("refused");
            assert!(err.to_string().contains(expect), "{toml}: {err}");
        }
        let cases: &[(&str, &str)] = &[
            ("[providers.x]\nkind = \"gemini\"\n", "unknown variant `gemini`"),
            ("[providers.x]\nkind = \"openai\"\napi_key = \"sk-in-the-file\"\n", "unknown field `api_key`"),
        ];
        for (toml, expect) in cases {
            let err = toml::from_str::<FileConfig>(toml).expect_err("refused");
            assert!(err.to_string().contains(expect), "{toml}: {err}");
        }
    }
}
