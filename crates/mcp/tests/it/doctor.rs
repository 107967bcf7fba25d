//! The doctor against real servers over loopback: our Kanban example, npm
//! server-everything, the PyPI `mcp` server with bad tools, behind OAuth and over
//! the legacy transport, and HTTP servers that are not MCP servers at all.

use std::time::Duration;

use serde_json::{Value, json};
use switchboard_core::doctor::{Check, Status};
use switchboard_mcp::{DoctorReport, ServerIdentity, examine};
use switchboard_testkit::not_mcp::NotMcp;
use switchboard_testkit::peers::PeerProcess;

use super::*;

async fn doctor(url: &str) -> DoctorReport {
    doctor_with(url, &options()).await
}

async fn doctor_with(url: &str, options: &ClientOptions) -> DoctorReport {
    examine(&url.parse().expect("a url"), options).await
}

#[track_caller]
fn check<'a>(report: &'a DoctorReport, id: &str) -> &'a Check {
    report.checks.iter().find(|c| c.id == id).unwrap_or_else(|| panic!("no check {id} in {:#?}", report.checks))
}

/// The check `id` has `status` and its detail holds every piece.
#[track_caller]
fn expect(report: &DoctorReport, id: &str, status: Status, pieces: &[&str]) {
    let c = check(report, id);
    assert_eq!(c.status, status, "{c:#?}");
    for piece in pieces {
        assert!(c.detail.contains(piece), "{piece:?} not in the detail of {c:#?}");
    }
}

fn ids(report: &DoctorReport) -> Vec<&'static str> {
    report.checks.iter().map(|c| c.id).collect()
}

const CATALOG: [&str; 7] = ["tool_count", "names", "schema", "annotations", "descriptions", "parameters", "tasks"];

/// The one failing check of a server that could not be reached.
#[track_caller]
fn unreachable(report: &DoctorReport, detail: &str, hint: &str) {
    assert_eq!(ids(report), ["reachability"], "{:#?}", report.checks);
    expect(report, "reachability", Status::Fail, &[detail]);
    let got = check(report, "reachability").hint.as_deref().unwrap_or_default();
    assert!(got.contains(hint), "{hint:?} not in the hint {got:?}");
    assert!(!report.ok());
    assert_eq!((&report.transport, &report.protocol_version, &report.server), (&None, &None, &None));
}

fn bad_tools() -> Value {
    json!([
        {"name": "search", "description": "Use this when you need to find a record.",
         "inputSchema": {"type": "object", "properties": {"q": {"type": "string", "description": "Words to look for"}}},
         "annotations": {"readOnlyHint": true}},
        {"name": "Search", "description": "Finds records.",
         "inputSchema": {"type": "object", "properties": {"q": {"type": "string"}}},
         "annotations": {"readOnlyHint": true}},
        {"name": "delete",
         "inputSchema": {"type": "object", "properties": {"id": {"type": "string", "description": "The record's id"}}}},
        {"name": "delete", "description": "Use this when a record must go.", "inputSchema": {"type": "object"},
         "annotations": {"readOnlyHint": false}},
        {"name": "scalar", "description": "Use this when you need a number.", "inputSchema": {"type": "string"},
         "annotations": {"readOnlyHint": true}},
        {"name": "broken", "description": "Use this when nothing else works.",
         "inputSchema": {"type": "object", "properties": {"n": {"type": "integer", "minimum": "zero", "description": "N"}}},
         "annotations": {"readOnlyHint": true}},
        {"name": "get.record", "description": "Use this when you need a record.", "inputSchema": {"type": "object"},
         "outputSchema": {"type": "array"}, "annotations": {"readOnlyHint": true}}
    ])
}

#[tokio::test]
async fn the_kanban_example_passes_every_check() {
    let kanban = PeerProcess::kanban();
    let report = doctor(&kanban.url).await;
    assert!(report.ok());
    assert_eq!(report.url, kanban.url);
    assert_eq!(report.transport.as_deref(), Some("streamable_http"));
    assert_eq!(report.protocol_version.as_deref(), Some("2026-07-28"));
    assert_eq!(report.server.as_ref().map(|s| s.name.as_str()), Some("kanban"));
    let mut expected = vec!["reachability", "transport", "protocol_versions", "auth"];
    expected.extend(CATALOG);
    assert_eq!(ids(&report), expected);
    for c in &report.checks {
        assert_eq!((c.id, c.status, &c.hint), (c.id, Status::Pass, &None), "{c:#?}");
    }
    expect(
        &report,
        "protocol_versions",
        Status::Pass,
        &[
            "server/discover (2026-07-28): supported",
            "initialize 2025-11-25: accepted",
            "initialize 2025-03-26: accepted",
        ],
    );
    expect(&report, "auth", Status::Pass, &["no authentication required"]);
    expect(&report, "tool_count", Status::Pass, &["7 tools (4 read, 3 write)"]);
    expect(&report, "parameters", Status::Pass, &["all 10 parameters are described"]);
}

