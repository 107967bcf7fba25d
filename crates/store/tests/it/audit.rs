//! The audit trail's hash chain: appends from many writers stay one gap-free
//! chain, and any change to the stored records is caught at the right record.

use std::sync::Arc;

use serde_json::json;
use sqlx::{AnyConnection, Connection as _, Row as _};
use switchboard_core::audit::{ChainedRecord, GENESIS_HASH, record_hash};
use switchboard_core::{AuditKind, ConnectorId, UserId};
use switchboard_store::{AuditEvent, AuditFilter, AuditLog, BrokenRecord, ChainProblem, Store, VerifiedTrail};
use time::OffsetDateTime;

use super::*;

/// A playground-style call by `actor` on `connector`, numbered `n`.
fn call(actor: UserId, connector: ConnectorId, tool: &str, n: usize) -> AuditEvent {
    AuditEvent {
        kind: AuditKind::ToolCall,
        actor_id: Some(actor),
        conversation_id: None,
        tool_call_id: None,
        connector_id: Some(connector),
        tool: Some(tool.into()),
        classification: None,
        decision: None,
        status: Some("completed".into()),
        latency_us: Some(1000 + n as i64),
        detail: json!({"source": "playground", "arguments": {"n": n, "ratio": 0.1 + n as f64}, "result": {"ok": true}}),
    }
}

/// Six entries, appended one by one and in batches: seq 1 to 6.
async fn six(store: &Store) -> Vec<switchboard_store::AuditEntry> {
    let (actor, connector) = (UserId::new(), ConnectorId::new());
    store.append_audit(&call(actor, connector, "search", 1)).await.expect("appended");
    store
        .append_audit_batch(&[call(actor, connector, "search", 2), call(actor, connector, "fetch", 3)])
        .await
        .expect("batch");
    store
        .append_audit(&AuditEvent::admin_change(
            actor,
            AuditKind::ToolToggled,
            Some(connector),
            json!({"enabled": false}),
        ))
        .await
        .expect("appended");
    store
        .append_audit_batch(&[call(actor, connector, "search", 5), call(actor, connector, "search", 6)])
        .await
        .expect("batch");
    let trail = store.audit_events(OffsetDateTime::UNIX_EPOCH, 100).await.expect("trail");
    assert_eq!(trail.iter().map(|e| e.seq).collect::<Vec<_>>(), [1, 2, 3, 4, 5, 6]);
    trail
}

async fn raw(db: &TestDb) -> AnyConnection {
    sqlx::any::install_default_drivers();
    AnyConnection::connect(&db.url).await.expect("connect")
}

async fn exec(conn: &mut AnyConnection, sql: &str) {
    sqlx::query(sql).execute(&mut *conn).await.unwrap_or_else(|e| panic!("{sql}: {e}"));
}

async fn broken(store: &Store) -> BrokenRecord {
    match store.verify_audit_trail().await.expect("the trail can be read") {
        Ok(trail) => panic!("the change went unnoticed: {trail:?}"),
        Err(broken) => broken,
    }
}

mod appends_chain_from_the_genesis_hash {
    use super::*;

    pub(super) async fn run(db: TestDb) {
        let store = db.store().await;
        let empty = VerifiedTrail { records: 0, unchained: 0, head_hash: GENESIS_HASH.to_owned() };
        assert_eq!(store.verify_audit_trail().await.expect("read"), Ok(empty));
        let trail = six(&store).await;
        assert_eq!(trail[0].prev_hash.as_deref(), Some(GENESIS_HASH));
        for pair in trail.windows(2) {
            assert_eq!(pair[1].prev_hash, pair[0].hash, "record {} points at record {}", pair[1].seq, pair[0].seq);
        }
        assert_eq!(store.audit_head_seq().await.expect("head"), 6);
        let head_hash = trail[5].hash.clone().expect("hash");
        assert_eq!(
            store.verify_audit_trail().await.expect("read"),
            Ok(VerifiedTrail { records: 6, unchained: 0, head_hash })
        );
    }
}

mod an_edited_detail_is_caught {
    use super::*;

