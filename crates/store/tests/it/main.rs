//! The store's test suite: every test runs on SQLite and on PostgreSQL.

use switchboard_testkit::{DbKind, TestDb};

/// Run each `$test::run(TestDb)` once on a SQLite file (`sqlite::$test`) and once
/// on a fresh PostgreSQL database (`postgres::$test`).
macro_rules! on_both_backends {
    ($($test:ident),* $(,)?) => {
        mod sqlite {
            use super::*;
            $(
                #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
                async fn $test() {
                    super::$test::run(TestDb::new(DbKind::Sqlite).await).await;
                }
            )*
        }

        mod postgres {
            use super::*;
            $(
                #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
                async fn $test() {
                    super::$test::run(TestDb::new(DbKind::Postgres).await).await;
                }
            )*
        }
    };
}

mod audit;
mod call_tasks;
mod connectors;
mod conversations;
mod elicitations;
mod files;
mod groups;
mod oauth;
mod secrets;
mod sessions;
mod settings;
mod tokens;
mod usage;
mod users;
