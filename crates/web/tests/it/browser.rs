//! The pages in a real headless Chromium: first-run setup, developer mode,
//! workspace settings and signing in and out, as a person would click through them.
//! Each test runs its own app and its own browser, and saves screenshots under
//! `$CARGO_TARGET_TMPDIR/screenshots` (and `docs/screenshots` with `SWITCHBOARD_UPDATE_DOCS=1`).

use std::path::Path;

use serde_json::json;
use switchboard_core::credentials::API_TOKEN_PREFIX;
use switchboard_core::{Email, Role};
use switchboard_testkit::app::PASSWORD;
use switchboard_testkit::{Browser, DbKind, TestApp};

const OWNER_EMAIL: &str = "ada@example.com";
const OWNER_PASSWORD: &str = "analytical engine";

async fn browser_for(app: &TestApp) -> Browser {
    Browser::start(&app.url, Path::new(env!("CARGO_TARGET_TMPDIR")).join("screenshots")).await
}

async fn sign_in(browser: &Browser, email: &str, password: &str) {
    browser.fill("#login-form input[name=email]", email).await;
    browser.fill("#login-form input[name=password]", password).await;
    browser.click("#login-form button[type=submit]").await;
    browser.wait_for_url("/chat").await;
}

/// Create the owner through the API, as the setup page would.
async fn set_up(app: &TestApp) {
    let setup = TestApp::client()
        .post(app.at("/api/v1/setup"))
        .json(&json!({"token": app.setup_token, "name": "Owner", "email": "owner@example.com", "password": PASSWORD}))
        .send()
        .await
        .unwrap();
    assert_eq!(setup.status(), 201, "set up the workspace");
}