    pub(super) async fn run(db: TestDb) {
        let store = db.store().await;
        let trail = six(&store).await;
        let mut conn = raw(&db).await;
        exec(&mut conn, r#"UPDATE audit_events SET detail = '{"source":"playground","arguments":{}}' WHERE seq = 3"#)
            .await;
        let broken = broken(&store).await;
        assert_eq!((broken.seq, broken.id), (3, Some(trail[2].id)));
        assert!(matches!(broken.problem, ChainProblem::HashMismatch { stored: Some(_), .. }), "{broken}");
        assert!(broken.to_string().starts_with(&format!("record 3 ({}): hash mismatch", trail[2].id)), "{broken}");
    }
}

mod a_rehashed_edit_is_caught_at_the_next_record {
    use super::*;

    pub(super) async fn run(db: TestDb) {
        let store = db.store().await;
        let trail = six(&store).await;
        // Whoever edits a record and writes the hash of what they wrote still
        // breaks the link from the record after it.
        let e = &trail[1];
        let (id, actor, connector) =
            (e.id.to_string(), e.event.actor_id.map(|a| a.to_string()), e.event.connector_id.map(|c| c.to_string()));
        let record = |status| ChainedRecord {
            seq: 2,
            id: &id,
            at_ms: (e.at.unix_timestamp_nanos() / 1_000_000) as i64,
            kind: "tool_call",
            actor: actor.as_deref(),
            conversation: None,
            tool_call: None,
            connector: connector.as_deref(),
            tool: e.event.tool.as_deref(),
            classification: None,
            decision: None,
            status: Some(status),
            latency_us: e.event.latency_us,
            detail: &e.event.detail,
        };
        let prev = e.prev_hash.as_deref().expect("prev hash");
        assert_eq!(Some(record_hash(prev, &record("completed"))), e.hash, "the test hashes as the store does");
        let forged = record_hash(prev, &record("failed"));
        let mut conn = raw(&db).await;
        exec(&mut conn, &format!("UPDATE audit_events SET status = 'failed', hash = '{forged}' WHERE seq = 2")).await;
        let broken = broken(&store).await;
        assert_eq!((broken.seq, broken.id), (3, Some(trail[2].id)), "{broken}");
        assert!(matches!(broken.problem, ChainProblem::PrevHashMismatch { .. }), "{broken}");
    }
}

mod a_deleted_record_in_the_middle_is_caught {
    use super::*;

    pub(super) async fn run(db: TestDb) {
        let store = db.store().await;
        six(&store).await;
        let mut conn = raw(&db).await;
        exec(&mut conn, "DELETE FROM audit_events WHERE seq = 4").await;
        let broken = broken(&store).await;
        assert_eq!(broken, BrokenRecord { seq: 4, id: None, problem: ChainProblem::Gap { next: 5 } });
        assert_eq!(broken.to_string(), "record 4: missing: the trail jumps from 3 to 5");
    }
}

mod a_deleted_last_record_is_caught {
    use super::*;

    pub(super) async fn run(db: TestDb) {
        let store = db.store().await;
        six(&store).await;
        let mut conn = raw(&db).await;
        exec(&mut conn, "DELETE FROM audit_events WHERE seq = 6").await;
        let broken = broken(&store).await;
        assert_eq!(
            broken,
            BrokenRecord { seq: 6, id: None, problem: ChainProblem::HeadMismatch { head_seq: 6, last_seq: 5 } }
        );
        assert!(broken.to_string().contains("the head says the trail has 6 records, it ends at record 5"), "{broken}");

        // Cutting the head back too leaves its hash pointing at the deleted record.
        exec(&mut conn, "UPDATE audit_head SET seq = 5").await;
        let broken = super::broken(&store).await;
        assert_eq!((broken.seq, broken.problem.clone()), (5, ChainProblem::HeadMismatch { head_seq: 5, last_seq: 5 }));
    }
}

mod swapped_records_are_caught_at_the_first {
    use super::*;

    pub(super) async fn run(db: TestDb) {
        let store = db.store().await;
        let trail = six(&store).await;
        let mut conn = raw(&db).await;
        // Records 2 and 5 trade everything but their place in the sequence.
        exec(&mut conn, "UPDATE audit_events SET seq = -2 WHERE seq = 2").await;
        exec(&mut conn, "UPDATE audit_events SET seq = 2 WHERE seq = 5").await;
        exec(&mut conn, "UPDATE audit_events SET seq = 5 WHERE seq = -2").await;
        let broken = broken(&store).await;
        assert_eq!((broken.seq, broken.id), (2, Some(trail[4].id)), "{broken}");
        assert!(matches!(broken.problem, ChainProblem::PrevHashMismatch { .. }), "{broken}");
    }
}

mod an_entry_past_the_head_is_caught {
    use super::*;

