//! Usage in a real headless Chromium, with the scripted model reporting chosen
//! token figures and the Kanban example as the app: each answer shows its
//! tokens and time in a muted line (live, and after a reload from the store),
//! the tool card its duration, and Workspace → Usage the totals, a chart of
//! tokens per day and the tables by user, app and model, at desktop and phone
//! sizes and in the dark theme.

use std::path::Path;
use std::time::Duration;

use serde_json::{Value, json};
use switchboard_core::Role;
use switchboard_testkit::app::PASSWORD;
use switchboard_testkit::peers::PeerProcess;
use switchboard_testkit::{Browser, DbKind, Reply, ScriptedModel, TestApp, ToolCall};

/// True when nothing is wider than the screen; else the widest offenders.
const FITS: &str = "if (document.documentElement.scrollWidth <= window.innerWidth) return true; \
     return [...document.querySelectorAll('body *')].filter(e => e.getBoundingClientRect().right > window.innerWidth + 0.5) \
       .slice(-5).map(e => `${e.tagName}.${e.className}#${e.id} ${Math.round(e.getBoundingClientRect().right)}`)";

const USAGE_LINES: &str = "return [...document.querySelectorAll('#chat-log .step-usage')].map(p => p.textContent.replace(/ · [0-9.]+ m?s$/, ''))";

/// "840 ms", "3.0 ms" or "2.1 s" (at least a second).
fn is_step_time(text: &str) -> bool {
    let figure = |f: &str| !f.is_empty() && f.chars().all(|c| c.is_ascii_digit() || c == '.');
    match (text.strip_suffix(" ms"), text.strip_suffix(" s")) {
        (Some(ms), _) => figure(ms),
        (None, Some(s)) => figure(s) && s.parse::<f64>().is_ok_and(|s| s >= 1.0),
        (None, None) => false,
    }
}

