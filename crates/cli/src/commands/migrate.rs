use crate::config::Common;

/// `switchboard migrate`: apply pending migrations and exit.
pub(super) async fn run(common: &Common) -> anyhow::Result<()> {
    let store = super::open_store(common).await?;
    store.close().await;
    println!("database is up to date ({})", store.backend().as_str());
    Ok(())
}
