//! `/api/v1/audit` and its NDJSON export: who may read the trail, its filters
//! and pages, and the admin changes it records.

use serde_json::{Value, json};
use switchboard_core::{AuditKind, ConnectorId, Role, UserId};
use switchboard_store::AuditEvent;
use switchboard_testkit::{DbKind, Signed, TestApp};

use super::{assert_problem, on_both_backends, send};

/// A playground-style call, appended straight to the trail.
fn call(actor: UserId, connector: ConnectorId, tool: &str) -> AuditEvent {
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
        latency_us: Some(1500),
        detail: json!({"source": "playground", "arguments": {"q": tool}}),
    }
}

async fn page(app: &TestApp, who: &Signed, query: &str) -> (u16, Value) {
    let (status, body) = send(who.client.get(app.at(&format!("/api/v1/audit{query}")))).await;
    (status.as_u16(), body)
}

/// Every entry matching `filters`, newest first, read `limit` at a time.
async fn all_pages(app: &TestApp, who: &Signed, filters: &str, limit: usize) -> Vec<Value> {
    let mut entries = vec![];
    let mut cursor: Option<String> = None;
    for _ in 0..100 {
        let query = match &cursor {
            Some(c) => format!("?limit={limit}&cursor={c}{filters}"),
            None => format!("?limit={limit}{filters}"),
        };
        let (status, body) = page(app, who, &query).await;
        assert_eq!(status, 200, "{body}");
        let got = body["entries"].as_array().expect("entries");
        assert!(got.len() <= limit);
        entries.extend(got.iter().cloned());
        match body["next_cursor"].as_str() {
            Some(next) => cursor = Some(next.to_owned()),
            None => return entries,
        }
    }
    panic!("paging did not end");
}

fn seqs(entries: &[Value]) -> Vec<i64> {
    entries.iter().map(|e| e["seq"].as_i64().expect("seq")).collect()
}

mod only_owners_admins_and_auditors_read_it {
    use super::*;

    pub(crate) async fn run(kind: DbKind) {
        let app = TestApp::start(kind).await;
        let owner = app.signed_in("owner@example.com", Role::Owner).await;
        let admin = app.signed_in("admin@example.com", Role::Admin).await;
        let auditor = app.signed_in("auditor@example.com", Role::Auditor).await;
        let member = app.signed_in("member@example.com", Role::Member).await;
        app.store.append_audit(&call(owner.user.id, ConnectorId::new(), "search")).await.expect("appended");

        for who in [&owner, &admin, &auditor] {
            let (status, body) = page(&app, who, "").await;
            assert_eq!(status, 200, "{}: {body}", who.user.email);
            assert_eq!(body["entries"].as_array().map(Vec::len), Some(1));
        }
        for path in ["/api/v1/audit", "/api/v1/audit/export"] {
            assert_problem(&send(member.client.get(app.at(path))).await, 403, "insufficient_role");
            assert_problem(&send(TestApp::client().get(app.at(path))).await, 401, "not_signed_in");
        }
        // A token works as a session does.
        let token = app.token_for(&auditor.user).await;
        let (status, _) = send(TestApp::client().get(app.at("/api/v1/audit")).bearer_auth(token)).await;
        assert_eq!(status, 200);
    }
}

mod filters_and_pages {
    use super::*;

