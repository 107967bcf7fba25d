//! `/api/v1/workspace/settings`.

use serde_json::json;
use switchboard_core::Role;
use switchboard_testkit::peers::PeerProcess;
use switchboard_testkit::{DbKind, Signed, TestApp};

use super::{assert_problem, on_both_backends, send};

mod policy_and_groups {
    use super::*;

    pub(crate) async fn run(kind: DbKind) {
        let app = TestApp::start(kind).await;
        let admin = app.signed_in("admin@example.com", Role::Admin).await;
        let member = app.signed_in("member@example.com", Role::Member).await;
        let auditor = app.signed_in("auditor@example.com", Role::Auditor).await;

        let (status, settings) = send(admin.client.get(app.at("/api/v1/workspace/settings"))).await;
        assert_eq!(status, 200);
        assert_eq!(settings["developer_mode"], json!({"policy": "admins", "groups": []}));
        assert_problem(&send(member.client.get(app.at("/api/v1/workspace/settings"))).await, 403, "insufficient_role");
        assert_eq!(send(auditor.client.get(app.at("/api/v1/workspace/settings"))).await.0, 200);

        let group = app.store.create_group("devs").await.expect("group");
        let put = |who: &Signed, body: serde_json::Value| {
            who.client.put(app.at("/api/v1/workspace/settings")).headers(who.csrf_headers()).json(&body)
        };
        let body = json!({"developer_mode": {"policy": "rbac", "groups": [group.id]}});
        let (status, settings) = send(put(&admin, body.clone())).await;
        assert_eq!(status, 200, "{settings}");
        assert_eq!(settings["developer_mode"]["groups"][0]["name"], "devs");
        assert_problem(&send(put(&auditor, body)).await, 403, "insufficient_role");
        let unknown = json!({"developer_mode": {"policy": "off", "groups": [switchboard_core::GroupId::new()]}});
        assert_problem(&send(put(&admin, unknown)).await, 404, "not_found");
        assert_problem(
            &send(put(&admin, json!({"developer_mode": {"policy": "everyone"}}))).await,
            422,
            "invalid_input",
        );
        let (_, settings) = send(admin.client.get(app.at("/api/v1/workspace/settings"))).await;
        assert_eq!(settings["developer_mode"]["policy"], "rbac", "a refused change leaves the settings as they were");
    }
}

mod network_policy {
    use super::*;

    pub(crate) async fn run(kind: DbKind) {
        let dir = tempfile::tempdir().expect("tempdir");
        let tools = dir.path().join("tools.json");
        let catalog =
            json!([{"name": "ping", "inputSchema": {"type": "object"}, "annotations": {"readOnlyHint": true}}]);
        std::fs::write(&tools, catalog.to_string()).expect("write tools");
        let peer = PeerProcess::python_tools(&tools, "streamable-http");
        let app = TestApp::start(kind).await;
        let owner = app.signed_in("owner@example.com", Role::Owner).await;
        let admin = app.signed_in("admin@example.com", Role::Admin).await;
        let member = app.signed_in("member@example.com", Role::Member).await;
        let put = |who: &Signed, body: serde_json::Value| {
            who.client.put(app.at("/api/v1/workspace/settings")).headers(who.csrf_headers()).json(&body)
        };
        let connect = || {
            owner
                .client
                .post(app.at("/api/v1/connectors"))
                .headers(owner.csrf_headers())
                .json(&json!({"name": "Local", "url": peer.url}))
        };

        // A fresh install allows local servers and refuses link-local and metadata addresses.
        let (status, settings) = send(owner.client.get(app.at("/api/v1/workspace/settings"))).await;
        assert_eq!(status, 200);
        let defaults = json!({"allow_private": true, "allow_link_local": false, "allow_cloud_metadata": false});
        assert_eq!(settings["network"], defaults);
        let (status, created) = send(connect()).await;
        assert_eq!(status, 201, "a loopback server is reachable by default: {created}");

        // The network part alone: the developer-mode part is left as it was.
        let refuse =
            json!({"network": {"allow_private": false, "allow_link_local": false, "allow_cloud_metadata": false}});
        let (status, settings) = send(put(&admin, refuse.clone())).await;
        assert_eq!(status, 200, "{settings}");
        assert_eq!(settings["network"]["allow_private"], false);
        assert_eq!(settings["developer_mode"]["policy"], "admins");
        let (_, settings) = send(owner.client.get(app.at("/api/v1/workspace/settings"))).await;
        assert_eq!(settings["network"]["allow_private"], false, "the change persists");
        assert!(!app.store.network_policy().await.expect("policy").allow_private);

        // Now the same loopback server is refused, with the diagnosis saying why and what to do.
        let refused = send(connect()).await;
        assert_problem(&refused, 422, "connection_failed");
        let steps = refused.1["details"]["steps"].as_array().cloned().unwrap_or_default();
        let last = steps.last().cloned().unwrap_or_default();
        assert_eq!((last["step"].as_str(), last["ok"].as_bool()), (Some("resolve"), Some(false)), "{}", refused.1);
        assert!(last["detail"].as_str().unwrap_or_default().contains("loopback"), "{last}");
        assert!(last["hint"].as_str().unwrap_or_default().contains("network settings"), "{last}");
        assert_eq!(app.store.list_connectors().await.expect("connectors").len(), 1, "nothing stored half-made");

        // The developer-mode part alone leaves the network policy alone.
        let (status, settings) = send(put(&owner, json!({"developer_mode": {"policy": "off"}}))).await;
        assert_eq!(status, 200, "{settings}");
        assert_eq!(settings["network"]["allow_private"], false);

        // Members may not change it; a body with neither part, or a half-given part, is refused.
        assert_problem(&send(put(&member, refuse)).await, 403, "insufficient_role");
        assert_problem(&send(put(&owner, json!({}))).await, 422, "invalid_input");
        assert_problem(&send(put(&owner, json!({"network": {"allow_private": true}}))).await, 422, "invalid_input");
        let extra = json!({"network": {"allow_private": true, "allow_link_local": false, "allow_cloud_metadata": false, "x": 1}});
        assert_problem(&send(put(&owner, extra)).await, 422, "invalid_input");

        // Allowing private addresses again makes the server reachable again.
        let allow = json!({"network": defaults});
        let (status, settings) = send(put(&owner, allow)).await;
        assert_eq!((status.as_u16(), &settings["network"]), (200, &defaults));
        let (status, created) = send(connect()).await;
        assert_eq!(status, 201, "{created}");
    }
}

on_both_backends!(policy_and_groups, network_policy);