    pub(super) async fn run(db: TestDb) {
        let store = db.store().await;
        six(&store).await;
        let mut conn = raw(&db).await;
        exec(
            &mut conn,
            "INSERT INTO audit_events (seq, id, at, kind, detail) \
             VALUES (7, '00000000-0000-7000-8000-000000000007', 0, 'tool_call', '{}')",
        )
        .await;
        let broken = broken(&store).await;
        assert_eq!(broken.seq, 7);
        assert_eq!(broken.problem, ChainProblem::HeadMismatch { head_seq: 6, last_seq: 7 });
    }
}

mod concurrent_writers_leave_one_gap_free_chain {
    use super::*;

    /// Entries through the group-committing writer of one "replica".
    const LOGGED: usize = 64;
    /// Entries appended one by one by another.
    const DIRECT: usize = 16;

    pub(super) async fn run(db: TestDb) {
        // Two stores, each with its own pool: two processes sharing the database.
        let first = db.store().await;
        let second = db.store().await;
        let log = AuditLog::start(first.clone());
        let second = Arc::new(second);
        let (actor, connector) = (UserId::new(), ConnectorId::new());
        let mut tasks = vec![];
        for n in 0..LOGGED {
            let log = log.clone();
            tasks.push(tokio::spawn(async move { log.append(call(actor, connector, "logged", n)).await.map(drop) }));
        }
        for n in 0..DIRECT {
            let store = second.clone();
            tasks.push(tokio::spawn(async move {
                store.append_audit(&call(actor, connector, "direct", n)).await.map(drop)
            }));
        }
        for task in tasks {
            task.await.expect("task").expect("appended");
        }
        let total = (LOGGED + DIRECT) as i64;
        let verified = first.verify_audit_trail().await.expect("read").expect("intact");
        assert_eq!((verified.records, verified.unchained), (total, 0));
        let trail = second.audit_events(OffsetDateTime::UNIX_EPOCH, 1000).await.expect("trail");
        assert_eq!(trail.last().and_then(|e| e.hash.clone()), Some(verified.head_hash));
        assert_eq!(trail.iter().map(|e| e.seq).collect::<Vec<_>>(), (1..=total).collect::<Vec<_>>());
        let logged = trail.iter().filter(|e| e.event.tool.as_deref() == Some("logged")).count();
        assert_eq!(logged, LOGGED);
    }
}

mod filters_and_pages {
    use super::*;

    pub(super) async fn run(db: TestDb) {
        let store = db.store().await;
        let (ada, bob) = (UserId::new(), UserId::new());
        let (board, wiki) = (ConnectorId::new(), ConnectorId::new());
        for n in 0..10 {
            let (actor, connector, tool) = if n % 2 == 0 { (ada, board, "list") } else { (bob, wiki, "search") };
            store.append_audit(&call(actor, connector, tool, n)).await.expect("appended");
        }
        store.append_audit(&AuditEvent::admin_change(ada, AuditKind::GroupCreated, None, json!({}))).await.expect("ok");
        let seqs = |entries: &[switchboard_store::AuditEntry]| entries.iter().map(|e| e.seq).collect::<Vec<_>>();
        let all = AuditFilter::default();

        // Newest first, continuing before the last seq given.
        let first = store.audit_newest_first(&all, None, 4).await.expect("page");
        assert_eq!(seqs(&first), [11, 10, 9, 8]);
        let next = store.audit_newest_first(&all, Some(8), 4).await.expect("page");
        assert_eq!(seqs(&next), [7, 6, 5, 4]);

        let by_ada = AuditFilter { actor: Some(ada), ..AuditFilter::default() };
        assert_eq!(seqs(&store.audit_newest_first(&by_ada, None, 50).await.expect("page")), [11, 9, 7, 5, 3, 1]);
        let on_wiki = AuditFilter { connector: Some(wiki), ..AuditFilter::default() };
        assert_eq!(seqs(&store.audit_newest_first(&on_wiki, None, 50).await.expect("page")), [10, 8, 6, 4, 2]);
        let searches = AuditFilter { tool: Some("search".into()), actor: Some(bob), ..AuditFilter::default() };
        assert_eq!(seqs(&store.audit_newest_first(&searches, Some(6), 50).await.expect("page")), [4, 2]);
        let groups = AuditFilter { kind: Some(AuditKind::GroupCreated), ..AuditFilter::default() };
        assert_eq!(seqs(&store.audit_newest_first(&groups, None, 50).await.expect("page")), [11]);
        let later = AuditFilter { since: Some(OffsetDateTime::now_utc() + time::Duration::hours(1)), ..all.clone() };
        assert!(store.audit_newest_first(&later, None, 50).await.expect("page").is_empty());
        let earlier = AuditFilter { until: Some(OffsetDateTime::now_utc() + time::Duration::hours(1)), ..all.clone() };
        assert_eq!(store.audit_newest_first(&earlier, None, 50).await.expect("page").len(), 11);

        // Oldest first, within a window of sequence numbers.
        assert_eq!(seqs(&store.audit_oldest_first(&by_ada, 1, 9, 2).await.expect("page")), [3, 5]);
        assert_eq!(seqs(&store.audit_oldest_first(&by_ada, 5, 9, 50).await.expect("page")), [7, 9]);
    }
}

mod records_from_before_the_chain_are_counted_apart {
    use super::*;

