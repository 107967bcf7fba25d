//! The MCP conformance suite (npm `@modelcontextprotocol/conformance`, pinned and
//! installed with its Node 22 by `scripts/test`) drives the built `switchboard
//! mcp-client` through every non-extension client scenario of the 2025-11-25 and
//! 2026-07-28 requirement sets, each at its own revision's wire, and the
//! 2025-03-26 backwards-compatibility pair. The suite starts
//! a server (and an authorization server) per scenario, runs the client against
//! it and checks what it saw; a scenario passes when it ran at least one check
//! (a client that does nothing gets `Passed: 0/0`), none failed or warned, and
//! the harness agrees. The scenarios listed in `conformance-expected-failures.txt`
//! must still fail, so the list cannot outlive a fix.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::Mutex;
use std::time::{Duration, Instant};

use serde_json::Value;
use switchboard_testkit::peers::peers_dir;

use crate::process::BIN;

const EXPECTED_FAILURES: &str = include_str!("../conformance-expected-failures.txt");

/// The requirement sets whose client scenarios run, each at its own wire.
const SETS: [&str; 2] = ["2025-11-25", "2026-07-28"];

/// The backwards-compatibility pair of the suite, in no requirement set: a 2025-03-26
/// server that is its own authorization server, with metadata at its origin or none.
const BACKCOMPAT: [(&str, &str); 2] = [
    ("2025-03-26", "auth/2025-03-26-oauth-metadata-backcompat"),
    ("2025-03-26", "auth/2025-03-26-oauth-endpoint-fallback"),
];

/// Scenarios run at once: each is a Node process and a `switchboard` process.
const PARALLEL: usize = 4;

/// The URL the client presents as its Client ID Metadata Document: the suite's
/// authorization servers accept exactly this one.
const CIMD_URL: &str = "https://conformance-test.local/client-metadata.json";

fn suite() -> (PathBuf, PathBuf) {
    let dir = peers_dir().join("conformance/node_modules");
    let node = dir.join("node/bin/node");
    let cli = dir.join("@modelcontextprotocol/conformance/dist/index.js");
    for path in [&node, &cli] {
        assert!(path.exists(), "{} is missing: run scripts/test, which installs the conformance suite", path.display());
    }
    (node, cli)
}

/// The client scenarios a requirement set lists, scored or not, except extensions.
fn scenarios_of(requirements: &str) -> Vec<String> {
    let mut out = vec![];
    let mut section = "";
    let mut pending: Option<(String, bool)> = None; // (scenario, leg is client) of a not_scored entry
    for line in requirements.lines() {
        if !line.starts_with(' ') && line.ends_with(':') {
            section = line.trim_end_matches(':');
            continue;
        }
        let item = line.trim();
        match section {
            "client" => {
                if let Some(name) = item.strip_prefix("- ") {
                    out.push(name.trim().to_owned());
                }
            }
            "not_scored" => {
                if let Some(name) = item.strip_prefix("- scenario: ") {
                    pending = Some((name.trim().to_owned(), false));
                } else if item == "leg: client" {
                    if let Some(p) = pending.as_mut() {
                        p.1 = true;
                    }
                } else if let Some(reason) = item.strip_prefix("reason: ")
                    && let Some((name, true)) = pending.take()
                    && reason.trim() != "extension"
                {
                    out.push(name);
                }
            }
            _ => {}
        }
    }
    out
}

/// What the client is asked to do in a scenario: the calls the scenario's server
/// expects, and the client metadata URL its authorization server accepts.
fn client_args(scenario: &str) -> String {
    match scenario {
        "tools_call" => r#"--call 'add_numbers={"a":2,"b":3}'"#.to_owned(),
        "http-standard-headers" => "--call test_headers --call my-hyphenated-tool".to_owned(),
        "http-invalid-tool-headers" => r#"--call 'valid_tool={"region":"us-west1"}'"#.to_owned(),
        "sse-retry" => "--call test_reconnection".to_owned(),
        "sep-2322-client-request-state" => "--elicitation accept-defaults --call test_mrtr_echo_state \
                                            --call test_mrtr_unrelated --call test_mrtr_no_state \
                                            --call test_mrtr_no_result_type"
            .to_owned(),
        "elicitation-sep1034-client-defaults" => {
            "--elicitation accept-defaults --call test_client_elicitation_defaults".to_owned()
        }
        "json-schema-2020-12-preservation" => {
            r#"--call 'json_schema_echo={"schema":{"$inputSchemaOf":"json_schema_2020_12_tool"}}'"#.to_owned()
        }
        // A server without any metadata: the 2025-03-26 default endpoints, which need the opt-in
        // (without it the server is refused: `without_the_opt_in_a_server_without_metadata_is_refused`).
        "auth/2025-03-26-oauth-endpoint-fallback" => {
            format!("--legacy-oauth-endpoints --client-metadata-url {CIMD_URL} --call test-tool")
        }
        s if s.starts_with("auth/") => format!("--client-metadata-url {CIMD_URL} --call test-tool"),
        _ => String::new(),
    }
}

