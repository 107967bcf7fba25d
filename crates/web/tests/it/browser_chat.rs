//! The chat page in a real headless Chromium, with the Kanban example as the app
//! and the scripted model server as the provider: choose the app through the
//! composer's "+" menu (Developer mode), watch a read run at once and a write wait
//! for its approval card in the thread, remember an approval, see it forgotten after a
//! reload, deny, and start a read-only conversation that offers the model no write.
//! Screenshots go where `browser.rs` puts them.

use std::path::Path;

use fantoccini::key::Key;
use serde_json::{Value, json};
use switchboard_testkit::app::PASSWORD;
use switchboard_testkit::peers::PeerProcess;
use switchboard_testkit::{Browser, DbKind, RecordedRequest, Reply, ScriptedModel, Signed, TestApp, ToolCall};

use crate::developer::member_with_apps;

const LIST: &str = "kanban__list_tasks";
const CREATE: &str = "kanban__create_task";

async fn browser_for(app: &TestApp) -> Browser {
    Browser::start(&app.url, Path::new(env!("CARGO_TARGET_TMPDIR")).join("screenshots")).await
}

/// A member in developer mode who has connected the Kanban example as a draft app.
async fn member_with_kanban(app: &TestApp, board: &PeerProcess) -> (Signed, String) {
    let (member, mut ids) = member_with_apps(app, &[("Kanban", &board.url)]).await;
    (member, ids.remove(0))
}

async fn sign_in(browser: &Browser, email: &str) {
    browser.goto("/login").await;
    browser.fill("#login-form input[name=email]", email).await;
    browser.fill("#login-form input[name=password]", PASSWORD).await;
    browser.click("#login-form button[type=submit]").await;
    browser.wait_for_url("/chat").await;
}

/// Each tool card on the page as `[tool, status, decision]`.
async fn cards(browser: &Browser) -> Value {
    browser
        .eval(
            "return [...document.querySelectorAll('#chat-log .tool-card')].map(c => \
               [c.querySelector('.tool-name code').textContent, c.dataset.status, c.dataset.decision])",
        )
        .await
}

async fn dialog_open(browser: &Browser) -> bool {
    browser.eval("return document.getElementById('approval').open").await == true
}

/// The names of the tools a model request offered (OpenAI wire format).
fn offered(request: &RecordedRequest) -> Vec<String> {
    request.body["tools"]
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(|t| t["function"]["name"].as_str().map(str::to_owned))
        .collect()
}

