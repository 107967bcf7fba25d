//! `/api/v1/users`: who may list and change users.

use serde_json::json;
use switchboard_core::Role;
use switchboard_testkit::{DbKind, TestApp};

use super::{assert_problem, on_both_backends, send};

mod members_are_refused_owners_see_everyone {
    use super::*;

    pub(crate) async fn run(kind: DbKind) {
        let app = TestApp::start(kind).await;
        let owner = app.signed_in("owner@example.com", Role::Owner).await;
        let member = app.signed_in("member@example.com", Role::Member).await;
        let auditor = app.signed_in("auditor@example.com", Role::Auditor).await;

        assert_problem(&send(member.client.get(app.at("/api/v1/users"))).await, 403, "insufficient_role");
        let (status, users) = send(owner.client.get(app.at("/api/v1/users"))).await;
        assert_eq!(status, 200);
        let emails: Vec<_> =
            users.as_array().expect("list").iter().map(|u| u["email"].as_str().unwrap_or_default()).collect();
        assert_eq!(emails, ["owner@example.com", "member@example.com", "auditor@example.com"]);
        assert!(users.as_array().expect("list").iter().all(|u| u.get("password_hash").is_none()));
        assert_eq!(send(auditor.client.get(app.at("/api/v1/users"))).await.0, 200, "auditors read users");
        let create = auditor.client.post(app.at("/api/v1/users")).headers(auditor.csrf_headers());
        assert_problem(
            &send(create.json(&json!({"email": "x@example.com", "name": "X", "role": "member"}))).await,
            403,
            "insufficient_role",
        );
    }
}

mod owners_and_admins_manage_users {
    use super::*;

    pub(crate) async fn run(kind: DbKind) {
        let app = TestApp::start(kind).await;
        let owner = app.signed_in("owner@example.com", Role::Owner).await;
        let admin = app.signed_in("admin@example.com", Role::Admin).await;
        let post = |who: &switchboard_testkit::Signed, body: serde_json::Value| {
            who.client.post(app.at("/api/v1/users")).headers(who.csrf_headers()).json(&body)
        };

        let (status, bob) = send(post(
            &admin,
            json!({"email": "bob@example.com", "name": "Bob", "role": "member", "password": "bobs password"}),
        ))
        .await;
        assert_eq!(status, 201, "{bob}");
        assert_eq!(bob["role"], "member");
        assert_eq!(bob["has_password"], true);
        let dup = send(post(&owner, json!({"email": "BOB@example.com", "name": "Bob 2", "role": "member"}))).await;
        assert_problem(&dup, 409, "conflict");
        assert_problem(
            &send(post(&admin, json!({"email": "a2@example.com", "name": "A2", "role": "admin"}))).await,
            403,
            "insufficient_role",
        );
        assert_problem(
            &send(post(&owner, json!({"email": "a2@example.com", "name": "A2", "role": "root"}))).await,
            422,
            "invalid_input",
        );
        let (status, sso) = send(post(&owner, json!({"email": "a2@example.com", "name": "A2", "role": "admin"}))).await;
        assert_eq!(status, 201);
        assert_eq!(sso["has_password"], false);

        let bob_id = bob["id"].as_str().expect("id");
        let patch = |who: &switchboard_testkit::Signed, id: &str, body: serde_json::Value| {
            who.client.patch(app.at(&format!("/api/v1/users/{id}"))).headers(who.csrf_headers()).json(&body)
        };
        let (status, bob) = send(patch(&admin, bob_id, json!({"role": "auditor", "name": "Robert"}))).await;
        assert_eq!(status, 200, "{bob}");
        assert_eq!((bob["role"].as_str(), bob["name"].as_str()), (Some("auditor"), Some("Robert")));
        assert_problem(&send(patch(&admin, bob_id, json!({"role": "admin"}))).await, 403, "insufficient_role");
        let owner_id = owner.user.id.to_string();
        assert_problem(&send(patch(&admin, &owner_id, json!({"role": "member"}))).await, 403, "insufficient_role");
        assert_problem(&send(patch(&owner, &owner_id, json!({"role": "member"}))).await, 403, "insufficient_role");
        assert_problem(&send(patch(&owner, bob_id, json!({"password": "short"}))).await, 422, "invalid_input");

        // A role change ends the user's sessions.
        let carol = app.signed_in("carol@example.com", Role::Member).await;
        assert_eq!(send(patch(&owner, &carol.user.id.to_string(), json!({"role": "auditor"}))).await.0, 200);
        assert_problem(&send(carol.client.get(app.at("/api/v1/me"))).await, 401, "session_expired");

        let (status, got) = send(owner.client.get(app.at(&format!("/api/v1/users/{bob_id}")))).await;
        assert_eq!((status.as_u16(), got["email"].as_str()), (200, Some("bob@example.com")));
        let delete = |who: &switchboard_testkit::Signed, id: &str| {
            who.client.delete(app.at(&format!("/api/v1/users/{id}"))).headers(who.csrf_headers())
        };
        assert_problem(&send(delete(&owner, &owner_id)).await, 403, "insufficient_role");
        assert_eq!(send(delete(&admin, bob_id)).await.0, 204);
        assert_problem(&send(delete(&admin, bob_id)).await, 404, "not_found");
        assert_problem(&send(owner.client.get(app.at(&format!("/api/v1/users/{bob_id}")))).await, 404, "not_found");
        assert_problem(&send(owner.client.get(app.at("/api/v1/users/not-a-uuid"))).await, 404, "not_found");
    }
}

