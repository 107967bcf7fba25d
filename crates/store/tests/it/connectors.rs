use serde_json::json;
use switchboard_core::catalog::Tool;
use switchboard_core::network::NetworkPolicy;
use switchboard_core::{AuditKind, ConnectorId, Role, UserId};
use switchboard_store::{AuditEvent, NewConnector, StoreError};

use super::users::new_user;
use super::*;

fn tool(name: &str, read: bool) -> Tool {
    serde_json::from_value(
        json!({"name": name, "inputSchema": {"type": "object"}, "annotations": {"readOnlyHint": read},
        "_meta": {"ui.resourceUri": "ui://x"}, "icons": [{"src": "https://example.com/i.png"}]}),
    )
    .expect("a tool")
}

fn change(actor: UserId, kind: AuditKind, connector: ConnectorId) -> AuditEvent {
    AuditEvent::admin_change(actor, kind, Some(connector), json!({}))
}

mod catalog_round_trip_and_toggles {
    use super::*;

    pub(super) async fn run(db: TestDb) {
        let store = db.store().await;
        let owner = store.create_user(new_user("dev@example.com", Role::Member)).await.expect("user");
        let new = NewConnector {
            owner_id: owner.id,
            name: "Board".into(),
            description: "Kanban".into(),
            url: Some("http://127.0.0.1:3333/mcp".into()),
            command: None,
            transport: "auto".into(),
            auth_mode: "none".into(),
            protocol_version: "2026-07-28".into(),
            used_transport: "streamable_http".into(),
            server_info: json!({"name": "kanban", "version": "1"}),
        };
        let tools = vec![tool("list", true), tool("create", false)];
        let created = |id| change(owner.id, AuditKind::ConnectorCreated, id);
        let connector = store.create_connector(new.clone(), &tools, created).await.expect("created");
        let toggled = change(owner.id, AuditKind::ToolToggled, connector.id);
        assert_eq!(connector.server_info["name"], "kanban");
        let stored = store.connector_tools(connector.id).await.expect("tools");
        assert_eq!(stored.iter().map(|t| t.tool.clone()).collect::<Vec<_>>(), tools, "stored whole, in order");
        assert!(stored.iter().all(|t| t.enabled));

        let off = store.set_tool_enabled(connector.id, "create", false, &toggled).await.expect("toggled");
        assert!(!off.enabled);
        let unknown = store.set_tool_enabled(connector.id, "nope", false, &toggled).await;
        assert!(matches!(unknown, Err(StoreError::NotFound("tool"))));
        let count = store.tool_count(connector.id).await.expect("count");
        assert_eq!(count, store.connector_tools(connector.id).await.expect("tools").len());
        let one = store.connector_tool(connector.id, "create").await.expect("one tool");
        assert_eq!((one.tool.name.as_str(), one.enabled), ("create", false));
        assert!(matches!(store.connector_tool(connector.id, "nope").await, Err(StoreError::NotFound("tool"))));

        // A refresh keeps the toggle of tools that stay; new tools arrive enabled.
        store
            .replace_tools(
                connector.id,
                &[tool("create", false), tool("delete", false)],
                "2025-11-25",
                &change(owner.id, AuditKind::ConnectorRefreshed, connector.id),
            )
            .await
            .expect("replaced");
        let after = store.connector_tools(connector.id).await.expect("tools");
        assert_eq!(
            after.iter().map(|t| (t.tool.name.as_str(), t.enabled)).collect::<Vec<_>>(),
            [("create", false), ("delete", true)]
        );
        assert_eq!(store.connector(connector.id).await.expect("found").protocol_version, "2025-11-25");

        // A catalog that names a tool twice is refused whole.
        let dup = store.create_connector(new, &[tool("a", true), tool("a", true)], created).await;
        assert!(matches!(dup, Err(StoreError::Conflict(_))), "{dup:?}");
        assert_eq!(store.list_connectors().await.expect("listed").len(), 1, "nothing stored half-made");

        let deleted = change(owner.id, AuditKind::ConnectorDeleted, connector.id);
        store.delete_connector(connector.id, &deleted).await.expect("deleted");
        assert!(store.connector_tools(connector.id).await.expect("tools").is_empty());
        assert!(matches!(store.connector(connector.id).await, Err(StoreError::NotFound("connector"))));
        assert!(matches!(store.delete_connector(ConnectorId::new(), &deleted).await, Err(StoreError::NotFound(_))));

        // Each change is in the trail, written with it; what was refused left no entry.
        let trail = store.audit_events(time::OffsetDateTime::UNIX_EPOCH, 100).await.expect("trail");
        let kinds: Vec<AuditKind> = trail.iter().map(|e| e.event.kind).collect();
        assert_eq!(
            kinds,
            [
                AuditKind::ConnectorCreated,
                AuditKind::ToolToggled,
                AuditKind::ConnectorRefreshed,
                AuditKind::ConnectorDeleted
            ]
        );
        assert!(trail.iter().all(|e| e.event.connector_id == Some(connector.id) && e.event.actor_id == Some(owner.id)));
    }
}

mod network_policy {
    use super::*;

    pub(super) async fn run(db: TestDb) {
        let store = db.store().await;
        assert_eq!(store.network_policy().await.expect("read"), NetworkPolicy::default());
        let strict = NetworkPolicy { allow_private: false, allow_link_local: false, allow_cloud_metadata: false };
        assert_eq!(store.set_network_policy(strict).await.expect("set"), strict);
    }
}

/// The background check of published apps runs on one replica per interval:
/// of several servers claiming it at once (each its own pool), one wins.
mod one_drift_check_per_interval {
    use std::time::Duration;

    use super::*;

    pub(super) async fn run(db: TestDb) {
        let stores = [db.store().await, db.store().await, db.store().await, db.store().await];
        let now = time::OffsetDateTime::now_utc();
        let hour = Duration::from_secs(3600);
        let [a, b, c, d] = &stores;
        let claims = tokio::join!(
            a.claim_drift_check(now, hour),
            b.claim_drift_check(now, hour),
            c.claim_drift_check(now, hour),
            d.claim_drift_check(now, hour),
        );
        let won = [claims.0, claims.1, claims.2, claims.3].into_iter().filter(|c| *c.as_ref().expect("claim")).count();
        assert_eq!(won, 1, "exactly one server runs the check");
        assert!(!stores[0].claim_drift_check(now + time::Duration::minutes(59), hour).await.expect("claim"));
        assert!(
            stores[1].claim_drift_check(now + time::Duration::minutes(61), hour).await.expect("claim"),
            "due again"
        );
    }
}

on_both_backends!(catalog_round_trip_and_toggles, network_policy, one_drift_check_per_interval);