#[tokio::test]
async fn server_everything_speaks_initialize_and_lacks_usage_guidance() {
    let everything = PeerProcess::everything("streamableHttp");
    let report = doctor(&everything.url).await;
    assert!(report.ok(), "warnings only: {:#?}", report.checks);
    assert_eq!(report.protocol_version.as_deref(), Some("2025-11-25"));
    assert_eq!(report.server.as_ref().map(|s| s.name.as_str()), Some("mcp-servers/everything"));
    expect(
        &report,
        "protocol_versions",
        Status::Pass,
        &["server/discover (2026-07-28): not supported", "initialize 2025-11-25: accepted"],
    );
    expect(&report, "annotations", Status::Pass, &[]);
    expect(&report, "tasks", Status::Warn, &["1 tool runs only as a task", "simulate-research-query"]);
    expect(&report, "descriptions", Status::Warn, &["no \"Use this when…\" guidance: echo, ", " and 3 more"]);
    expect(&report, "parameters", Status::Warn, &["without a description: get-resource-reference.resourceType"]);
    let hint = check(&report, "descriptions").hint.clone().unwrap_or_default();
    assert!(hint.contains("(\"Use this when…\")"), "{hint}");
}

#[tokio::test]
async fn bad_tools_are_named_in_warnings_and_failures() {
    let dir = tempfile::tempdir().expect("tempdir");
    let file = dir.path().join("tools.json");
    write_tools(&file, &bad_tools());
    let peer = PeerProcess::python_tools_with(&file, "streamable-http", &["--unchecked-schemas"]);
    let report = doctor(&peer.url).await;
    assert!(!report.ok());
    assert_eq!(report.server, Some(ServerIdentity { name: "switchboard-test-tools".into(), version: "1.0.0".into() }));
    expect(&report, "tool_count", Status::Pass, &["7 tools (5 read, 2 write)"]);
    expect(
        &report,
        "names",
        Status::Fail,
        &[
            "more than one tool is named delete (2 times)",
            "names that differ only by case: search / Search",
            "names outside ^[a-zA-Z0-9_-]{1,64}$: \"get.record\"",
        ],
    );
    expect(
        &report,
        "schema",
        Status::Fail,
        &[
            "scalar: inputSchema has type \"string\", not \"object\"",
            "broken: inputSchema is not a valid JSON Schema (",
            "get.record: outputSchema has type \"array\"",
        ],
    );
    expect(
        &report,
        "annotations",
        Status::Warn,
        &[
            "no readOnlyHint on delete: treated as write actions",
            "write tools without destructiveHint or openWorldHint: delete: assumed destructive and open-world",
        ],
    );
    expect(
        &report,
        "descriptions",
        Status::Warn,
        &["no description: delete", "no \"Use this when…\" guidance: Search"],
    );
    expect(&report, "parameters", Status::Warn, &["1 of 4 without a description: Search.q"]);
    let hint = check(&report, "annotations").hint.clone().unwrap_or_default();
    assert!(hint.contains("every call will ask the user for confirmation"), "{hint}");
}

#[tokio::test]
async fn a_server_with_only_the_legacy_transport_is_warned_about() {
    let dir = tempfile::tempdir().expect("tempdir");
    let file = dir.path().join("tools.json");
    write_tools(&file, &sample_tools());
    let peer = PeerProcess::python_tools(&file, "sse");
    let report = doctor(&peer.url).await;
    assert!(report.ok());
    assert_eq!(report.transport.as_deref(), Some("sse"));
    assert_eq!(report.protocol_version.as_deref(), Some("2024-11-05"));
    expect(
        &report,
        "transport",
        Status::Warn,
        &["only the legacy HTTP+SSE transport (2024-11-05): deprecated since 2025-03-26"],
    );
    let versions = check(&report, "protocol_versions");
    assert!(!versions.detail.contains("server/discover"), "no server/discover over SSE: {versions:?}");
    expect(&report, "annotations", Status::Warn, &["no readOnlyHint on erase, plain"]);
}

