//! `/api/v1/tokens`: personal API tokens.

use serde_json::json;
use switchboard_core::Role;
use switchboard_testkit::{DbKind, TestApp};

use super::{assert_problem, on_both_backends, send};

mod create_use_list_and_revoke {
    use super::*;

    pub(crate) async fn run(kind: DbKind) {
        let app = TestApp::start(kind).await;
        let ada = app.signed_in("ada@example.com", Role::Member).await;
        let bob = app.signed_in("bob@example.com", Role::Member).await;
        let create =
            |body: serde_json::Value| ada.client.post(app.at("/api/v1/tokens")).headers(ada.csrf_headers()).json(&body);

        let (status, created) = send(create(json!({"name": "laptop", "expires_in_days": 30}))).await;
        assert_eq!(status, 201, "{created}");
        let token = created["token"].as_str().expect("token shown once").to_owned();
        assert!(token.starts_with("sb_"));
        assert_eq!(created["hint"], token[token.len() - 4..]);
        assert!(created["expires_at"].is_string());
        assert_problem(&send(create(json!({"name": "x", "expires_in_days": 0}))).await, 422, "invalid_input");
        assert_problem(&send(create(json!({"name": ""}))).await, 422, "invalid_input");

        let fresh = reqwest::Client::new();
        let (status, me) = send(fresh.get(app.at("/api/v1/me")).bearer_auth(&token)).await;
        assert_eq!((status.as_u16(), me["email"].as_str()), (200, Some("ada@example.com")));

        let (_, list) = send(ada.client.get(app.at("/api/v1/tokens"))).await;
        let list = list.as_array().expect("list").clone();
        assert_eq!(list.len(), 1);
        assert!(list[0].get("token").is_none(), "the token is never listed");
        assert!(list[0]["last_used_at"].is_string(), "use is recorded");
        let (_, bobs) = send(bob.client.get(app.at("/api/v1/tokens"))).await;
        assert_eq!(bobs, json!([]));

        let id = created["id"].as_str().expect("id");
        let revoke = |who: &switchboard_testkit::Signed| {
            who.client.delete(app.at(&format!("/api/v1/tokens/{id}"))).headers(who.csrf_headers())
        };
        assert_problem(&send(revoke(&bob)).await, 404, "not_found");
        assert_eq!(send(revoke(&ada)).await.0, 204);
        assert_problem(&send(fresh.get(app.at("/api/v1/me")).bearer_auth(&token)).await, 401, "invalid_token");

        // The database holds only the digest.
        let stored = app.store.list_api_tokens(ada.user.id).await.expect("listed");
        assert!(stored.is_empty());
    }
}

on_both_backends!(create_use_list_and_revoke);
