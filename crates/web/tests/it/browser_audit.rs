//! Workspace → Audit log in a real Chromium: the newest entries, "Load more",
//! the filters, the export link, and a phone-sized window.

use std::path::Path;

use serde_json::{Value, json};
use switchboard_core::{AuditKind, ConnectorId, Role};
use switchboard_store::AuditEvent;
use switchboard_testkit::app::PASSWORD;
use switchboard_testkit::{Browser, DbKind, TestApp};

async fn browser_for(app: &TestApp) -> Browser {
    Browser::start(&app.url, Path::new(env!("CARGO_TARGET_TMPDIR")).join("screenshots")).await
}

async fn sign_in(browser: &Browser, email: &str) {
    browser.goto("/login").await;
    browser.fill("#login-form input[name=email]", email).await;
    browser.fill("#login-form input[name=password]", PASSWORD).await;
    browser.click("#login-form button[type=submit]").await;
    browser.wait_for_url("/chat").await;
}

/// Elements that stick out of the window on the right, apart from the navigation
/// bars, which scroll sideways by design.
async fn overflowing(browser: &Browser) -> Value {
    browser
        .eval(
            "return [...document.querySelectorAll('body *')]\
             .filter(e => e.getBoundingClientRect().right > document.documentElement.clientWidth + 1 && !e.closest('nav'))\
             .map(e => e.tagName + '#' + e.id + '.' + e.className).slice(0, 8)",
        )
        .await
}

#[tokio::test]
async fn auditors_page_through_filter_and_export_the_trail() {
    let app = TestApp::start(DbKind::Sqlite).await;
    let owner = app.signed_in("owner@example.com", Role::Owner).await;
    let auditor = app.user("audrey@example.com", Role::Auditor).await;
    let member = app.user("grace@example.com", Role::Member).await;

    // Sixty playground calls on two apps, then two admin changes through the API.
    let (board, wiki) = (ConnectorId::new(), ConnectorId::new());
    let calls: Vec<AuditEvent> = (0..60)
        .map(|n| AuditEvent {
            kind: AuditKind::ToolCall,
            actor_id: Some(owner.user.id),
            conversation_id: None,
            tool_call_id: None,
            connector_id: Some(if n % 2 == 0 { board } else { wiki }),
            tool: Some(if n % 2 == 0 { "create_task".into() } else { "search".into() }),
            classification: None,
            decision: None,
            status: Some(if n % 10 == 3 { "failed".into() } else { "completed".into() }),
            latency_us: Some(800 + n * 37),
            detail: json!({"source": "playground", "arguments": {"title": format!("Task {n}")}, "result": {"ok": n % 10 != 3}}),
        })
        .collect();
    app.store.append_audit_batch(&calls).await.expect("appended");
    let post = |path: &str, body: Value| owner.client.post(app.at(path)).headers(owner.csrf_headers()).json(&body);
    let created = post("/api/v1/users", json!({"email": "bob@example.com", "name": "Bob", "role": "member"}));
    assert_eq!(created.send().await.expect("create").status(), 201);
    assert_eq!(post("/api/v1/groups", json!({"name": "engineering"})).send().await.expect("group").status(), 201);

    let browser = browser_for(&app).await;
    sign_in(&browser, auditor.email.as_str()).await;
    browser.click_link("Workspace").await;
    browser.click_link("Audit log").await;
    browser.wait_for_url("/workspace/audit").await;

    // The newest fifty, newest first: the admin changes on top, by whom.
    assert_eq!(browser.count("#audit-list > li.audit-entry").await, 50);
    let first = browser.eval("return document.querySelector('#audit-list > li').dataset.seq").await;
    assert_eq!(first, "62");
    browser.wait_for_text("#audit-list > li:first-child .audit-kind", "group.created").await;
    browser.wait_for_text("#audit-list > li:first-child .audit-subject", "engineering").await;
    browser.wait_for_text("#audit-list > li:nth-child(2) .audit-subject", "bob@example.com").await;
    browser.wait_for_text("#audit-list > li:first-child .audit-actor", "owner <owner@example.com>").await;
    browser.wait_for_text("#audit-list > li:nth-child(3) .audit-app", "a deleted app").await;
    browser.assert_page_is_clean().await;
    browser.screenshot("workspace-audit").await;

    // Load more: the rest, in order, and no button once there is nothing older.
    browser.click("#audit-more").await;
    browser.wait_for_text("#audit-list > li:last-child summary", "Record 1").await;
    let seqs = browser
        .eval("return [...document.querySelectorAll('#audit-list > li')].map(li => Number(li.dataset.seq))")
        .await;
    assert_eq!(seqs, json!((1..=62).rev().collect::<Vec<_>>()), "every record once, newest first");
    assert_eq!(browser.count("#audit-more:not([hidden])").await, 0);
    browser.assert_page_is_clean().await;

    // A record's detail and hash, loaded by script like those on the server.
    browser.click("#audit-list > li:last-child summary").await;
    browser.wait_for_text("#audit-list > li:last-child pre.json", "\"Task 0\"").await;
    let hash = browser.text("#audit-list > li:last-child dl.audit-facts dd:last-child code").await;
    assert_eq!(hash.len(), 64, "{hash}");

    // Filters: a plain form; the export link carries them.
    browser.eval("document.querySelector('select[name=connector]').value = ''; return null").await;
    browser.fill("#audit-filters input[name=tool]", "search").await;
    browser.eval("document.querySelector('select[name=kind]').value = 'tool_call'; return null").await;
    browser.click("#audit-filters button[type=submit]").await;
    browser.wait_for_url("/workspace/audit?actor=&connector=&tool=search&kind=tool_call&from=&to=").await;
    assert_eq!(browser.count("#audit-list > li.audit-entry").await, 30);
    assert_eq!(browser.count("#audit-more:not([hidden])").await, 0);
    let export = browser.eval("return document.getElementById('audit-export').getAttribute('href')").await;
    assert_eq!(export, "/api/v1/audit/export?tool=search&kind=tool_call");
    browser.assert_page_is_clean().await;

    browser.goto("/workspace/audit?kind=user.removed").await;
    browser.wait_for_text("#audit-empty", "No records match these filters.").await;
    browser.goto("/workspace/audit?from=yesterday").await;
    browser.wait_for_text("main", "from must be a day such as 2026-01-31").await;
    // That 422 was the point: clear it from the console before the next check.
    let logged = browser.console().await;
    assert!(logged.iter().all(|e| e.message.contains("422")), "{logged:?}");

    // On a phone: filters stack, entries wrap, nothing spills sideways.
    browser.client().set_window_size(390, 844).await.expect("resize the window");
    browser.goto("/workspace/audit").await;
    browser.screenshot("workspace-audit-phone").await;
    browser.click("#audit-list > li:nth-child(3) summary").await;
    browser.wait_for_text("#audit-list > li:nth-child(3) pre.json", "Task 59").await;
    assert_eq!(overflowing(&browser).await, json!([]), "nothing is wider than the window");
    browser.assert_page_is_clean().await;
    browser.screenshot("workspace-audit-phone-record").await;
    browser.client().set_window_size(1280, 900).await.expect("resize the window");
    browser.close().await;

    // Members have no way in.
    let browser = browser_for(&app).await;
    sign_in(&browser, member.email.as_str()).await;
    browser.goto("/workspace/audit").await;
    browser.wait_for_text("main", "the audit log is for owners, admins and auditors").await;
    browser.close().await;
}