    pub(crate) async fn run(kind: DbKind) {
        let app = TestApp::start(kind).await;
        let owner = app.signed_in("owner@example.com", Role::Owner).await;
        let auditor = app.signed_in("auditor@example.com", Role::Auditor).await;
        let (board, wiki) = (ConnectorId::new(), ConnectorId::new());
        for n in 0..7 {
            let (who, connector, tool) =
                if n % 2 == 0 { (owner.user.id, board, "list_tasks") } else { (auditor.user.id, wiki, "search") };
            app.store.append_audit(&call(who, connector, tool)).await.expect("appended");
        }
        let group = owner.client.post(app.at("/api/v1/groups")).headers(owner.csrf_headers());
        assert_eq!(send(group.json(&json!({"name": "eng"}))).await.0, 201);

        // Everything, three at a time: newest first, no entry twice, none left out.
        let everything = all_pages(&app, &auditor, "", 3).await;
        assert_eq!(seqs(&everything), (1..=8).rev().collect::<Vec<_>>());
        let newest = &everything[0];
        assert_eq!(newest["kind"], "group.created");
        assert_eq!(newest["actor"]["email"], "owner@example.com");
        assert_eq!(newest["detail"]["group"]["name"], "eng");
        assert_eq!(newest["hash"].as_str().map(str::len), Some(64));
        assert_eq!(newest["prev_hash"], everything[1]["hash"], "each entry carries the hash of the one before");
        let first_call = &everything[7];
        assert_eq!(first_call["tool"], "list_tasks");
        assert_eq!(first_call["connector"], json!({"id": board.to_string(), "name": null}), "the app is gone");
        assert_eq!(first_call["latency_us"], 1500);
        assert!(first_call["at"].as_str().is_some_and(|at| at.ends_with('Z')), "RFC 3339: {}", first_call["at"]);

        for (filters, expected) in [
            (format!("&actor={}", auditor.user.id), vec![6, 4, 2]),
            (format!("&connector={board}"), vec![7, 5, 3, 1]),
            ("&tool=search".to_owned(), vec![6, 4, 2]),
            (format!("&tool=list_tasks&actor={}", owner.user.id), vec![7, 5, 3, 1]),
            ("&kind=group.created".to_owned(), vec![8]),
            ("&kind=token.created".to_owned(), vec![]),
            ("&since=2999-01-01T00:00:00Z".to_owned(), vec![]),
            ("&until=2000-01-01T00:00:00Z".to_owned(), vec![]),
            ("&since=2000-01-01T00:00:00Z&until=2999-01-01T00:00:00%2B02:00".to_owned(), (1..=8).rev().collect()),
        ] {
            assert_eq!(seqs(&all_pages(&app, &auditor, &filters, 2).await), expected, "{filters}");
        }

        // The default page is 50; the last page says there is no next one.
        let (_, body) = page(&app, &auditor, "").await;
        assert_eq!(body["entries"].as_array().map(Vec::len), Some(8));
        assert_eq!(body["next_cursor"], Value::Null);
        let (_, body) = page(&app, &auditor, "?limit=8").await;
        assert_eq!(body["next_cursor"], Value::Null, "exactly a page left: no empty page after it");
    }
}

mod malformed_filters_are_refused {
    use super::*;

    pub(crate) async fn run(kind: DbKind) {
        let app = TestApp::start(kind).await;
        let owner = app.signed_in("owner@example.com", Role::Owner).await;
        for (query, says) in [
            ("actor=nobody", "actor must be a user id"),
            ("connector=42", "connector must be an app id"),
            ("kind=tool.exploded", "unknown kind \"tool.exploded\""),
            ("since=yesterday", "since must be an RFC 3339 time"),
            ("until=2026-13-01T00:00:00Z", "until must be an RFC 3339 time"),
            ("since=2026-02-01T00:00:00Z&until=2026-01-01T00:00:00Z", "since must be before until"),
            ("limit=0", "limit must be a whole number from 1 to 500"),
            ("limit=501", "limit must be a whole number from 1 to 500"),
            ("limit=ten", "limit must be a whole number from 1 to 500"),
            ("cursor=abc", "cursor is not one this API gave"),
            ("cursor=-3", "cursor is not one this API gave"),
        ] {
            let got = send(owner.client.get(app.at(&format!("/api/v1/audit?{query}")))).await;
            assert_problem(&got, 422, "invalid_input");
            assert!(got.1["detail"].as_str().is_some_and(|d| d.contains(says)), "{query}: {}", got.1);
        }
        let known = send(owner.client.get(app.at("/api/v1/audit?kind=nope"))).await;
        assert!(known.1["detail"].as_str().is_some_and(|d| d.contains("user.role_changed")), "lists the kinds");
        let export = send(owner.client.get(app.at("/api/v1/audit/export?kind=nope"))).await;
        assert_problem(&export, 422, "invalid_input");
    }
}

