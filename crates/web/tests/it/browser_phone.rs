//! Phone size (390×844) in a real headless Chromium: the conversations are a
//! drawer (a header button opens it; Escape and the backdrop close it, focus goes
//! back to the button), the composer stays on screen after a long thread, tables
//! become cards, and no page is wider than the screen.

use std::path::Path;
use std::time::Duration;

use serde_json::{Value, json};
use switchboard_core::Role;
use switchboard_testkit::app::PASSWORD;
use switchboard_testkit::{Browser, DbKind, Reply, ScriptedModel, TestApp};

const WIDE: &str = "Here is a long answer with a wide table and a long word: \
supercalifragilisticexpialidocious_supercalifragilisticexpialidocious_supercalifragilistic.\n\n\
| Name | Email | Team | Role | Location | Started |\n|---|---|---|---|---|---|\n\
| Grace Hopper | grace.hopper@example.com | Compilers | Owner | Arlington, Virginia | 1944-07-01 |\n\n\
```\nan unbroken line of code that is much wider than a phone screen ever is ........................................\n```\n\n\
Paragraph one.\n\nParagraph two.\n\nParagraph three.\n\nParagraph four.";

/// Wait until `script` returns `want`.
async fn wait_eval(browser: &Browser, script: &str, want: Value) {
    for _ in 0..100 {
        if browser.eval(script).await == want {
            return;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert_eq!(browser.eval(script).await, want, "{script}");
}

const SIDEBAR_SHOWN: &str = "return document.getElementById('chat-sidebar').checkVisibility()";
/// True when nothing is wider than the screen; else the widest offenders, to say what to fix.
const FITS: &str = "if (document.documentElement.scrollWidth <= window.innerWidth) return true; \
     return [...document.querySelectorAll('body *')].filter(e => e.getBoundingClientRect().right > window.innerWidth + 0.5) \
       .slice(-5).map(e => `${e.tagName}.${e.className}#${e.id} ${Math.round(e.getBoundingClientRect().right)}`)";
const COMPOSER_ON_SCREEN: &str = "const r = document.getElementById('composer').getBoundingClientRect(); \
     return r.top >= 0 && r.bottom <= window.innerHeight && r.height > 0";

#[tokio::test]
async fn on_a_phone_the_list_is_a_drawer_the_composer_stays_and_nothing_is_wider_than_the_screen() {
    let model = ScriptedModel::start().await;
    let providers = model.providers("openai/scripted");
    let app = TestApp::start_with(DbKind::Sqlite, move |mut c| {
        c.providers = providers;
        c
    })
    .await;
    app.user("owner@example.com", Role::Owner).await;
    app.user("grace.hopper.with.a.long.address@example.com", Role::Member).await;
    let browser = Browser::start(&app.url, Path::new(env!("CARGO_TARGET_TMPDIR")).join("screenshots")).await;
    browser.client().set_window_size(390, 844).await.expect("resize");
    assert_eq!(browser.eval("return window.innerWidth").await, json!(390), "the viewport is a phone's");
    browser.goto("/login").await;
    browser.fill("#login-form input[name=email]", "owner@example.com").await;
    browser.fill("#login-form input[name=password]", PASSWORD).await;
    browser.click("#login-form button[type=submit]").await;
    browser.wait_for_url("/chat").await;

    // A long thread: several wide answers.
    for i in 0..4 {
        model.push(Reply::text(WIDE));
        browser.fill("#composer-text", &format!("Question {i}: tell me about the team")).await;
        browser.click("#send").await;
        wait_eval(
            &browser,
            "return document.querySelectorAll('.message[data-role=assistant]:not(.streaming)').length",
            json!(i + 1),
        )
        .await;
    }
    browser.wait_for_text(".message[data-role=assistant]:not(.streaming)", "Paragraph four").await;

    // The list is hidden until the drawer opens.
    assert_eq!(browser.eval(SIDEBAR_SHOWN).await, json!(false), "the conversation list waits in the drawer");
    assert_eq!(
        browser.eval("return document.getElementById('open-conversations').checkVisibility()").await,
        json!(true)
    );
    // The composer stays on screen at the top of the thread, and at its end.
    browser.eval("window.scrollTo(0, 0); return null").await;
    assert_eq!(browser.eval(COMPOSER_ON_SCREEN).await, json!(true), "composer at the top of a long thread");
    browser.eval("window.scrollTo(0, document.documentElement.scrollHeight); return null").await;
    assert_eq!(browser.eval(COMPOSER_ON_SCREEN).await, json!(true), "composer at the end of a long thread");
    let fits = browser.eval(FITS).await;
    assert_eq!(fits, json!(true), "the chat is no wider than the phone: {fits}");
    browser.screenshot("chat-phone").await;

    // The drawer: open, focus inside; Escape closes and focus returns to the button.
    browser.eval("window.scrollTo(0, 0); return null").await;
    browser.click("#open-conversations").await;
    assert_eq!(browser.eval(SIDEBAR_SHOWN).await, json!(true));
    assert_eq!(browser.eval("return document.activeElement.id").await, json!("new-chat"));
    assert_eq!(
        browser.eval("return document.getElementById('open-conversations').getAttribute('aria-expanded')").await,
        json!("true")
    );
    assert_eq!(browser.count("#conversation-list button[data-conversation]").await, 1);
    assert_eq!(browser.eval(FITS).await, json!(true), "the open drawer is no wider than the phone");
    browser
        .eval("document.activeElement.dispatchEvent(new KeyboardEvent('keydown', { key: 'Escape', bubbles: true })); return null")
        .await;
    assert_eq!(browser.eval(SIDEBAR_SHOWN).await, json!(false), "Escape closes the drawer");
    assert_eq!(browser.eval("return document.activeElement.id").await, json!("open-conversations"));
    // The backdrop closes it too; choosing a conversation closes it as well.
    browser.click("#open-conversations").await;
    // Beside the drawer, the backdrop is what a tap reaches.
    let tapped = browser
        .eval("const e = document.elementFromPoint(document.documentElement.clientWidth - 10, 400); e?.click(); return e?.id")
        .await;
    assert_eq!(tapped, json!("drawer-backdrop"));
    assert_eq!(browser.eval(SIDEBAR_SHOWN).await, json!(false), "the backdrop closes the drawer");
    browser.click("#open-conversations").await;
    browser.click("#conversation-list button[data-conversation]").await;
    assert_eq!(browser.eval(SIDEBAR_SHOWN).await, json!(false), "opening a conversation closes the drawer");

    // The other main pages fit too; their tables are cards with labelled cells.
    for (path, name) in [
        ("/workspace/members", Some("workspace-members-phone")),
        ("/workspace/apps", None),
        ("/workspace/audit", None),
        ("/workspace/usage", None),
        ("/workspace/network", None),
        ("/settings/account", None),
        ("/settings/apps", None),
    ] {
        browser.goto(path).await;
        tokio::time::sleep(Duration::from_millis(300)).await;
        let fits = browser.eval(FITS).await;
        assert_eq!(fits, json!(true), "{path} is no wider than the phone: {fits}");
        if let Some(name) = name {
            browser.screenshot(name).await;
        }
    }
    // The Create app form, OAuth's settings open: its fieldset and selects shrink to the screen.
    browser.goto("/settings/apps").await;
    browser.click("#create-app-open").await;
    browser
        .eval(
            "const s = document.querySelector('#create-app-form select[name=auth]'); s.value = 'oauth'; \
             s.dispatchEvent(new Event('change', {bubbles: true})); return null",
        )
        .await;
    wait_eval(&browser, "return !document.getElementById('auth-oauth').hidden", json!(true)).await;
    let fits = browser.eval(FITS).await;
    assert_eq!(fits, json!(true), "the Create app form is no wider than the phone: {fits}");
    browser.eval("document.getElementById('auth-oauth').scrollIntoView({block: 'center'}); return null").await;
    browser.screenshot("apps-create-phone").await;

    browser.goto("/workspace/members").await;
    let cards = browser
        .eval(
            "const t = document.querySelector('.table-wrap table'); \
             return t ? [getComputedStyle(t.querySelector('thead')).display, \
                         t.querySelector('tbody td').dataset.label] : null",
        )
        .await;
    assert_eq!(cards[0], json!("none"), "the table's heading row is hidden on a phone: {cards}");
    assert!(cards[1].as_str().is_some_and(|l| !l.is_empty()), "each cell names its column: {cards}");
    browser.assert_page_is_clean().await;
    browser.close().await;
}
