//! Connecting to an OAuth-protected app in a real headless Chromium: the app's
//! page says the person is not connected, Connect goes through the PyPI `mcp`
//! SDK's authorization server (which approves at once) and back, the page says
//! so and lists the tools listed with the person's token; Disconnect revokes.

use std::path::Path;

use serde_json::{Value, json};
use switchboard_core::Role;
use switchboard_testkit::app::PASSWORD;
use switchboard_testkit::peers::PeerProcess;
use switchboard_testkit::{Browser, DbKind, Reply, ScriptedModel, TestApp, ToolCall};

#[tokio::test]
async fn a_person_connects_to_an_oauth_app_and_disconnects() {
    let dir = tempfile::tempdir().expect("tempdir");
    let tools = dir.path().join("tools.json");
    let catalog = json!([{"name": "echo", "description": "Use this to echo.", "inputSchema": {"type": "object",
        "properties": {"text": {"type": "string"}}}, "annotations": {"readOnlyHint": true}}]);
    std::fs::write(&tools, serde_json::to_vec(&catalog).expect("json")).expect("write tools");
    let peer = PeerProcess::python_oauth(&tools, &["--revocation"]);
    let app = TestApp::start(DbKind::Sqlite).await;
    app.user("owner@example.com", Role::Owner).await;
    let browser = Browser::start(&app.url, Path::new(env!("CARGO_TARGET_TMPDIR")).join("screenshots")).await;
    browser.sign_in("owner@example.com", PASSWORD).await;

    // Create the app in the form, choosing OAuth: saved at once, without tools.
    browser.create_app_with_auth("Protected", &peer.url, "oauth").await;
    let created = app.store.list_connectors().await.expect("connectors");
    assert_eq!((created.len(), created[0].auth_mode.as_str()), (1, "oauth"));
    let id = created[0].id.to_string();
    assert!(
        app.store.connector_oauth(created[0].id).await.expect("settings").is_some(),
        "its OAuth settings are stored"
    );
    browser.wait_for_url(&format!("/settings/apps/{id}")).await;
    browser.wait_for_text("#oauth-state", "Not connected yet").await;
    browser.wait_for_text("#oauth-connect", "Connect").await;
    assert_eq!(browser.count("#oauth-disconnect:not([hidden])").await, 0);
    browser.assert_page_is_clean().await;
    browser.screenshot("app-oauth-not-connected").await;

    // Connect: through the authorization server and back to the app's page.
    browser.eval("window.scrollTo(0, 0); return null").await;
    browser.click("#oauth-connect").await;
    browser.wait_for_url(&format!("/settings/apps/{id}")).await;
    browser.wait_for_text("#oauth-result", "You are connected.").await;
    browser.wait_for_text("#oauth-state", "Connected.").await;
    browser.wait_for_text("tr[data-tool=echo]", "echo").await;
    browser.assert_page_is_clean().await;
    browser.screenshot("app-oauth-connected").await;
    browser.client().set_window_size(390, 844).await.expect("resize");
    browser.screenshot("app-oauth-connected-phone").await;
    browser.client().set_window_size(1280, 900).await.expect("resize");

    // Disconnect: revoked at the authorization server, and the page says so.
    browser.click("#oauth-disconnect").await;
    browser.wait_for_text("#oauth-state", "Not connected yet").await;
    let stats: Value =
        reqwest::get(format!("{}/test/stats", peer.origin())).await.expect("stats").json().await.expect("json");
    assert_eq!(stats["code_exchanges"], 1, "{stats}");
    assert!(
        stats["revoked"].as_array().is_some_and(|r| !r.is_empty()),
        "the authorization server saw a revocation: {stats}"
    );
    browser.assert_page_is_clean().await;
    browser.close().await;
}