mod export_is_ndjson_oldest_first {
    use super::*;

    pub(crate) async fn run(kind: DbKind) {
        let app = TestApp::start(kind).await;
        let owner = app.signed_in("owner@example.com", Role::Owner).await;
        let auditor = app.signed_in("auditor@example.com", Role::Auditor).await;
        let board = ConnectorId::new();
        // More than one page of the export.
        let events: Vec<AuditEvent> = (0..1203).map(|n| call(owner.user.id, board, &format!("t{}", n % 3))).collect();
        app.store.append_audit_batch(&events).await.expect("appended");

        let export = |query: &str| {
            let request = auditor.client.get(app.at(&format!("/api/v1/audit/export{query}")));
            async move {
                let response = request.send().await.expect("export");
                assert_eq!(response.status(), 200);
                let kind = response.headers()["content-type"].to_str().expect("content type").to_owned();
                let body = response.text().await.expect("body");
                let lines: Vec<Value> =
                    body.lines().map(|l| serde_json::from_str(l).expect("each line is JSON")).collect();
                (kind, lines)
            }
        };
        let (content_type, lines) = export("").await;
        assert_eq!(content_type, "application/x-ndjson");
        assert_eq!(seqs(&lines), (1..=1203).collect::<Vec<_>>(), "oldest first, every entry once");
        assert_eq!(lines[0]["actor"]["email"], "owner@example.com");
        assert_eq!(lines[0]["prev_hash"], "0".repeat(64));
        assert_eq!(lines[1]["prev_hash"], lines[0]["hash"]);

        let (_, only) = export("?tool=t1&since=2000-01-01T00:00:00Z").await;
        assert_eq!(only.len(), 401);
        assert!(only.iter().all(|l| l["tool"] == "t1"));
        let (_, none) = export("?kind=user.removed").await;
        assert!(none.is_empty());
    }
}

mod admin_changes_are_recorded {
    use super::*;

