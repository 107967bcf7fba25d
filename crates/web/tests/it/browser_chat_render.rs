//! Answers and the thread in a real headless Chromium, with the scripted model
//! as the provider: Markdown (a table, highlighted code) rendered as elements,
//! a hostile answer left inert (raw HTML, a `javascript:` link, a remote image
//! that is only a link to open it in a new tab, the strict CSP, a direction override), copy buttons; a stopped turn
//! and a model error written into the thread and still there after a reload,
//! Retry, Regenerate, and edit and resend. Screenshots at desktop and phone sizes.

use std::path::Path;
use std::time::Duration;

use serde_json::{Value, json};
use switchboard_core::Role;
use switchboard_testkit::app::PASSWORD;
use switchboard_testkit::{Browser, DbKind, Gate, Reply, ScriptedModel, TestApp};

const TABLE_AND_CODE: &str = "## Release plan\n\nHere is the **plan**:\n\n\
| Task | Owner | Days |\n|:-----|:------|-----:|\n| Notes | Grace | 2 |\n| Launch | Alan | 1 |\n\n\
```rust\nfn main() {\n    let answer = 42;\n    println!(\"{answer}\");\n}\n```\n\nSee [the docs](https://example.com/docs).";

const HOSTILE: &str = "<img src=x onerror=alert(1)> and <script>alert(2)</script>\n\n\
[click me](javascript:alert(1)) and [data](data:text/html,hi) and [files](ftp://example.com/f)\n\n\
![tracker](http://127.0.0.1:9/x.png)\n\n\
Open invoice\u{202e}fdp.exe now";

async fn app_with(model: &ScriptedModel) -> TestApp {
    // The stalled replies below wait for Stop longer than a loaded machine takes
    // to scroll and click: the provider must not give up on them first.
    let providers = model.providers_waiting("openai/scripted", std::time::Duration::from_secs(120));
    TestApp::start_with(DbKind::Sqlite, move |mut c| {
        c.providers = providers;
        c
    })
    .await
}

async fn signed_in_browser(app: &TestApp) -> Browser {
    app.user("owner@example.com", Role::Owner).await;
    app.user("me@example.com", Role::Member).await;
    let browser = Browser::start(&app.url, Path::new(env!("CARGO_TARGET_TMPDIR")).join("screenshots")).await;
    browser.goto("/login").await;
    browser.fill("#login-form input[name=email]", "me@example.com").await;
    browser.fill("#login-form input[name=password]", PASSWORD).await;
    browser.click("#login-form button[type=submit]").await;
    browser.wait_for_url("/chat").await;
    browser
}

async fn ask(browser: &Browser, text: &str) {
    browser.fill("#composer-text", text).await;
    browser.click("#send").await;
}

/// Load the page again: a new page session, everything from the store.
async fn reload(browser: &Browser) {
    browser.client().refresh().await.expect("reload the page");
}

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

