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
