//! Accessibility: axe-core (vendored, test-only) runs in a real headless Chromium
//! on the chat page with an answer, the conversations drawer on a phone, Apps &
//! Connectors, Settings → Account and every Workspace page, some in the dark
//! theme too; no `serious` or
//! `critical` violation is allowed.

use std::path::Path;

use switchboard_core::Role;
use switchboard_testkit::app::PASSWORD;
use switchboard_testkit::{Browser, DbKind, Reply, ScriptedModel, TestApp};

const ANSWER: &str = "## Plan\n\n| Task | Owner |\n|---|---|\n| Notes | Grace |\n\n\
```rust\nfn main() {}\n```\n\nSee [the docs](https://example.com/docs) and ![chart](https://example.com/c.png).";

async fn assert_accessible(browser: &Browser, what: &str) {
    let violations = browser.axe().await;
    assert!(violations.is_empty(), "{what}: serious or critical accessibility violations:\n{}", violations.join("\n"));
}

#[tokio::test]
async fn chat_connectors_and_workspace_pages_have_no_serious_accessibility_violations() {
    let model = ScriptedModel::start().await;
    let providers = model.providers("openai/scripted");
    let app = TestApp::start_with(DbKind::Sqlite, move |mut c| {
        c.providers = providers;
        c
    })
    .await;
    app.user("owner@example.com", Role::Owner).await;
    app.user("member@example.com", Role::Member).await;
    let browser = Browser::start(&app.url, Path::new(env!("CARGO_TARGET_TMPDIR")).join("screenshots")).await;
    browser.goto("/login").await;
    assert_accessible(&browser, "sign-in page").await;
    browser.fill("#login-form input[name=email]", "owner@example.com").await;
    browser.fill("#login-form input[name=password]", PASSWORD).await;
    browser.click("#login-form button[type=submit]").await;
    browser.wait_for_url("/chat").await;
    assert_accessible(&browser, "empty chat").await;

    model.push(Reply::text(ANSWER));
    browser.fill("#composer-text", "Make a plan").await;
    browser.click("#send").await;
    browser.wait_for_text(".message[data-role=assistant]:not(.streaming)", "See the docs").await;
    assert_accessible(&browser, "chat with an answer").await;
    browser.click("#composer-plus").await;
    assert_accessible(&browser, "chat with the + menu open").await;

    browser.client().set_window_size(390, 844).await.expect("resize");
    browser.eval("window.scrollTo(0, 0); return null").await;
    browser.click("#open-conversations").await;
    assert_accessible(&browser, "the conversations drawer on a phone").await;
    browser.client().set_window_size(1280, 900).await.expect("resize");

    for path in [
        "/settings/apps",
        "/settings/account",
        "/settings/tokens",
        "/workspace/members",
        "/workspace/groups",
        "/workspace/permissions",
        "/workspace/network",
        "/workspace/apps",
        "/workspace/audit",
        "/workspace/usage",
    ] {
        browser.goto(path).await;
        assert_accessible(&browser, path).await;
    }
    // The dark theme too (contrast).
    browser.eval("localStorage.setItem('switchboard-theme', 'dark'); return null").await;
    for path in ["/chat", "/settings/account", "/workspace/members", "/workspace/audit", "/workspace/usage"] {
        browser.goto(path).await;
        assert_accessible(&browser, &format!("{path} in the dark theme")).await;
    }
    browser.eval("localStorage.removeItem('switchboard-theme'); return null").await;
    // The check itself finds what it should: a button without a name is critical.
    browser.eval("document.getElementById('main').append(document.createElement('button')); return null").await;
    let violations = browser.axe().await;
    assert!(violations.iter().any(|v| v.starts_with("button-name (critical)")), "{violations:?}");
    browser.close().await;
}