#[tokio::test]
async fn answers_render_as_markdown_and_hostile_ones_stay_inert() {
    let model = ScriptedModel::start().await;
    let app = app_with(&model).await;
    let browser = signed_in_browser(&app).await;

    // A table and a fenced code block: elements, highlighted, with copy buttons.
    model.push(Reply::text(TABLE_AND_CODE));
    ask(&browser, "Plan the release").await;
    browser.wait_for_text(".message[data-role=assistant] .markdown table", "Launch").await;
    browser.wait_for_text(".message[data-role=assistant]:not(.streaming) .code-block", "println!").await;
    let shape = browser
        .eval(
            "const a = document.querySelector('.message[data-role=assistant] .markdown'); return {\
               h2: a.querySelector('h2')?.textContent, strong: a.querySelector('strong')?.textContent,\
               headers: [...a.querySelectorAll('thead th')].map(t => t.textContent),\
               rows: [...a.querySelectorAll('tbody tr')].map(r => [...r.children].map(c => c.textContent)),\
               right: a.querySelector('tbody td:last-child').className,\
               lang: a.querySelector('.code-block .code-lang').textContent,\
               code: a.querySelector('pre > code').textContent,\
               keyword: a.querySelector('pre > code .hljs-keyword')?.textContent,\
               highlighted: a.querySelectorAll('pre > code span[class^=hljs-]').length,\
               link: [a.querySelector('a').href, a.querySelector('a').target, a.querySelector('a').rel] }",
        )
        .await;
    assert_eq!(shape["h2"], "Release plan");
    assert_eq!(shape["strong"], "plan");
    assert_eq!(shape["headers"], json!(["Task", "Owner", "Days"]));
    assert_eq!(shape["rows"], json!([["Notes", "Grace", "2"], ["Launch", "Alan", "1"]]));
    assert_eq!(shape["right"], "align-right");
    assert_eq!(shape["lang"], "rust");
    assert_eq!(shape["code"], "fn main() {\n    let answer = 42;\n    println!(\"{answer}\");\n}\n");
    assert_eq!(shape["keyword"], "fn");
    assert!(shape["highlighted"].as_u64().is_some_and(|n| n >= 3), "{shape}");
    assert_eq!(shape["link"], json!(["https://example.com/docs", "_blank", "noopener noreferrer nofollow"]));

    // Copy: the answer's raw Markdown and the code, each saying "Copied".
    browser.click(".message[data-role=assistant] .code-block button.copy").await;
    browser.wait_for_text(".message[data-role=assistant] .code-block button.copy", "Copied").await;
    browser.click(".message[data-role=assistant] .message-actions button.copy").await;
    browser.wait_for_text(".message[data-role=assistant] .message-actions button.copy", "Copied").await;
    browser.assert_page_is_clean().await;
    browser.screenshot("chat-markdown").await;
    browser.client().set_window_size(390, 844).await.expect("resize");
    browser.eval("document.querySelector('.message[data-role=assistant]').scrollIntoView(); return null").await;
    browser.screenshot("chat-markdown-phone").await;
    let overflow = browser.eval("return document.documentElement.scrollWidth <= window.innerWidth").await;
    assert_eq!(overflow, true, "nothing is wider than a phone: the table scrolls in its own box");
    browser.client().set_window_size(1280, 900).await.expect("resize");

    // A hostile answer: no markup, no script link, no image loaded, the override shown.
    model.push(Reply::text(HOSTILE));
    ask(&browser, "Show me the invoice").await;
    browser.wait_for_text(".message[data-role=assistant]:not(.streaming)", "Open invoice").await;
    let last = "const all = document.querySelectorAll('.message[data-role=assistant] .markdown'); \
                const a = all[all.length - 1];";
    let inert = browser
        .eval(&format!(
            "{last} return {{\
               imgs: document.querySelectorAll('#chat-log img').length,\
               scripts: document.querySelectorAll('#chat-log script').length,\
               handlers: [...document.querySelectorAll('#chat-log *')].filter(e => [...e.attributes].some(a => a.name.startsWith('on'))).length,\
               hrefs: [...a.querySelectorAll('a')].map(x => x.getAttribute('href')),\
               scriptish: document.querySelectorAll('#chat-log [href^=\"javascript:\" i], #chat-log [src^=\"javascript:\" i]').length,\
               refused: [...a.querySelectorAll('.link-refused')].map(x => x.textContent),\
               text: a.textContent,\
               image: [...a.querySelectorAll('a.remote-image')].map(x => [x.textContent, x.getAttribute('href'), x.target, x.rel]),\
               loaded: performance.getEntriesByType('resource').some(r => r.name.includes('127.0.0.1:9')) }}"
        ))
        .await;
    assert_eq!(inert["imgs"], 0, "{inert}");
    assert_eq!(inert["scripts"], 0, "{inert}");
    assert_eq!(inert["handlers"], 0, "{inert}");
    assert_eq!(inert["hrefs"], json!(["http://127.0.0.1:9/x.png"]), "no link but http(s) (the image's): {inert}");
    assert_eq!(inert["scriptish"], 0, "{inert}");
    // markdown-it leaves javascript: and data: links as text; ours refuses the rest.
    assert_eq!(inert["refused"], json!(["files"]), "{inert}");
    let text = inert["text"].as_str().unwrap_or_default();
    assert!(text.contains("<img src=x onerror=alert(1)>"), "raw HTML stays text: {text}");
    assert!(text.contains("<script>alert(2)</script>"), "{text}");
    assert!(text.contains("[click me](javascript:alert(1))"), "{text}");
    assert!(text.contains("Open invoice\\u{202e}fdp.exe"), "the override is shown, not obeyed: {text}");
    assert_eq!(
        inert["image"],
        json!([["Open image from 127.0.0.1:9 (tracker)", "http://127.0.0.1:9/x.png", "_blank", "noopener noreferrer"]]),
        "the remote image is a link that opens it in a new tab: {inert}"
    );
    assert_eq!(inert["loaded"], false, "the remote image is never requested by the page");
    // The page has the one strict policy: no remote image could load even if one were put there.
    let csp = browser.eval_async("fetch('/chat').then(r => r.headers.get('content-security-policy'))").await;
    let csp = csp.as_str().unwrap_or_default().to_owned();
    assert!(csp.contains("img-src 'self' data:;"), "{csp}");
    assert!(!csp.contains("http"), "no remote origin is allowed: {csp}");
    browser.screenshot("chat-hostile").await;
    // No console entry at all: nothing was refused or failed to load.
    let problems: Vec<String> = browser
        .console()
        .await
        .into_iter()
        .filter(|e| e.level == "SEVERE" || e.level == "WARNING")
        .map(|e| e.message)
        .collect();
    assert!(problems.is_empty(), "{problems:?}");
    browser.close().await;
}