#[tokio::test]
async fn oauth_discovery_walks_from_the_challenge_to_the_authorization_server() {
    let dir = tempfile::tempdir().expect("tempdir");
    let file = dir.path().join("tools.json");
    write_tools(&file, &sample_tools());

    let complete = PeerProcess::python_auth(&file, &["--as-registration"]);
    let origin = complete.url.trim_end_matches("/mcp").to_owned();
    let report = doctor(&complete.url).await;
    assert!(report.ok(), "{:#?}", report.checks);
    assert_eq!(
        ids(&report),
        [
            "reachability",
            "auth",
            "protected_resource_metadata",
            "authorization_server_metadata",
            "pkce",
            "offline_access",
            "client_registration",
            "catalog"
        ]
    );
    expect(&report, "reachability", Status::Pass, &["asks for authentication"]);
    expect(
        &report,
        "auth",
        Status::Pass,
        &[
            "HTTP 401 with Bearer error=\"invalid_token\"",
            &format!("resource_metadata=\"{origin}/.well-known/oauth-protected-resource/mcp\""),
        ],
    );
    expect(
        &report,
        "protected_resource_metadata",
        Status::Pass,
        &[&format!(
            "found at {origin}/.well-known/oauth-protected-resource/mcp: authorization server {origin}, scopes mcp:tools"
        )],
    );
    expect(
        &report,
        "authorization_server_metadata",
        Status::Pass,
        &[&format!("found at {origin}/.well-known/oauth-authorization-server (RFC 8414)")],
    );
    expect(&report, "pkce", Status::Pass, &["S256"]);
    expect(&report, "offline_access", Status::Pass, &["offline_access is advertised"]);
    expect(
        &report,
        "client_registration",
        Status::Pass,
        &[&format!("dynamic client registration at {origin}/register")],
    );
    expect(&report, "catalog", Status::Warn, &["not checked: without a token the server lists no tools"]);
    assert_eq!((&report.transport, &report.protocol_version), (&None, &None));

    // Metadata only through OpenID Connect discovery, without PKCE, offline_access or registration.
    let weak =
        PeerProcess::python_auth(&file, &["--as-discovery", "openid", "--as-scopes", "mcp:tools", "--as-no-pkce"]);
    let origin = weak.url.trim_end_matches("/mcp").to_owned();
    let report = doctor(&weak.url).await;
    assert!(!report.ok());
    expect(
        &report,
        "authorization_server_metadata",
        Status::Pass,
        &[&format!("found at {origin}/.well-known/openid-configuration (OpenID Connect discovery)")],
    );
    expect(&report, "pkce", Status::Fail, &["code_challenge_methods_supported lists nothing, not S256"]);
    expect(
        &report,
        "offline_access",
        Status::Warn,
        &["scopes_supported lists mcp:tools but not offline_access: users will have to reconnect when tokens expire"],
    );
    expect(
        &report,
        "client_registration",
        Status::Warn,
        &["neither client_id_metadata_document_supported nor a registration_endpoint"],
    );
}

#[tokio::test]
async fn servers_that_do_not_speak_mcp_are_explained() {
    let html = NotMcp::html_page();
    let garbage = NotMcp::garbage_json();
    let silent = NotMcp::silent();
    let kanban = PeerProcess::kanban();
    let quick = ClientOptions { connect_timeout: Duration::from_secs(2), ..options() };
    let wrong_path = kanban.url.replace("/mcp", "/nope");
    let (html, garbage, silent, wrong_path, closed) = tokio::join!(
        doctor(&html.url),
        doctor(&garbage.url),
        doctor_with(&silent.url, &quick),
        doctor(&wrong_path),
        doctor("http://127.0.0.1:1/mcp"),
    );
    unreachable(
        &html,
        "the answer is \"text/html; charset=utf-8\", not application/json or text/event-stream",
        "it may be a web page",
    );
    unreachable(&garbage, "the answer is not a JSON-RPC response", "check the server's MCP implementation");
    unreachable(&silent, "no answer to the initialize POST within 2s", "accepted the connection but never answered");
    unreachable(
        &wrong_path,
        "the server answered HTTP 404 Not Found to an MCP initialize POST",
        "MCP servers usually answer at /mcp",
    );
    unreachable(&closed, "cannot connect to 127.0.0.1:1", "nothing accepts connections there");
}

#[tokio::test]
async fn metadata_addresses_are_refused_directly_and_through_redirects() {
    let direct = doctor("http://169.254.169.254/mcp").await;
    unreachable(
        &direct,
        "169.254.169.254 is a cloud metadata address, which this workspace does not allow connecting to",
        "metadata addresses stay refused unless explicitly allowed",
    );
    let redirect = NotMcp::redirect_to("http://169.254.169.254/latest/meta-data/");
    let report = doctor(&redirect.url).await;
    unreachable(
        &report,
        "refused a redirect to another origin (http://169.254.169.254/latest/meta-data/)",
        "Switchboard follows redirects only within the same origin",
    );
    // A workspace that refuses private addresses refuses a live local server.
    let kanban = PeerProcess::kanban();
    let strict = ClientOptions {
        network: switchboard_core::network::NetworkPolicy { allow_private: false, ..Default::default() },
        ..options()
    };
    let report = doctor_with(&kanban.url, &strict).await;
    unreachable(&report, "127.0.0.1 is a loopback address, which this workspace does not allow", "network settings");
}
