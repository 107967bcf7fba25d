//! The browser flow against a server nobody here wrote: the npm MCP SDK's example
//! `simpleStreamableHttp --oauth`, whose demo authorization server runs beside it
//! on another port. In a real headless Chromium a person creates the app, is told
//! that its authorization server promises no refresh token, clicks Connect, passes
//! through the authorization server's `/authorize` page and comes back connected,
//! the tools listed with their token; a call from the playground then works.

use std::path::Path;

use switchboard_core::Role;
use switchboard_testkit::app::PASSWORD;
use switchboard_testkit::peers::PeerProcess;
use switchboard_testkit::{Browser, DbKind, TestApp};

#[tokio::test]
async fn a_person_connects_to_the_sdk_example_server_and_calls_a_tool() {
    let peer = PeerProcess::sdk_oauth_example();
    let app = TestApp::start(DbKind::Sqlite).await;
    let owner = app.user("owner@example.com", Role::Owner).await;
    let browser = Browser::start(&app.url, Path::new(env!("CARGO_TARGET_TMPDIR")).join("screenshots")).await;
    browser.client().set_window_size(1440, 900).await.expect("resize");
    browser.sign_in("owner@example.com", PASSWORD).await;

    // Create the app with OAuth: saved without tools, with the warning about refresh.
    browser.create_app_with_auth("SDK example", &peer.url, "oauth").await;
    let created = app.store.list_connectors().await.expect("connectors");
    let id = created[0].id.to_string();
    browser.wait_for_url(&format!("/settings/apps/{id}")).await;
    browser.wait_for_text("#created-warnings", "sign in again").await;
    browser.wait_for_text("#oauth-state", "Not connected yet").await;
    browser.assert_page_is_clean().await;

    // Connect: to the SDK's authorization server (on localhost, another origin) and back.
    browser.eval("window.scrollTo(0, 0); return null").await;
    browser.click("#oauth-connect").await;
    browser.wait_for_url(&format!("/settings/apps/{id}")).await;
    browser.wait_for_text("#oauth-result", "You are connected.").await;
    browser.wait_for_text("#oauth-state", "Connected.").await;
    browser.wait_for_text("tr[data-tool=greet]", "greet").await;
    browser.assert_page_is_clean().await;
    browser.screenshot("app-oauth-sdk-connected").await;

    // The person's tokens come from the SDK's authorization server, which registered Switchboard.
    let grant = app.store.oauth_grant(owner.id, created[0].id).await.expect("read").expect("connected");
    let issuer = url::Url::parse(&grant.issuer).expect("issuer");
    assert_eq!(issuer.host_str(), Some("localhost"), "{}", grant.issuer);
    assert_ne!(issuer.port(), Some(peer.port()), "an authorization server apart from the MCP server");
    let client = app.store.oauth_client(&grant.issuer, &app.at("/oauth/callback")).await.expect("read");
    assert!(client.is_some(), "registered with {}", grant.issuer);

    // A call from the playground, with the person's token.
    browser.eval("const s = document.getElementById('playground-tool'); s.value = 'greet'; s.dispatchEvent(new Event('change')); return null").await;
    browser.wait_for_text("#playground-fields [data-field=name]", "Name to greet").await;
    browser.fill("#playground-fields [name=name]", "Ada").await;
    browser.click("#playground-call").await;
    browser.wait_for_text("#playground-result .badge.status[data-status=pass]", "ok").await;
    browser.wait_for_text("#playground-result pre.text-item", "Hello, Ada!").await;
    browser.eval("document.getElementById('playground-result').scrollIntoView(); return null").await;
    browser.assert_page_is_clean().await;
    browser.screenshot("app-oauth-sdk-playground").await;
    browser.client().set_window_size(390, 844).await.expect("resize");
    browser.eval("document.getElementById('oauth-state').scrollIntoView({block: 'center'}); return null").await;
    browser.screenshot("app-oauth-sdk-connected-phone").await;
    browser.close().await;
}