#[tokio::test]
async fn stops_and_errors_stay_in_the_thread_with_retry_regenerate_and_edit() {
    let model = ScriptedModel::start().await;
    let app = app_with(&model).await;
    let browser = signed_in_browser(&app).await;

    // While the model has said nothing, the thread shows that it works; Stop is
    // written into the thread and stored.
    model.push(Reply::hang());
    ask(&browser, "Think about the roadmap").await;
    browser.wait_for_text("#chat-log #working", "Working").await;
    browser.click("#stop").await;
    browser.wait_for_text(".message[data-role=stopped]", "Stopped.").await;
    assert_eq!(browser.count("#chat-log #working").await, 0, "no indicator once the turn is over");
    browser.wait_for_text(".message[data-role=stopped] button.retry", "Retry").await;
    reload(&browser).await;
    browser.wait_for_text(".message[data-role=stopped]", "Stopped.").await;
    browser.wait_for_text(".message[data-role=stopped] button.retry", "Retry").await;
    browser.screenshot("chat-stopped").await;

    // Retry answers the same message again; the note gives way to the answer.
    model.push(Reply::text("A roadmap in **three** steps."));
    browser.click(".message[data-role=stopped] button.retry").await;
    browser.wait_for_text(".message[data-role=assistant]:not(.streaming) strong", "three").await;
    assert_eq!(browser.count(".message[data-role=stopped]").await, 0);
    assert_eq!(browser.count(".message[data-role=user]").await, 1, "the message is not sent twice");

    // A model error: in the thread, stored, with Retry.
    model.push(Reply::status(400).with_message("the scripted model refuses this one"));
    ask(&browser, "And the budget?").await;
    browser.wait_for_text(".message[data-role=error]", "the scripted model refuses this one").await;
    browser.wait_for_text(".message[data-role=error] button.retry", "Retry").await;
    reload(&browser).await;
    browser.wait_for_text(".message[data-role=error]", "the scripted model refuses this one").await;
    browser.assert_page_is_clean().await;
    browser.screenshot("chat-error-retry").await;
    browser.client().set_window_size(390, 844).await.expect("resize");
    browser.eval("document.querySelector('.message[data-role=error]').scrollIntoView(); return null").await;
    browser.screenshot("chat-error-retry-phone").await;
    browser.client().set_window_size(1280, 900).await.expect("resize");
    model.push(Reply::text("The budget is 10k."));
    browser.click(".message[data-role=error] button.retry").await;
    browser.wait_for_text(".message[data-role=assistant]:not(.streaming)", "The budget is 10k.").await;
    assert_eq!(browser.count(".message[data-role=error]").await, 0);

    // Regenerate the last answer: replaced, and the model is not sent the old one.
    model.push(Reply::text("Ten thousand, in round numbers."));
    browser.click(".message[data-role=assistant] button.regenerate").await;
    browser.wait_for_text(".message[data-role=assistant]:not(.streaming)", "Ten thousand").await;
    let answers = browser
        .eval("return [...document.querySelectorAll('.message[data-role=assistant]')].map(m => m.textContent)")
        .await;
    assert!(!answers.to_string().contains("The budget is 10k."), "{answers}");
    let sent = model.requests().last().cloned().expect("request").body["messages"].to_string();
    assert!(sent.contains("And the budget?") && !sent.contains("The budget is 10k."), "{sent}");

    // Edit and resend the last message.
    browser.click(".message[data-role=user] button.edit").await;
    browser.fill(".edit-form textarea", "And the budget for Q3?").await;
    model.push(Reply::text("Q3 has 4k."));
    browser.click(".edit-form button[type=submit]").await;
    browser.wait_for_text(".message[data-role=assistant]:not(.streaming)", "Q3 has 4k.").await;
    let users = browser
        .eval("return [...document.querySelectorAll('.message[data-role=user] .message-text')].map(m => m.textContent)")
        .await;
    assert_eq!(users, json!(["Think about the roadmap", "And the budget for Q3?"]));
    let sent = model.requests().last().cloned().expect("request").body["messages"].to_string();
    assert!(sent.contains("And the budget for Q3?") && !sent.contains("\"And the budget?\""), "{sent}");
    // After a reload the thread is what was kept; what was replaced is folded where it was.
    reload(&browser).await;
    browser.wait_for_text("#chat-log > .message[data-role=assistant]", "Q3 has 4k.").await;
    let thread = browser
        .eval("return [...document.querySelectorAll('#chat-log > .message')].map(m => [m.dataset.role, m.querySelector('.message-text').textContent])")
        .await;
    assert_eq!(
        thread,
        json!([
            ["user", "Think about the roadmap"],
            ["assistant", "A roadmap in three steps."],
            ["user", "And the budget for Q3?"],
            ["assistant", "Q3 has 4k."]
        ])
    );
    let folded = browser
        .eval(
            "return [...document.querySelectorAll('#chat-log > *')].filter(n => n.matches('.message, details.superseded')).map(n => \
               n.matches('details') ? [n.open, n.querySelector('summary').textContent, \
                 [...n.querySelectorAll('.message')].map(m => [m.dataset.role, m.querySelector('.message-text').textContent])] \
               : n.dataset.role)",
        )
        .await;
    assert_eq!(folded[0], "user");
    assert_eq!(folded[1], json!([false, "Earlier version · 1 message replaced", [["stopped", "Stopped."]]]));
    assert_eq!(folded[2], "assistant");
    assert_eq!(folded[3][0], false, "folded until asked: {folded}");
    assert_eq!(folded[3][1], "Earlier version · 4 messages replaced");
    let earlier: Vec<&str> =
        folded[3][2].as_array().expect("messages").iter().map(|m| m[0].as_str().unwrap_or_default()).collect();
    assert_eq!(earlier, ["user", "error", "assistant", "assistant"], "{folded}");
    assert_eq!(folded[3][2][0][1], "And the budget?");
    assert!(folded[3][2][1][1].as_str().is_some_and(|t| t.contains("the scripted model refuses this one")), "{folded}");
    assert_eq!(folded[3][2][2][1], "The budget is 10k.");
    assert_eq!(folded[3][2][3][1], "Ten thousand, in round numbers.");
    assert_eq!((folded[4].clone(), folded[5].clone()), (json!("user"), json!("assistant")));
    assert_eq!(
        browser.count("#chat-log details.superseded button.turn-action").await,
        0,
        "what was replaced is only read"
    );
    assert_eq!(browser.count("#chat-log > .message[data-role=user] button.edit").await, 1);
    browser.assert_page_is_clean().await;
    browser.screenshot("chat-regenerated").await;
    browser.click("#chat-log details.superseded[data-count='4'] > summary").await;
    assert_eq!(browser.eval("return document.querySelector(\"details.superseded[data-count='4']\").open").await, true);
    browser.eval("document.querySelector(\"details.superseded[data-count='4']\").scrollIntoView(); return null").await;
    browser.screenshot("chat-earlier-version").await;

    // "Stopped." does not follow into a new chat.
    model.push(Reply::hang());
    ask(&browser, "One more thing").await;
    browser.wait_for_text("#chat-log #working", "Working").await;
    browser.click("#stop").await;
    browser.wait_for_text("#composer-status", "Stopped.").await;
    browser.click("#new-chat").await;
    assert_eq!(browser.text("#composer-status").await, "");
    assert_eq!(browser.count("#chat-log .message").await, 0);
    browser.close().await;
}