async fn wait_eval(browser: &Browser, script: &str, want: Value) {
    for _ in 0..100 {
        if browser.eval(script).await == want {
            return;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert_eq!(browser.eval(script).await, want, "{script}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_thread_shows_each_answers_usage_and_the_usage_page_sums_it() {
    let model = ScriptedModel::start().await;
    let providers = model.providers("openai/scripted");
    let app = TestApp::start_with(DbKind::Sqlite, move |mut c| {
        c.providers = providers;
        c
    })
    .await;
    let board = PeerProcess::kanban();
    let owner = app.signed_in("owner@example.com", Role::Owner).await;
    let created = owner
        .client
        .post(app.at("/api/v1/connectors"))
        .headers(owner.csrf_headers())
        .json(&json!({"name": "Kanban", "url": board.url}))
        .send()
        .await
        .expect("create the app");
    assert_eq!(created.status(), 201);
    let kanban = created.json::<Value>().await.expect("json")["connector"]["id"].clone();
    let conversation = owner
        .client
        .post(app.at("/api/v1/conversations"))
        .headers(owner.csrf_headers())
        .json(&json!({"connectors": [kanban], "model": "openai/scripted"}))
        .send()
        .await
        .expect("create the conversation");
    assert_eq!(conversation.status(), 201);
    let id = conversation.json::<Value>().await.expect("json")["id"].as_str().expect("id").to_owned();

    let browser = Browser::start(&app.url, Path::new(env!("CARGO_TARGET_TMPDIR")).join("screenshots")).await;
    browser.client().set_window_size(1440, 900).await.expect("resize");
    browser.goto("/login").await;
    browser.fill("#login-form input[name=email]", "owner@example.com").await;
    browser.fill("#login-form input[name=password]", PASSWORD).await;
    browser.click("#login-form button[type=submit]").await;
    browser.wait_for_url("/chat").await;
    browser.goto(&format!("/chat?c={id}")).await;
    wait_eval(&browser, "return !document.getElementById('chat-head').hidden", json!(true)).await;

    // A read, then the answer: each model step's figures as the model reported them.
    model.push(
        Reply::tool_calls(vec![ToolCall::new("c1", "kanban__list_tasks", json!({}))])
            .with_text("Let me look at the board.")
            .with_usage(1234, 56),
    );
    model.push(Reply::text("The board has no tasks yet.").with_usage(2345, 67));
    browser.fill("#composer-text", "What is on the board?").await;
    browser.click("#send").await;
    browser.wait_for_text(".message[data-role=assistant]:not(.streaming)", "no tasks yet").await;
    let want = json!(["1,234 in · 56 out", "2,345 in · 67 out"]);
    wait_eval(&browser, USAGE_LINES, want.clone()).await;
    let line = browser.eval("return document.querySelector('#chat-log .step-usage').textContent").await;
    let time = line.as_str().and_then(|l| l.rsplit(" · ").next()).unwrap_or_default();
    assert!(is_step_time(time), "the step's time, in ms under a second and never \"0.0 s\": {line}");
    let tip = browser.eval("return document.querySelector('#chat-log .step-usage').title").await;
    assert!(
        tip.as_str().is_some_and(|t| t.starts_with("openai/scripted · ") && t.contains("first token after")),
        "{tip}"
    );
    let latency = browser.text(".tool-card .latency").await;
    assert!(latency.ends_with(" ms"), "the tool call shows its duration: {latency}");

    // Stored: a reload shows the same figures.
    browser.client().refresh().await.expect("reload");
    browser.wait_for_text(".message[data-role=assistant]", "no tasks yet").await;
    wait_eval(&browser, USAGE_LINES, want).await;
    browser.assert_page_is_clean().await;
    browser.screenshot("chat-usage").await;

    // Workspace → Usage: the totals, the chart and the tables.
    browser.goto("/workspace/usage").await;
    let totals = browser
        .eval("return Object.fromEntries([...document.querySelectorAll('#usage-totals dd')].map(d => [d.dataset.figure, d.textContent]))")
        .await;
    assert_eq!(
        totals,
        json!({"input_tokens": "3,579", "output_tokens": "123", "turns": "1", "model_steps": "2", "tool_calls": "1"})
    );
    let chart = browser
        .eval(
            "const svg = document.getElementById('usage-chart'); return { \
               bars: svg.querySelectorAll('.chart-day').length, \
               drawn: [...svg.querySelectorAll('.chart-day')].filter(g => g.querySelector('.bar-input').getAttribute('height') !== '0.0').map(g => g.querySelector('title').textContent), \
               label: svg.getAttribute('aria-labelledby'), desc: svg.querySelector('desc').textContent }",
        )
        .await;
    assert_eq!(chart["bars"], 30, "one bar per day of the last 30: {chart}");
    let drawn = chart["drawn"].as_array().expect("bars");
    assert_eq!(drawn.len(), 1, "{chart}");
    assert!(drawn[0].as_str().is_some_and(|t| t.ends_with(": 3,579 in · 123 out")), "{chart}");
    assert!(chart["desc"].as_str().is_some_and(|d| d.contains("3,579 input and 123 output tokens")), "{chart}");
    let first_cells = browser
        .eval("return ['usage-by-user', 'usage-by-app', 'usage-by-model'].map(id => [...document.querySelectorAll(`#${id} tbody tr td:first-child`)].map(td => td.textContent))")
        .await;
    assert_eq!(first_cells, json!([["owner <owner@example.com>"], ["Kanban"], ["openai/scripted"]]));
    assert_eq!(browser.eval(FITS).await, json!(true));
    browser.assert_page_is_clean().await;
    browser.screenshot("workspace-usage").await;

    // The dark theme, and a phone: nothing wider than the screen.
    browser.eval("localStorage.setItem('switchboard-theme', 'dark'); return null").await;
    browser.goto("/workspace/usage").await;
    browser.screenshot("workspace-usage-dark").await;
    browser.eval("localStorage.removeItem('switchboard-theme'); return null").await;
    browser.client().set_window_size(390, 844).await.expect("resize");
    browser.goto("/workspace/usage").await;
    let fits = browser.eval(FITS).await;
    assert_eq!(fits, json!(true), "the usage page is no wider than a phone: {fits}");
    browser.screenshot("workspace-usage-phone").await;
    browser.goto(&format!("/chat?c={id}")).await;
    browser.wait_for_text(".message[data-role=assistant]", "no tasks yet").await;
    browser.eval("document.querySelector('#chat-log .step-usage').scrollIntoView(); return null").await;
    assert_eq!(browser.eval(FITS).await, json!(true));
    browser.screenshot("chat-usage-phone").await;
    browser.close().await;
}