    pub(crate) async fn run(kind: DbKind) {
        let app = TestApp::start(kind).await;
        let owner = app.signed_in("owner@example.com", Role::Owner).await;
        let admin = app.signed_in("admin@example.com", Role::Admin).await;
        let post = |who: &Signed, path: &str, body: Value| {
            who.client.post(app.at(path)).headers(who.csrf_headers()).json(&body)
        };
        let patch = |who: &Signed, path: &str, body: Value| {
            who.client.patch(app.at(path)).headers(who.csrf_headers()).json(&body)
        };
        let delete = |who: &Signed, path: &str| who.client.delete(app.at(path)).headers(who.csrf_headers());

        let body = json!({"email": "bob@example.com", "name": "Bob", "role": "member", "password": "bobs password"});
        let (_, bob) = send(post(&admin, "/api/v1/users", body)).await;
        let bob_id = bob["id"].as_str().expect("id").to_owned();
        let bob_path = format!("/api/v1/users/{bob_id}");
        assert_eq!(send(patch(&owner, &bob_path, json!({"role": "auditor", "name": "Robert"}))).await.0, 200);
        assert_eq!(send(patch(&admin, &bob_path, json!({"password": "a new password"}))).await.0, 200);
        let (_, group) = send(post(&admin, "/api/v1/groups", json!({"name": "eng"}))).await;
        let group_path = format!("/api/v1/groups/{}", group["id"].as_str().expect("id"));
        assert_eq!(
            send(post(&admin, &format!("{group_path}/members"), json!({"email": "bob@example.com"}))).await.0,
            201
        );
        assert_eq!(send(delete(&admin, &format!("{group_path}/members/{bob_id}"))).await.0, 204);
        let settings = json!({"developer_mode": {"policy": "rbac", "groups": [group["id"]]},
                              "network": {"allow_private": false, "allow_link_local": false, "allow_cloud_metadata": false}});
        let put = owner.client.put(app.at("/api/v1/workspace/settings")).headers(owner.csrf_headers());
        assert_eq!(send(put.json(&settings)).await.0, 200);
        assert_eq!(send(delete(&admin, &group_path)).await.0, 204);
        let (_, token) = send(post(&admin, "/api/v1/tokens", json!({"name": "ci", "expires_in_days": 30}))).await;
        let secret = token["token"].as_str().expect("token").to_owned();
        let token_id = token["id"].as_str().expect("id").to_owned();
        assert_eq!(send(delete(&admin, &format!("/api/v1/tokens/{token_id}"))).await.0, 204);
        assert_eq!(send(delete(&owner, &bob_path)).await.0, 204);

        let response = owner.client.get(app.at("/api/v1/audit/export")).send().await.expect("export");
        let text = response.text().await.expect("body");
        assert!(!text.contains(&secret), "the token is never recorded");
        assert!(!text.contains("bobs password") && !text.contains("a new password") && !text.contains("argon2"));
        let lines: Vec<Value> = text.lines().map(|l| serde_json::from_str(l).expect("json")).collect();
        let got: Vec<(&str, &str)> = lines
            .iter()
            .map(|l| (l["kind"].as_str().unwrap_or_default(), l["actor"]["email"].as_str().unwrap_or_default()))
            .collect();
        assert_eq!(
            got,
            [
                ("user.created", "admin@example.com"),
                ("user.renamed", "owner@example.com"),
                ("user.role_changed", "owner@example.com"),
                ("user.password_reset", "admin@example.com"),
                ("group.created", "admin@example.com"),
                ("group.member_added", "admin@example.com"),
                ("group.member_removed", "admin@example.com"),
                ("settings.changed", "owner@example.com"),
                ("group.deleted", "admin@example.com"),
                ("token.created", "admin@example.com"),
                ("token.revoked", "admin@example.com"),
                ("user.removed", "owner@example.com"),
            ]
        );
        let detail = |kind: &str| lines.iter().find(|l| l["kind"] == kind).map(|l| l["detail"].clone()).expect(kind);
        assert_eq!(detail("user.role_changed")["from"], "member");
        assert_eq!(detail("user.role_changed")["to"], "auditor");
        assert_eq!(detail("user.renamed")["to"], "Robert");
        assert_eq!(detail("user.created")["user"]["email"], "bob@example.com");
        assert_eq!(
            detail("token.created")["token"],
            json!({"id": token_id, "name": "ci", "expires_at": token["expires_at"]})
        );
        assert_eq!(detail("token.revoked")["token"]["name"], "ci");
        let changed = detail("settings.changed");
        assert_eq!(changed["developer_mode"]["from"]["policy"], "admins");
        assert_eq!(changed["developer_mode"]["to"]["groups"][0]["name"], "eng");
        assert_eq!(changed["network"]["from"]["allow_private"], true);
        assert_eq!(changed["network"]["to"]["allow_private"], false);
        assert!(changed.get("default_model").is_none(), "only the parts given: {changed}");
        assert_eq!(detail("user.removed")["user"]["role"], "auditor");

        // The trail verifies after all of it.
        let verified = app.store.verify_audit_trail().await.expect("read").expect("intact");
        assert_eq!(verified.records, 12);
    }
}

on_both_backends!(
    only_owners_admins_and_auditors_read_it,
    filters_and_pages,
    malformed_filters_are_refused,
    export_is_ndjson_oldest_first,
    admin_changes_are_recorded,
);