#[derive(Debug)]
struct Outcome {
    exit: Option<i32>,
    passed: usize,
    failed: Vec<String>,
    warned: Vec<String>,
    took: Duration,
    log: String,
}

impl Outcome {
    fn ok(&self) -> bool {
        self.exit == Some(0) && self.passed > 0 && self.failed.is_empty() && self.warned.is_empty()
    }
}

fn run_scenario(node: &Path, cli: &Path, set: &str, scenario: &str, out: &Path) -> Outcome {
    run_client(node, cli, set, scenario, &client_args(scenario), out)
}

/// Run `switchboard mcp-client ARGS` through the harness in `scenario`.
fn run_client(node: &Path, cli: &Path, set: &str, scenario: &str, args: &str, out: &Path) -> Outcome {
    let started = Instant::now();
    let command = format!("{BIN} mcp-client {args}");
    let output = Command::new(node)
        .arg(cli)
        .args(["client", "--command", &command, "--scenario", scenario, "--spec-version", set])
        .args(["--timeout", "20000", "-o"])
        .arg(out)
        .env_clear()
        .env("PATH", std::env::var("PATH").unwrap_or_default())
        .env("HOME", std::env::var("HOME").unwrap_or_default())
        .env("SWITCHBOARD_LOG", "warn")
        .stdin(Stdio::null())
        .output()
        .expect("run the conformance suite");
    let mut checks: Vec<Value> = vec![];
    let mut saved = String::new();
    for file in walk(out) {
        match file.file_name().and_then(|n| n.to_str()) {
            Some("checks.json") => {
                let text = std::fs::read_to_string(&file).expect("read checks.json");
                checks = serde_json::from_str(&text).expect("checks.json is JSON");
            }
            Some(name @ ("stdout.txt" | "stderr.txt")) => {
                let text = std::fs::read_to_string(&file).unwrap_or_default();
                saved.push_str(&format!("--- client {name}\n{text}\n"));
            }
            _ => {}
        }
    }
    let with = |status: &str| -> Vec<String> {
        checks
            .iter()
            .filter(|c| c["status"] == status)
            .map(|c| format!("{}: {}", c["id"].as_str().unwrap_or("?"), c["description"].as_str().unwrap_or("")))
            .collect()
    };
    Outcome {
        exit: output.status.code(),
        passed: with("SUCCESS").len(),
        failed: with("FAILURE"),
        warned: with("WARNING"),
        took: started.elapsed(),
        log: format!("--- harness stderr\n{}\n{saved}", String::from_utf8_lossy(&output.stderr)),
    }
}

fn walk(dir: &Path) -> Vec<PathBuf> {
    let mut out = vec![];
    for entry in std::fs::read_dir(dir).into_iter().flatten().flatten() {
        let path = entry.path();
        if path.is_dir() { out.extend(walk(&path)) } else { out.push(path) }
    }
    out
}

/// `SET SCENARIO reason…` per line; `#` starts a comment.
fn expected_failures() -> BTreeMap<(String, String), String> {
    let mut out = BTreeMap::new();
    for line in EXPECTED_FAILURES.lines().map(str::trim).filter(|l| !l.is_empty() && !l.starts_with('#')) {
        let mut parts = line.splitn(3, ' ');
        let (Some(set), Some(scenario), Some(reason)) = (parts.next(), parts.next(), parts.next()) else {
            panic!("expected-failures line {line:?} must be `SET SCENARIO reason`");
        };
        out.insert((set.to_owned(), scenario.to_owned()), reason.trim().to_owned());
    }
    out
}

