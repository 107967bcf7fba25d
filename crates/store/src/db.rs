//! Connecting, migrating and checking the database.

use std::sync::Arc;
use std::sync::atomic::AtomicU64;
use std::time::Duration;

use sqlx::any::{AnyConnectOptions, AnyPoolOptions};
use sqlx::migrate::Migrator;
use sqlx::{AnyConnection, AnyPool, Connection as _, Executor as _};

use crate::crypto::MasterKey;
use crate::error::{Result, StoreError};
use crate::time_ms;

static SQLITE_MIGRATIONS: Migrator = sqlx::migrate!("migrations/sqlite");
static POSTGRES_MIGRATIONS: Migrator = sqlx::migrate!("migrations/postgres");

/// Which database a [`Store`] talks to.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Backend {
    Sqlite,
    Postgres,
}

impl Backend {
    /// The backend a database URL names, if it is one we support.
    pub fn from_url(url: &str) -> Result<Self> {
        if url.starts_with("sqlite:") {
            Ok(Self::Sqlite)
        } else if url.starts_with("postgres://") || url.starts_with("postgresql://") {
            Ok(Self::Postgres)
        } else {
            Err(StoreError::UnsupportedUrl(redact_url(url)))
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Self::Sqlite => "sqlite",
            Self::Postgres => "postgres",
        }
    }
}

/// Pool settings.
#[derive(Clone, Debug)]
pub struct ConnectOptions {
    pub max_connections: u32,
    /// How long to wait for the first connection and, later, for a free one.
    pub timeout: Duration,
}

impl Default for ConnectOptions {
    fn default() -> Self {
        Self { max_connections: 10, timeout: Duration::from_secs(5) }
    }
}

/// The handle every query goes through. Cheap to clone.
#[derive(Clone, Debug)]
pub struct Store {
    pub(crate) pool: AnyPool,
    backend: Backend,
    pub(crate) key: Arc<MasterKey>,
    /// Cached-data writes made through this process (see `generation.rs`).
    pub(crate) changes: Arc<AtomicU64>,
    /// The database file, for a SQLite database that is one.
    pub(crate) sqlite_file: Option<Arc<std::path::Path>>,
    /// Runs turns' writes on a connection of its own, for a SQLite file.
    pub(crate) turns: Option<crate::turn_writer::TurnWriter>,
}

impl Store {
    /// Connect, failing fast with the reason when the database cannot be reached.
    /// Does not migrate: call [`Store::migrate`].
    pub async fn connect(url: &str, key: MasterKey, options: ConnectOptions) -> Result<Self> {
        sqlx::any::install_default_drivers();
        let backend = Backend::from_url(url)?;
        let shown = redact_url(url);
        let unreachable = |reason: String| StoreError::Unreachable { url: shown.clone(), reason };
        // Each statement is logged at debug (target `sqlx::query`, off by default):
        // `SWITCHBOARD_LOG=info,sqlx::query=debug` shows and counts them. Bound
        // values are never logged.
        let connect_options: AnyConnectOptions =
            url.parse::<AnyConnectOptions>().map_err(|e| unreachable(e.to_string()))?;

        if backend == Backend::Sqlite {
            restrict_sqlite_files(url);
        }

        // One direct connection first: the pool would only say "timed out", this says why.
        let probe = tokio::time::timeout(options.timeout, AnyConnection::connect_with(&connect_options))
            .await
            .map_err(|_| unreachable(format!("no answer within {:?}", options.timeout)))?
            .map_err(|e| unreachable(e.to_string()))?;
        probe.close().await.ok();

        let pool = AnyPoolOptions::new()
            .max_connections(if backend == Backend::Sqlite { options.max_connections.min(4) } else { options.max_connections })
            .acquire_timeout(options.timeout)
            .after_connect(move |conn, _meta| {
                Box::pin(async move {
                    if backend == Backend::Sqlite {
                        conn.execute("PRAGMA foreign_keys = ON; PRAGMA journal_mode = WAL; PRAGMA synchronous = NORMAL; PRAGMA busy_timeout = 5000;").await?;
                    }
                    Ok(())
                })
            })
            .connect_lazy_with(connect_options);
        let sqlite_file = (backend == Backend::Sqlite).then(|| sqlite_file(url)).flatten();
        let turns = sqlite_file.as_deref().and_then(|file| {
            crate::turn_writer::TurnWriter::start(file)
                .map_err(|e| tracing::warn!(error = %e, "the turn writer could not start; turns are written through the pool"))
                .ok()
        });
        Ok(Self { pool, backend, key: Arc::new(key), changes: Arc::default(), sqlite_file, turns })
    }

    pub fn backend(&self) -> Backend {
        self.backend
    }

