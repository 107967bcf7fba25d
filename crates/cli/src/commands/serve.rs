use std::time::Duration;

use anyhow::Context as _;
use switchboard_core::credentials::random_token;
use switchboard_web::{app, AppState, SetupToken, WebConfig};
use tokio::net::TcpListener;

use crate::config::{Common, Serve};

/// `switchboard serve`: migrate, print the setup link while there is no owner,
/// serve until SIGINT or SIGTERM, then finish in-flight requests and close.
pub(super) async fn run(common: &Common, serve: &Serve) -> anyhow::Result<()> {
    let store = super::open_store(common).await?;
    let listener = TcpListener::bind(serve.listen)
        .await
        .with_context(|| format!("cannot listen on {}", serve.listen))?;
    let local = listener.local_addr().context("listening address")?;
    let public_url = serve.public_url.clone().unwrap_or_else(|| default_public_url(local));

    let mut config = WebConfig::for_public_url(&public_url);
    if local.ip().is_loopback() || local.ip().is_unspecified() {
        config = config.allow_loopback(local.port());
    }
    config.allowed_hosts.extend(serve.allowed_hosts.iter().cloned());
    config.max_body_bytes = serve.max_body_bytes;
    config.session_ttl = serve.session_ttl;

    let setup = if store.is_set_up().await? {
        SetupToken::default()
    } else {
        let token = random_token(24);
        println!("Switchboard has no owner yet. Open this link to create one (it works once):");
        println!("  {}/setup?token={}", config.public_url, token.expose());
        println!("or run: switchboard user add EMAIL --role owner --password-stdin");
        SetupToken::new(Some(token))
    };

    tokio::spawn(purge_sessions(store.clone()));
    let state = AppState::new(store.clone(), config, setup);
    println!("Switchboard is listening on http://{local} (public URL {public_url})");
    tracing::info!(%local, %public_url, backend = store.backend().as_str(), "listening");

    axum::serve(listener, app(state)).with_graceful_shutdown(shutdown_signal()).await.context("server error")?;
    store.close().await;
    tracing::info!("stopped");
    Ok(())
}

fn default_public_url(local: std::net::SocketAddr) -> String {
    if local.ip().is_unspecified() {
        format!("http://localhost:{}", local.port())
    } else {
        format!("http://{local}")
    }
}

/// Remove expired sessions once an hour.
async fn purge_sessions(store: switchboard_store::Store) {
    let mut tick = tokio::time::interval(Duration::from_secs(3600));
    loop {
        tick.tick().await;
        match store.purge_expired_sessions().await {
            Ok(0) => {}
            Ok(n) => tracing::info!(removed = n, "expired sessions purged"),
            Err(e) => tracing::warn!(error = %e, "could not purge expired sessions"),
        }
    }
}

async fn shutdown_signal() {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    let terminate = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut s) => {
                s.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    #[cfg(not(unix))]
    let terminate = std::future::pending::<()>();
    tokio::select! {
        () = ctrl_c => {}
        () = terminate => {}
    }
    tracing::info!("shutting down: finishing requests in flight");
}
