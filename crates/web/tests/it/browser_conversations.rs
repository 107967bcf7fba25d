//! Managing conversations in a real headless Chromium: search by title and
//! content, rename, pin, delete; and the model list taken from the scripted
//! provider's `/models`. Screenshots at desktop and phone sizes.

use std::path::Path;

use serde_json::json;
use switchboard_core::Role;
use switchboard_testkit::app::PASSWORD;
use switchboard_testkit::{Browser, DbKind, Reply, ScriptedModel, TestApp};

async fn start_conversation(app: &TestApp, token: &str, text: &str) -> String {
    let client = TestApp::client();
    let created: serde_json::Value = client
        .post(app.at("/api/v1/conversations"))
        .bearer_auth(token)
        .json(&json!({}))
        .send()
        .await
        .expect("create")
        .json()
        .await
        .expect("json");
    let id = created["id"].as_str().expect("id").to_owned();
    let response = client
        .post(app.at(&format!("/api/v1/conversations/{id}/messages")))
        .bearer_auth(token)
        .json(&json!({"content": text, "client_session": "setup"}))
        .send()
        .await
        .expect("turn");
    let _ = response.text().await;
    id
}

#[tokio::test]
async fn a_person_searches_renames_pins_and_deletes_conversations() {
    let model = ScriptedModel::start().await;
    model.set_models(&["gpt-small", "gpt-large"]);
    model.respond_with(|_| Reply::text("Noted."));
    let providers = model.providers("openai/gpt-small");
    let app = TestApp::start_with(DbKind::Sqlite, move |mut c| {
        c.providers = providers;
        c
    })
    .await;
    app.user("owner@example.com", Role::Owner).await;
    let me = app.user("me@example.com", Role::Member).await;
    let token = app.token_for(&me).await;
    start_conversation(&app, &token, "Draft the quarterly report").await;
    start_conversation(&app, &token, "Where shall we have lunch?").await;
    start_conversation(&app, &token, "Plan the offsite agenda").await;

    let browser = Browser::start(&app.url, Path::new(env!("CARGO_TARGET_TMPDIR")).join("screenshots")).await;
    browser.goto("/login").await;
    browser.fill("#login-form input[name=email]", "me@example.com").await;
    browser.fill("#login-form input[name=password]", PASSWORD).await;
    browser.click("#login-form button[type=submit]").await;
    browser.wait_for_url("/chat").await;
    browser.wait_for_text("#conversation-list", "Plan the offsite agenda").await;
    assert_eq!(browser.count("#conversation-list li").await, 3);

    // The model list comes from the provider.
    let options =
        browser.eval("return [...document.querySelectorAll('#model-options option')].map(o => o.value)").await;
    assert_eq!(options, json!(["openai/gpt-small", "openai/gpt-large", "anthropic/gpt-large", "anthropic/gpt-small"]));

    // Search by content.
    browser.fill("#conversation-search", "QUARTERLY").await;
    browser.wait_for_text("#conversation-list", "Draft the quarterly report").await;
    let until_one = "return document.querySelectorAll('#conversation-list li').length";
    for _ in 0..50 {
        if browser.eval(until_one).await == 1 {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    assert_eq!(browser.count("#conversation-list li").await, 1);
    browser.fill("#conversation-search", "nothing like this").await;
    browser.wait_for_text("#no-conversations", "No conversation matches.").await;
    // Emptied as the field's clear button does: an input event with no text.
    browser
        .eval("const s = document.getElementById('conversation-search'); s.value = ''; s.dispatchEvent(new Event('input')); return null")
        .await;
    browser.wait_for_text("#conversation-list", "Where shall we have lunch?").await;

    // Open one, rename it, pin it: it moves to the top with its mark.
    browser
        .eval(
            "[...document.querySelectorAll('#conversation-list button')]\
             .find(b => b.textContent.includes('Draft the quarterly report')).click(); return null",
        )
        .await;
    browser.wait_for_text("#chat-title", "Draft the quarterly report").await;
    browser.click("#rename-chat").await;
    browser.fill("#rename-input", "Q3 board report").await;
    browser.click("#rename-form button[type=submit]").await;
    browser.wait_for_text("#chat-title", "Q3 board report").await;
    browser.wait_for_text("#conversation-list", "Q3 board report").await;
    browser.click("#pin-chat").await;
    browser.wait_for_text("#pin-chat", "Unpin").await;
    browser.wait_for_text("#conversation-list li:first-child", "Q3 board report").await;
    browser.wait_for_text("#conversation-list li:first-child .pin-mark", "Pinned").await;
    browser.assert_page_is_clean().await;
    browser.screenshot("chat-conversations").await;
    browser.client().set_window_size(390, 844).await.expect("resize");
    // On a phone the list is a drawer, opened from the chat's header.
    browser.eval("window.scrollTo(0, 0); return null").await;
    browser.click("#open-conversations").await;
    browser.wait_for_text("#conversation-list li:first-child", "Q3 board report").await;
    browser.screenshot("chat-conversations-phone").await;
    browser.eval("document.getElementById('drawer-backdrop').click(); return null").await;
    browser.client().set_window_size(1280, 900).await.expect("resize");

    // Delete, after confirming.
    browser.eval("window.confirm = () => true; return null").await;
    browser.click("#delete-chat").await;
    browser.wait_for_text("#chat-empty", "Chat").await;
    for _ in 0..50 {
        if browser.eval("return document.querySelectorAll('#conversation-list li').length").await == 2 {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    assert_eq!(browser.count("#conversation-list li").await, 2);
    let left = app.store.list_conversations(me.id, None).await.expect("list");
    assert_eq!(left.len(), 2);
    assert!(left.iter().all(|c| c.title != "Q3 board report"));
    browser.assert_page_is_clean().await;
    browser.close().await;
}
