//! The REST API, folder by folder as the URLs go.

mod audit;
mod chat;
mod compliance;
mod connectors;
mod conversation_management;
mod conversations;
mod conversations_failures;
mod doctor;
mod elicitation;
mod errors;
mod freshness;
mod governance;
mod groups;
mod health;
mod hostile;
mod kanban;
mod me;
mod oauth;
mod oauth_client_metadata;
mod oauth_mixed;
mod oauth_moves;
mod oauth_oidc;
mod oauth_step_up;
mod openapi;
mod regenerate;
mod schemathesis;
mod session;
mod setup;
mod stale_sessions;
mod tasks;
mod tokens;
mod upstream_failures;
mod usage;
mod users;
mod widgets;
mod workspace;

use reqwest::{RequestBuilder, StatusCode};
use serde_json::Value;

/// Run each `$test::run(DbKind)` on SQLite (`sqlite::$test`) and PostgreSQL (`postgres::$test`).
macro_rules! on_both_backends {
    ($($test:ident),* $(,)?) => {
        mod sqlite {
            $(
                #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
                async fn $test() {
                    super::$test::run(switchboard_testkit::DbKind::Sqlite).await;
                }
            )*
        }

        mod postgres {
            $(
                #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
                async fn $test() {
                    super::$test::run(switchboard_testkit::DbKind::Postgres).await;
                }
            )*
        }
    };
}
pub(crate) use on_both_backends;

/// Send a request; the status and the JSON body (`Null` when there is none).
pub(crate) async fn send(request: RequestBuilder) -> (StatusCode, Value) {
    let response = request.send().await.expect("request reaches the server");
    let status = response.status();
    let text = response.text().await.expect("body");
    let body = if text.is_empty() { Value::Null } else { serde_json::from_str(&text).unwrap_or(Value::String(text)) };
    (status, body)
}

/// Assert a problem+json answer with this status and code.
#[track_caller]
pub(crate) fn assert_problem(got: &(StatusCode, Value), status: u16, code: &str) {
    assert_eq!(got.0.as_u16(), status, "status of {}", got.1);
    assert_eq!(got.1["code"], code, "code of {}", got.1);
    assert_eq!(got.1["status"], status, "status field of {}", got.1);
    assert!(got.1["detail"].as_str().is_some_and(|d| !d.is_empty()), "a detail a person can act on: {}", got.1);
}

/// Assert that `text`, shown to a person, is plain words: none of the internals of
/// an error (module paths, type names, debug output).
#[track_caller]
pub(crate) fn assert_plain_words(text: &str) {
    assert!(!text.trim().is_empty(), "a message, not nothing");
    for internal in ["::", "Error {", "Some(", "Transport", "rmcp", "reqwest", "hyper", "kind:", "source:"] {
        assert!(!text.contains(internal), "{internal:?} in {text:?}");
    }
    // MCP's own field names are words people writing servers know.
    const FIELDS: &[&str] = &["inputSchema", "outputSchema", "readOnlyHint", "structuredContent", "isError"];
    let type_name = text
        .split(|c: char| !c.is_ascii_alphanumeric())
        .filter(|w| !FIELDS.contains(w))
        .find(|w| w.chars().skip(1).any(|c| c.is_ascii_uppercase()) && w.chars().any(|c| c.is_ascii_lowercase()));
    assert!(type_name.is_none(), "the type name {type_name:?} in {text:?}");
}
