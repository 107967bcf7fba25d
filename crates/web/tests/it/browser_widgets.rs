//! Widgets in the chat, in a real headless Chromium: the MCP Apps example server
//! (npm `@modelcontextprotocol/server-basic-vanillajs`) renders its result and calls
//! its tool from the widget; an Apps SDK component of our widgets server (PyPI
//! `mcp`) shows its output through `window.openai`, keeps its state across a
//! reload and asks the person before its write runs; and a hostile widget reaches
//! neither the page, nor its cookies, nor an undeclared domain, nor a tool it should
//! not call. Screenshots go where `browser.rs` puts them.

use std::path::Path;
use std::time::{Duration, Instant};

use fantoccini::Locator;
use fantoccini::key::Key;
use serde_json::{Value, json};
use switchboard_testkit::peers::PeerProcess;
use switchboard_testkit::{Browser, DbKind, Reply, ScriptedModel, TestApp, ToolCall};

use crate::developer::{member_with_apps, sign_in_member};

async fn browser_for(app: &TestApp) -> Browser {
    Browser::start(&app.url, Path::new(env!("CARGO_TARGET_TMPDIR")).join("screenshots")).await
}

/// Sign in, choose the apps in the composer and ask something.
async fn ask(browser: &Browser, ids: &[String], question: &str) {
    sign_in_member(browser).await;
    browser.wait_for_text("#model-status", "openai/scripted").await;
    browser.click("#composer-plus").await;
    browser.click("#menu-apps").await;
    for id in ids {
        browser.click(&format!("#app-choices input[value='{id}']")).await;
    }
    browser.click("#composer-plus").await;
    let enter = char::from(Key::Enter);
    browser.fill("#composer-text", &format!("{question}{enter}")).await;
}

/// Run `script` (returning a value) inside the first widget's frame.
async fn in_widget(browser: &Browser, script: &str) -> Value {
    let client = browser.client();
    let frame = client.find(Locator::Css("iframe.widget-iframe")).await.expect("a widget frame");
    frame.enter_frame().await.expect("enter the widget");
    let value = client.execute(script, vec![]).await.expect("run in the widget");
    client.enter_parent_frame().await.expect("back to the page");
    value
}

/// Wait until `script`, run in the widget, returns a string containing `text`.
async fn wait_in_widget(browser: &Browser, script: &str, text: &str) -> String {
    let deadline = Instant::now() + Duration::from_secs(20);
    loop {
        let value = in_widget(browser, script).await;
        let seen = value.as_str().unwrap_or_default().to_owned();
        if seen.contains(text) {
            return seen;
        }
        assert!(Instant::now() < deadline, "the widget never showed {text:?}; it shows {seen:?}");
        tokio::time::sleep(Duration::from_millis(150)).await;
    }
}