/// A mixed-auth app in the browser: created with *Mixed*, its actions listed
/// without signing in, each with what it needs; the playground calls the public
/// one at once and offers to connect for the private one; after connecting
/// through the authorization server, the private one runs with the person's token.
#[tokio::test]
async fn a_mixed_app_says_what_each_action_needs_and_offers_to_connect() {
    let dir = tempfile::tempdir().expect("tempdir");
    let tools = dir.path().join("tools.json");
    let schema = json!({"type": "object", "properties": {"text": {"type": "string"}}});
    let catalog = json!([
        {"name": "public_echo", "description": "Use this to echo without signing in.", "inputSchema": schema,
            "annotations": {"readOnlyHint": true}, "_meta": {"securitySchemes": [{"type": "noauth"}]}},
        {"name": "private_echo", "description": "Use this to echo as yourself.", "inputSchema": schema,
            "annotations": {"readOnlyHint": true},
            "_meta": {"securitySchemes": [{"type": "oauth2", "scopes": ["mcp:tools"]}]}},
    ]);
    std::fs::write(&tools, serde_json::to_vec(&catalog).expect("json")).expect("write tools");
    let peer = PeerProcess::python_oauth(&tools, &["--mixed"]);
    let app = TestApp::start(DbKind::Sqlite).await;
    app.user("owner@example.com", Role::Owner).await;
    let browser = Browser::start(&app.url, Path::new(env!("CARGO_TARGET_TMPDIR")).join("screenshots")).await;
    browser.client().set_window_size(1440, 900).await.expect("resize");
    browser.sign_in("owner@example.com", PASSWORD).await;

    browser.create_app_with_auth("Docs", &peer.url, "mixed").await;
    let created = app.store.list_connectors().await.expect("connectors");
    assert_eq!((created.len(), created[0].auth_mode.as_str()), (1, "mixed"));
    let id = created[0].id.to_string();
    browser.wait_for_url(&format!("/settings/apps/{id}")).await;
    browser.wait_for_text("tr[data-tool=public_echo] .badge.auth", "no sign-in").await;
    browser.wait_for_text("tr[data-tool=private_echo] .badge.auth", "your account").await;
    browser.wait_for_text("#oauth-state", "Not connected yet").await;

    // The public action runs without an account.
    browser.wait_for_text("#playground-tool", "public_echo").await;
    browser
        .eval("const s = document.querySelector('#playground-tool'); s.value = 'public_echo'; s.dispatchEvent(new Event('change')); return null")
        .await;
    browser.fill("#playground-fields [name=text]", "hello").await;
    browser.click("#playground-call").await;
    browser.wait_for_text("#playground-result", "anonymous").await;

    // The private one is not sent: the playground offers to connect.
    browser
        .eval("const s = document.querySelector('#playground-tool'); s.value = 'private_echo'; s.dispatchEvent(new Event('change')); return null")
        .await;
    browser.fill("#playground-fields [name=text]", "me").await;
    browser.click("#playground-call").await;
    browser.wait_for_text("#playground-errors", "connect").await;
    browser.wait_for_text("#playground-errors a.connect-app", "Connect").await;
    // The 409 auth_required is the answer the page shows; nothing else may be in the console.
    let logged = browser.console().await;
    assert!(logged.iter().all(|e| e.message.contains("status of 409")), "only the 409: {logged:?}");
    browser.assert_page_is_clean().await;
    browser.eval("document.querySelector('#playground').scrollIntoView(); return null").await;
    browser.screenshot("app-mixed-connect").await;
    browser.client().set_window_size(390, 844).await.expect("resize");
    browser.eval("document.querySelector('#playground-errors').scrollIntoView(); return null").await;
    browser.screenshot("app-mixed-connect-phone").await;
    browser.client().set_window_size(1440, 900).await.expect("resize");

    browser.click("#playground-errors a.connect-app").await;
    browser.wait_for_url(&format!("/settings/apps/{id}")).await;
    browser.wait_for_text("#oauth-state", "Connected.").await;
    browser
        .eval("const s = document.querySelector('#playground-tool'); s.value = 'private_echo'; s.dispatchEvent(new Event('change')); return null")
        .await;
    browser.fill("#playground-fields [name=text]", "me").await;
    browser.click("#playground-call").await;
    browser.wait_for_text("#playground-result", "person-").await;
    browser.assert_page_is_clean().await;
    browser.close().await;
}

/// A call in a conversation that needs the person's connection: the Connect link
/// in the thread goes through the authorization server and back to the same
/// conversation, which says so once and keeps only the conversation in its address.
#[tokio::test]
async fn connecting_from_a_conversation_comes_back_to_it() {
    let dir = tempfile::tempdir().expect("tempdir");
    let tools = dir.path().join("tools.json");
    let catalog = json!([{"name": "private_echo", "description": "Use this to echo as yourself.",
        "inputSchema": {"type": "object", "properties": {"text": {"type": "string"}}},
        "annotations": {"readOnlyHint": true},
        "_meta": {"securitySchemes": [{"type": "oauth2", "scopes": ["mcp:tools"]}]}}]);
    std::fs::write(&tools, serde_json::to_vec(&catalog).expect("json")).expect("write tools");
    let peer = PeerProcess::python_oauth(&tools, &["--mixed"]);
    let model = ScriptedModel::start().await;
    let providers = model.providers("openai/scripted");
    let app = TestApp::start_with(DbKind::Sqlite, |mut c| {
        c.providers = providers;
        c
    })
    .await;
    app.user("owner@example.com", Role::Owner).await;
    let browser = Browser::start(&app.url, Path::new(env!("CARGO_TARGET_TMPDIR")).join("screenshots")).await;
    browser.client().set_window_size(1440, 900).await.expect("resize");
    browser.sign_in("owner@example.com", PASSWORD).await;
    browser.create_app_with_auth("Docs", &peer.url, "mixed").await;
    let id = app.store.list_connectors().await.expect("connectors")[0].id.to_string();

    browser.goto("/chat").await;
    browser.wait_for_text("#model-status", "openai/scripted").await;
    browser.click("#composer-plus").await;
    browser.click("#menu-apps").await;
    browser.wait_for_text("#app-choices label", "Docs").await;
    browser.click(&format!("#app-choices input[value='{id}']")).await;
    browser.click("#composer-plus").await;
    model.push(Reply::tool_calls(vec![ToolCall::new("call_1", "docs__private_echo", json!({"text": "me"}))]));
    model.push(Reply::text("You need to connect to Docs first."));
    browser.fill("#composer-text", "Echo me").await;
    browser.click("#send").await;
    browser.wait_for_text(".call-connect a.connect-app", "Connect").await;
    let conversation = app.store.list_conversations(app.store.list_users().await.expect("users")[0].id, None).await;
    let conversation = conversation.expect("conversations")[0].id.to_string();
    let href = browser.eval("return document.querySelector('.call-connect a.connect-app').getAttribute('href')").await;
    let wanted = format!("return_to=%2Fchat%3Fc%3D{conversation}");
    assert!(href.as_str().is_some_and(|h| h.contains(&wanted)), "{href}");

    browser.click(".call-connect a.connect-app").await;
    browser.wait_for_text("#composer-status", "Connected. Ask again").await;
    // The card that asked no longer offers to connect.
    browser.wait_for_text(".call-connect", "Now connected").await;
    assert_eq!(browser.count(".call-connect a.connect-app").await, 0);
    assert_eq!(
        browser.current_url().await,
        app.at(&format!("/chat?c={conversation}")),
        "only the conversation is left"
    );
    browser.wait_for_text(".message[data-role=user]", "Echo me").await;
    browser.assert_page_is_clean().await;
    browser.screenshot("chat-connected-back").await;
    browser.close().await;
}
