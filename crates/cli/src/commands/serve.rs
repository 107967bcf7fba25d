use std::time::Duration;

use anyhow::Context as _;
use switchboard_core::credentials::random_token;
use switchboard_store::InstanceId;
use switchboard_web::{AppState, SetupToken, WebConfig, app};
use tokio::net::TcpListener;

use crate::config::{Common, Serve};

/// `switchboard serve`: migrate, print the setup link while there is no owner,
/// serve until SIGINT or SIGTERM, then finish in-flight requests and close.
pub(super) async fn run(common: &Common, serve: &Serve) -> anyhow::Result<()> {
    // Register the signal handlers first: a SIGTERM that arrives as soon as the
    // server answers must still shut it down gracefully.
    let signals = Signals::register()?;
    #[cfg(unix)]
    raise_open_file_limit();
    let store = super::open_store(common).await?;
    let listener =
        TcpListener::bind(serve.listen).await.with_context(|| format!("cannot listen on {}", serve.listen))?;
    let local = listener.local_addr().context("listening address")?;
    let public_url = serve.public_url.clone().unwrap_or_else(|| default_public_url(local));

    let mut config = WebConfig::for_public_url(&public_url);
    if local.ip().is_loopback() || local.ip().is_unspecified() {
        config = config.allow_loopback(local.port());
    }
    config.allowed_hosts.extend(serve.allowed_hosts.iter().cloned());
    config.max_body_bytes = serve.max_body_bytes;
    config.session_ttl = serve.session_ttl;
    config.upstream = serve.upstream.clone();
    config.upstream_max_sessions = serve.upstream_max_sessions;
    config.drift_check_interval = serve.drift_check_interval;
    config.allow_local_commands = serve.allow_local_commands;
    config.providers = serve.providers.clone();
    config.sign_in = serve.sign_in;
    config.trusted_proxies = serve.trusted_proxies.clone();
    config.agent.instance = match &serve.instance_id {
        Some(id) => id.clone(),
        None => InstanceId::load_or_create(&common.data_dir.join("instance-id"))?,
    };
    if config.providers.is_empty() {
        tracing::warn!(
            "no model provider is configured: set OPENAI_API_KEY, OPENAI_BASE_URL or ANTHROPIC_API_KEY to chat"
        );
    }
    if serve.allow_local_commands {
        tracing::warn!(
            "local commands are allowed: owners and admins may add connectors that run programs on this host"
        );
    }

    let setup = if store.is_set_up().await? {
        SetupToken::default()
    } else {
        let token = random_token(24);
        println!("Switchboard has no owner yet. Open this link to create one (it works once):");
        println!("  {}/setup?token={}", config.public_url, token.expose());
        println!("or run: switchboard user add EMAIL --role owner --password-stdin");
        SetupToken::new(Some(token))
    };

    tokio::spawn(purge_sessions(store.clone(), config.sign_in.window));
    let config_instance = config.agent.instance.clone();
    let state = AppState::new(store.clone(), config, setup);
    let interrupted = state.services.agent().recover().await.context("recovering conversations")?;
    if !interrupted.is_empty() {
        tracing::warn!(
            conversations = interrupted.len(),
            instance = %config_instance,
            "turns of this instance interrupted by its last stop were ended"
        );
    }
    println!("Switchboard is listening on http://{local} (public URL {public_url})");
    tracing::info!(%local, %public_url, backend = store.backend().as_str(), "listening");

    // Each event of a streamed answer goes out when it is written, not after the
    // client acknowledges the one before (Nagle's algorithm held turns by ~40 ms).
    let listener = axum::serve::ListenerExt::tap_io(listener, |tcp| {
        let _ = tcp.set_nodelay(true);
    });
    // The peer's address is what sign-in limits count failures by (see `trusted_proxies`).
    axum::serve(listener, app(state.clone()).into_make_service_with_connect_info::<std::net::SocketAddr>())
        .with_graceful_shutdown(signals.received())
        .await
        .context("server error")?;
    state.services.connectors().close_all_sessions().await;
    store.close().await;
    tracing::info!("stopped");
    Ok(())
}

fn default_public_url(local: std::net::SocketAddr) -> String {
    if local.ip().is_unspecified() { format!("http://localhost:{}", local.port()) } else { format!("http://{local}") }
}

/// Remove expired sessions, and sign-in attempts too old to count, once an hour.
async fn purge_sessions(store: switchboard_store::Store, sign_in_window: Duration) {
    let mut tick = tokio::time::interval(Duration::from_secs(3600));
    loop {
        tick.tick().await;
        match store.purge_expired_sessions().await {
            Ok(0) => {}
            Ok(n) => tracing::info!(removed = n, "expired sessions purged"),
            Err(e) => tracing::warn!(error = %e, "could not purge expired sessions"),
        }
        if let Err(e) = store.purge_sign_in_attempts(time::OffsetDateTime::now_utc() - sign_in_window).await {
            tracing::warn!(error = %e, "could not purge old sign-in attempts");
        }
    }
}

/// SIGINT and SIGTERM, listened for from the moment they are registered.
struct Signals {
    #[cfg(unix)]
    terminate: tokio::signal::unix::Signal,
    #[cfg(unix)]
    interrupt: tokio::signal::unix::Signal,
}

impl Signals {
    fn register() -> anyhow::Result<Self> {
        #[cfg(unix)]
        {
            use tokio::signal::unix::{SignalKind, signal};
            Ok(Self {
                terminate: signal(SignalKind::terminate()).context("cannot listen for SIGTERM")?,
                interrupt: signal(SignalKind::interrupt()).context("cannot listen for SIGINT")?,
            })
        }
        #[cfg(not(unix))]
        Ok(Self {})
    }

    async fn received(mut self) {
        #[cfg(unix)]
        tokio::select! {
            _ = self.terminate.recv() => {}
            _ = self.interrupt.recv() => {}
        }
        #[cfg(not(unix))]
        let _ = tokio::signal::ctrl_c().await;
        tracing::info!("shutting down: finishing requests in flight");
    }
}

/// Raise the soft limit on open files to the hard one. Every client connection
/// and every connection to a model or an MCP server is a descriptor: 500 turns
/// at once hold about 1,300 (`bench load`), above the soft limit of 1,024 that
/// many systems start a process with, and past it accepts and outgoing requests
/// fail. The hard limit stays the operator's to set.
#[cfg(unix)]
fn raise_open_file_limit() {
    use rustix::process::{Resource, Rlimit, getrlimit, setrlimit};
    let limit = getrlimit(Resource::Nofile);
    let (Some(soft), Some(hard)) = (limit.current, limit.maximum) else { return };
    if soft >= hard {
        return;
    }
    match setrlimit(Resource::Nofile, Rlimit { current: Some(hard), maximum: Some(hard) }) {
        Ok(()) => tracing::info!(from = soft, to = hard, "raised the limit on open files to its hard limit"),
        Err(e) => tracing::warn!(
            error = %e,
            limit = soft,
            "could not raise the limit on open files; many concurrent conversations may fail, raise it (ulimit -n, LimitNOFILE)"
        ),
    }
}