/// Click `css` inside the first widget's frame.
async fn click_in_widget(browser: &Browser, css: &str) {
    in_widget(browser, &format!("document.querySelector({css:?}).click(); return null")).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_mcp_apps_widget_renders_its_result_and_calls_its_tool() {
    let model = ScriptedModel::start().await;
    let providers = model.providers("openai/scripted");
    let app = TestApp::start_with(DbKind::Sqlite, |mut c| {
        c.providers = providers;
        c
    })
    .await;
    let clock = PeerProcess::basic_vanillajs();
    let (member, ids) = member_with_apps(&app, &[("Clock", &clock.url)]).await;
    let browser = browser_for(&app).await;
    model.push(Reply::tool_calls(vec![ToolCall::new("c1", "clock__get-time", json!({}))]));
    model.push(Reply::text("Here is the server's time."));
    ask(&browser, &ids, "What time is it on the server?").await;

    // The example's tool says nothing of being read-only: a write, approved first.
    browser.wait_for_text("#approval-tool", "get-time").await;
    browser.click("#approval-approve").await;
    // The widget shows, framed after the call's card, labelled with its app, and
    // receives the call's result over the bridge.
    browser.wait_for_text(".message[data-role=assistant]", "Here is the server's time.").await;
    browser.wait_for_text(".widget[data-kind=mcp_app] .widget-label", "Widget from Clock").await;
    let first = wait_in_widget(&browser, "return document.getElementById('server-time').textContent", "T").await;
    assert!(first.ends_with('Z') && first.len() >= 20, "the result's time: {first}");
    let sandbox = browser.eval("return document.querySelector('iframe.widget-iframe').getAttribute('sandbox')").await;
    assert_eq!(sandbox, "allow-scripts allow-forms");

    // "Get Server Time" calls the tool through Switchboard: a write again, so the
    // widget's call waits for the person in the widget's box, then runs, recorded.
    click_in_widget(&browser, "#get-time-btn").await;
    browser.wait_for_text(".widget-approval code", "get-time").await;
    browser.click(".widget-approval button[data-decision=approve]").await;
    let deadline = Instant::now() + Duration::from_secs(20);
    let conversation = browser.eval("return new URLSearchParams(location.search).get('c')").await;
    let conversation = conversation.as_str().expect("the conversation in the address").to_owned();
    loop {
        let listed: Value = member
            .client
            .get(app.at(&format!("/api/v1/conversations/{conversation}/widget-calls")))
            .send()
            .await
            .expect("list")
            .json()
            .await
            .expect("json");
        if listed.as_array().is_some_and(|l| l.len() == 1 && l[0]["status"] == "completed") {
            assert_eq!(listed[0]["tool"], "get-time");
            assert_eq!(listed[0]["decision"], "approved", "a write runs once approved");
            break;
        }
        assert!(Instant::now() < deadline, "the widget's call was never recorded: {listed}");
        tokio::time::sleep(Duration::from_millis(150)).await;
    }
    let second = wait_in_widget(&browser, "return document.getElementById('server-time').textContent", "T").await;
    assert!(second.ends_with('Z'), "{second}");

    // The widget's height follows its content, within bounds.
    let height = browser.eval("return Number(document.querySelector('iframe.widget-iframe').height)").await;
    let height = height.as_f64().unwrap_or_default();
    assert!((60.0..=800.0).contains(&height) && height != 160.0, "sized to its content: {height}");

    // "Open Link" asks the person first, showing the whole address.
    click_in_widget(&browser, "#open-link-btn").await;
    browser.wait_for_text(".widget-link .widget-link-url", "modelcontextprotocol.io").await;
    browser.screenshot("chat-widget-mcp-app").await;
    browser.click(".widget-link button[data-open=no]").await;
    assert_eq!(browser.count(".widget-link").await, 0);

    // "Send Message" becomes the person's next message.
    model.push(Reply::text("Got the widget's message."));
    click_in_widget(&browser, "#send-message-btn").await;
    browser.wait_for_text("#chat-log", "This is message text.").await;
    let last =
        browser.eval("return [...document.querySelectorAll('.message[data-role=user]')].pop().textContent").await;
    assert!(last.as_str().is_some_and(|t| t.contains("This is message text.")), "sent as the person: {last}");
    browser.wait_for_text(".message[data-role=assistant]", "Got the widget's message.").await;
    browser.client().set_window_size(390, 844).await.expect("resize");
    browser.eval("document.querySelector('.widget').scrollIntoView(); return null").await;
    browser.screenshot("chat-widget-mcp-app-phone").await;
    browser.close().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_apps_sdk_component_keeps_its_state_and_asks_before_writing() {
    let model = ScriptedModel::start().await;
    let providers = model.providers("openai/scripted");
    let app = TestApp::start_with(DbKind::Sqlite, |mut c| {
        c.providers = providers;
        c
    })
    .await;
    let dir = tempfile::tempdir().expect("tempdir");
    let record = dir.path().join("executed.jsonl");
    let server = PeerProcess::widgets(&record);
    let (_member, ids) = member_with_apps(&app, &[("Board", &server.url)]).await;
    let browser = browser_for(&app).await;
    model.push(Reply::tool_calls(vec![ToolCall::new("c1", "board__show_board", json!({}))]));
    model.push(Reply::text("Here is the board."));
    ask(&browser, &ids, "Show me the board").await;

    // toolOutput renders through window.openai.
    browser.wait_for_text(".widget[data-kind=apps_sdk] .widget-label", "Widget from Board").await;
    wait_in_widget(&browser, "return document.getElementById('tasks').textContent", "Book the retro").await;

    // The component's state is kept with the message, and comes back after a reload.
    click_in_widget(&browser, "#bump").await;
    wait_in_widget(&browser, "return document.getElementById('status').textContent", "saved 1").await;
    click_in_widget(&browser, "#bump").await;
    wait_in_widget(&browser, "return document.getElementById('status').textContent", "saved 2").await;
    browser.client().refresh().await.expect("reload");
    browser.wait_for_text(".widget[data-kind=apps_sdk] .widget-label", "Widget from Board").await;
    wait_in_widget(&browser, "return document.getElementById('count').textContent", "2").await;
    // In the dark theme the frame keeps its boundary and the widget is told the theme.
    browser.eval("localStorage.setItem('switchboard-theme', 'dark'); return null").await;
    browser.client().refresh().await.expect("reload");
    browser.wait_for_text(".widget[data-kind=apps_sdk] .widget-label", "Widget from Board").await;
    wait_in_widget(&browser, "return String(window.openai.theme)", "dark").await;
    browser.eval("document.querySelector('.widget').scrollIntoView(); return null").await;
    browser.screenshot("chat-widget-dark").await;
    browser.eval("localStorage.setItem('switchboard-theme', 'light'); return null").await;
    browser.client().refresh().await.expect("reload");
    browser.wait_for_text(".widget[data-kind=apps_sdk] .widget-label", "Widget from Board").await;
    wait_in_widget(&browser, "return document.getElementById('count').textContent", "2").await;

    // Its write waits for the person: nothing runs until Approve.
    click_in_widget(&browser, "#add").await;
    browser.wait_for_text(".widget-approval code", "add_task").await;
    browser.wait_for_text(".widget-approval pre", "\"title\": \"Ship it\"").await;
    let ran = || std::fs::read_to_string(&record).unwrap_or_default();
    assert!(!ran().contains("add_task"), "nothing ran before the approval: {}", ran());
    browser.eval("document.querySelector('.widget-approval').scrollIntoView(); return null").await;
    browser.screenshot("chat-widget-approval").await;
    browser.click(".widget-approval button[data-decision=approve]").await;
    wait_in_widget(&browser, "return document.getElementById('status').textContent", "added: ").await;
    assert!(ran().contains("\"add_task\""), "{}", ran());

    // A tool kept from the model answers its own widget.
    click_in_widget(&browser, "#secret").await;
    wait_in_widget(&browser, "return document.getElementById('status').textContent", "only-for-the-widget").await;
    browser.close().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_hostile_widget_reaches_nothing_it_should_not() {
    let model = ScriptedModel::start().await;
    let providers = model.providers("openai/scripted");
    let app = TestApp::start_with(DbKind::Sqlite, |mut c| {
        c.providers = providers;
        c
    })
    .await;
    let dir = tempfile::tempdir().expect("tempdir");
    let record = dir.path().join("executed.jsonl");
    let server = PeerProcess::widgets(&record);
    let kanban = PeerProcess::kanban();
    let (member, ids) = member_with_apps(&app, &[("Board", &server.url), ("Kanban", &kanban.url)]).await;
    let off = member
        .client
        .patch(app.at(&format!("/api/v1/connectors/{}/tools/switched_off", ids[0])))
        .headers(member.csrf_headers())
        .json(&json!({"enabled": false}))
        .send()
        .await
        .expect("turn a tool off");
    assert_eq!(off.status(), 200);
    let browser = browser_for(&app).await;
    model.push(Reply::tool_calls(vec![ToolCall::new("c1", "board__probe", json!({}))]));
    model.push(Reply::text("Done."));
    ask(&browser, &ids, "Run the probe").await;

    // The probe asks for a write last: by then every other attempt is in its report.
    browser.wait_for_text(".widget-approval code", "add_task").await;
    let report =
        wait_in_widget(&browser, "return document.getElementById('report').textContent", "write: asking").await;
    let line = |key: &str| {
        report
            .lines()
            .find(|l| l.starts_with(&format!("{key}: ")))
            .unwrap_or_else(|| panic!("{key} in {report}"))
            .to_owned()
    };
    assert_eq!(line("before-initialize"), "before-initialize: no answer", "{report}");
    assert!(line("top-document").starts_with("top-document: blocked"), "{report}");
    assert!(line("cookie").starts_with("cookie: blocked"), "{report}");
    assert!(line("storage").starts_with("storage: blocked"), "{report}");
    assert!(line("fetch").starts_with("fetch: blocked"), "{report}");
    assert!(report.contains("csp: connect-src https://undeclared.example.com"), "{report}");
    assert_eq!(line("initialize"), "initialize: host Switchboard");
    assert!(line("other-app").contains("has no tool \"list_tasks\""), "{report}");
    assert!(line("switched-off").contains("turned off"), "{report}");
    assert!(line("bad-arguments").starts_with("bad-arguments: error"), "{report}");
    assert_eq!(line("javascript-link"), "javascript-link: result {\"isError\":true}");
    browser.wait_for_text(".widget-refused", "only web addresses").await;
    let height = browser.eval("return Number(document.querySelector('iframe.widget-iframe').height)").await;
    assert_eq!(height.as_f64(), Some(800.0), "a 10⁷-pixel resize is clamped");
    // The host page is untouched, and its title is still its own.
    assert_eq!(browser.eval("return document.title").await, "Chat · Switchboard");

    // A message from any other window than the widget's frame — here the page itself —
    // is not the widget's: ignored, nothing asked, nothing sent.
    browser
        .eval(
            "window.postMessage({jsonrpc: '2.0', id: 9, method: 'tools/call', \
               params: {name: 'add_task', arguments: {title: 'from another window'}}}, '*'); return null",
        )
        .await;
    tokio::time::sleep(Duration::from_millis(500)).await;
    assert_eq!(browser.count(".widget-approval").await, 1, "only the probe's own write waits");

    // Denied, the write never reaches the server, and the widget is told.
    browser.screenshot("chat-widget-hostile").await;
    browser.click(".widget-approval button[data-decision=deny]").await;
    wait_in_widget(&browser, "return document.getElementById('report').textContent", "write-answer: error").await;
    let ran = std::fs::read_to_string(&record).unwrap_or_default();
    assert!(!ran.contains("add_task") && !ran.contains("switched_off"), "{ran}");
    browser.close().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_playground_shows_a_tools_widget_and_confirms_its_writes() {
    let app = TestApp::start(DbKind::Sqlite).await;
    let dir = tempfile::tempdir().expect("tempdir");
    let record = dir.path().join("executed.jsonl");
    let server = PeerProcess::widgets(&record);
    let (_member, ids) = member_with_apps(&app, &[("Board", &server.url)]).await;
    let browser = browser_for(&app).await;
    sign_in_member(&browser).await;
    browser.goto(&format!("/settings/apps/{}", ids[0])).await;
    browser.wait_for_text("#playground-tool", "show_board").await;
    browser
        .eval(
            "const s = document.getElementById('playground-tool'); s.value = 'show_board'; \
             s.dispatchEvent(new Event('change')); return null",
        )
        .await;
    browser.click("#playground-call").await;
    browser.wait_for_text("#playground-result .widget .widget-label", "Widget from").await;
    wait_in_widget(&browser, "return document.getElementById('tasks').textContent", "Write the release notes").await;

    // The widget's write is confirmed in its box first; Deny sends nothing.
    click_in_widget(&browser, "#add").await;
    browser.wait_for_text("#playground-result .widget-approval code", "add_task").await;
    browser.click(".widget-approval button[data-decision=deny]").await;
    wait_in_widget(&browser, "return document.getElementById('status').textContent", "refused: ").await;
    assert!(!std::fs::read_to_string(&record).unwrap_or_default().contains("add_task"));
    click_in_widget(&browser, "#add").await;
    browser.wait_for_text("#playground-result .widget-approval code", "add_task").await;
    browser.screenshot("app-playground-widget").await;
    browser.click(".widget-approval button[data-decision=approve]").await;
    wait_in_widget(&browser, "return document.getElementById('status').textContent", "Ship it").await;
    assert!(std::fs::read_to_string(&record).unwrap_or_default().contains("add_task"));
    browser.close().await;
}
