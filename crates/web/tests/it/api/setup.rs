//! `POST /api/v1/setup`: the first owner, once.

use serde_json::json;
use switchboard_testkit::{DbKind, TestApp};

use super::{assert_problem, on_both_backends, send};

mod creates_the_owner_once {
    use super::*;

    pub(crate) async fn run(kind: DbKind) {
        let app = TestApp::start(kind).await;
        let client = TestApp::client();
        let body = |token: &str, email: &str, password: &str| json!({"token": token, "email": email, "name": "Ada Lovelace", "password": password});

        let wrong =
            send(client.post(app.at("/api/v1/setup")).json(&body("nope", "ada@example.com", "correct horse"))).await;
        assert_problem(&wrong, 403, "invalid_setup_token");
        let bad_email =
            send(client.post(app.at("/api/v1/setup")).json(&body(&app.setup_token, "ada", "correct horse"))).await;
        assert_problem(&bad_email, 422, "invalid_input");
        let short =
            send(client.post(app.at("/api/v1/setup")).json(&body(&app.setup_token, "ada@example.com", "short"))).await;
        assert_problem(&short, 422, "invalid_input");
        assert!(short.1["detail"].as_str().unwrap_or_default().contains("at least 10"), "{}", short.1);
        assert!(app.store.list_users().await.expect("listed").is_empty(), "nothing is stored half-made");

        let (status, session) = send(client.post(app.at("/api/v1/setup")).json(&body(
            &app.setup_token,
            "Ada@Example.com",
            "correct horse",
        )))
        .await;
        assert_eq!(status, 201, "{session}");
        assert_eq!(session["user"]["role"], "owner");
        assert_eq!(session["user"]["email"], "ada@example.com");
        assert!(session["csrf_token"].as_str().is_some_and(|t| t.len() >= 32));
        // The cookie set by setup signs the owner in.
        let (status, me) = send(client.get(app.at("/api/v1/me"))).await;
        assert_eq!(status, 200);
        assert_eq!(me["role"], "owner");

        // A second setup, even with the right token, is a conflict.
        let again = send(TestApp::client().post(app.at("/api/v1/setup")).json(&body(
            &app.setup_token,
            "eve@example.com",
            "correct horse",
        )))
        .await;
        assert_problem(&again, 409, "already_set_up");
        assert_eq!(app.store.list_users().await.expect("listed").len(), 1);
    }
}

mod setup_page_redirects_once_done {
    use super::*;

    pub(crate) async fn run(kind: DbKind) {
        let app = TestApp::start(kind).await;
        let client = TestApp::client();
        let page = client.get(app.at("/")).send().await.expect("get /");
        assert_eq!(page.status(), 303);
        assert_eq!(page.headers()["location"], "/setup");
        let page = client.get(app.at(&format!("/setup?token={}", app.setup_token))).send().await.expect("get /setup");
        assert_eq!(page.status(), 200);
        let html = page.text().await.expect("html");
        assert!(html.contains(&format!("value=\"{}\"", app.setup_token)), "the token is carried into the form");
        assert!(!html.contains("<script>"), "no inline script");

        app.user("owner@example.com", switchboard_core::Role::Owner).await;
        let page = client.get(app.at("/setup")).send().await.expect("get /setup");
        assert_eq!(page.status(), 303);
        assert_eq!(page.headers()["location"], "/login");
        let page = client.get(app.at("/chat")).send().await.expect("get /chat");
        assert_eq!(page.status(), 303);
        assert_eq!(page.headers()["location"], "/login?next=/chat");
    }
}

on_both_backends!(creates_the_owner_once, setup_page_redirects_once_done);
