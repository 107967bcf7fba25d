//! A server's requests for the person's input, in the chat, in a real headless
//! Chromium: a PyPI `mcp` server's form with a secret-looking field (warned about,
//! redacted where Switchboard keeps the exchange) that survives a reload and is
//! answered after it, and server-everything's URL request, opened only after the
//! person confirms. Screenshots at desktop and phone size.

use std::path::Path;
use std::time::Duration;

use fantoccini::key::Key;
use serde_json::{Value, json};
use switchboard_core::Role;
use switchboard_testkit::app::PASSWORD;
use switchboard_testkit::peers::PeerProcess;
use switchboard_testkit::{Browser, DbKind, Reply, ScriptedModel, Signed, TestApp, ToolCall};

use crate::developer::create_app;

async fn conversation(app: &TestApp, who: &Signed, connector: &str) -> String {
    let created = who
        .client
        .post(app.at("/api/v1/conversations"))
        .headers(who.csrf_headers())
        .json(&json!({"connectors": [connector]}))
        .send()
        .await
        .expect("create the conversation");
    assert_eq!(created.status(), 201);
    let created: Value = created.json().await.expect("json");
    created["id"].as_str().expect("id").to_owned()
}

/// Wait until `script` returns `want`.
async fn wait_eval(browser: &Browser, script: &str, want: Value) {
    for _ in 0..150 {
        if browser.eval(script).await == want {
            return;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert_eq!(browser.eval(script).await, want, "{script}");
}

/// Send `text` in the open conversation and approve the write the model asks for.
async fn send_and_approve(browser: &Browser, text: &str) {
    let enter = char::from(Key::Enter);
    browser.fill("#composer-text", &format!("{text}{enter}")).await;
    wait_eval(browser, "return document.getElementById('approval').open", json!(true)).await;
    browser.click("#approval-approve").await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_form_and_a_url_asked_for_during_calls() {
    let model = ScriptedModel::start().await;
    let providers = model.providers("openai/scripted");
    let app = TestApp::start_with(DbKind::Sqlite, move |mut c| {
        c.providers = providers;
        c
    })
    .await;
    let owner = app.signed_in("owner@example.com", Role::Owner).await;
    let vault = PeerProcess::python_elicit();
    let vault_id = create_app(&app, &owner, "Vault", &vault.url).await;
    let id = conversation(&app, &owner, &vault_id).await;

    let browser = Browser::start(&app.url, Path::new(env!("CARGO_TARGET_TMPDIR")).join("screenshots")).await;
    browser.client().set_window_size(1440, 900).await.expect("resize");
    browser.goto("/login").await;
    browser.fill("#login-form input[name=email]", "owner@example.com").await;
    browser.fill("#login-form input[name=password]", PASSWORD).await;
    browser.click("#login-form button[type=submit]").await;
    browser.wait_for_url("/chat").await;
    browser.goto(&format!("/chat?c={id}")).await;

    // The form appears at the call's card, naming the app, the message as text,
    // the secret-looking field with a warning that names the app.
    model.push(Reply::tool_calls(vec![ToolCall::new("c1", "vault__sign_in", json!({"service": "Acme <b>Corp</b>"}))]));
    model.push(Reply::text("You are signed in."));
    send_and_approve(&browser, "Sign me in to Acme").await;
    browser.wait_for_text(".elicitation .elicitation-head", "Vault asks for your input").await;
    browser.wait_for_text(".elicitation .elicitation-message", "Sign in to Acme <b>Corp</b>").await;
    assert_eq!(browser.count(".elicitation-message b").await, 0, "the server's message is inert text");
    let order = browser
        .eval("return document.querySelector('.elicitation').previousElementSibling.classList.contains('tool-card')")
        .await;
    assert_eq!(order, json!(true), "the form follows its call's card");
    browser.wait_for_text("[data-field=api_token] .elicitation-warning", "Vault asks for a secret (API token)").await;
    assert_eq!(browser.count("[data-field=username] .elicitation-warning").await, 0);
    assert_eq!(browser.eval("return document.querySelector('[data-field=api_token] input').type").await, "password");
    browser.fill("[data-field=username] input", "ann").await;
    browser.assert_page_is_clean().await;
    let violations = browser.axe().await;
    assert!(violations.is_empty(), "serious or critical accessibility violations: {violations:#?}");
    browser.eval("document.querySelector('.elicitation').scrollIntoView(); return null").await;
    browser.screenshot("chat-elicitation").await;
    browser.client().set_window_size(390, 844).await.expect("resize");
    browser.eval("document.querySelector('.elicitation').scrollIntoView(); return null").await;
    browser.screenshot("chat-elicitation-phone").await;
    let fits = browser.eval("return document.documentElement.scrollWidth <= window.innerWidth").await;
    assert_eq!(fits, json!(true), "the form fits a phone's width");
    browser.client().set_window_size(1440, 900).await.expect("resize");

    // A reload: the form is built again from what the server kept, and answered after it.
    browser.goto(&format!("/chat?c={id}")).await;
    browser.wait_for_text(".elicitation .elicitation-head", "Vault asks for your input").await;
    // A required field left empty is caught before anything is sent.
    browser.click(".elicitation button[data-action=accept]").await;
    assert_eq!(browser.count(".elicitation[data-state=pending]").await, 1);
    browser.fill("[data-field=username] input", "ann").await;
    browser.fill("[data-field=api_token] input", "tok-4242-secret").await;
    browser.click(".elicitation button[data-action=accept]").await;
    browser.wait_for_text(".elicitation .elicitation-outcome", "Accepted; your answer went to Vault.").await;
    browser.wait_for_text(".message[data-role=assistant]", "You are signed in.").await;
    browser.click(".tool-card[data-status=completed] details[data-part=output] summary").await;
    browser.wait_for_text(".tool-card[data-status=completed] details[data-part=output] pre", "tok-4242-secret").await;
    let detail: Value = owner
        .client
        .get(app.at(&format!("/api/v1/conversations/{id}")))
        .send()
        .await
        .expect("detail")
        .json()
        .await
        .expect("json");
    let exchange = detail["tool_calls"][0]["exchange"].to_string();
    assert!(!exchange.contains("tok-4242-secret") && exchange.contains("[redacted]"), "{exchange}");
    browser.assert_page_is_clean().await;

    // A URL: shown whole with its host emphasised, opened in a new tab only after the person confirms.
    let everything = PeerProcess::everything("streamableHttp");
    let everything_id = create_app(&app, &owner, "Everything", &everything.url).await;
    let id = conversation(&app, &owner, &everything_id).await;
    browser.goto(&format!("/chat?c={id}")).await;
    let target = format!("{}/healthz?from=elicitation", app.url);
    model.push(Reply::tool_calls(vec![ToolCall::new(
        "c2",
        "everything__trigger-url-elicitation",
        json!({"url": target, "message": "Open the status page"}),
    )]));
    model.push(Reply::text("Thanks for opening it."));
    send_and_approve(&browser, "Open the status page").await;
    browser.wait_for_text(".elicitation .elicitation-url", &target).await;
    let host = url::Url::parse(&app.url).expect("url").host_str().expect("host").to_owned();
    browser.wait_for_text(".elicitation .elicitation-url strong", &host).await;
    let windows = browser.client().windows().await.expect("windows").len();
    browser.click(".elicitation button[data-action=confirm-open]").await;
    browser.wait_for_text(".elicitation-confirm", &format!("Open {host} in a new tab?")).await;
    assert_eq!(
        browser.client().windows().await.expect("windows").len(),
        windows,
        "nothing opens before the confirmation"
    );
    browser.screenshot("chat-elicitation-url").await;
    browser.click(".elicitation button[data-action=open]").await;
    for _ in 0..50 {
        if browser.client().windows().await.expect("windows").len() > windows {
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert_eq!(browser.client().windows().await.expect("windows").len(), windows + 1, "the link opened in a new tab");
    browser.click(".elicitation button[data-action=accept]").await;
    browser.wait_for_text(".message[data-role=assistant]", "Thanks for opening it.").await;
    browser.click(".tool-card[data-status=completed] details[data-part=output] summary").await;
    browser
        .wait_for_text(
            ".tool-card[data-status=completed] details[data-part=output] pre",
            "User completed the URL elicitation flow",
        )
        .await;

    // The playground: a call by hand whose server asks for a form shows it beside the call.
    let sdk = PeerProcess::sdk_example();
    let sdk_id = create_app(&app, &owner, "SDK", &sdk.url.replace("127.0.0.1", "localhost")).await;
    browser.goto(&format!("/settings/apps/{sdk_id}")).await;
    browser.wait_for_text("#playground-tool", "collect-user-info").await;
    browser.eval("const s = document.getElementById('playground-tool'); s.value = 'collect-user-info'; s.dispatchEvent(new Event('change')); return null").await;
    browser.click("#playground-raw").await;
    browser.fill("#playground-json", r#"{"infoType": "contact"}"#).await;
    browser.click("#playground-call").await;
    browser.wait_for_text("#playground-asks .elicitation .elicitation-head", "SDK asks for your input").await;
    browser.fill("#playground-asks [data-field=name] input", "Ann Example").await;
    browser.fill("#playground-asks [data-field=email] input", "ann@example.com").await;
    browser.eval("document.getElementById('playground-asks').scrollIntoView(); return null").await;
    browser.screenshot("app-playground-elicitation").await;
    browser.click("#playground-asks button[data-action=accept]").await;
    browser.wait_for_text("#playground-result pre.text-item", "Ann Example").await;
    browser.assert_page_is_clean().await;
    browser.close().await;
}
