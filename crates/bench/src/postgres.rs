//! Scratch PostgreSQL databases, so that every PostgreSQL run starts from an
//! empty database exactly as every SQLite run starts from an empty data dir.

use std::time::Duration;

use anyhow::Context as _;
use sqlx::{Connection as _, Executor as _, PgConnection};

/// Give up on one administrative statement (with its connection) after this long.
const STATEMENT_LIMIT: Duration = Duration::from_secs(30);

/// The server named by the `--database-url` the user gave. That database is
/// only used to connect; runs get databases of their own next to it.
#[derive(Debug)]
pub(crate) struct Server {
    admin_url: String,
    runtime: tokio::runtime::Runtime,
}

impl Server {
    /// Check that the server answers and that we may create databases on it.
    pub(crate) fn connect(admin_url: &str) -> anyhow::Result<Self> {
        let runtime = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .context("cannot start the async runtime")?;
        let server = Self { admin_url: admin_url.to_owned(), runtime };
        server.execute("SELECT 1")?;
        let name = server.scratch_name("check");
        server.create(&name).context("the PostgreSQL role needs CREATEDB to give each run a fresh database")?;
        server.drop_database(&name)?;
        Ok(server)
    }

    /// A database name no one else uses: the prefix says who made it, should a
    /// killed run leave one behind.
    pub(crate) fn scratch_name(&self, run: &str) -> String {
        format!("switchboard_bench_{}_{run}", std::process::id())
    }

    /// The URL of database `name` on this server.
    pub(crate) fn url_of(&self, name: &str) -> String {
        with_database(&self.admin_url, name)
    }

    pub(crate) fn create(&self, name: &str) -> anyhow::Result<()> {
        self.execute(&format!("CREATE DATABASE {name}")).with_context(|| format!("cannot create database {name}"))
    }

    pub(crate) fn drop_database(&self, name: &str) -> anyhow::Result<()> {
        self.execute(&format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)"))
            .with_context(|| format!("cannot drop database {name}"))
    }

    fn execute(&self, sql: &str) -> anyhow::Result<()> {
        let work = async {
            let mut conn = PgConnection::connect(&self.admin_url)
                .await
                .context("cannot connect to PostgreSQL at --database-url")?;
            conn.execute(sql).await?;
            conn.close().await.ok();
            anyhow::Ok(())
        };
        self.runtime
            .block_on(async { tokio::time::timeout(STATEMENT_LIMIT, work).await })
            .map_err(|_| anyhow::anyhow!("PostgreSQL did not answer within {STATEMENT_LIMIT:?}"))?
    }
}

/// A database of a run's own on a PostgreSQL server, dropped when this is.
#[derive(Debug)]
pub(crate) struct Scratch {
    server: Server,
    name: String,
    pub(crate) url: String,
}

impl Scratch {
    /// Create the database `switchboard_bench_<pid>_<label>`.
    pub(crate) fn create(server: Server, label: &str) -> anyhow::Result<Self> {
        let name = server.scratch_name(label);
        server.create(&name)?;
        let url = server.url_of(&name);
        Ok(Self { server, name, url })
    }
}

impl Drop for Scratch {
    fn drop(&mut self) {
        if let Err(e) = self.server.drop_database(&self.name) {
            eprintln!("warning: {e:#}");
        }
    }
}

/// `url` with its database name replaced by `db`, keeping any query string.
fn with_database(url: &str, db: &str) -> String {
    let (base, query) = match url.split_once('?') {
        Some((base, query)) => (base, Some(query)),
        None => (url, None),
    };
    let authority_start = base.find("://").map_or(0, |i| i + 3);
    let root = match base[authority_start..].find('/') {
        Some(i) => &base[..authority_start + i],
        None => base,
    };
    match query {
        Some(query) => format!("{root}/{db}?{query}"),
        None => format!("{root}/{db}"),
    }
}

#[cfg(test)]
mod tests {
    use super::with_database;

    #[test]
    fn database_names_are_replaced() {
        let check = |url: &str, expect: &str| assert_eq!(with_database(url, "x"), expect);
        check("postgres://u@h:5432/bench", "postgres://u@h:5432/x");
        check("postgres://u@h:5432", "postgres://u@h:5432/x");
        check("postgresql://u:p@h/db?sslmode=disable", "postgresql://u:p@h/x?sslmode=disable");
    }
}