#[tokio::test]
async fn owner_sets_up_turns_on_developer_mode_and_manages_the_workspace() {
    let app = TestApp::start(DbKind::Sqlite).await;
    let browser = browser_for(&app).await;

    // First run: the setup link carries the token, so only the owner's details are asked.
    browser.goto(&format!("/setup?token={}", app.setup_token)).await;
    browser.assert_page_is_clean().await;
    assert_eq!(browser.count("#setup-form input[name=token][type=hidden]").await, 1, "the link fills in the token");
    browser.screenshot("setup").await;
    browser.fill("#setup-form input[name=name]", "Ada Lovelace").await;
    browser.fill("#setup-form input[name=email]", OWNER_EMAIL).await;
    browser.fill("#setup-form input[name=password]", OWNER_PASSWORD).await;
    browser.click("#setup-form button[type=submit]").await;

    browser.wait_for_url("/chat").await;
    browser.wait_for_text(".topbar .who-name", "Ada Lovelace").await;
    browser.wait_for_text(".checklist", "Developer mode is off").await;
    browser.assert_page_is_clean().await;
    browser.screenshot("chat").await;

    // Settings → Apps & Connectors → Advanced: developer mode.
    browser.click_link("Settings").await;
    browser.wait_for_url("/settings/account").await;
    browser.click_link("Apps & Connectors").await;
    browser.wait_for_url("/settings/apps").await;
    assert_eq!(browser.text("#developer-mode-status").await, "Off");
    assert!(browser.is_enabled("#developer-mode").await, "the owner may turn developer mode on");
    assert_eq!(browser.count("#developer-mode-policy").await, 0, "no policy notice for the owner");
    browser.click("#developer-mode").await;
    browser.wait_for_text("#developer-mode-status", "On").await;
    let owner = app.store.user_by_email(&Email::parse(OWNER_EMAIL).unwrap()).await.unwrap().expect("the owner exists");
    assert!(owner.developer_mode, "turning the switch on is stored");
    assert_eq!(owner.role, Role::Owner);
    browser.assert_page_is_clean().await;
    browser.screenshot("settings-apps").await;

    // The page agrees after a reload, and the top bar shows the mode.
    browser.goto("/settings/apps").await;
    assert_eq!(browser.text("#developer-mode-status").await, "On");
    assert_eq!(browser.count(".topbar .badge.dev").await, 1, "the top bar marks developer mode");

    // Settings → API tokens: a new token is shown once, works on the API, then is listed.
    browser.click_link("API tokens").await;
    browser.wait_for_url("/settings/tokens").await;
    browser.fill("#token-form input[name=name]", "laptop CLI").await;
    browser.click("#token-form button[type=submit]").await;
    browser.wait_for_text("#new-token code", API_TOKEN_PREFIX).await;
    assert_eq!(browser.count("#no-tokens").await, 0, "the list no longer claims there are no tokens");
    let token = browser.text("#new-token code").await;
    let me = TestApp::client().get(app.at("/api/v1/me")).bearer_auth(&token).send().await.unwrap();
    assert_eq!(me.status(), 200, "the token shown in the page signs in on the API");
    browser.assert_page_is_clean().await;
    browser.screenshot("settings-tokens").await;
    browser.click("#new-token button[data-action=reload]").await;
    browser.wait_for_text("table td", "laptop CLI").await;
    assert_eq!(browser.count("#new-token:not([hidden])").await, 0, "the secret is not shown again");

    // Workspace settings: members, groups (creating one), permissions.
    browser.goto("/workspace/members").await;
    browser.wait_for_text("table td", OWNER_EMAIL).await;
    browser.assert_page_is_clean().await;
    browser.screenshot("workspace-members").await;

    browser.goto("/workspace/groups").await;
    browser.wait_for_text(".content", "No groups yet.").await;
    browser.fill("#create-group-form input[name=name]", "engineering").await;
    browser.click("#create-group-form button[type=submit]").await;
    browser.wait_for_text(".card.group h2", "engineering").await;
    let groups = app.store.list_groups().await.unwrap();
    assert_eq!(groups.iter().map(|g| g.name.as_str()).collect::<Vec<_>>(), ["engineering"]);
    browser.assert_page_is_clean().await;
    browser.screenshot("workspace-groups").await;

    browser.goto("/workspace/permissions").await;
    browser.wait_for_text("#policy-form label.checkbox", "engineering").await;
    let policy = browser.eval("return document.querySelector('#policy-form input[name=policy]:checked').value").await;
    assert_eq!(policy, "admins", "a fresh workspace lets owners and admins use developer mode");
    browser.assert_page_is_clean().await;
    browser.screenshot("workspace-permissions").await;

    // Sign out, and back in through the form.
    browser.click("#sign-out").await;
    browser.wait_for_url("/login").await;
    browser.assert_page_is_clean().await;
    browser.screenshot("login").await;
    browser.goto("/chat").await;
    browser.wait_for_url("/login").await;
    sign_in(&browser, OWNER_EMAIL, OWNER_PASSWORD).await;
    browser.wait_for_text(".checklist", "Developer mode is on").await;
    browser.assert_page_is_clean().await;

    browser.close().await;
}

#[tokio::test]
async fn member_cannot_turn_on_developer_mode_or_see_the_workspace() {
    let app = TestApp::start(DbKind::Sqlite).await;
    set_up(&app).await;
    let member = app.user("grace@example.com", Role::Member).await;
    let browser = browser_for(&app).await;

    // A page that needs a session sends the visitor to sign in, and back afterwards.
    browser.goto("/settings/apps").await;
    browser.wait_for_url("/login?next=/settings/apps").await;
    browser.assert_page_is_clean().await;
    browser.fill("#login-form input[name=email]", member.email.as_str()).await;
    browser.fill("#login-form input[name=password]", PASSWORD).await;
    browser.click("#login-form button[type=submit]").await;
    browser.wait_for_url("/settings/apps").await;

    // The default policy (owners and admins) leaves members out.
    assert!(!browser.is_enabled("#developer-mode").await, "the switch is disabled for a member");
    assert_eq!(browser.text("#developer-mode-status").await, "Off");
    browser.wait_for_text("#developer-mode-policy", "does not include you").await;
    browser.wait_for_text("#developer-mode-policy", "admins").await;
    browser.assert_page_is_clean().await;
    browser.screenshot("settings-apps-member").await;

    // No link to the workspace settings, and no way in by URL.
    browser.goto("/chat").await;
    assert_eq!(browser.count(".topbar nav a").await, 2, "a member's nav has Chat and Settings only");
    assert_eq!(browser.count(".topbar nav a[href^='/workspace']").await, 0, "no Workspace link for a member");
    browser.assert_page_is_clean().await;
    browser.goto("/workspace/members").await;
    browser.wait_for_text("body", "workspace settings are for owners, admins and auditors").await;
    // The refusal is a problem+json 403, which the console reports as a failed load.
    let console = browser.console().await;
    assert!(
        console.iter().any(|e| e.message.contains("/workspace/members") && e.message.contains("403")),
        "the refusal is a 403: {console:?}"
    );

    browser.close().await;
}

