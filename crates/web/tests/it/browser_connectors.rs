//! Settings → Apps & Connectors in a real headless Chromium, against a real MCP
//! server (PyPI `mcp`, tools from a JSON file): create an app, read its actions,
//! turn one off, call one from the playground, refresh after the server changed,
//! see a failed connection diagnosed, and set the workspace's network policy.
//! Screenshots go where `browser.rs` puts them.

use std::path::Path;

use serde_json::{Value, json};
use switchboard_core::{AuditKind, DeveloperModePolicy, Email, Role};
use switchboard_store::{AuditEvent, NewConnector};
use switchboard_testkit::app::PASSWORD;
use switchboard_testkit::peers::PeerProcess;
use switchboard_testkit::{Browser, DbKind, TestApp};

const OWNER_EMAIL: &str = "ada@example.com";
const OWNER_PASSWORD: &str = "analytical engine";

async fn browser_for(app: &TestApp) -> Browser {
    Browser::start(&app.url, Path::new(env!("CARGO_TARGET_TMPDIR")).join("screenshots")).await
}

async fn sign_in(browser: &Browser, email: &str, password: &str) {
    browser.goto("/login").await;
    browser.fill("#login-form input[name=email]", email).await;
    browser.fill("#login-form input[name=password]", password).await;
    browser.click("#login-form button[type=submit]").await;
    browser.wait_for_url("/chat").await;
}

/// A read action whose schema has one field of each kind the form builds, and a
/// destructive write action.
fn catalog() -> Value {
    json!([
        {"name": "lookup", "title": "Look up a record", "description": "Use this when you need one record by its id.",
         "inputSchema": {"type": "object", "required": ["id"], "properties": {
             "id": {"type": "string", "minLength": 2, "description": "The record's id, like r-1."},
             "fields": {"type": "array", "items": {"type": "string"}, "description": "Which fields to return."},
             "limit": {"type": "integer", "minimum": 1, "default": 10},
             "status": {"type": "string", "enum": ["open", "closed"]},
             "exact": {"type": "boolean", "description": "Match the id exactly."},
             "filter": {"type": "object", "description": "Anything else, as JSON."}}},
         "annotations": {"readOnlyHint": true, "openWorldHint": false}},
        {"name": "update", "title": "Update a record", "description": "Use this when a record must change.",
         "inputSchema": {"type": "object", "required": ["id"], "properties": {"id": {"type": "string"}}},
         "annotations": {"readOnlyHint": false, "destructiveHint": true, "openWorldHint": false}}
    ])
}

fn write_catalog(path: &Path, tools: &Value) {
    std::fs::write(path, serde_json::to_vec(tools).expect("json")).expect("write the tools file");
}

/// The console since the last check holds only failed requests with these statuses
/// (a refused call is a 4xx the browser reports), and nothing else.
async fn expect_only_failed_requests(browser: &Browser, statuses: &[u16]) {
    for entry in browser.console().await {
        let expected =
            entry.source == "network" && statuses.iter().any(|s| entry.message.contains(&format!("status of {s}")));
        assert!(expected, "unexpected console entry: {entry:?}");
    }
}

/// Click a button of the page's header: scrolled back to the top first, so the
/// sticky top bar does not sit over it (the driver only scrolls what is off screen).
async fn click_in_header(browser: &Browser, css: &str) {
    browser.eval("window.scrollTo(0, 0); return null").await;
    browser.click(css).await;
}

async fn checked(browser: &Browser, css: &str) -> bool {
    browser.eval(&format!("return document.querySelector({css:?}).checked")).await == true
}