#[tokio::test]
async fn the_thread_follows_the_answer_unless_the_reader_scrolls_up() {
    let model = ScriptedModel::start().await;
    let app = app_with(&model).await;
    let browser = signed_in_browser(&app).await;
    let long: String = (1..=60).map(|i| format!("Line {i} of a long answer.\n\n")).collect();
    model.push(Reply::text(long.clone()));
    ask(&browser, "Write a lot").await;
    browser.wait_for_text(".message[data-role=assistant]:not(.streaming)", "Line 60").await;
    let at_end =
        "const l = document.getElementById('chat-log'); return l.scrollHeight - l.scrollTop - l.clientHeight < 48";
    wait_eval(&browser, at_end, json!(true)).await;
    assert_eq!(browser.count("#jump-latest[hidden]").await, 1);

    // Scrolled up, the next answer does not pull the reader down: a button offers it.
    // The gate holds the answer's rest until the reader has scrolled up.
    let gate = Gate::new();
    model.push(Reply::text(long).hold_after(12, &gate).stall_after(40));
    ask(&browser, "And again").await;
    browser.wait_for_text(".message[data-role=assistant].streaming", "Line 1").await;
    wait_eval(&browser, at_end, json!(true)).await;
    // Resolves once the page has seen the scroll (its listener runs before this one).
    let scrolled_up = "new Promise(done => { const l = document.getElementById('chat-log'); \
        l.addEventListener('scroll', () => done(l.scrollTop), { once: true }); l.scrollTop = 0; })";
    assert_eq!(browser.eval_async(scrolled_up).await, json!(0));
    gate.open();
    browser.wait_for_text(".message[data-role=assistant].streaming", "Line 3").await;
    wait_eval(&browser, "return document.getElementById('jump-latest').hidden", json!(false)).await;
    assert_eq!(
        browser.eval("return document.getElementById('chat-log').scrollTop").await,
        0,
        "left where the reader was"
    );
    browser.screenshot("chat-jump-to-latest").await;
    browser.click("#jump-latest").await;
    wait_eval(&browser, at_end, json!(true)).await;
    assert_eq!(browser.count("#jump-latest[hidden]").await, 1);
    browser.click("#stop").await;
    browser.wait_for_text(".message[data-role=stopped]", "Stopped.").await;
    browser.close().await;
}
