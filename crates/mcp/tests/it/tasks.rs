//! Tool calls that run as tasks of 2025-11-25 against server-everything's research
//! tool, over Streamable HTTP and stdio; and a task that asks for input on the way
//! (`input_required`): its `elicitation/create`, which the server queues and
//! delivers on the stream of `tasks/result`, reaches the same handler as one sent
//! during a plain call, and the answer goes back the same way.

use std::sync::{Arc, Mutex};

use serde_json::{Value, json};
use switchboard_core::catalog::TaskSupport;
use switchboard_mcp::{CallWatch, Elicitation, TaskUpdate, UpstreamSession};
use switchboard_testkit::peers::{PeerProcess, everything_argv};

use super::*;

fn watch(seen: &Arc<Mutex<Vec<TaskUpdate>>>) -> CallWatch {
    let seen = seen.clone();
    CallWatch {
        task_support: TaskSupport::Required,
        task: Some(Arc::new(move |u| seen.lock().expect("lock").push(u))),
        ..CallWatch::default()
    }
}

fn arguments(value: Value) -> serde_json::Map<String, Value> {
    value.as_object().cloned().expect("an object")
}

fn statuses(seen: &Arc<Mutex<Vec<TaskUpdate>>>) -> Vec<String> {
    seen.lock()
        .expect("lock")
        .iter()
        .filter_map(|u| match u {
            TaskUpdate::Status { status, .. } => Some(status.clone()),
            TaskUpdate::Created(_) => None,
        })
        .collect()
}

#[tokio::test]
async fn a_research_task_runs_to_its_report_over_streamable_http_and_stdio() {
    let streamable = PeerProcess::everything("streamableHttp");
    for endpoint in [http(&streamable.url), stdio(everything_argv("stdio"))] {
        let session = connect(&endpoint).await;
        let seen = Arc::default();
        let outcome = session
            .call_tool_with("simulate-research-query", arguments(json!({"topic": "tides"})), &watch(&seen))
            .await
            .unwrap_or_else(|e| panic!("{endpoint:?}: {e}"));
        let report = outcome.result["content"][0]["text"].as_str().unwrap_or_default();
        assert!(report.starts_with("# Research Report: tides"), "{endpoint:?}: {report}");
        let task = outcome.task.expect("it ran as a task");
        assert_eq!(task.status, "completed");
        assert!(task.polls >= 3, "polled: {}", task.polls);
        let created = seen.lock().expect("lock").iter().find_map(|u| match u {
            TaskUpdate::Created(t) => Some(t.clone()),
            TaskUpdate::Status { .. } => None,
        });
        let created = created.expect("reported once created");
        assert_eq!(created.task_id, task.task.task_id);
        // Only a Streamable HTTP session has an id to follow the task in after a restart.
        assert_eq!(created.session_id.is_some(), matches!(endpoint, Endpoint::Http { .. }), "{endpoint:?}");
        assert_eq!(statuses(&seen).last().map(String::as_str), Some("completed"));
        session.close().await;
    }
}

#[tokio::test]
async fn a_tasks_request_for_input_goes_where_a_calls_does() {
    let everything = PeerProcess::everything("streamableHttp");
    // Offering elicitation makes server-everything ask; refusing it (Switchboard's
    // default until people answer forms) makes it go on with a default.
    for (elicitation, asked) in [(Elicitation::AcceptDefaults, true), (Elicitation::Refuse, false)] {
        let options = ClientOptions { elicitation, ..options() };
        let session = UpstreamSession::connect(&http(&everything.url), &options).await.expect("connect");
        let seen = Arc::default();
        let outcome = session
            .call_tool_with(
                "simulate-research-query",
                arguments(json!({"topic": "python", "ambiguous": true})),
                &watch(&seen),
            )
            .await
            .expect("the task ends");
        let report = outcome.result["content"][0]["text"].as_str().unwrap_or_default();
        let exchange = serde_json::to_value(&outcome.exchange).expect("json");
        let methods: Vec<&str> =
            exchange.as_array().into_iter().flatten().filter_map(|m| m["message"]["method"].as_str()).collect();
        if asked {
            assert!(statuses(&seen).contains(&"input_required".to_owned()), "{:?}", statuses(&seen));
            assert!(methods.contains(&"elicitation/create"), "{methods:?}");
            // The form was answered by the session's handler, with its defaults (none here).
            assert!(report.contains("**Clarification**: User accepted without selection"), "{report}");
            let answered = exchange
                .as_array()
                .into_iter()
                .flatten()
                .any(|m| m["direction"] == "client_to_server" && m["message"]["result"]["action"] == "accept");
            assert!(answered, "{exchange}");
        } else {
            assert!(!methods.contains(&"elicitation/create"), "{methods:?}");
            assert!(!report.contains("Clarification"), "{report}");
        }
        assert_eq!(outcome.task.expect("a task").status, "completed");
        session.close().await;
    }
}

/// The 2026-07-28 extension, against a PyPI `mcp` server of ours that declares it: the
/// server makes a task of a plain `tools/call`, `tasks/get` carries the result inline,
/// and a stop cancels it with `tasks/cancel`.
#[tokio::test]
async fn a_2026_server_makes_a_task_of_a_plain_call() {
    let peer = PeerProcess::python_tasks();
    let session = connect(&http(&peer.url)).await;
    assert_eq!(session.protocol_version(), "2026-07-28");
    let seen = Arc::default();
    // The tool says nothing of tasks: the server decides.
    let plain = CallWatch { task_support: TaskSupport::Forbidden, ..watch(&seen) };
    let outcome = session
        .call_tool_with("brew", arguments(json!({"tea": "oolong", "seconds": 1})), &plain)
        .await
        .expect("the task ends");
    assert_eq!(outcome.result["content"][0]["text"], "Brewed oolong", "{:?}", outcome.result);
    let task = outcome.task.expect("a task");
    assert_eq!((task.status.as_str(), task.task.dialect), ("completed", switchboard_mcp::TaskDialect::V2026));
    let messages: Vec<String> = seen
        .lock()
        .expect("lock")
        .iter()
        .filter_map(|u| match u {
            TaskUpdate::Status { message, .. } => message.clone(),
            TaskUpdate::Created(_) => None,
        })
        .collect();
    assert!(messages.contains(&"Steeping".to_owned()), "{messages:?}");

    let (switch, stop) = switchboard_mcp::stop_switch();
    let stopping = CallWatch { stop: Some(stop), ..plain.clone() };
    let later = tokio::spawn(async move {
        tokio::time::sleep(std::time::Duration::from_millis(500)).await;
        switch.stop();
    });
    let outcome =
        session.call_tool_with("brew", arguments(json!({"seconds": 60})), &stopping).await.expect("the task ends");
    later.await.expect("stopped");
    let task = outcome.task.expect("a task");
    assert_eq!((task.status.as_str(), task.cancelled_by), ("cancelled", Some(switchboard_mcp::CancelReason::Stopped)));
    let exchange = serde_json::to_value(&outcome.exchange).expect("json");
    let last = exchange.as_array().and_then(|m| m.last()).cloned().unwrap_or_default();
    assert_eq!(last["message"]["result"]["status"], "cancelled", "the server's own tasks/get afterwards: {exchange}");
    session.close().await;
}