#[tokio::test]
async fn owner_creates_an_app_calls_it_refreshes_it_and_sets_the_network_policy() {
    let dir = tempfile::tempdir().expect("tempdir");
    let tools_file = dir.path().join("tools.json");
    write_catalog(&tools_file, &catalog());
    let peer = PeerProcess::python_tools(&tools_file, "streamable-http");
    let app = TestApp::start(DbKind::Sqlite).await;
    let browser = browser_for(&app).await;

    // The owner sets up the workspace and turns developer mode on.
    browser.goto(&format!("/setup?token={}", app.setup_token)).await;
    browser.fill("#setup-form input[name=name]", "Ada Lovelace").await;
    browser.fill("#setup-form input[name=email]", OWNER_EMAIL).await;
    browser.fill("#setup-form input[name=password]", OWNER_PASSWORD).await;
    browser.click("#setup-form button[type=submit]").await;
    browser.wait_for_url("/chat").await;
    browser.goto("/settings/apps").await;
    browser.wait_for_text("#no-apps", "No apps yet").await;
    browser.click("#developer-mode").await;
    browser.wait_for_text("#developer-mode-status", "On").await;

    // Create app: name, description, URL, transport, no authentication.
    browser.click("#create-app-open").await;
    browser.fill("#create-app-form input[name=name]", "Records").await;
    browser.fill("#create-app-form textarea[name=description]", "Test records over Streamable HTTP").await;
    browser.fill("#create-app-form input[name=url]", &peer.url).await;
    let choices = browser
        .eval(
            "return [...document.querySelectorAll('#create-app-form select[name=transport] option')].map(o => o.value)",
        )
        .await;
    assert_eq!(choices, json!(["auto", "streamable_http", "sse"]));
    assert!(browser.is_enabled("#create-app-form select[name=auth] option[value=oauth]").await);
    assert_eq!(browser.count("#auth-oauth:not([hidden])").await, 0, "OAuth's settings show only when chosen");
    browser.assert_page_is_clean().await;
    browser.screenshot("apps-create").await;
    let violations = browser.axe().await;
    assert!(violations.is_empty(), "apps-create: serious or critical accessibility violations: {violations:#?}");
    browser.click("#create-app-form button[type=submit]").await;

    // The app's page: header, the warnings of creation, the actions with their badges.
    browser.wait_for_text(".page-head h1", "Records").await;
    let created = app.store.list_connectors().await.expect("connectors");
    assert_eq!(created.len(), 1);
    let id = created[0].id.to_string();
    browser.wait_for_url(&format!("/settings/apps/{id}")).await;
    browser.wait_for_text(".page-head .badge.label", "Dev").await;
    browser.wait_for_text("#created-warnings", "1 of 2 actions are write actions").await;
    browser.wait_for_text("#protocol-version", "2026-07-28").await;
    browser.wait_for_text("#server-name", "switchboard-test-tools").await;
    browser.wait_for_text("#app-url", &peer.url).await;
    browser.wait_for_text("tr[data-tool=lookup] .badge.kind", "read").await;
    browser.wait_for_text("tr[data-tool=lookup] .tool-title", "Look up a record").await;
    browser.wait_for_text("tr[data-tool=update] .badge.kind", "write").await;
    browser.wait_for_text("tr[data-tool=update] .badge.risk", "destructive").await;
    assert_eq!(browser.count("tr[data-tool=lookup] .badge.risk").await, 0, "a read without open world has no risk");
    browser.click("tr[data-tool=lookup] details.schema summary").await;
    browser.wait_for_text("tr[data-tool=lookup] details.schema pre", "\"minLength\": 2").await;
    browser.assert_page_is_clean().await;
    browser.screenshot("app-page").await;
    let violations = browser.axe().await;
    assert!(violations.is_empty(), "app-page: serious or critical accessibility violations: {violations:#?}");

    // Turn the write action off: stored, shown after a reload, gone from the playground.
    browser.click("tr[data-tool=update] input.tool-toggle").await;
    browser.wait_for_text("tr[data-tool=update] .switch-status", "Off").await;
    browser.wait_for_text("#tool-count", "2 actions, 1 on").await;
    let owner = app.store.user_by_email(&Email::parse(OWNER_EMAIL).unwrap()).await.unwrap().expect("the owner");
    let token = app.token_for(&owner).await;
    let listed: Value = TestApp::client()
        .get(app.at(&format!("/api/v1/connectors/{id}/tools")))
        .bearer_auth(&token)
        .send()
        .await
        .expect("list tools")
        .json()
        .await
        .expect("json");
    let enabled =
        |name: &str| listed.as_array().and_then(|a| a.iter().find(|t| t["name"] == name)).map(|t| t["enabled"].clone());
    assert_eq!((enabled("lookup"), enabled("update")), (Some(json!(true)), Some(json!(false))), "{listed}");
    browser.goto(&format!("/settings/apps/{id}")).await;
    browser.wait_for_text("tr[data-tool=update] .switch-status", "Off").await;
    assert!(!checked(&browser, "tr[data-tool=update] input.tool-toggle").await, "off after a reload");
    assert!(checked(&browser, "tr[data-tool=lookup] input.tool-toggle").await);
    assert_eq!(browser.count("#playground-tool option[value=update]").await, 0, "only enabled actions can be called");
    browser.assert_page_is_clean().await;

    // The playground: a form from the inputSchema, defaults applied, the call and its exchange.
    browser.wait_for_text("#playground-fields [data-field=id]", "The record's id, like r-1.").await;
    assert_eq!(browser.count("#playground-fields [data-field=id] .required").await, 1, "id is marked required");
    let kinds = browser
        .eval("return [...document.querySelectorAll('#playground-fields .field')].map(f => f.dataset.field + ':' + f.dataset.kind)")
        .await;
    // Required first, then the rest as stored (the catalog keeps JSON objects sorted by key).
    assert_eq!(
        kinds,
        json!(["id:string", "exact:boolean", "fields:lines", "filter:json", "limit:integer", "status:enum"])
    );
    assert_eq!(browser.eval("return document.querySelector('#playground-fields [name=limit]').value").await, "10");
    browser.fill("#playground-fields [name=id]", "r-1").await;
    browser.fill("#playground-fields [name=fields]", "title\nowner").await;
    browser
        .eval(
            "const s = document.querySelector('#playground-fields [name=status]'); s.selectedIndex = 2; return s.value",
        )
        .await;
    browser.click("#playground-fields [name=exact]").await;
    browser.fill("#playground-fields [name=filter]", r#"{"tag": "urgent"}"#).await;
    browser.click("#playground-call").await;
    browser.wait_for_text("#playground-result .badge.status[data-status=pass]", "ok").await;
    let structured = browser.text("#playground-result pre.json").await;
    let echoed: Value = serde_json::from_str(&structured).expect("structured content is pretty JSON");
    let sent = json!({"id": "r-1", "fields": ["title", "owner"], "limit": 10, "status": "closed", "exact": true,
                      "filter": {"tag": "urgent"}});
    assert_eq!(echoed, json!({"tool": "lookup", "arguments": sent}), "the server got what the form said");
    browser.wait_for_text("#playground-result pre.text-item", "\"r-1\"").await;
    browser.wait_for_text("#playground-result .result-head", " ms").await;
    browser.click("#playground-exchange summary").await;
    browser.wait_for_text("#playground-exchange pre", "\"method\": \"tools/call\"").await;
    browser.wait_for_text("#playground-exchange pre", "\"jsonrpc\": \"2.0\"").await;
    browser.assert_page_is_clean().await;
    browser.eval("document.getElementById('playground-result').scrollIntoView(); return null").await;
    browser.screenshot("app-playground").await;
    let violations = browser.axe().await;
    assert!(violations.is_empty(), "app-playground: serious or critical accessibility violations: {violations:#?}");

    // A schema error: nothing is sent, the errors show next to the form and the field.
    browser.fill("#playground-fields [name=id]", "x").await;
    browser.click("#playground-call").await;
    browser.wait_for_text("#playground-errors", "do not match the action's inputSchema").await;
    browser.wait_for_text("#playground-errors li", "/id").await;
    browser.wait_for_text("#playground-fields [data-field=id] .field-error", "shorter than 2").await;
    expect_only_failed_requests(&browser, &[422]).await;
    browser.assert_page_is_clean().await;
    browser.screenshot("app-schema-error").await;

    // Raw JSON arguments: the form's values carry over, and the JSON is what is sent.
    browser.click("#playground-raw").await;
    let raw: Value = serde_json::from_str(
        browser.eval("return document.getElementById('playground-json').value").await.as_str().unwrap_or_default(),
    )
    .expect("the raw box holds the form's arguments");
    assert_eq!(raw["id"], "x");
    browser.fill("#playground-json", r#"{"id": "r-2"}"#).await;
    browser.click("#playground-call").await;
    browser.wait_for_text("#playground-result pre.text-item", "\"r-2\"").await;
    browser.assert_page_is_clean().await;

    // The server changes its tools: Refresh shows what was added, removed and changed.
    let mut changed = catalog();
    let tools = changed.as_array_mut().expect("array");
    tools.retain(|t| t["name"] != "update");
    tools[0]["description"] = json!("Use this when you need a record; ids look like r-1.");
    tools.push(json!({"name": "archive", "description": "Use this when a record is done.",
                      "inputSchema": {"type": "object"}, "annotations": {"readOnlyHint": false}}));
    write_catalog(&tools_file, &changed);
    click_in_header(&browser, "#refresh").await;
    browser.wait_for_text("#refresh-panel [data-diff=added]", "archive").await;
    browser.wait_for_text("#refresh-panel [data-diff=removed]", "update").await;
    browser.wait_for_text("#refresh-panel [data-diff=changed] .change[data-tool=lookup]", "description").await;
    browser.wait_for_text("#refresh-panel [data-diff=changed]", "ids look like r-1").await;
    browser.wait_for_text("tr[data-tool=archive] .badge.kind", "write").await;
    assert_eq!(browser.count("tr[data-tool=update]").await, 0, "the removed action is gone from the list");
    browser.wait_for_text("#tool-count", "2 actions").await;
    browser.assert_page_is_clean().await;
    browser.eval("document.getElementById('refresh-panel').scrollIntoView(); return null").await;
    browser.screenshot("app-refresh").await;

    // The doctor's report on the same server, check by check.
    click_in_header(&browser, "#run-doctor").await;
    browser.wait_for_text("#doctor-panel .doctor-summary", "ready").await;
    browser.wait_for_text("#doctor-panel li.check[data-check=reachability][data-status=pass]", "Reachability").await;
    browser.wait_for_text("#doctor-panel li.check[data-check=annotations][data-status=warn]", "archive").await;
    browser.wait_for_text("#doctor-panel li.check[data-check=annotations] .hint", "Fix:").await;
    browser.assert_page_is_clean().await;
    browser.eval("document.getElementById('doctor-panel').scrollIntoView(); return null").await;
    browser.screenshot("app-doctor").await;
    let violations = browser.axe().await;
    assert!(violations.is_empty(), "app-doctor: serious or critical accessibility violations: {violations:#?}");

    // The list: the app with its label, transport and tool count.
    browser.goto("/settings/apps").await;
    browser.wait_for_text(&format!("li[data-app='{id}'] .app-name"), "Records").await;
    browser.wait_for_text(&format!("li[data-app='{id}'] .badge.label"), "Dev").await;
    browser.wait_for_text(&format!("li[data-app='{id}'] .app-meta"), "Streamable HTTP (auto)").await;
    browser.wait_for_text(&format!("li[data-app='{id}'] .app-meta"), "2 tools").await;
    browser.assert_page_is_clean().await;
    browser.screenshot("apps-list").await;
    let violations = browser.axe().await;
    assert!(violations.is_empty(), "apps-list: serious or critical accessibility violations: {violations:#?}");

    // A server that is not there: the diagnosis, step by step, and nothing stored.
    let closed = std::net::TcpListener::bind("127.0.0.1:0").expect("bind").local_addr().expect("addr").port();
    browser.click("#create-app-open").await;
    browser.fill("#create-app-form input[name=name]", "Nowhere").await;
    browser.fill("#create-app-form input[name=url]", &format!("http://127.0.0.1:{closed}/mcp")).await;
    browser.click("#create-app-form button[type=submit]").await;
    browser.wait_for_text("#create-diagnosis li.step[data-ok=false]", "Connect").await;
    browser.wait_for_text("#create-diagnosis li.step[data-ok=false] .hint", "Fix:").await;
    assert!(
        browser.count("#create-diagnosis li.step[data-ok=true]").await >= 1,
        "the steps that worked are listed too"
    );
    assert_eq!(app.store.list_connectors().await.expect("connectors").len(), 1, "nothing stored half-made");
    expect_only_failed_requests(&browser, &[422]).await;
    browser.assert_page_is_clean().await;
    browser.eval("document.getElementById('create-diagnosis').scrollIntoView({block: 'center'}); return null").await;
    browser.screenshot("app-diagnosis").await;
    browser.click("#create-diagnosis details summary").await;
    browser.wait_for_text("#create-diagnosis details pre", "could not connect").await;

    // Workspace → Network: the switches save, and the defaults are what the docs say.
    browser.goto("/workspace/network").await;
    assert!(checked(&browser, "#network-allow_private").await, "local servers are allowed on a fresh install");
    assert!(!checked(&browser, "#network-allow_link_local").await);
    assert!(!checked(&browser, "#network-allow_cloud_metadata").await);
    browser.click("#network-allow_private").await;
    browser.wait_for_text("[data-status=allow_private]", "Refused").await;
    browser.click("#network-allow_link_local").await;
    browser.wait_for_text("[data-status=allow_link_local]", "Allowed").await;
    browser.wait_for_text("[data-caution=allow_link_local]", "link-local services").await;
    let policy = app.store.network_policy().await.expect("policy");
    assert!(!policy.allow_private && policy.allow_link_local && !policy.allow_cloud_metadata, "{policy:?}");
    browser.goto("/workspace/network").await;
    assert!(!checked(&browser, "#network-allow_private").await, "saved");
    assert!(checked(&browser, "#network-allow_link_local").await, "saved");
    browser.assert_page_is_clean().await;
    browser.screenshot("workspace-network").await;

    // With private addresses refused, Refresh of the local app explains why it fails.
    browser.goto(&format!("/settings/apps/{id}")).await;
    click_in_header(&browser, "#refresh").await;
    browser.wait_for_text("#refresh-panel li.step[data-ok=false]", "loopback").await;
    expect_only_failed_requests(&browser, &[422]).await;

    // On a phone-sized window nothing spills sideways: wide tables scroll inside their frame.
    browser.client().set_window_size(400, 860).await.expect("resize the window");
    browser.goto(&format!("/settings/apps/{id}")).await;
    browser.wait_for_text("tr[data-tool=archive] .badge.kind", "write").await;
    browser.screenshot("app-page-narrow").await;
    let wide = browser
        .eval("return [...document.querySelectorAll('body *')].filter(e => e.getBoundingClientRect().right > document.documentElement.clientWidth + 1 && !e.closest('.table-wrap')).map(e => e.tagName + '#' + e.id + '.' + e.className).slice(0, 8)")
        .await;
    assert_eq!(wide, json!([]), "nothing is wider than the window, except inside scrolling table frames");
    browser.client().set_window_size(1280, 900).await.expect("resize the window");

    // Delete, after confirming.
    browser.eval("window.confirm = () => true; return null").await;
    click_in_header(&browser, "#delete-app").await;
    browser.wait_for_url("/settings/apps").await;
    browser.wait_for_text("#no-apps", "No apps yet").await;
    assert!(app.store.list_connectors().await.expect("connectors").is_empty());
    browser.assert_page_is_clean().await;

    browser.close().await;
}

/// Create the owner through the API, as the setup page would.
async fn set_up(app: &TestApp) {
    let setup = TestApp::client()
        .post(app.at("/api/v1/setup"))
        .json(&json!({"token": app.setup_token, "name": "Owner", "email": "owner@example.com", "password": PASSWORD}))
        .send()
        .await
        .expect("reach the server");
    assert_eq!(setup.status(), 201, "set up the workspace");
}

#[tokio::test]
async fn apps_and_network_settings_are_only_for_those_allowed() {
    let app = TestApp::start(DbKind::Sqlite).await;
    set_up(&app).await;
    let admin = app.user("admin@example.com", Role::Admin).await;
    let member = app.user("grace@example.com", Role::Member).await;
    let auditor = app.user("audrey@example.com", Role::Auditor).await;
    let draft = app
        .store
        .create_connector(
            NewConnector {
                owner_id: admin.id,
                name: "Admin's draft".into(),
                description: String::new(),
                url: Some("http://127.0.0.1:9/mcp".into()),
                command: None,
                transport: "auto".into(),
                auth_mode: "none".into(),
                protocol_version: "2025-11-25".into(),
                used_transport: "streamable_http".into(),
                server_info: json!({"name": "x", "version": "1"}),
            },
            &[],
            |id| AuditEvent::admin_change(admin.id, AuditKind::ConnectorCreated, Some(id), json!({})),
        )
        .await
        .expect("a draft");
    let browser = browser_for(&app).await;

    // A member outside the developer-mode policy: no Create app, and why; no one else's drafts.
    sign_in(&browser, member.email.as_str(), PASSWORD).await;
    browser.goto("/settings/apps").await;
    browser.wait_for_text("#create-app-unavailable", "does not give you").await;
    assert_eq!(browser.count("#create-app-open").await, 0, "no Create app button");
    browser.wait_for_text("#no-apps", "No apps yet").await;
    browser.assert_page_is_clean().await;
    browser.goto(&format!("/settings/apps/{}", draft.id)).await;
    browser.wait_for_text("body", "there is no such app").await;
    browser.goto("/settings/apps/not-an-id").await;
    browser.wait_for_text("body", "there is no such app").await;
    expect_only_failed_requests(&browser, &[404]).await;

    // Granted developer mode, the member turns it on and may create apps, from a URL only.
    let group = app.store.create_group("devs").await.expect("group");
    app.store.add_group_member(group.id, member.id).await.expect("member");
    app.store.set_developer_mode_policy(DeveloperModePolicy::Rbac, &[group.id]).await.expect("policy");
    browser.goto("/settings/apps").await;
    browser.wait_for_text("#create-app-unavailable", "turn it on below").await;
    browser.click("#developer-mode").await;
    browser.wait_for_text(".page-head", "Create app").await;
    browser.wait_for_text("#developer-mode-status", "On").await;
    assert_eq!(browser.count("#create-app-unavailable").await, 0, "no more reason to give");
    browser.click("#create-app-open").await;
    assert!(!browser.is_enabled("#create-app-form input[name=target][value=command]").await, "commands are for admins");
    browser.wait_for_text("#create-app-form label.radio", "owners and admins only").await;
    browser.assert_page_is_clean().await;
    browser.goto("/chat").await;
    browser.click("#sign-out").await;
    browser.wait_for_url("/login").await;

    // An auditor reads the network policy but cannot change it.
    sign_in(&browser, auditor.email.as_str(), PASSWORD).await;
    browser.goto("/workspace/network").await;
    browser.wait_for_text("#network-read-only", "Only owners and admins").await;
    for key in ["allow_private", "allow_link_local", "allow_cloud_metadata"] {
        assert!(!browser.is_enabled(&format!("#network-{key}")).await, "{key} is read-only for an auditor");
    }
    browser.assert_page_is_clean().await;
    browser.click("#sign-out").await;
    browser.wait_for_url("/login").await;

    // An admin sees every draft and may create apps without developer mode; local
    // commands are offered, with the note that this server refuses them.
    sign_in(&browser, admin.email.as_str(), PASSWORD).await;
    browser.goto("/settings/apps").await;
    browser.wait_for_text(&format!("li[data-app='{}'] .app-name", draft.id), "Admin's draft").await;
    browser.click("#create-app-open").await;
    browser.click("#create-app-form input[name=target][value=command]").await;
    browser.wait_for_text("#commands-disabled", "--allow-local-commands").await;
    browser.fill("#create-app-form input[name=name]", "Local").await;
    browser.fill("#create-app-form textarea[name=command]", "/usr/bin/python3 server.py").await;
    browser.click("#create-app-form button[type=submit]").await;
    browser.wait_for_text("#create-app-form [role=alert]", "--allow-local-commands").await;
    expect_only_failed_requests(&browser, &[403]).await;
    browser.assert_page_is_clean().await;

    browser.close().await;
}
