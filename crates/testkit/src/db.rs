//! A fresh database per test: a SQLite file in a temporary directory, or a new
//! PostgreSQL database on the server named by `SWITCHBOARD_TEST_POSTGRES_URL`
//! (default `postgres://postgres@127.0.0.1:5432/postgres`), dropped afterwards.

use sqlx::{Connection as _, Executor as _, PgConnection};
use switchboard_store::{ConnectOptions, MasterKey, Store};
use tempfile::TempDir;

pub const DEFAULT_POSTGRES_URL: &str = "postgres://postgres@127.0.0.1:5432/postgres";

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum DbKind {
    Sqlite,
    Postgres,
}

/// A database that exists for one test.
#[derive(Debug)]
pub struct TestDb {
    pub kind: DbKind,
    /// The URL to hand to `Store::connect` or `switchboard --database-url`.
    pub url: String,
    /// Where a SQLite database file lives (also a scratch data directory).
    pub dir: TempDir,
    pg: Option<(String, String)>,
}

/// The server URL for PostgreSQL tests.
pub fn postgres_admin_url() -> String {
    std::env::var("SWITCHBOARD_TEST_POSTGRES_URL").unwrap_or_else(|_| DEFAULT_POSTGRES_URL.to_owned())
}

/// `url` with its database name replaced by `db`.
fn with_database(url: &str, db: &str) -> String {
    let (base, query) = match url.split_once('?') {
        Some((b, q)) => (b, Some(q)),
        None => (url, None),
    };
    let scheme_end = base.find("://").map(|i| i + 3).unwrap_or(0);
    let root = match base[scheme_end..].find('/') {
        Some(i) => &base[..scheme_end + i],
        None => base,
    };
    match query {
        Some(q) => format!("{root}/{db}?{q}"),
        None => format!("{root}/{db}"),
    }
}

impl TestDb {
    pub async fn new(kind: DbKind) -> TestDb {
        match kind {
            DbKind::Sqlite => Self::sqlite(),
            DbKind::Postgres => Self::postgres().await,
        }
    }

    pub fn sqlite() -> TestDb {
        let dir = tempfile::tempdir().expect("create a temporary directory");
        let url = format!("sqlite://{}?mode=rwc", dir.path().join("switchboard.db").display());
        TestDb { kind: DbKind::Sqlite, url, dir, pg: None }
    }

    /// A new, empty PostgreSQL database. Panics with the reason when the server is
    /// unreachable: PostgreSQL tests never skip.
    pub async fn postgres() -> TestDb {
        let admin = postgres_admin_url();
        let name = format!("sb_test_{}", uuid::Uuid::new_v4().simple());
        let mut conn = PgConnection::connect(&admin)
            .await
            .unwrap_or_else(|e| panic!("PostgreSQL at {admin} is needed for this test: {e}"));
        conn.execute(format!("CREATE DATABASE {name}").as_str()).await.expect("create test database");
        conn.close().await.ok();
        let dir = tempfile::tempdir().expect("create a temporary directory");
        TestDb { kind: DbKind::Postgres, url: with_database(&admin, &name), dir, pg: Some((admin, name)) }
    }

    /// A migrated store with a fresh master key.
    pub async fn store(&self) -> Store {
        self.store_with_key(MasterKey::generate()).await
    }

    pub async fn store_with_key(&self, key: MasterKey) -> Store {
        let store =
            Store::connect(&self.url, key, ConnectOptions::default()).await.expect("connect to the test database");
        store.migrate().await.expect("migrate the test database");
        store
    }

    /// The SQLite database file (for tests that read its bytes).
    pub fn sqlite_file(&self) -> std::path::PathBuf {
        self.dir.path().join("switchboard.db")
    }

    /// Whether `needle` is anywhere in the database: in the bytes of the SQLite
    /// file and its write-ahead log, or in any row of any PostgreSQL table.
    pub async fn holds_text(&self, needle: &str) -> bool {
        match self.kind {
            DbKind::Sqlite => ["", "-wal"].iter().any(|suffix| {
                let path = self.dir.path().join(format!("switchboard.db{suffix}"));
                let bytes = std::fs::read(&path).unwrap_or_default();
                bytes.windows(needle.len()).any(|w| w == needle.as_bytes())
            }),
            DbKind::Postgres => {
                let mut conn = PgConnection::connect(&self.url).await.expect("connect to the test database");
                let tables: Vec<String> = sqlx::query_scalar(
                    "SELECT table_name::text FROM information_schema.tables WHERE table_schema = 'public'",
                )
                .fetch_all(&mut conn)
                .await
                .expect("list tables");
                let mut found = false;
                for table in tables {
                    let rows: Vec<String> = sqlx::query_scalar(&format!("SELECT t::text FROM \"{table}\" t"))
                        .fetch_all(&mut conn)
                        .await
                        .expect("read a table");
                    found |= rows.iter().any(|row| row.contains(needle));
                }
                conn.close().await.ok();
                found
            }
        }
    }
}

impl Drop for TestDb {
    fn drop(&mut self) {
        let Some((admin, name)) = self.pg.take() else { return };
        // Drop runs outside any runtime guarantee: use a thread with its own.
        let _ = std::thread::spawn(move || {
            let rt = tokio::runtime::Builder::new_current_thread().enable_all().build().ok()?;
            rt.block_on(async {
                let mut conn = PgConnection::connect(&admin).await.ok()?;
                conn.execute(format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)").as_str()).await.ok()?;
                conn.close().await.ok()
            })
        })
        .join();
    }
}

#[cfg(test)]
mod tests {
    use super::with_database;

    #[test]
    fn database_names_are_replaced() {
        assert_eq!(with_database("postgres://u@h:5432/postgres", "x"), "postgres://u@h:5432/x");
        assert_eq!(with_database("postgres://u@h:5432", "x"), "postgres://u@h:5432/x");
        assert_eq!(with_database("postgres://u@h/db?sslmode=disable", "x"), "postgres://u@h/x?sslmode=disable");
    }
}
