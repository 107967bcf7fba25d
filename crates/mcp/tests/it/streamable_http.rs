//! Streamable HTTP: the stateless 2026-07-28 protocol and the initialize-based ones.

use std::sync::{Arc, Mutex};

use serde_json::json;
use switchboard_core::catalog::Classification;
use switchboard_mcp::{Direction, Progress, ProgressWatcher};
use switchboard_testkit::peers::PeerProcess;

use super::*;

#[tokio::test]
async fn server_everything_negotiates_an_initialize_version_and_classifies_by_annotations() {
    let peer = PeerProcess::everything("streamableHttp");
    let session = connect(&http(&peer.url)).await;
    // This server predates 2026-07-28: discovery falls back to initialize.
    assert_eq!(session.protocol_version(), "2025-11-25");
    assert_eq!(session.server_info()["name"], "mcp-servers/everything");
    let tools = session.list_tools().await.expect("tools");
    assert!(tools.len() >= 10, "{} tools", tools.len());
    for t in &tools {
        let read = t.annotations.as_ref().and_then(|a| a.get("readOnlyHint")) == Some(&json!(true));
        let expect = if read { Classification::Read } else { Classification::Write };
        assert_eq!(t.classification(), expect, "{}", t.name);
    }
    assert_eq!(tool(&tools, "get-sum").classification(), Classification::Read);
    assert_eq!(tool(&tools, "toggle-simulated-logging").classification(), Classification::Write);

    let args = json!({"a": 2, "b": 3}).as_object().cloned().expect("object");
    let outcome = session.call_tool("get-sum", args).await.expect("call");
    assert!(!outcome.truncated);
    assert!(outcome.result["content"][0]["text"].as_str().expect("text").contains('5'), "{}", outcome.result);
    let write = session.call_tool("toggle-simulated-logging", Default::default()).await.expect("call a write tool");
    assert_ne!(write.result["isError"], true, "{}", write.result);
    session.close().await;
}

#[tokio::test]
async fn python_server_speaks_2026_07_28_and_its_catalog_follows_the_file() {
    let dir = tempfile::tempdir().expect("tempdir");
    let file = dir.path().join("tools.json");
    write_tools(&file, &sample_tools());
    let peer = PeerProcess::python_tools(&file, "streamable-http");
    let session = connect(&http(&peer.url)).await;
    assert_eq!(session.protocol_version(), "2026-07-28");
    assert_eq!(session.server_info()["name"], "switchboard-test-tools");

    let tools = session.list_tools().await.expect("tools");
    assert_eq!(tools.len(), 7);
    let lookup = tool(&tools, "lookup");
    assert_eq!((lookup.classification(), lookup.display_name()), (Classification::Read, "Look up"));
    assert_eq!(lookup.input_schema["required"], json!(["id"]));
    assert_eq!(tool(&tools, "update").classification(), Classification::Write);
    assert!(!tool(&tools, "update").risk_badges().destructive);
    assert!(tool(&tools, "erase").risk_badges().destructive);
    assert_eq!(tool(&tools, "plain").classification(), Classification::Write);

    let args = json!({"id": "r-1", "value": 7}).as_object().cloned().expect("object");
    let outcome = session.call_tool("update", args).await.expect("call");
    assert_eq!(outcome.result["structuredContent"], json!({"tool": "update", "arguments": {"id": "r-1", "value": 7}}));
    let failed = session.call_tool("fail", Default::default()).await.expect("a tool error is a result");
    assert_eq!(failed.result["isError"], true);

    // The server changes its tools; a new listing sees it.
    let mut changed = sample_tools();
    changed.as_array_mut().expect("array").retain(|t| t["name"] != "erase");
    changed[0]["description"] = json!("Use this when you need one record by id.");
    write_tools(&file, &changed);
    let session = connect(&http(&peer.url)).await;
    let after = session.list_tools().await.expect("tools");
    let diff = switchboard_core::catalog_diff::diff(&tools, &after);
    assert_eq!(diff.removed.iter().map(|t| t.name.as_str()).collect::<Vec<_>>(), ["erase"]);
    assert_eq!(diff.changed[0].tool, "lookup");
    assert_eq!(diff.changed[0].fields[0].field, "description");
}

#[tokio::test]
async fn the_exchange_lists_every_message_of_a_call_in_order() {
    let peer = PeerProcess::everything("streamableHttp");
    let session = connect(&http(&peer.url)).await;
    let seen = Arc::new(Mutex::new(vec![]));
    let watcher: ProgressWatcher = {
        let seen = seen.clone();
        Arc::new(move |p: Progress| seen.lock().expect("lock").push(p.progress))
    };
    let args = json!({"duration": 1, "steps": 3}).as_object().cloned().expect("object");
    let outcome = session.call_tool_watched("trigger-long-running-operation", args, Some(watcher)).await.expect("call");
    let kinds: Vec<(Direction, String)> = outcome
        .exchange
        .iter()
        .map(|m| {
            let kind = m.message["method"].as_str().map_or_else(|| "response".to_owned(), str::to_owned);
            (m.direction, kind)
        })
        .collect();
    let progress = (Direction::ServerToClient, "notifications/progress".to_owned());
    assert_eq!(
        kinds,
        [
            (Direction::ClientToServer, "tools/call".to_owned()),
            progress.clone(),
            progress.clone(),
            progress,
            (Direction::ServerToClient, "response".to_owned()),
        ],
        "{:?}",
        outcome.exchange
    );
    let steps: Vec<_> = outcome.exchange[1..4].iter().map(|m| m.message["params"]["progress"].as_f64()).collect();
    assert_eq!(steps, [Some(1.0), Some(2.0), Some(3.0)]);
    assert_eq!(*seen.lock().expect("lock"), [1.0, 2.0, 3.0], "the watcher saw them as they came");
    let serialised = serde_json::to_value(&outcome.exchange[0]).expect("json");
    assert_eq!(serialised["direction"], "client_to_server");
    session.close().await;
}
