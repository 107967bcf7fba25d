//! The OpenAPI document tells the truth: the pinned schemathesis runs every operation of
//! `/api/openapi.json` against a live server, authenticated with an owner's API token, and
//! finds no server error and no status, content type or body the document does not describe.
//!
//! Phases `examples`, `coverage` and `fuzzing`, a bounded number of examples per operation
//! (`SWITCHBOARD_SCHEMATHESIS_EXAMPLES`, default 10) and a fixed seed
//! (`SWITCHBOARD_SCHEMATHESIS_SEED`, default 1), so a failure can be replayed; see
//! docs/security.md for a longer run. The hooks (`tests/schemathesis/hooks.py`) teach it
//! NDJSON and keep every URL it makes up on loopback.
//!
//! What it stands on is given to it (a `schemathesis.toml` written here): the operations on
//! an app, a group and a user get the ids of real ones, so their answers are real objects
//! whose shape is checked, and their deletion is tested too. Every other id is generated
//! (mostly 404s, which the document says). One thing is kept from it: the id of the API
//! token the run is authenticated with, so `DELETE /api/v1/tokens/{id}` meets only ids it
//! made up; revoking its own token would turn the rest of the run into 401s. Signing out
//! (`DELETE /api/v1/session`) is not excluded: with a bearer token it ends no session and
//! leaves the token working.

use std::collections::BTreeMap;
use std::path::Path;
use std::time::Instant;

use serde_json::json;
use switchboard_core::Role;
use switchboard_testkit::peers::{PeerProcess, schemathesis_binary};
use switchboard_testkit::{DbKind, TestApp};

use super::send;

const CHECKS: &str = "not_a_server_error,status_code_conformance,content_type_conformance,response_schema_conformance";

fn setting(name: &str, default: &str) -> String {
    std::env::var(name).ok().filter(|v| !v.is_empty()).unwrap_or_else(|| default.to_owned())
}

/// What the run is given: real ids, by the paths that take them.
struct Furniture {
    connector: String,
    group: String,
    member: String,
}

/// A workspace with something in it, so the lists answer with items whose shape is checked.
async fn furnish(app: &TestApp, token: &str, peer: &PeerProcess) -> Furniture {
    let client = reqwest::Client::new();
    let post = |path: &str, body: serde_json::Value| client.post(app.at(path)).bearer_auth(token).json(&body);
    let (status, group) = send(post("/api/v1/groups", json!({"name": "reviewers"}))).await;
    assert_eq!(status, 201, "{group}");
    let member = app.user("member@example.com", Role::Member).await;
    let group = group["id"].as_str().expect("group id").to_owned();
    let (status, body) =
        send(post(&format!("/api/v1/groups/{group}/members"), json!({"email": "member@example.com"}))).await;
    assert_eq!(status, 201, "{body}");
    let connector =
        json!({"name": "Records", "description": "A real MCP server", "url": peer.url, "auth": {"mode": "none"}});
    let (status, body) = send(post("/api/v1/connectors", connector)).await;
    assert_eq!(status, 201, "{body}");
    let connector = body["connector"]["id"].as_str().expect("connector id").to_owned();
    Furniture { connector, group, member: member.id.to_string() }
}

/// schemathesis's configuration: the real ids for the operations that take them.
fn config(furniture: &Furniture) -> String {
    let Furniture { connector, group, member } = furniture;
    format!(
        r#"[[operations]]
include-path-regex = "^/api/v1/connectors/\\{{id\\}}"
parameters = {{ "path.id" = "{connector}", "path.name" = "lookup" }}

[[operations]]
include-path-regex = "^/api/v1/groups/\\{{id\\}}"
parameters = {{ "path.id" = "{group}", "path.user_id" = "{member}" }}

[[operations]]
include-path-regex = "^/api/v1/users/\\{{id\\}}$"
parameters = {{ "path.id" = "{member}" }}
"#
    )
}

