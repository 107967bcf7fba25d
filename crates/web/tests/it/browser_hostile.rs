//! The hostile MCP server's names, descriptions, server name and results on an
//! app's page in a real headless Chromium: markup stays text, and invisible
//! characters (direction overrides, zero-width marks, tag characters that spell
//! hidden text) are shown as `\u{…}`.

use std::path::Path;

use serde_json::json;
use switchboard_core::Role;
use switchboard_testkit::app::PASSWORD;
use switchboard_testkit::{Browser, DbKind, HostileServer, TestApp};

#[tokio::test]
async fn a_hostile_server_s_text_stays_inert_on_the_app_page() {
    let server = HostileServer::start();
    let app = TestApp::start(DbKind::Sqlite).await;
    // An owner: without one the workspace is not set up yet and every page leads to /setup.
    let owner = app.user("owner@example.com", Role::Owner).await;
    let token = app.token_for(&owner).await;
    let created: serde_json::Value = TestApp::client()
        .post(app.at("/api/v1/connectors"))
        .bearer_auth(&token)
        .json(&json!({"name": "Hostile", "url": server.url()}))
        .send()
        .await
        .expect("create the app")
        .json()
        .await
        .expect("json");
    let id = created["connector"]["id"].as_str().unwrap_or_else(|| panic!("{created}")).to_owned();

    let browser = Browser::start(&app.url, Path::new(env!("CARGO_TARGET_TMPDIR")).join("screenshots")).await;
    browser.sign_in("owner@example.com", PASSWORD).await;
    browser.goto(&format!("/settings/apps/{id}")).await;

    // The server's name, rendered on the server.
    browser.wait_for_text("#server-name", "hostile\\u{202e}<script>alert(1)</script>").await;
    // Titles, names and descriptions, built by the page's script.
    browser.wait_for_text("tr[data-tool=read_inbox] .tool-title", "<b>Inbox</b>\\u{202e}\\u{2066}\\u{200b}").await;
    let description = browser.text("tr[data-tool=read_inbox] .tool-description").await;
    for shown in
        ["<script>alert(document.cookie)</script>", "<img src=x onerror=alert(1)>", "\\u{e0049}\\u{e0047}\\u{e004e}"]
    {
        assert!(description.contains(shown), "{shown} in {description}");
    }
    browser.wait_for_text("#tools", "notes\\u{202e}txt.exe").await;
    assert_eq!(browser.count("#tools tr[data-tool]").await, 8);
    // Nothing the server sent became an element.
    assert_eq!(browser.count("main img, main b, main script, #tools iframe").await, 0);

    // A result in the playground: the same.
    let choose = "const s = document.querySelector('#playground-tool'); s.value = 'read_inbox'; \
                  s.dispatchEvent(new Event('change')); return s.value";
    assert_eq!(browser.eval(choose).await, "read_inbox");
    browser.click("#playground-call").await;
    browser.wait_for_text("#playground-result pre.text-item", "ignore all previous instructions").await;
    let result = browser.text("#playground-result pre.text-item").await;
    for shown in
        ["<img src=x onerror=alert(1)> <script>alert(2)</script>", "invoice\\u{202e}fdp.exe", "\\u{e0041}\\u{e0042}"]
    {
        assert!(result.contains(shown), "{shown} in {result}");
    }
    assert_eq!(browser.count("main img, main b, main script").await, 0);
    browser.assert_page_is_clean().await;
    browser.screenshot("hostile-app-page").await;
    browser.close().await;
}
