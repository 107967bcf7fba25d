//! `switchboard audit verify`: what it says of an intact trail, of one that was
//! tampered with, and of a database it cannot read.

use serde_json::json;
use sqlx::{AnyConnection, Connection as _};
use switchboard_core::{AuditKind, ConnectorId, UserId};
use switchboard_store::AuditEvent;
use switchboard_testkit::{DbKind, TestDb};

use crate::process::{run, switchboard, text};

/// Run `audit verify` on `db`: exit code and stdout.
fn verify(db: &TestDb) -> (Option<i32>, String) {
    let mut cmd = switchboard(db.dir.path());
    cmd.env("SWITCHBOARD_DATABASE_URL", &db.url).args(["audit", "verify"]);
    let out = run(cmd, "");
    (out.status.code(), text(&out.stdout) + &text(&out.stderr))
}

/// A trail of five entries; their ids, by seq - 1.
async fn five(db: &TestDb) -> Vec<String> {
    let store = db.store().await;
    let (actor, connector) = (UserId::new(), ConnectorId::new());
    let events: Vec<AuditEvent> = (0..5)
        .map(|n| AuditEvent {
            tool: Some(format!("tool_{n}")),
            ..AuditEvent::admin_change(actor, AuditKind::ToolToggled, Some(connector), json!({"enabled": n % 2 == 0}))
        })
        .collect();
    store.append_audit_batch(&events[..2]).await.expect("appended");
    for event in &events[2..] {
        store.append_audit(event).await.expect("appended");
    }
    let trail = store.audit_events(time::OffsetDateTime::UNIX_EPOCH, 10).await.expect("trail");
    store.close().await;
    trail.iter().map(|e| e.id.to_string()).collect()
}

async fn tamper(db: &TestDb, statements: &[&str]) {
    sqlx::any::install_default_drivers();
    let mut conn = AnyConnection::connect(&db.url).await.expect("connect");
    for sql in statements {
        sqlx::query(sql).execute(&mut conn).await.unwrap_or_else(|e| panic!("{sql}: {e}"));
    }
    conn.close().await.ok();
}

async fn each_change_is_named(kind: DbKind) {
    let db = TestDb::new(kind).await;
    let store = db.store().await;
    five(&db).await;
    let head = store.audit_events(time::OffsetDateTime::UNIX_EPOCH, 10).await.expect("trail")[4].hash.clone();
    let said = format!("audit trail verified: 5 records\nhead hash: {}\n", head.expect("hash"));
    assert_eq!(verify(&db), (Some(0), said));

    // An edited detail: the record is named, with its id.
    let db = TestDb::new(kind).await;
    let ids = five(&db).await;
    tamper(&db, &[r#"UPDATE audit_events SET detail = '{"enabled":true}' WHERE seq = 2"#]).await;
    let (code, said) = verify(&db);
    assert_eq!(code, Some(1), "{said}");
    assert!(said.starts_with(&format!("audit trail broken at record 2 ({}): hash mismatch", ids[1])), "{said}");

    // A record deleted in the middle.
    let db = TestDb::new(kind).await;
    five(&db).await;
    tamper(&db, &["DELETE FROM audit_events WHERE seq = 3"]).await;
    assert_eq!(verify(&db), (Some(1), "audit trail broken at record 3: missing: the trail jumps from 2 to 4\n".into()));

    // The last record deleted.
    let db = TestDb::new(kind).await;
    five(&db).await;
    tamper(&db, &["DELETE FROM audit_events WHERE seq = 5"]).await;
    let (code, said) = verify(&db);
    assert_eq!(code, Some(1), "{said}");
    assert!(said.starts_with("audit trail broken at record 5: head mismatch"), "{said}");

    // Two records trade places.
    let db = TestDb::new(kind).await;
    let ids = five(&db).await;
    tamper(
        &db,
        &[
            "UPDATE audit_events SET seq = -1 WHERE seq = 1",
            "UPDATE audit_events SET seq = 1 WHERE seq = 4",
            "UPDATE audit_events SET seq = 4 WHERE seq = -1",
        ],
    )
    .await;
    let (code, said) = verify(&db);
    assert_eq!(code, Some(1), "{said}");
    assert!(said.starts_with(&format!("audit trail broken at record 1 ({}): prev_hash mismatch", ids[3])), "{said}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn verify_names_the_changed_record_on_sqlite() {
    each_change_is_named(DbKind::Sqlite).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn verify_names_the_changed_record_on_postgres() {
    each_change_is_named(DbKind::Postgres).await;
}

#[test]
fn verify_without_a_database_exits_2() {
    let dir = tempfile::tempdir().expect("tempdir");
    let mut cmd = switchboard(dir.path());
    cmd.args(["--database-url", "postgres://postgres@127.0.0.1:1/switchboard", "audit", "verify"]);
    let out = run(cmd, "");
    assert_eq!(out.status.code(), Some(2));
    let err = text(&out.stderr);
    assert!(
        err.starts_with("error: cannot reach the database at postgres://postgres@127.0.0.1:1/switchboard"),
        "{err}"
    );
    assert!(text(&out.stdout).is_empty());
}
