//! Settings → Account in a real headless Chromium: a person renames themselves,
//! is refused with a wrong current password, changes it (their other session
//! ends, this one stays), and picks a theme that is applied from <head> on the
//! next page load, before anything is drawn.

use std::path::Path;
use std::time::Duration;

use serde_json::{Value, json};
use switchboard_core::Role;
use switchboard_testkit::app::PASSWORD;
use switchboard_testkit::{Browser, DbKind, TestApp};

const NEW: &str = "correct horse battery staple";

async fn wait_eval(browser: &Browser, script: &str, want: Value) {
    for _ in 0..100 {
        if browser.eval(script).await == want {
            return;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert_eq!(browser.eval(script).await, want, "{script}");
}

#[tokio::test]
async fn a_person_renames_themselves_changes_their_password_and_picks_a_theme() {
    let app = TestApp::start(DbKind::Sqlite).await;
    app.user("owner@example.com", Role::Owner).await;
    let user = app.user("ada@example.com", Role::Member).await;
    // The same person signed in elsewhere (another device).
    let elsewhere = app.sign_in(user).await;

    let browser = Browser::start(&app.url, Path::new(env!("CARGO_TARGET_TMPDIR")).join("screenshots")).await;
    browser.goto("/login").await;
    browser.fill("#login-form input[name=email]", "ada@example.com").await;
    browser.fill("#login-form input[name=password]", PASSWORD).await;
    browser.click("#login-form button[type=submit]").await;
    browser.wait_for_url("/chat").await;
    browser.goto("/settings/account").await;

    // The name: saved, and shown in the top bar at once and after a reload.
    browser.eval("document.getElementById('account-name').value = ''; return null").await;
    browser.fill("#account-name", "Ada Lovelace").await;
    browser.click("#name-form button[type=submit]").await;
    browser.wait_for_text("#name-status", "Saved").await;
    assert_eq!(browser.text(".who-name").await, "Ada Lovelace");
    browser.goto("/settings/account").await;
    assert_eq!(browser.text(".who-name").await, "Ada Lovelace");

    // A wrong current password: told so, nothing changed, the other session still in.
    browser.fill("#current-password", "not my password").await;
    browser.fill("#new-password", NEW).await;
    browser.click("#password-form button[type=submit]").await;
    browser.wait_for_text("#password-form [role=alert]", "current password is wrong").await;
    let status = elsewhere.client.get(app.at("/api/v1/me")).send().await.expect("me").status();
    assert_eq!(status, 200, "a refused change ends no session");
    // The refused request is the one console entry expected.
    let logged: Vec<String> = browser.console().await.into_iter().map(|e| e.message).collect();
    assert!(logged.iter().all(|m| m.contains("/api/v1/me/password") && m.contains("403")), "{logged:?}");

    // The right one: changed; the other session ends, this page stays signed in.
    browser.eval("for (const id of ['current-password', 'new-password']) document.getElementById(id).value = ''; return null").await;
    browser.fill("#current-password", PASSWORD).await;
    browser.fill("#new-password", NEW).await;
    browser.click("#password-form button[type=submit]").await;
    browser.wait_for_text("#password-status", "Password changed").await;
    assert_eq!(browser.text("#password-form [role=alert]").await, "");
    let status = elsewhere.client.get(app.at("/api/v1/me")).send().await.expect("me").status();
    assert_eq!(status, 401, "the other session has ended");
    browser.goto("/settings/account").await;
    assert_eq!(browser.current_url().await, format!("{}/settings/account", app.url), "this session is kept");

    // The theme: applied at once, kept in this browser, applied from <head> on the next load.
    let head_script = browser
        .eval(
            "const s = document.head.querySelector('script[src=\"/static/js/theme.js\"]'); \
             const css = document.head.querySelector('link[rel=stylesheet]'); \
             return !!s && !s.type && !s.async && !s.defer && \
                    !!(s.compareDocumentPosition(css) & Node.DOCUMENT_POSITION_FOLLOWING)",
        )
        .await;
    assert_eq!(head_script, json!(true), "a blocking classic script in <head>, before the stylesheet");
    let background = "return getComputedStyle(document.body).backgroundColor";
    browser.click("#theme-choice input[value=light]").await;
    assert_eq!(browser.eval(background).await, json!("rgb(246, 247, 249)"));
    browser.click("#theme-choice input[value=dark]").await;
    assert_eq!(browser.eval("return document.documentElement.dataset.theme").await, json!("dark"));
    assert_eq!(browser.eval(background).await, json!("rgb(15, 19, 24)"));
    browser.goto("/chat").await;
    assert_eq!(browser.eval("return document.documentElement.dataset.theme").await, json!("dark"));
    assert_eq!(browser.eval(background).await, json!("rgb(15, 19, 24)"), "kept across pages");
    browser.goto("/settings/account").await;
    assert_eq!(browser.eval("return document.querySelector('#theme-choice input:checked').value").await, json!("dark"));
    browser.screenshot("settings-account-dark").await;
    browser.click("#theme-choice input[value=system]").await;
    wait_eval(&browser, "return localStorage.getItem('switchboard-theme')", Value::Null).await;
    assert_eq!(browser.eval("return document.documentElement.dataset.theme ?? null").await, Value::Null);
    browser.assert_page_is_clean().await;
    browser.close().await;
}