mod a_password_reset_revokes_tokens_unless_told_not_to {
    use super::*;

    pub(crate) async fn run(kind: DbKind) {
        let app = TestApp::start(kind).await;
        let owner = app.signed_in("owner@example.com", Role::Owner).await;
        let dana = app.signed_in("dana@example.com", Role::Member).await;
        let dana_id = dana.user.id.to_string();
        let reset = |body: serde_json::Value| {
            let path = format!("/api/v1/users/{dana_id}");
            owner.client.patch(app.at(&path)).headers(owner.csrf_headers()).json(&body)
        };
        let me_with = |token: &str| reqwest::Client::new().get(app.at("/api/v1/me")).bearer_auth(token);
        let sign_in = |password: &str| {
            TestApp::client()
                .post(app.at("/api/v1/session"))
                .json(&json!({"email": "dana@example.com", "password": password}))
        };

        // The token works (and is kept in memory) before the reset, and is refused at once after.
        let token = app.token_for(&dana.user).await;
        assert_eq!(send(me_with(&token)).await.0, 200);
        assert_eq!(send(me_with(&token)).await.0, 200);
        let (status, body) = send(reset(json!({"password": "a brand new password"}))).await;
        assert_eq!(status, 200, "{body}");
        assert_problem(&send(me_with(&token)).await, 401, "invalid_token");
        assert_problem(&send(dana.client.get(app.at("/api/v1/me"))).await, 401, "session_expired");
        assert_eq!(send(sign_in("a brand new password")).await.0, 200);
        assert_problem(&send(sign_in(switchboard_testkit::app::PASSWORD)).await, 401, "invalid_credentials");

        // With `revoke_tokens: false` the tokens keep working; the sessions still end.
        let kept = app.token_for(&dana.user).await;
        assert_eq!(send(me_with(&kept)).await.0, 200);
        let (status, body) = send(reset(json!({"password": "another new password", "revoke_tokens": false}))).await;
        assert_eq!(status, 200, "{body}");
        assert_eq!(send(me_with(&kept)).await.0, 200, "the token was kept");
        assert_problem(&send(sign_in("a brand new password")).await, 401, "invalid_credentials");

        // `revoke_tokens` says what a password reset revokes: alone it means nothing.
        assert_problem(&send(reset(json!({"revoke_tokens": true}))).await, 422, "invalid_input");
        assert_eq!(send(me_with(&kept)).await.0, 200);
    }
}

on_both_backends!(
    members_are_refused_owners_see_everyone,
    owners_and_admins_manage_users,
    a_password_reset_revokes_tokens_unless_told_not_to
);
