//! Audit records are committed by one writer, many at a time; whatever was
//! acknowledged is in the database after a `kill -9`, and the chain still verifies.

use serde_json::{Value, json};
use switchboard_testkit::peers::PeerProcess;
use switchboard_testkit::{DbKind, TestDb};

use crate::api::Api;
use crate::process::{Server, run, switchboard, text};

/// Calls in flight together.
const CALLS: usize = 48;

async fn acknowledged_calls_survive_a_kill(kind: DbKind) {
    let db = TestDb::new(kind).await;
    let dir = tempfile::tempdir().expect("tempdir");
    let with_db = |mut cmd: std::process::Command| {
        cmd.env("SWITCHBOARD_DATABASE_URL", &db.url);
        cmd
    };
    let token = Api::owner(dir.path(), with_db).token;

    let board = PeerProcess::kanban();
    let mut server = Server::start(with_db(switchboard(dir.path())));
    let client = switchboard_testkit::http_client();
    let created: Value = client
        .post(server.at("/api/v1/connectors"))
        .bearer_auth(&token)
        .json(&json!({"name": "Kanban", "url": board.url}))
        .send()
        .await
        .expect("create")
        .json()
        .await
        .expect("json");
    let id = created["connector"]["id"].as_str().expect("connector id").to_owned();

    // Many calls at once, each with its own query; the server dies as they finish.
    let path = server.at(&format!("/api/v1/connectors/{id}/tools/search/call"));
    let calls: Vec<_> = (0..CALLS)
        .map(|i| {
            let (client, path, token) = (client.clone(), path.clone(), token.clone());
            tokio::spawn(async move {
                let query = format!("query-{i}");
                let sent =
                    client.post(path).bearer_auth(token).json(&json!({"arguments": {"query": query}})).send().await;
                matches!(sent, Ok(r) if r.status() == 200).then_some(query)
            })
        })
        .collect();
    let mut acknowledged = vec![];
    for (i, call) in calls.into_iter().enumerate() {
        if let Some(query) = call.await.expect("call task") {
            acknowledged.push(query);
        }
        if i == 0 {
            server.child.kill().expect("kill -9");
        }
    }
    server.child.wait().expect("reaped");
    assert!(!acknowledged.is_empty(), "some calls were answered before the kill");

    // Every acknowledged call is in the audit trail, read straight from the database.
    let store = db.store().await;
    let since = time::OffsetDateTime::UNIX_EPOCH;
    let entries = store.audit_events(since, 10_000).await.expect("audit trail");
    let audited: Vec<String> =
        entries.iter().filter_map(|e| e.event.detail["arguments"]["query"].as_str().map(str::to_owned)).collect();
    for query in &acknowledged {
        assert!(
            audited.contains(query),
            "{query} was answered but is not in the audit trail ({} entries)",
            audited.len()
        );
    }

    // A commit cut short by the kill left no gap and no half-written link.
    let mut verify = with_db(switchboard(dir.path()));
    verify.args(["audit", "verify"]);
    let out = run(verify, "");
    assert!(out.status.success(), "{}{}", text(&out.stdout), text(&out.stderr));
    let said = text(&out.stdout);
    assert!(said.starts_with(&format!("audit trail verified: {} records\n", entries.len())), "{said}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn acknowledged_records_survive_kill_9_on_sqlite() {
    acknowledged_calls_survive_a_kill(DbKind::Sqlite).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn acknowledged_records_survive_kill_9_on_postgres() {
    acknowledged_calls_survive_a_kill(DbKind::Postgres).await;
}
