//! One module per subcommand.

mod audit;
mod doctor;
mod mcp_client;
mod migrate;
mod serve;
mod token;
mod user;

use std::process::ExitCode;

use anyhow::Context as _;
use switchboard_store::{ConnectOptions, MasterKey, Store};

use crate::cli::{AuditCommand, Cli, Command, TokenCommand, UserCommand};
use crate::config::{self, Common};
use crate::logging;

/// Run the command; the exit code when it ran (an error is printed and exits 1).
pub(crate) async fn run(cli: Cli) -> anyhow::Result<ExitCode> {
    let common = config::common(&cli.global)?;
    logging::init(common.log_format);
    match cli.command {
        Command::Serve(args) => serve::run(&common, &config::serve(&args, &common)?).await?,
        Command::Migrate => migrate::run(&common).await?,
        Command::User(UserCommand::Add { email, role, name, password_stdin }) => {
            user::add(&common, &email, &role, name.as_deref(), password_stdin).await?
        }
        Command::Token(TokenCommand::Create { email, name, expires_in_days }) => {
            token::create(&common, &email, &name, expires_in_days).await?
        }
        Command::Audit(AuditCommand::Verify) => return Ok(audit::verify(&common).await),
        Command::Doctor(args) => return doctor::run(&common, &args).await,
        Command::McpClient(args) => return mcp_client::run(&common, &args).await,
    }
    Ok(ExitCode::SUCCESS)
}

/// The master key: `SWITCHBOARD_SECRET_KEY` (base64 of 32 bytes), else the key file
/// in the data dir, created on first use. Replicas sharing a database must share it.
fn master_key(common: &Common) -> anyhow::Result<MasterKey> {
    if let Ok(text) = std::env::var("SWITCHBOARD_SECRET_KEY") {
        return MasterKey::from_base64(&text).context("SWITCHBOARD_SECRET_KEY");
    }
    MasterKey::load_or_create(&common.data_dir.join("secret.key")).map_err(Into::into)
}

/// Make the data dir, connect, and migrate.
pub(crate) async fn open_store(common: &Common) -> anyhow::Result<Store> {
    create_data_dir(&common.data_dir)?;
    let key = master_key(common)?;
    let options = ConnectOptions { max_connections: common.database_max_connections, timeout: common.database_timeout };
    let store = Store::connect(&common.database_url, key, options).await?;
    store.migrate().await?;
    Ok(store)
}

fn create_data_dir(dir: &std::path::Path) -> anyhow::Result<()> {
    if dir.is_dir() {
        return Ok(());
    }
    let mut builder = std::fs::DirBuilder::new();
    builder.recursive(true);
    #[cfg(unix)]
    std::os::unix::fs::DirBuilderExt::mode(&mut builder, 0o700);
    builder.create(dir).with_context(|| format!("cannot create data dir {}", dir.display()))
}