    /// Migrate a fresh database as a release before the chain would have (every
    /// migration before `0008`), write two records the old way, then migrate fully.
    pub(super) async fn run(db: TestDb) {
        let backend = match db.kind {
            DbKind::Sqlite => "sqlite",
            DbKind::Postgres => "postgres",
        };
        let source = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("migrations").join(backend);
        let old = tempfile::tempdir().expect("tempdir");
        for file in std::fs::read_dir(&source).expect("migrations") {
            let path = file.expect("file").path();
            let name = path.file_name().expect("name").to_string_lossy().into_owned();
            if name.as_str() < "0008" {
                std::fs::copy(&path, old.path().join(&name)).expect("copy");
            }
        }
        let mut conn = raw(&db).await;
        sqlx::migrate::Migrator::new(old.path()).await.expect("old migrations").run(&mut conn).await.expect("migrated");
        for (id, at) in [("00000000-0000-7000-8000-00000000000b", 2000), ("00000000-0000-7000-8000-00000000000a", 1000)]
        {
            exec(
                &mut conn,
                &format!(
                    "INSERT INTO audit_events (id, at, kind, actor_id, detail) \
                     VALUES ('{id}', {at}, 'tool_call', NULL, '{{\"source\":\"playground\"}}')"
                ),
            )
            .await;
        }
        conn.close().await.ok();

        let store = db.store().await;
        let before = store.audit_events(OffsetDateTime::UNIX_EPOCH, 10).await.expect("trail");
        assert_eq!(
            before.iter().map(|e| (e.seq, e.id.to_string(), e.hash.is_none())).collect::<Vec<_>>(),
            [
                (1, "00000000-0000-7000-8000-00000000000a".into(), true),
                (2, "00000000-0000-7000-8000-00000000000b".into(), true)
            ],
            "numbered in the order they were written"
        );
        let entry = store.append_audit(&call(UserId::new(), ConnectorId::new(), "search", 1)).await.expect("appended");
        assert_eq!((entry.seq, entry.prev_hash.as_deref()), (3, Some(GENESIS_HASH)), "the chain starts after them");
        let head_hash = entry.hash.clone().expect("hash");
        assert_eq!(
            store.verify_audit_trail().await.expect("read"),
            Ok(VerifiedTrail { records: 3, unchained: 2, head_hash })
        );

        // Their sequence is still checked.
        let mut conn = raw(&db).await;
        exec(&mut conn, "DELETE FROM audit_events WHERE seq = 1").await;
        assert_eq!(broken(&store).await, BrokenRecord { seq: 1, id: None, problem: ChainProblem::Gap { next: 2 } });
        let row = sqlx::query("SELECT chained_from FROM audit_head").fetch_one(&mut conn).await.expect("head");
        assert_eq!(row.try_get::<i64, _>("chained_from").expect("chained_from"), 3);
    }
}

on_both_backends!(
    appends_chain_from_the_genesis_hash,
    an_edited_detail_is_caught,
    a_rehashed_edit_is_caught_at_the_next_record,
    a_deleted_record_in_the_middle_is_caught,
    a_deleted_last_record_is_caught,
    swapped_records_are_caught_at_the_first,
    an_entry_past_the_head_is_caught,
    concurrent_writers_leave_one_gap_free_chain,
    filters_and_pages,
    records_from_before_the_chain_are_counted_apart,
);