#[test]
fn every_non_extension_client_scenario_passes_through_switchboard_mcp_client() {
    let (node, cli) = suite();
    let package = cli.parent().and_then(Path::parent).expect("package dir").to_owned();
    let mut work = vec![];
    for set in SETS {
        let requirements = std::fs::read_to_string(package.join(format!("requirements/{set}.yaml")))
            .unwrap_or_else(|e| panic!("the suite's requirements for {set}: {e}"));
        let scenarios = scenarios_of(&requirements);
        assert!(scenarios.len() > 10, "{set} lists {scenarios:?}");
        work.extend(scenarios.into_iter().map(|s| (set, s)));
    }
    work.extend(BACKCOMPAT.iter().map(|(set, s)| (*set, (*s).to_owned())));
    let expected = expected_failures();
    for key in expected.keys() {
        assert!(
            work.iter().any(|(set, s)| (*set, s.as_str()) == (key.0.as_str(), key.1.as_str())),
            "expected-failures names {key:?}, which the suite does not run"
        );
    }
    let dir = tempfile::tempdir().expect("tempdir");
    let queue = Mutex::new(work.clone().into_iter().enumerate());
    let results = Mutex::new(BTreeMap::new());
    std::thread::scope(|scope| {
        for _ in 0..PARALLEL {
            scope.spawn(|| {
                loop {
                    let Some((i, (set, scenario))) = queue.lock().unwrap().next() else { break };
                    let out = dir.path().join(i.to_string());
                    let outcome = run_scenario(&node, &cli, set, &scenario, &out);
                    results.lock().unwrap().insert((set.to_owned(), scenario), outcome);
                }
            });
        }
    });
    let results = results.into_inner().unwrap();
    let mut table = String::new();
    let mut problems = vec![];
    for ((set, scenario), outcome) in &results {
        let reason = expected.get(&(set.clone(), scenario.clone()));
        let verdict = match (outcome.ok(), reason) {
            (true, None) => "pass".to_owned(),
            (false, Some(reason)) => format!("expected failure: {reason}"),
            (true, Some(_)) => {
                problems.push(format!("{set} {scenario} passes now: take it out of conformance-expected-failures.txt"));
                "PASSES (listed as expected failure)".to_owned()
            }
            (false, None) => {
                problems.push(format!(
                    "{set} {scenario}: exit {:?}, {} passed, failed {:?}, warned {:?}\n{}",
                    outcome.exit, outcome.passed, outcome.failed, outcome.warned, outcome.log
                ));
                format!("FAIL ({} failed, {} warned)", outcome.failed.len(), outcome.warned.len())
            }
        };
        table.push_str(&format!(
            "{set}  {scenario:<45} {:>3} checks  {:>5.1}s  {verdict}\n",
            outcome.passed + outcome.failed.len() + outcome.warned.len(),
            outcome.took.as_secs_f64()
        ));
    }
    println!("{table}");
    assert!(problems.is_empty(), "{table}\n{}", problems.join("\n\n"));
}

/// DESIGN S3 stays the default: a server that publishes no metadata at all is refused
/// unless the client is told `--legacy-oauth-endpoints`, and the error says why and how.
/// The harness sees no registration, authorization or token request.
#[test]
fn without_the_opt_in_a_server_without_metadata_is_refused() {
    let (node, cli) = suite();
    let dir = tempfile::tempdir().expect("tempdir");
    let scenario = "auth/2025-03-26-oauth-endpoint-fallback";
    let args = format!("--client-metadata-url {CIMD_URL} --call test-tool");
    let outcome = run_client(&node, &cli, "2025-03-26", scenario, &args, dir.path());
    assert!(!outcome.ok(), "{}", outcome.log);
    for check in ["client-registration", "authorization-request", "token-request"] {
        assert!(
            outcome.failed.iter().any(|f| f.starts_with(&format!("{check}: Expected Check Missing"))),
            "{check} never reached: {:?}\n{}",
            outcome.failed,
            outcome.log
        );
    }
    for words in ["publishes no protected resource metadata", "PKCE with S256", "--legacy-oauth-endpoints"] {
        assert!(outcome.log.contains(words), "the client's error says {words:?}:\n{}", outcome.log);
    }
}

#[test]
fn the_requirement_sets_are_read_whole_and_extensions_left_out() {
    let yaml = "client:\n  - tools_call\n  - auth/basic-cimd\n\nnot_scored:\n  - scenario: auth/dpop\n    leg: client\n    \
                reason: extension\n  - scenario: json-schema-2020-12-preservation\n    leg: client\n    reason: \
                added-after-release\n  - scenario: json-schema-2020-12\n    leg: server\n    reason: pending\n";
    assert_eq!(scenarios_of(yaml), ["tools_call", "auth/basic-cimd", "json-schema-2020-12-preservation"]);
}
