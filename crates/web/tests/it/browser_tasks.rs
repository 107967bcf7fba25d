//! A tool call that runs as a task, in Chat in a real headless Chromium: the research
//! tool of server-everything (`simulate-research-query`, a write that runs only as a
//! task) waits for its approval, then its card shows the task's status and the
//! server's status messages while it runs, at desktop and phone size; and the
//! playground of a draft app follows the SDK example's `delay` task and stops it.

use std::path::Path;

use serde_json::{Value, json};
use switchboard_testkit::peers::PeerProcess;
use switchboard_testkit::{Browser, DbKind, Reply, ScriptedModel, TestApp, ToolCall};

use crate::developer::{member_with_apps, sign_in_member};

const RESEARCH: &str = "everything__simulate-research-query";

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_task_shows_its_status_in_the_call_card() {
    let model = ScriptedModel::start().await;
    let providers = model.providers("openai/scripted");
    let app = TestApp::start_with(DbKind::Sqlite, |mut c| {
        c.providers = providers;
        c
    })
    .await;
    let everything = PeerProcess::everything("streamableHttp");
    let (member, ids) = member_with_apps(&app, &[("Everything", &everything.url)]).await;
    let everything_id = ids[0].clone();

    let browser = Browser::start(&app.url, Path::new(env!("CARGO_TARGET_TMPDIR")).join("screenshots")).await;
    sign_in_member(&browser).await;
    browser.click("#composer-plus").await;
    browser.click("#menu-apps").await;
    browser.click(&format!("#app-choices input[value='{everything_id}']")).await;
    browser.click("#composer-plus").await;

    for (size, topic, shot) in [((1440, 900), "tides", "chat-task"), ((390, 844), "comets", "chat-task-phone")] {
        browser.client().set_window_size(size.0, size.1).await.expect("resize");
        model.push(Reply::tool_calls(vec![ToolCall::new("t", RESEARCH, json!({"topic": topic}))]));
        model.push(Reply::text(format!("The report on {topic} is in.")));
        browser.fill("#composer-text", &format!("Research {topic}.")).await;
        browser.click("#send").await;
        browser.wait_for_text("#approval-tool", "simulate-research-query").await;
        // Above the pinned composer on a phone.
        browser
            .eval("document.getElementById('approval-approve').scrollIntoView({block: 'center'}); return null")
            .await;
        browser.click("#approval-approve").await;
        browser
            .wait_for_text(".tool-card[data-status=running] .call-task", "Task: Working — Analyzing content...")
            .await;
        browser.eval("document.querySelector('.tool-card[data-status=running]').scrollIntoView({block: 'center'}); return null").await;
        browser.screenshot(shot).await;
        browser.wait_for_text(".message[data-role=assistant]", &format!("The report on {topic} is in.")).await;
        assert_eq!(browser.count(".call-task").await, 0, "the task's status shows only while it runs");
        browser.assert_page_is_clean().await;
    }

    // The playground: a draft app's task shows its status, and Stop cancels it upstream.
    browser.client().set_window_size(1440, 900).await.expect("resize");
    let sdk = PeerProcess::sdk_example();
    let created = member
        .client
        .post(app.at("/api/v1/connectors"))
        .headers(member.csrf_headers())
        .json(&json!({"name": "Sdk", "url": sdk.url}))
        .send()
        .await
        .expect("create the app");
    let created: Value = created.json().await.expect("json");
    let sdk_id = created["connector"]["id"].as_str().expect("id").to_owned();
    browser.goto(&format!("/settings/apps/{sdk_id}")).await;
    browser.wait_for_text("#playground-tool", "delay").await;
    browser.eval("const s = document.getElementById('playground-tool'); s.value = 'delay'; s.dispatchEvent(new Event('change')); return null").await;
    browser.fill("#playground-fields [name=duration]", "600000").await;
    browser.click("#playground-call").await;
    browser.wait_for_text("#playground-status", "Task: working").await;
    browser.eval("document.getElementById('playground').scrollIntoView(); return null").await;
    browser.screenshot("app-playground-task").await;
    browser.client().set_window_size(390, 844).await.expect("resize");
    browser.eval("document.getElementById('playground-stop').scrollIntoView({block: 'center'}); return null").await;
    browser.screenshot("app-playground-task-phone").await;
    let since = time::OffsetDateTime::now_utc() - time::Duration::minutes(5);
    browser.click("#playground-stop").await;
    browser.wait_for_text("#playground-status", "Stopped: the task was cancelled on the server.").await;
    // The call ends cancelled upstream, and its audit entry says so.
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(15);
    loop {
        let trail = app.store.audit_events(since, 100).await.expect("trail");
        let stopped = trail.iter().any(|e| {
            e.event.tool.as_deref() == Some("delay")
                && e.event.detail.to_string().contains("the task was cancelled: it was stopped")
        });
        if stopped {
            break;
        }
        assert!(std::time::Instant::now() < deadline, "no audited cancellation: {trail:?}");
        tokio::time::sleep(std::time::Duration::from_millis(200)).await;
    }
    assert_eq!(browser.count("#playground-stop[hidden]").await, 1);
    browser.assert_page_is_clean().await;
    browser.close().await;
}
