//! A workspace with a member in developer mode who has connected apps, as the
//! browser tests of the chat, tasks and widgets start from.

use serde_json::{Value, json};
use switchboard_core::{DeveloperModePolicy, Role};
use switchboard_testkit::app::PASSWORD;
use switchboard_testkit::{Browser, Signed, TestApp};

/// The member's address.
pub(crate) const MEMBER: &str = "grace@example.com";

/// A workspace with an owner, and a member granted developer mode who has it on
/// and has connected `apps` (name, URL) as drafts; the member and the apps' ids.
pub(crate) async fn member_with_apps(app: &TestApp, apps: &[(&str, &str)]) -> (Signed, Vec<String>) {
    let setup = TestApp::client()
        .post(app.at("/api/v1/setup"))
        .json(&json!({"token": app.setup_token, "name": "Owner", "email": "owner@example.com", "password": PASSWORD}))
        .send()
        .await
        .expect("reach the server");
    assert_eq!(setup.status(), 201, "set up the workspace");
    let member = app.signed_in(MEMBER, Role::Member).await;
    let group = app.store.create_group("devs").await.expect("group");
    app.store.add_group_member(group.id, member.user.id).await.expect("member");
    app.store.set_developer_mode_policy(DeveloperModePolicy::Rbac, &[group.id]).await.expect("policy");
    let on = member
        .client
        .put(app.at("/api/v1/me/developer-mode"))
        .headers(member.csrf_headers())
        .json(&json!({"enabled": true}))
        .send()
        .await
        .expect("turn developer mode on");
    assert_eq!(on.status(), 200, "developer mode on");
    let mut ids = vec![];
    for (name, url) in apps {
        ids.push(create_app(app, &member, name, url).await);
    }
    (member, ids)
}

/// `who` connects the server at `url` as the app `name`; its id.
pub(crate) async fn create_app(app: &TestApp, who: &Signed, name: &str, url: &str) -> String {
    let created = who
        .client
        .post(app.at("/api/v1/connectors"))
        .headers(who.csrf_headers())
        .json(&json!({"name": name, "url": url}))
        .send()
        .await
        .expect("create the app");
    assert_eq!(created.status(), 201, "create {name}");
    let created: Value = created.json().await.expect("json");
    created["connector"]["id"].as_str().expect("connector id").to_owned()
}

/// Sign the member in; the browser is on the chat page after.
pub(crate) async fn sign_in_member(browser: &Browser) {
    browser.goto("/login").await;
    browser.fill("#login-form input[name=email]", MEMBER).await;
    browser.fill("#login-form input[name=password]", PASSWORD).await;
    browser.click("#login-form button[type=submit]").await;
    browser.wait_for_url("/chat").await;
}
