//! `GET /api/v1/me` and `PUT /api/v1/me/developer-mode` under each policy.

use serde_json::json;
use switchboard_core::Role;
use switchboard_testkit::{DbKind, Signed, TestApp};

use super::{assert_problem, on_both_backends, send};

async fn toggle(app: &TestApp, who: &Signed, enabled: bool) -> (reqwest::StatusCode, serde_json::Value) {
    send(
        who.client
            .put(app.at("/api/v1/me/developer-mode"))
            .headers(who.csrf_headers())
            .json(&json!({"enabled": enabled})),
    )
    .await
}

async fn set_policy(app: &TestApp, owner: &Signed, policy: &str, groups: &[&str]) {
    let body = json!({"developer_mode": {"policy": policy, "groups": groups}});
    let (status, got) =
        send(owner.client.put(app.at("/api/v1/workspace/settings")).headers(owner.csrf_headers()).json(&body)).await;
    assert_eq!(status, 200, "{got}");
}

mod developer_mode_follows_the_policy {
    use super::*;

    pub(crate) async fn run(kind: DbKind) {
        let app = TestApp::start(kind).await;
        let owner = app.signed_in("owner@example.com", Role::Owner).await;
        let admin = app.signed_in("admin@example.com", Role::Admin).await;
        let member = app.signed_in("member@example.com", Role::Member).await;
        let auditor = app.signed_in("auditor@example.com", Role::Auditor).await;

        // Default policy `admins`: owners and admins may, each for themselves.
        let (status, me) = toggle(&app, &owner, true).await;
        assert_eq!(status, 200, "{me}");
        assert_eq!(me["developer_mode"], json!({"enabled": true, "allowed": true, "active": true, "policy": "admins"}));
        let (_, admin_me) = send(admin.client.get(app.at("/api/v1/me"))).await;
        assert_eq!(admin_me["developer_mode"]["active"], false, "the toggle is per user");
        assert_eq!(toggle(&app, &admin, true).await.0, 200);
        assert_problem(&toggle(&app, &member, true).await, 403, "developer_mode_not_allowed");
        assert_problem(&toggle(&app, &auditor, true).await, 403, "developer_mode_not_allowed");
        assert_eq!(toggle(&app, &member, false).await.0, 200, "turning it off is always allowed");

        // `rbac`: members of a granted group may.
        let (_, group) = send(
            owner
                .client
                .post(app.at("/api/v1/groups"))
                .headers(owner.csrf_headers())
                .json(&json!({"name": "builders"})),
        )
        .await;
        let group_id = group["id"].as_str().expect("group id").to_owned();
        let add =
            owner.client.post(app.at(&format!("/api/v1/groups/{group_id}/members"))).headers(owner.csrf_headers());
        assert_eq!(send(add.json(&json!({"email": "member@example.com"}))).await.0, 201);
        set_policy(&app, &owner, "rbac", &[&group_id]).await;
        let (status, me) = toggle(&app, &member, true).await;
        assert_eq!(status, 200, "{me}");
        assert_eq!(me["developer_mode"]["active"], true);
        assert_eq!(me["groups"][0]["name"], "builders");
        assert_problem(&toggle(&app, &auditor, true).await, 403, "developer_mode_not_allowed");

        // `off`: nobody, and those who had it on are no longer active.
        set_policy(&app, &owner, "off", &[]).await;
        let (_, me) = send(member.client.get(app.at("/api/v1/me"))).await;
        assert_eq!(me["developer_mode"], json!({"enabled": true, "allowed": false, "active": false, "policy": "off"}));
        assert_problem(&toggle(&app, &owner, true).await, 403, "developer_mode_not_allowed");
        let (status, me) = toggle(&app, &owner, false).await;
        assert_eq!(status, 200);
        assert_eq!(me["developer_mode"]["enabled"], false);
    }
}

mod bearer_tokens_work_without_csrf {
    use super::*;

    pub(crate) async fn run(kind: DbKind) {
        let app = TestApp::start(kind).await;
        let user = app.user("dev@example.com", Role::Admin).await;
        let token = app.token_for(&user).await;
        let client = reqwest::Client::new();
        let (status, me) = send(client.get(app.at("/api/v1/me")).bearer_auth(&token)).await;
        assert_eq!(status, 200);
        assert_eq!(me["email"], "dev@example.com");
        let (status, me) =
            send(client.put(app.at("/api/v1/me/developer-mode")).bearer_auth(&token).json(&json!({"enabled": true})))
                .await;
        assert_eq!(status, 200, "{me}");
        assert_eq!(me["developer_mode"]["active"], true);
    }
}

on_both_backends!(developer_mode_follows_the_policy, bearer_tokens_work_without_csrf);