    /// Apply pending migrations and make sure the workspace row exists.
    pub async fn migrate(&self) -> Result<()> {
        match self.backend {
            Backend::Sqlite => SQLITE_MIGRATIONS.run(&self.pool).await?,
            Backend::Postgres => POSTGRES_MIGRATIONS.run(&self.pool).await?,
        }
        sqlx::query("INSERT INTO workspace (id, created_at) VALUES (1, $1) ON CONFLICT (id) DO NOTHING")
            .bind(time_ms::to_ms(time_ms::now()))
            .execute(&self.pool)
            .await?;
        Ok(())
    }

    /// A round trip to the database, for readiness checks.
    pub async fn ping(&self) -> Result<()> {
        sqlx::query("SELECT 1").execute(&self.pool).await?;
        Ok(())
    }

    /// Close the pool, waiting for connections in use to be returned.
    pub async fn close(&self) {
        self.pool.close().await;
    }
}

/// The file of a SQLite database URL; `None` for one in memory.
fn sqlite_file(url: &str) -> Option<Arc<std::path::Path>> {
    if url.contains(":memory:") || url.contains("mode=memory") {
        return None;
    }
    let options = url.parse::<sqlx::sqlite::SqliteConnectOptions>().ok()?;
    Some(Arc::from(options.get_filename()))
}

/// Make a SQLite database readable by its owner only, whatever the mode of its
/// directory or the process's umask: it holds password hashes, sealed secrets and
/// every conversation.
///
/// The database file is created with mode 0600 before SQLite opens it (SQLite
/// itself would create it 0644 under the usual umask of 022), and an existing one
/// is narrowed to 0600. SQLite creates the `-wal` and `-shm` files with the mode of
/// the database file and sets that mode explicitly, so the umask cannot widen them;
/// ones left from an earlier run are narrowed here too. This is used rather than
/// changing the umask around opening because the umask belongs to the whole
/// process: every thread creating a file meanwhile would get it too.
///
/// Failures are logged, not returned: SQLite reports a file it cannot open.
fn restrict_sqlite_files(url: &str) {
    #[cfg(unix)]
    {
        use std::os::unix::fs::{OpenOptionsExt as _, PermissionsExt as _};

        if url.contains(":memory:") || url.contains("mode=memory") {
            return;
        }
        let Ok(options) = url.parse::<sqlx::sqlite::SqliteConnectOptions>() else { return };
        let path = options.get_filename();
        if url.contains("mode=rwc") {
            match std::fs::OpenOptions::new().write(true).create_new(true).mode(0o600).open(path) {
                Ok(_) => {}
                Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => {}
                Err(e) => tracing::warn!(file = %path.display(), error = %e, "could not create the database file"),
            }
        }
        for suffix in ["", "-wal", "-shm"] {
            let mut name = path.as_os_str().to_owned();
            name.push(suffix);
            let file = std::path::PathBuf::from(name);
            let Ok(meta) = std::fs::metadata(&file) else { continue };
            if meta.permissions().mode() & 0o077 == 0 {
                continue;
            }
            match std::fs::set_permissions(&file, std::fs::Permissions::from_mode(0o600)) {
                Ok(()) => tracing::info!(file = %file.display(), "database file made readable by its owner only"),
                Err(e) => tracing::warn!(file = %file.display(), error = %e,
                    "the database file is readable by others and its mode could not be changed"),
            }
        }
    }
    #[cfg(not(unix))]
    let _ = url;
}

/// The URL with any password replaced, for messages and logs.
pub(crate) fn redact_url(url: &str) -> String {
    let Some((scheme, rest)) = url.split_once("://") else {
        return url.to_owned();
    };
    match rest.split_once('@') {
        Some((userinfo, host)) if userinfo.contains(':') => {
            let user = userinfo.split(':').next().unwrap_or_default();
            format!("{scheme}://{user}:[redacted]@{host}")
        }
        _ => url.to_owned(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn passwords_are_redacted_from_urls() {
        assert_eq!(redact_url("postgres://u:secret@h:5432/db"), "postgres://u:[redacted]@h:5432/db");
        assert_eq!(redact_url("postgres://u@h/db"), "postgres://u@h/db");
        assert_eq!(redact_url("sqlite:///tmp/x.db"), "sqlite:///tmp/x.db");
    }

    #[test]
    fn backends_by_scheme() {
        assert_eq!(Backend::from_url("sqlite://x.db?mode=rwc").ok(), Some(Backend::Sqlite));
        assert_eq!(Backend::from_url("postgresql://h/db").ok(), Some(Backend::Postgres));
        assert!(matches!(Backend::from_url("mysql://h/db"), Err(StoreError::UnsupportedUrl(_))));
    }
}