#[tokio::test]
async fn an_admin_resets_a_password_and_revokes_the_persons_tokens() {
    let app = TestApp::start(DbKind::Sqlite).await;
    set_up(&app).await;
    let member = app.user("grace@example.com", Role::Member).await;
    let token = app.token_for(&member).await;
    let me_with_token = || TestApp::client().get(app.at("/api/v1/me")).bearer_auth(&token);
    assert_eq!(me_with_token().send().await.expect("request").status(), 200);
    let browser = browser_for(&app).await;
    browser.goto("/login").await;
    sign_in(&browser, "owner@example.com", PASSWORD).await;

    browser.goto("/workspace/members").await;
    let checked =
        browser.eval("return document.querySelector('#reset-password-form input[name=revoke_tokens]').checked").await;
    assert_eq!(checked, true, "revoking the person's API tokens is the default");
    assert_eq!(browser.count("#reset-password-form select[name=user] option").await, 1, "only grace, never oneself");
    browser.fill("#reset-password-form input[name=password]", "a brand new password").await;
    browser.click("#reset-password-form button[type=submit]").await;
    browser.wait_for_text("#reset-password-done", "their API tokens revoked").await;
    browser.assert_page_is_clean().await;
    assert_eq!(me_with_token().send().await.expect("request").status(), 401, "the token was revoked");

    browser.close().await;
}

/// `next` values that name another server, or no page at all, once a browser reads
/// them: each must land on the start page (chat) of this server.
const HOSTILE_NEXT: &[&str] = &[
    "/..//evil.example/phish",
    "/.//evil.example",
    "//evil.example",
    "///evil.example",
    "\\evil.example",
    "\\\\evil.example",
    "/\\evil.example",
    "/\\\\evil.example",
    "/\t/evil.example",
    "%2F%2Fevil.example",
    "https://evil.example",
    "http:evil.example",
    "javascript:alert(document.domain)",
    "data:text/html,<h1>phish</h1>",
];

#[tokio::test]
async fn signing_in_follows_next_only_to_a_page_of_this_server() {
    let app = TestApp::start(DbKind::Sqlite).await;
    set_up(&app).await;
    let member = app.user("grace@example.com", Role::Member).await;
    let browser = browser_for(&app).await;

    let landing = async |next: &str| {
        browser.client().delete_all_cookies().await.expect("sign out by dropping the cookie");
        // The page signed in last may still be loading its data: leave it, and let
        // go of what it logged as its cookie vanished (401s of a page left behind).
        browser.client().goto("about:blank").await.expect("leave the page");
        let _ = browser.console().await;
        browser.goto(&format!("/login?next={}", query_escape(next))).await;
        browser.fill("#login-form input[name=email]", member.email.as_str()).await;
        browser.fill("#login-form input[name=password]", PASSWORD).await;
        browser.click("#login-form button[type=submit]").await;
        browser.wait_to_leave("/login").await
    };
    for &next in HOSTILE_NEXT {
        assert_eq!(landing(next).await, app.at("/chat"), "next={next:?} must not leave this server");
    }
    // A page of this server is followed with its query and fragment.
    assert_eq!(landing("/settings/apps?x=1#y").await, app.at("/settings/apps?x=1#y"));
    browser.assert_page_is_clean().await;

    browser.close().await;
}

/// `text` as one value of a query string.
fn query_escape(text: &str) -> String {
    text.bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' => (b as char).to_string(),
            _ => format!("%{b:02X}"),
        })
        .collect()
}
