//! `/api/v1/workspace/settings`.

use serde_json::json;
use switchboard_core::Role;
use switchboard_testkit::{DbKind, TestApp};

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
        assert_eq!(settings, json!({"developer_mode": {"policy": "admins", "groups": []}}));
        assert_problem(&send(member.client.get(app.at("/api/v1/workspace/settings"))).await, 403, "insufficient_role");
        assert_eq!(send(auditor.client.get(app.at("/api/v1/workspace/settings"))).await.0, 200);

        let group = app.store.create_group("devs").await.expect("group");
        let put = |who: &switchboard_testkit::Signed, body: serde_json::Value| {
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

on_both_backends!(policy_and_groups);