/// How many answers had each status class, from the hooks' record of `METHOD PATH STATUS` lines.
fn answers_by_class(record: &str) -> BTreeMap<char, usize> {
    let mut classes = BTreeMap::new();
    for line in record.lines() {
        let status = line.rsplit(' ').next().and_then(|s| s.chars().next()).unwrap_or('?');
        *classes.entry(status).or_default() += 1;
    }
    classes
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn schemathesis_finds_nothing_the_document_does_not_say() {
    let schemathesis = schemathesis_binary();
    let dir = tempfile::tempdir().expect("tempdir");
    let tools = dir.path().join("tools.json");
    let lookup = json!([{"name": "lookup", "description": "Use this when you need a record.",
        "inputSchema": {"type": "object", "properties": {"id": {"type": "string"}}},
        "annotations": {"readOnlyHint": true}}]);
    std::fs::write(&tools, lookup.to_string()).expect("write tools");
    let peer = PeerProcess::python_tools(&tools, "streamable-http");
    let app = TestApp::start(DbKind::Sqlite).await;
    let owner = app.user("owner@example.com", Role::Owner).await;
    let token = app.token_for(&owner).await;
    let furniture = furnish(&app, &token, &peer).await;
    let config_file = dir.path().join("schemathesis.toml");
    std::fs::write(&config_file, config(&furniture)).expect("write the config");
    let answers = dir.path().join("answers.txt");

    let hooks = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/schemathesis/hooks.py");
    let examples = setting("SWITCHBOARD_SCHEMATHESIS_EXAMPLES", "10");
    let seed = setting("SWITCHBOARD_SCHEMATHESIS_SEED", "1");
    let started = Instant::now();
    let output = tokio::process::Command::new(&schemathesis)
        .arg("--config-file")
        .arg(&config_file)
        .arg("run")
        .arg(app.at("/api/openapi.json"))
        .args(["--phases", "examples,coverage,fuzzing", "--checks", CHECKS])
        .args(["--max-examples", &examples, "--seed", &seed, "--workers", "2", "--request-timeout", "20"])
        .args(["--header", &format!("Authorization: Bearer {token}")])
        .env("SCHEMATHESIS_HOOKS", &hooks)
        .env("SWITCHBOARD_SCHEMATHESIS_ANSWERS", &answers)
        .env("NO_COLOR", "1")
        .env("COLUMNS", "120")
        .current_dir(dir.path())
        .kill_on_drop(true)
        .output()
        .await
        .unwrap_or_else(|e| panic!("cannot run {}: {e}", schemathesis.display()));
    let stdout = String::from_utf8_lossy(&output.stdout);
    let stderr = String::from_utf8_lossy(&output.stderr);
    // schemathesis's own report, summary last, whatever the outcome.
    println!("{stdout}{stderr}");
    println!("schemathesis took {:.1} s", started.elapsed().as_secs_f64());
    let record = std::fs::read_to_string(&answers).unwrap_or_default();
    let classes = answers_by_class(&record);
    println!("answers by status class: {classes:?}");
    assert!(
        output.status.success(),
        "schemathesis found failures or errors (exit {:?}): see its report above",
        output.status
    );
    let cases = stdout.lines().skip_while(|l| !l.starts_with("Test cases:")).nth(1).unwrap_or_default().trim();
    let (generated, passed) =
        cases.split_once(" generated, ").unwrap_or_else(|| panic!("no count of test cases in {stdout}"));
    assert_eq!(passed, format!("{generated} passed"), "every test case passed, none failed or errored");
    // The run reached the API's logic with its token: objects were answered, nobody was turned away.
    assert!(classes.get(&'2').copied().unwrap_or(0) >= 100, "too few successful answers: {classes:?}");
    // (Signing in with made-up passwords is the one place a 401 is the right answer.)
    let refused: Vec<&str> =
        record.lines().filter(|l| l.ends_with(" 401") && !l.starts_with("POST /api/v1/session ")).collect();
    assert!(refused.is_empty(), "the token was refused: {refused:?}");
    for reached in ["GET /api/v1/connectors/{id} 200", "GET /api/v1/groups/{id} 200", "GET /api/v1/audit/export 200"] {
        assert!(record.lines().any(|l| l == reached), "never answered {reached}");
    }
}