fn call(id: &str, name: &str, arguments: Value) -> ToolCall {
    ToolCall::new(id, name, arguments)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn member_chats_with_an_app_confirms_writes_and_starts_a_read_only_conversation() {
    let model = ScriptedModel::start().await;
    let providers = model.providers("openai/scripted");
    let app = TestApp::start_with(DbKind::Sqlite, |mut c| {
        c.providers = providers;
        c
    })
    .await;
    let board = PeerProcess::kanban();
    let (member, kanban) = member_with_kanban(&app, &board).await;
    let browser = browser_for(&app).await;
    sign_in(&browser, "grace@example.com").await;
    browser.wait_for_text("#model-status", "openai/scripted").await;
    browser.wait_for_text("#no-conversations", "No conversations yet").await;
    browser.assert_page_is_clean().await;

    // + → Developer mode → choose the app; the choice shows above the message.
    browser.click("#composer-plus").await;
    browser.click("#menu-apps").await;
    browser.wait_for_text("#app-choices label", "Kanban").await;
    browser.click(&format!("#app-choices input[value='{kanban}']")).await;
    browser.wait_for_text("#composer-choices .chip", "Kanban").await;
    browser.click("#composer-plus").await;
    assert_eq!(browser.count("#stop[hidden]").await, 1, "no Stop button before a turn runs");

    // A read runs at once; then a write waits for the dialog.
    model.push(Reply::tool_calls(vec![call("call_1", LIST, json!({}))]).with_text("Let me look at the board first."));
    model.push(
        Reply::tool_calls(vec![call("call_2", CREATE, json!({"title": "Write the release notes"}))])
            .with_text("There is no task for that yet, so I will add one."),
    );
    let enter = char::from(Key::Enter);
    browser.fill("#composer-text", &format!("What is on the board? Add a task for the release notes.{enter}")).await;
    browser.wait_for_text("#approval-tool", "create_task").await;
    browser.wait_for_text("#approval-connector", "Kanban").await;
    browser.wait_for_text("#approval-arguments", "\"title\": \"Write the release notes\"").await;
    browser.wait_for_text(".message[data-role=user]", "What is on the board?").await;
    browser.wait_for_text(".message[data-role=assistant]", "Let me look at the board first.").await;
    browser.wait_for_text(".tool-card[data-status=completed] .decision", "read: ran without asking").await;
    assert_eq!(
        cards(&browser).await,
        json!([["list_tasks", "completed", "auto_read"], ["create_task", "awaiting_approval", ""]])
    );
    let output = browser
        .eval("return document.querySelector('.tool-card[data-status=completed] details[data-part=output] pre').textContent")
        .await;
    // The example's board starts with a few tasks of its own.
    assert!(output.as_str().is_some_and(|o| o.contains("Draft the release notes")), "the read's output: {output}");

    // The model was offered the app's tools under their namespaced names.
    let first = model.requests().first().cloned().expect("a model request");
    let names = offered(&first);
    assert!(names.contains(&LIST.to_owned()) && names.contains(&CREATE.to_owned()), "{names:?}");
    // The approval is a card at the end of the thread, with the action's title and
    // description; the read's results above it stay usable while it waits.
    browser.wait_for_text("#chat-log #approval #approval-action-title", "Create task").await;
    browser.wait_for_text("#approval-description", "Use this when someone asks to add a task").await;
    let order = browser
        .eval(
            "const log = document.getElementById('chat-log'); \
             return [log.lastElementChild.id, log.querySelector('.tool-card[data-status=awaiting_approval]').nextElementSibling.id]",
        )
        .await;
    assert_eq!(order, json!(["approval", "approval"]), "the card follows the call it is about");
    browser.click(".tool-card[data-status=completed] details[data-part=output] summary").await;
    assert_eq!(browser.count(".tool-card[data-status=completed] details[data-part=output][open]").await, 1);
    // Keyboard: Deny has the focus, Tab reaches Approve.
    browser.eval("document.getElementById('approval-deny').focus(); return null").await;
    let focused = browser.client().active_element().await.expect("the focused element");
    focused.send_keys(&char::from(Key::Tab).to_string()).await.expect("press Tab");
    assert_eq!(browser.eval("return document.activeElement.id").await, "approval-approve");
    browser.assert_page_is_clean().await;
    browser.screenshot("chat-approval").await;
    let violations = browser.axe().await;
    assert!(violations.is_empty(), "chat-approval: serious or critical accessibility violations: {violations:#?}");
    browser.client().set_window_size(390, 844).await.expect("resize");
    browser.eval("document.getElementById('approval').scrollIntoView(); return null").await;
    browser.screenshot("chat-approval-phone").await;
    browser.client().set_window_size(1280, 900).await.expect("resize");

    // Escape does not decide: the dialog stays until Approve or Deny.
    let focused = browser.client().active_element().await.expect("the focused element");
    focused.send_keys(&char::from(Key::Escape).to_string()).await.expect("press Escape");
    assert!(dialog_open(&browser).await, "Escape leaves the dialog open");

    // Approve, remembered: the write runs, and the next call of it asks no more.
    model.push(Reply::tool_calls(vec![call("call_3", CREATE, json!({"title": "Tell the team about the release"}))]));
    model.push(Reply::text("Both tasks are on the board."));
    browser.click("#approval-remember").await;
    browser.click("#approval-approve").await;
    browser.wait_for_text(".message[data-role=assistant]", "Both tasks are on the board.").await;
    assert!(!dialog_open(&browser).await, "a remembered approval asks no more");
    assert_eq!(
        cards(&browser).await,
        json!([
            ["list_tasks", "completed", "auto_read"],
            ["create_task", "completed", "approved"],
            ["create_task", "completed", "remembered"]
        ])
    );
    browser.wait_for_text(".tool-card[data-decision=remembered] .decision", "remembered").await;
    // The remembered choice shows in the header, where it can be revoked.
    browser.wait_for_text("#remembered .remembered-chip", "Always allow Kanban · create_task").await;
    browser.screenshot("chat-remembered").await;
    browser.click("#remembered .remembered-chip button.revoke").await;
    for _ in 0..50 {
        if browser.count("#remembered .remembered-chip").await == 0 {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    assert_eq!(browser.count("#remembered .remembered-chip").await, 0, "revoked");
    assert_eq!(browser.count("#remembered[hidden]").await, 1);
    browser.wait_for_text(".tool-card[data-decision=remembered] .latency", "ms").await;
    browser.wait_for_text("#chat-title", "What is on the board?").await;
    browser.click(".tool-card[data-decision=approved] details[data-part=input] summary").await;
    browser
        .eval("const log = document.getElementById('chat-log'); log.scrollTop = log.scrollHeight; return null")
        .await;
    browser.assert_page_is_clean().await;
    browser.screenshot("chat-conversation").await;
    let violations = browser.axe().await;
    assert!(violations.is_empty(), "chat-conversation: serious or critical accessibility violations: {violations:#?}");
    browser.click(".tool-card[data-decision=remembered] details[data-part=output] summary").await;
    browser.wait_for_text(".tool-card[data-decision=remembered] details[data-part=output] pre", "Tell the team").await;
    browser.click(".tool-card[data-decision=remembered] details[data-part=exchange] summary").await;
    browser
        .wait_for_text(
            ".tool-card[data-decision=remembered] details[data-part=exchange] pre",
            "\"method\": \"tools/call\"",
        )
        .await;
    let conversations = app.store.list_conversations(member.user.id, None).await.expect("conversations");
    assert_eq!(conversations.len(), 1);
    let conversation = conversations[0].id.to_string();
    browser
        .wait_for_text(
            &format!("#conversation-list button[data-conversation='{conversation}']"),
            "What is on the board?",
        )
        .await;

    // A reload is a new page session: the same write asks again. Deny it.
    browser.goto("/chat").await;
    browser.click(&format!("#conversation-list button[data-conversation='{conversation}']")).await;
    browser.wait_for_text(".message[data-role=assistant]", "Both tasks are on the board.").await;
    assert_eq!(browser.count("#chat-log .tool-card").await, 3, "the calls are shown again from the store");
    model.push(Reply::tool_calls(vec![call("call_4", CREATE, json!({"title": "Book the launch party"}))]));
    model.push(Reply::text("All right, I left the board as it is."));
    browser.fill("#composer-text", "Add one more: book the launch party.").await;
    browser.click("#send").await;
    browser.wait_for_text("#approval-arguments", "Book the launch party").await;
    browser.click("#approval-deny").await;
    browser.wait_for_text(".message[data-role=assistant]", "All right, I left the board as it is.").await;
    assert!(!dialog_open(&browser).await);
    let shown = cards(&browser).await;
    assert_eq!(shown[3], json!(["create_task", "denied", "denied"]), "{shown}");
    browser.wait_for_text(".tool-card[data-status=denied] .call-message", "the user denied").await;
    browser.assert_page_is_clean().await;

    // What happened on the board, and what the store holds.
    let listed: Value = member
        .client
        .post(app.at(&format!("/api/v1/connectors/{kanban}/tools/list_tasks/call")))
        .headers(member.csrf_headers())
        .json(&json!({"arguments": {}}))
        .send()
        .await
        .expect("list the board")
        .json()
        .await
        .expect("json");
    let titles: Vec<&str> = listed["result"]["structuredContent"]["tasks"]
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(|t| t["title"].as_str())
        .collect();
    assert!(titles.ends_with(&["Write the release notes", "Tell the team about the release"]), "{titles:?}");
    assert!(!titles.contains(&"Book the launch party"), "the denied task was never created: {titles:?}");
    let detail: Value = member
        .client
        .get(app.at(&format!("/api/v1/conversations/{conversation}")))
        .send()
        .await
        .expect("the conversation")
        .json()
        .await
        .expect("json");
    let decisions: Vec<&Value> =
        detail["tool_calls"].as_array().into_iter().flatten().map(|c| &c["decision"]).collect();
    assert_eq!(decisions, [&json!("auto_read"), &json!("approved"), &json!("remembered"), &json!("denied")]);

    // Stop the turn from the dialog: the waiting write is cancelled, never sent.
    model.push(Reply::tool_calls(vec![call("call_5", CREATE, json!({"title": "Never mind"}))]));
    browser.fill("#composer-text", "Add a task I will change my mind about.").await;
    browser.click("#send").await;
    browser.wait_for_text("#approval-arguments", "Never mind").await;
    browser.click("#approval-stop").await;
    browser.wait_for_text("#composer-status", "Stopped.").await;
    assert!(!dialog_open(&browser).await);
    browser.wait_for_text(".tool-card[data-status=cancelled]", "create_task").await;
    let state = app.store.conversation(conversation.parse().expect("id")).await.expect("conversation").state;
    assert_eq!(state, switchboard_core::conversation::TurnState::Idle);

    // A read-only conversation: the model is offered reads only.
    browser.click("#new-chat").await;
    assert_eq!(browser.count("#chat-log .message").await, 0, "a new chat starts empty");
    browser.click("#composer-plus").await;
    browser.click("#read-only").await;
    browser.click("#menu-apps").await;
    browser.click(&format!("#app-choices input[value='{kanban}']")).await;
    browser.wait_for_text("#composer-choices [data-mode=read_only]", "Read-only").await;
    browser.click("#composer-plus").await;
    // Model text is shown as text: markup stays letters, a direction override is shown.
    model.push(Reply::text("The board holds the release tasks, all in todo. <img src=x>\u{202e}txt.exe"));
    let before = model.requests().len();
    browser.fill("#composer-text", "Summarise the board.").await;
    browser.click("#send").await;
    browser.wait_for_text(".message[data-role=assistant]", "The board holds the release tasks").await;
    browser.wait_for_text("#chat-facts", "read-only").await;
    browser.wait_for_text(".message[data-role=assistant]", "<img src=x>\\u{202e}txt.exe").await;
    assert_eq!(browser.count("#chat-log img").await, 0, "no markup from the model");
    let requests = model.requests();
    assert_eq!(requests.len(), before + 1);
    let names = offered(&requests[before]);
    assert!(names.contains(&LIST.to_owned()), "reads are offered: {names:?}");
    for write in ["create_task", "move_task", "delete_task"] {
        assert!(!names.iter().any(|n| n.ends_with(write)), "{write} is not offered in read-only mode: {names:?}");
    }
    let listed: Value = member
        .client
        .get(app.at("/api/v1/conversations"))
        .send()
        .await
        .expect("conversations")
        .json()
        .await
        .expect("json");
    let modes: Vec<&str> = listed.as_array().into_iter().flatten().filter_map(|c| c["mode"].as_str()).collect();
    assert_eq!(modes.len(), 2);
    assert!(modes.contains(&"read_only") && modes.contains(&"default"), "{modes:?}");
    browser.assert_page_is_clean().await;

    // Company knowledge: search and fetch of every app offering both, and the sources read.
    browser.click("#new-chat").await;
    browser.click("#composer-plus").await;
    browser.click("#knowledge").await;
    browser.wait_for_text("#composer-choices [data-mode=knowledge]", "Company knowledge").await;
    browser.click("#composer-plus").await;
    model.push(Reply::tool_calls(vec![call("call_k1", "kanban__search", json!({"query": "release notes"}))]));
    model.push(Reply::tool_calls(vec![call("call_k2", "kanban__fetch", json!({"id": "T-1"}))]));
    model.push(Reply::text("The release notes are still to do."));
    let before = model.requests().len();
    browser.fill("#composer-text", "Where are the release notes?").await;
    browser.click("#send").await;
    browser.wait_for_text(".citations", "kanban://tasks/T-1").await;
    let mut names = offered(&model.requests()[before]);
    names.sort();
    assert_eq!(names, ["kanban__fetch", "kanban__search"]);
    browser.wait_for_text("#chat-facts", "company knowledge").await;
    browser.assert_page_is_clean().await;

    // Stop: an answer that stalls after a few words is cancelled; what was said stays.
    model.push(Reply::text("Let me think about that for a while.").stall_after(3));
    browser.fill("#composer-text", "Which task matters most?").await;
    browser.click("#send").await;
    browser.wait_for_text(".message[data-role=assistant].streaming", "Let me t").await;
    browser.click("#stop").await;
    browser.wait_for_text("#composer-status", "Stopped.").await;
    assert_eq!(browser.count("#stop[hidden]").await, 1, "no Stop button once the turn is over");
    assert_eq!(browser.count(".message.streaming").await, 0);

    // A provider that refuses: the error shows as an error bubble.
    model.push(Reply::status(400).with_message("the scripted model refuses this one"));
    browser.fill("#composer-text", "Try again.").await;
    browser.click("#send").await;
    browser.wait_for_text(".message[data-role=error]", "the scripted model refuses this one").await;
    assert!(browser.is_enabled("#send").await, "the composer is ready for the next message");
    browser.assert_page_is_clean().await;

    // A call that reports progress shows it while it runs.
    let everything = PeerProcess::everything("streamableHttp");
    let created = member
        .client
        .post(app.at("/api/v1/connectors"))
        .headers(member.csrf_headers())
        .json(&json!({"name": "Everything", "url": everything.url}))
        .send()
        .await
        .expect("create the app");
    assert_eq!(created.status(), 201, "create the Everything app");
    let created: Value = created.json().await.expect("json");
    let everything_id = created["connector"]["id"].as_str().expect("connector id").to_owned();
    browser.goto("/chat").await;
    browser.click("#composer-plus").await;
    browser.click("#menu-apps").await;
    browser.click(&format!("#app-choices input[value='{everything_id}']")).await;
    browser.click("#composer-plus").await;
    let long = "everything__trigger-long-running-operation";
    model.push(Reply::tool_calls(vec![call("call_p", long, json!({"duration": 3, "steps": 3}))]));
    model.push(Reply::text("The operation finished."));
    browser.fill("#composer-text", "Run the long operation.").await;
    browser.click("#send").await;
    browser.wait_for_text(".tool-card[data-status=running] .call-live", "/ 3").await;
    assert_eq!(browser.count(".tool-card[data-status=running] .call-live progress").await, 1);
    browser.wait_for_text(".message[data-role=assistant]", "The operation finished.").await;
    assert_eq!(browser.count(".call-live").await, 0, "progress shows only while the call runs");
    browser.assert_page_is_clean().await;

    browser.close().await;
}
