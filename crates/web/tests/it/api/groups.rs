//! `/api/v1/groups` and their members.

use serde_json::json;
use switchboard_core::Role;
use switchboard_testkit::{DbKind, TestApp};

use super::{assert_problem, on_both_backends, send};

mod groups_and_members {
    use super::*;

    pub(crate) async fn run(kind: DbKind) {
        let app = TestApp::start(kind).await;
        let admin = app.signed_in("admin@example.com", Role::Admin).await;
        let member = app.signed_in("member@example.com", Role::Member).await;
        let post = |path: String, body: serde_json::Value| {
            admin.client.post(app.at(&path)).headers(admin.csrf_headers()).json(&body)
        };

        let (status, group) = send(post("/api/v1/groups".into(), json!({"name": "  engineering "}))).await;
        assert_eq!(status, 201, "{group}");
        assert_eq!(group["name"], "engineering");
        assert_eq!(group["member_count"], 0);
        assert_problem(&send(post("/api/v1/groups".into(), json!({"name": "engineering"}))).await, 409, "conflict");
        assert_problem(&send(post("/api/v1/groups".into(), json!({"name": "  "}))).await, 422, "invalid_input");
        let id = group["id"].as_str().expect("id").to_owned();
        let members = format!("/api/v1/groups/{id}/members");

        let (status, detail) = send(post(members.clone(), json!({"email": "member@example.com"}))).await;
        assert_eq!(status, 201, "{detail}");
        assert_eq!(detail["members"][0]["email"], "member@example.com");
        assert_problem(&send(post(members.clone(), json!({"email": "member@example.com"}))).await, 409, "conflict");
        assert_problem(&send(post(members.clone(), json!({"email": "ghost@example.com"}))).await, 404, "not_found");
        let unknown_group = format!("/api/v1/groups/{}/members", uuid_like());
        assert_problem(&send(post(unknown_group, json!({"email": "member@example.com"}))).await, 404, "not_found");

        let (status, list) = send(admin.client.get(app.at("/api/v1/groups"))).await;
        assert_eq!(status, 200);
        assert_eq!(list[0]["member_count"], 1);
        assert_problem(&send(member.client.get(app.at("/api/v1/groups"))).await, 403, "insufficient_role");
        let as_member =
            member.client.post(app.at("/api/v1/groups")).headers(member.csrf_headers()).json(&json!({"name": "mine"}));
        assert_problem(&send(as_member).await, 403, "insufficient_role");

        let remove = format!("{members}/{}", member.user.id);
        assert_eq!(send(admin.client.delete(app.at(&remove)).headers(admin.csrf_headers())).await.0, 204);
        assert_problem(
            &send(admin.client.delete(app.at(&remove)).headers(admin.csrf_headers())).await,
            404,
            "not_found",
        );
        let (_, detail) = send(admin.client.get(app.at(&format!("/api/v1/groups/{id}")))).await;
        assert_eq!(detail["members"], json!([]));

        assert_eq!(
            send(admin.client.delete(app.at(&format!("/api/v1/groups/{id}"))).headers(admin.csrf_headers())).await.0,
            204
        );
        assert_problem(&send(admin.client.get(app.at(&format!("/api/v1/groups/{id}")))).await, 404, "not_found");
    }

    fn uuid_like() -> String {
        switchboard_core::GroupId::new().to_string()
    }
}

on_both_backends!(groups_and_members);
