//! `GET /api/v1/me` and `PUT /api/v1/me/developer-mode` under each policy;
//! `PATCH /api/v1/me` and `POST /api/v1/me/password`: a person's own name and password.

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

mod a_person_changes_their_name_and_password {
    use super::*;
    use switchboard_testkit::app::PASSWORD;

    const NEW: &str = "a much better passphrase";

    async fn change(app: &TestApp, who: &Signed, current: &str, new: &str) -> (reqwest::StatusCode, serde_json::Value) {
        send(
            who.client
                .post(app.at("/api/v1/me/password"))
                .headers(who.csrf_headers())
                .json(&json!({"current": current, "new": new})),
        )
        .await
    }

    async fn sign_in_status(app: &TestApp, email: &str, password: &str) -> u16 {
        let body = json!({"email": email, "password": password});
        send(TestApp::client().post(app.at("/api/v1/session")).json(&body)).await.0.as_u16()
    }

    async fn me_status(app: &TestApp, who: &Signed) -> u16 {
        send(who.client.get(app.at("/api/v1/me"))).await.0.as_u16()
    }

    pub(crate) async fn run(kind: DbKind) {
        let app = TestApp::start(kind).await;
        let owner = app.signed_in("owner@example.com", Role::Owner).await;
        let user = app.user("ada@example.com", Role::Member).await;
        let here = app.sign_in(user.clone()).await;
        let phone = app.sign_in(user.clone()).await;
        let other = app.signed_in("other@example.com", Role::Member).await;

        // The name: trimmed, checked, recorded; no one else's changes.
        let rename = |who: &Signed, body: serde_json::Value| {
            who.client.patch(app.at("/api/v1/me")).headers(who.csrf_headers()).json(&body)
        };
        let (status, me) = send(rename(&here, json!({"name": "  Ada Lovelace "}))).await;
        assert_eq!(status, 200, "{me}");
        assert_eq!(me["name"], "Ada Lovelace");
        assert_eq!(send(phone.client.get(app.at("/api/v1/me"))).await.1["name"], "Ada Lovelace");
        assert_problem(&send(rename(&here, json!({"name": "   "}))).await, 422, "invalid_input");
        assert_problem(&send(rename(&here, json!({"name": "x".repeat(101)}))).await, 422, "invalid_input");
        assert_eq!(send(rename(&here, json!({"name": "A", "role": "owner"}))).await.0, 422, "no other field");
        assert_eq!(send(TestApp::client().patch(app.at("/api/v1/me")).json(&json!({"name": "x"}))).await.0, 401);
        assert_eq!(send(other.client.get(app.at("/api/v1/me"))).await.1["name"], "other");
        assert_eq!(send(rename(&here, json!({"name": "Ada"}))).await.1["role"], "member", "the role is untouched");

        // A wrong current password: refused, nothing changed, every session still in.
        assert_problem(&change(&app, &here, "not my password", NEW).await, 403, "wrong_password");
        assert_eq!(sign_in_status(&app, "ada@example.com", PASSWORD).await, 200, "the old password still works");
        assert_eq!(sign_in_status(&app, "ada@example.com", NEW).await, 401);
        assert_eq!(me_status(&app, &phone).await, 200);
        // A new password that breaks the rules: refused, nothing changed.
        assert_problem(&change(&app, &here, PASSWORD, "short").await, 422, "invalid_input");
        assert_eq!(me_status(&app, &phone).await, 200);
        // Without the CSRF header a browser session cannot change it.
        let no_csrf = here.client.post(app.at("/api/v1/me/password")).json(&json!({"current": PASSWORD, "new": NEW}));
        assert_eq!(send(no_csrf).await.0, 403);

        // The right one: changed; the other session ends, this one stays; others' untouched.
        let (status, body) = change(&app, &here, PASSWORD, NEW).await;
        assert_eq!(status, 204, "{body}");
        assert_eq!(me_status(&app, &here).await, 200, "the session it was changed from stays signed in");
        assert_eq!(me_status(&app, &phone).await, 401, "the person's other session has ended");
        assert_eq!(me_status(&app, &other).await, 200, "someone else's session is untouched");
        assert_eq!(me_status(&app, &owner).await, 200);
        assert_eq!(sign_in_status(&app, "ada@example.com", PASSWORD).await, 401, "the old password is gone");
        assert_eq!(sign_in_status(&app, "ada@example.com", NEW).await, 200);

        // Both changes are in the audit trail, without the password.
        let (status, audit) = send(owner.client.get(app.at("/api/v1/audit?limit=100"))).await;
        assert_eq!(status, 200, "{audit}");
        let entries = audit["entries"].as_array().expect("entries");
        let of = |kind: &str| entries.iter().filter(|e| e["kind"] == kind).count();
        assert_eq!(of("user.renamed"), 2, "{audit}");
        assert_eq!(of("user.password_reset"), 1, "{audit}");
        assert!(!audit.to_string().contains(NEW), "the password is never recorded");
    }
}

mod wrong_current_passwords_are_limited_like_sign_ins {
    use super::*;
    use switchboard_testkit::app::PASSWORD;

    const NEW: &str = "a much better passphrase";

    pub(crate) async fn run(kind: DbKind) {
        let app = TestApp::start_with(kind, |mut c| {
            c.sign_in.per_account = 3;
            c
        })
        .await;
        let here = app.signed_in("ada@example.com", Role::Member).await;
        let change = async |current: &str| {
            let request = here
                .client
                .post(app.at("/api/v1/me/password"))
                .headers(here.csrf_headers())
                .json(&json!({"current": current, "new": NEW}));
            let response = request.send().await.expect("answer");
            let retry_after = response.headers().get("retry-after").cloned();
            let status = response.status().as_u16();
            let body: serde_json::Value = response.json().await.unwrap_or_default();
            (status, retry_after, body)
        };

        // Three guesses from a signed-in session are answered...
        for _ in 0..3 {
            let (status, _, body) = change("a guess").await;
            assert_eq!((status, body["code"].as_str()), (403, Some("wrong_password")), "{body}");
        }
        // ...then even the right password is refused without being checked, and nothing changes.
        let (status, retry_after, body) = change(PASSWORD).await;
        assert_eq!((status, body["code"].as_str()), (429, Some("too_many_sign_ins")), "{body}");
        assert!(retry_after.is_some(), "Retry-After says when to try again");
        // The guesses count against the account's sign-ins too.
        let sign_in = json!({"email": "ada@example.com", "password": PASSWORD});
        let (status, body) = send(TestApp::client().post(app.at("/api/v1/session")).json(&sign_in)).await;
        assert_eq!((status.as_u16(), body["code"].as_str()), (429, Some("too_many_sign_ins")), "{body}");
        assert_eq!(send(here.client.get(app.at("/api/v1/me"))).await.0, 200, "the session itself is not ended");
    }
}

on_both_backends!(
    developer_mode_follows_the_policy,
    bearer_tokens_work_without_csrf,
    a_person_changes_their_name_and_password,
    wrong_current_passwords_are_limited_like_sign_ins
);
