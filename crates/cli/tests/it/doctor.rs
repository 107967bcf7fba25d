//! `switchboard doctor`: the built binary against real servers; text and JSON
//! output, and the exit code that scripts and CI read.

use std::path::Path;
use std::process::Output;

use serde_json::{Value, json};
use switchboard_testkit::peers::PeerProcess;

use crate::process::{run, switchboard, text};

fn doctor(data_dir: &Path, args: &[&str]) -> Output {
    let mut cmd = switchboard(data_dir);
    cmd.arg("doctor").args(args);
    run(cmd, "")
}

fn json_of(out: &Output) -> Value {
    serde_json::from_slice(&out.stdout).unwrap_or_else(|e| panic!("JSON on stdout ({e}): {}", text(&out.stdout)))
}

#[test]
fn the_default_log_keeps_the_mcp_sdks_chatter_out_of_the_report() {
    let everything = PeerProcess::everything("streamableHttp");
    let dir = tempfile::tempdir().expect("tempdir");
    let mut cmd = switchboard(dir.path());
    // As a person runs it: no log filter of their own.
    cmd.env_remove("SWITCHBOARD_LOG").env_remove("RUST_LOG").arg("doctor").arg(&everything.url);
    let out = run(cmd, "");
    let (stdout, stderr) = (text(&out.stdout), text(&out.stderr));
    assert!(stdout.starts_with("Doctor report for "), "{stdout}");
    assert!(!stderr.contains("rmcp") && !stdout.contains("rmcp"), "the SDK's lines stay out: {stderr}");
    assert!(!stderr.contains("ERROR"), "closing the sessions is not an error: {stderr}");
}

#[test]
fn a_ready_server_exits_zero_and_needs_no_database() {
    let kanban = PeerProcess::kanban();
    let dir = tempfile::tempdir().expect("tempdir");
    let data_dir = dir.path().join("never-created");

    let out = doctor(&data_dir, &[&kanban.url]);
    assert_eq!(out.status.code(), Some(0), "{}{}", text(&out.stdout), text(&out.stderr));
    let stdout = text(&out.stdout);
    let lines: Vec<&str> = stdout.lines().collect();
    assert_eq!(lines[0], format!("Doctor report for {}", kanban.url));
    assert!(
        lines[1].starts_with("server kanban ") && lines[1].ends_with(" · Streamable HTTP · protocol 2026-07-28"),
        "{stdout}"
    );
    assert!(lines.contains(&"PASS  Tools — 7 tools (4 read, 3 write)"), "{stdout}");
    assert!(
        lines.contains(
            &"PASS  Authentication — no authentication required: the server answered initialize without a token"
        ),
        "{stdout}"
    );
    assert_eq!(lines.iter().filter(|l| l.starts_with("PASS  ")).count(), 11, "{stdout}");
    assert!(!stdout.contains("hint:"), "nothing to do, no hints: {stdout}");
    assert_eq!(lines.last().copied(), Some("ready: 11 passed, 0 warned, 0 failed"));

    let out = doctor(&data_dir, &["--json", &kanban.url]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    let report = json_of(&out);
    assert_eq!(report["ok"], true);
    assert_eq!(report["url"], kanban.url);
    assert_eq!((&report["transport"], &report["protocol_version"]), (&json!("streamable_http"), &json!("2026-07-28")));
    assert_eq!(report["server"]["name"], "kanban");
    let first = &report["checks"][0];
    let mut keys: Vec<&str> = first.as_object().expect("a check").keys().map(String::as_str).collect();
    keys.sort_unstable();
    assert_eq!(keys, ["detail", "hint", "id", "status", "title"]);
    assert_eq!(
        (&first["id"], &first["status"], &first["hint"]),
        (&json!("reachability"), &json!("pass"), &Value::Null)
    );

    assert!(!data_dir.exists(), "the doctor touches no database and creates no data dir");
}

#[test]
fn failing_checks_exit_one_with_hints() {
    let dir = tempfile::tempdir().expect("tempdir");
    let tools = dir.path().join("tools.json");
    let bad = json!([
        {"name": "delete", "inputSchema": {"type": "object", "properties": {"id": {"type": "string"}}}},
        {"name": "delete", "description": "Use this when a record must go.", "inputSchema": {"type": "object"},
         "annotations": {"readOnlyHint": false, "destructiveHint": true, "openWorldHint": false}}
    ]);
    std::fs::write(&tools, serde_json::to_vec(&bad).expect("json")).expect("write tools");
    let peer = PeerProcess::python_tools(&tools, "streamable-http");

    let out = doctor(dir.path(), &[&peer.url]);
    assert_eq!(out.status.code(), Some(1), "{}", text(&out.stdout));
    let stdout = text(&out.stdout);
    let lines: Vec<&str> = stdout.lines().collect();
    let at = lines
        .iter()
        .position(|l| *l == "FAIL  Tool names — more than one tool is named delete (2 times)")
        .unwrap_or_else(|| panic!("the names line in {stdout}"));
    assert!(lines[at + 1].starts_with("      hint: give every tool its own name"), "{stdout}");
    assert!(lines.contains(&"WARN  Descriptions — no description: delete"), "{stdout}");
    assert!(lines.contains(&"WARN  Parameters — 1 of 1 without a description: delete.id"), "{stdout}");
    assert!(lines.last().is_some_and(|l| l.starts_with("not ready: ") && l.ends_with(" 1 failed")), "{stdout}");

    let out = doctor(dir.path(), &["--json", &peer.url]);
    assert_eq!(out.status.code(), Some(1));
    let report = json_of(&out);
    assert_eq!(report["ok"], false);
    let names = report["checks"].as_array().and_then(|c| c.iter().find(|c| c["id"] == "names")).expect("names");
    assert_eq!(names["status"], "fail");
}

#[test]
fn unreachable_and_refused_servers_exit_one_and_say_why() {
    let dir = tempfile::tempdir().expect("tempdir");
    let out = doctor(dir.path(), &["http://169.254.169.254/mcp"]);
    assert_eq!(out.status.code(), Some(1));
    let stdout = text(&out.stdout);
    assert!(
        stdout.contains(
            "FAIL  Reachability — 169.254.169.254 is a cloud metadata address, which this workspace does not allow connecting to\n      hint: "
        ),
        "{stdout}"
    );
    let out = doctor(dir.path(), &["--json", "http://127.0.0.1:1/mcp"]);
    assert_eq!(out.status.code(), Some(1));
    let report = json_of(&out);
    assert_eq!(report["checks"].as_array().map(Vec::len), Some(1));
    assert_eq!(report["checks"][0]["status"], "fail");
    assert!(report["checks"][0]["detail"].as_str().is_some_and(|d| d.starts_with("cannot connect to 127.0.0.1:1")));
    assert_eq!((&report["transport"], &report["server"]), (&Value::Null, &Value::Null));

    // Not an http(s) URL: a usage error (exit 2), nothing on stdout.
    let out = doctor(dir.path(), &["ftp://127.0.0.1/mcp"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(text(&out.stderr).contains("must start with http:// or https://"), "{}", text(&out.stderr));
    assert!(out.stdout.is_empty());
}
