//! Tool calls that run as tasks (MCP 2025-11-25), against real servers: the npm MCP
//! SDK's example server (`delay`) and server-everything (`simulate-research-query`).
//! Both tools are writes (no `readOnlyHint`), so each waits for its approval first.

use std::time::{Duration, Instant};

use serde_json::{Value, json};
use switchboard_testkit::peers::PeerProcess;
use switchboard_testkit::{DbKind, Reply, ToolCall};

use super::chat::{Chat, Turn};
use super::send;

const DELAY: &str = "sdk__delay";
const RESEARCH: &str = "everything__simulate-research-query";

fn call(id: &str, name: &str, arguments: Value) -> ToolCall {
    ToolCall::new(id, name, arguments)
}

/// The methods of a call's exchange, in order, with their direction.
fn methods(exchange: &Value) -> Vec<String> {
    exchange
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(|m| m["message"]["method"].as_str().map(str::to_owned))
        .collect()
}

/// The statuses the server reported in answers to `tasks/get` in the exchange.
fn polled_statuses(exchange: &Value) -> Vec<String> {
    exchange
        .as_array()
        .into_iter()
        .flatten()
        .filter(|m| m["direction"] == "server_to_client")
        .filter_map(|m| m["message"]["result"]["status"].as_str().map(str::to_owned))
        .collect()
}

/// Ask for `name` with `arguments`, approve it, and read the turn that runs it.
async fn approve_and_run(chat: &Chat, id: &str, name: &str, arguments: Value, answer: &str) -> Turn {
    let me = &chat.owner;
    chat.model.push(Reply::tool_calls(vec![call("t", name, arguments)]));
    chat.model.push(Reply::text(answer));
    let asked = chat.say(me, id, "Run it", "p").await;
    assert_eq!(asked.done()["reason"], "awaiting_approval", "a task does not skip its approval: {:?}", asked.events);
    let waiting = asked.waiting();
    chat.decide(me, id, &waiting, "approve", false, "p").await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn tasks_run_to_completion_and_their_results_reach_the_model() {
    let chat = Chat::start(DbKind::Sqlite).await;
    let sdk = PeerProcess::sdk_example();
    let everything = PeerProcess::everything("streamableHttp");
    let sdk_id = chat.connector("Sdk", &sdk.url).await;
    let everything_id = chat.connector("Everything", &everything.url).await;
    let id = chat.conversation(&chat.owner, json!({"connectors": [sdk_id, everything_id]})).await;
    // `delay` (taskSupport "required"): created, polled, its result fetched with tasks/result.
    let turn = approve_and_run(&chat, &id, DELAY, json!({"duration": 1200}), "Waited.").await;
    assert_eq!(turn.done()["reason"], "answered", "{:?}", turn.events);
    // Tools that run only as tasks are offered to the model.
    let offered = chat.offered(0);
    assert!(offered.iter().any(|n| n == DELAY) && offered.iter().any(|n| n == RESEARCH), "{offered:?}");
    let statuses: Vec<&str> = turn.of("tool_task").iter().filter_map(|e| e["status"].as_str()).collect();
    assert_eq!(statuses.first(), Some(&"working"), "{statuses:?}");
    assert_eq!(statuses.last(), Some(&"completed"), "{statuses:?}");
    let result = turn.of("tool_result")[0]["call"].clone();
    assert_eq!(result["status"], "completed", "{result}");
    assert_eq!(result["result"]["content"][0]["text"], "Completed 1200ms delay", "{result}");
    let exchange = &result["exchange"];
    let sent = methods(exchange);
    assert_eq!(sent.first().map(String::as_str), Some("tools/call"), "{sent:?}");
    assert!(
        sent.iter().any(|m| m == "tasks/get") && sent.last().map(String::as_str) == Some("tasks/result"),
        "{sent:?}"
    );
    assert!(exchange[0]["message"]["params"]["task"]["ttl"].is_u64(), "{}", exchange[0]);
    assert!(exchange[1]["message"]["result"]["task"]["taskId"].is_string(), "{}", exchange[1]);
    let sent_to_model = chat.tool_results_sent();
    assert!(sent_to_model.iter().any(|r| r.contains("Completed 1200ms delay")), "{sent_to_model:?}");

    // `simulate-research-query`: four stages, each a status message, then the report.
    let turn = approve_and_run(&chat, &id, RESEARCH, json!({"topic": "tides"}), "Researched.").await;
    assert_eq!(turn.done()["reason"], "answered", "{:?}", turn.events);
    let messages: Vec<&str> = turn.of("tool_task").iter().filter_map(|e| e["message"].as_str()).collect();
    for stage in ["Gathering sources...", "Analyzing content...", "Synthesizing findings...", "Generating report..."] {
        assert!(messages.contains(&stage), "{stage} in {messages:?}");
    }
    let result = turn.of("tool_result")[0]["call"].clone();
    assert_eq!(result["status"], "completed", "{result}");
    let report = result["result"]["content"][0]["text"].as_str().unwrap_or_default();
    assert!(report.starts_with("# Research Report: tides"), "{report}");
    // Polls that said nothing new are left out: every recorded status answer differs from the one before.
    let polled = polled_statuses(&result["exchange"]);
    assert!(polled.len() >= 2, "{polled:?}");
    let sent_to_model = chat.tool_results_sent();
    assert!(sent_to_model.iter().any(|r| r.contains("Research Report: tides")), "{sent_to_model:?}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn stop_cancels_the_task_upstream() {
    let chat = Chat::start(DbKind::Sqlite).await;
    let sdk = PeerProcess::sdk_example();
    let sdk_id = chat.connector("Sdk", &sdk.url).await;
    let id = chat.conversation(&chat.owner, json!({"connectors": [sdk_id]})).await;
    let me = &chat.owner;
    chat.model.push(Reply::tool_calls(vec![call("t", DELAY, json!({"duration": 600_000}))]));
    let asked = chat.say(me, &id, "Wait ten minutes", "p").await;
    let waiting = asked.waiting();

    let running = {
        let (client, url, headers) = (
            me.client.clone(),
            chat.app.at(&format!("/api/v1/conversations/{id}/tool-calls/{waiting}/decision")),
            me.csrf_headers(),
        );
        tokio::spawn(async move {
            let response = client
                .post(url)
                .headers(headers)
                .json(&json!({"decision": "approve", "client_session": "p"}))
                .send()
                .await
                .expect("request");
            Turn::read(response).await
        })
    };
    // The task exists once the server answered tools/call; give it a poll or two.
    wait_until_running(&chat, &id).await;
    tokio::time::sleep(Duration::from_millis(1500)).await;
    let started = Instant::now();
    let (status, _) =
        send(me.client.post(chat.app.at(&format!("/api/v1/conversations/{id}/cancel"))).headers(me.csrf_headers()))
            .await;
    assert!(status == 200 || status == 202, "cancel answered {status}");
    let turn = running.await.expect("the turn ends");
    assert!(started.elapsed() < Duration::from_secs(15), "Stop took {:?}", started.elapsed());
    assert_eq!(turn.done()["reason"], "cancelled", "{:?}", turn.events);
    let result = turn.of("tool_result")[0]["call"].clone();
    assert_eq!(result["status"], "cancelled", "{result}");
    let words = result["result"]["content"][0]["text"].as_str().unwrap_or_default();
    assert!(words.contains("the task was cancelled: it was stopped"), "{words}");
    // tasks/cancel reached the server: its own tasks/get says so afterwards.
    let exchange = &result["exchange"];
    let sent = methods(exchange);
    assert!(sent.contains(&"tasks/cancel".to_owned()), "{sent:?}");
    assert_eq!(polled_statuses(exchange).last().map(String::as_str), Some("cancelled"), "{exchange}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_task_that_never_finishes_is_cancelled_at_its_deadline() {
    let chat = Chat::start_with(DbKind::Sqlite, |mut c| {
        c.upstream.task_deadline = Duration::from_secs(3);
        c
    })
    .await;
    let sdk = PeerProcess::sdk_example();
    let sdk_id = chat.connector("Sdk", &sdk.url).await;
    let id = chat.conversation(&chat.owner, json!({"connectors": [sdk_id]})).await;
    let started = Instant::now();
    let turn = approve_and_run(&chat, &id, DELAY, json!({"duration": 3_600_000}), "It timed out.").await;
    assert_eq!(turn.done()["reason"], "answered", "{:?}", turn.events);
    assert!(started.elapsed() < Duration::from_secs(20), "took {:?}", started.elapsed());
    let result = turn.of("tool_result")[0]["call"].clone();
    assert_eq!(result["status"], "cancelled", "{result}");
    let words = result["result"]["content"][0]["text"].as_str().unwrap_or_default();
    assert!(words.contains("did not finish within the task deadline of 3 s"), "{words}");
    assert_eq!(polled_statuses(&result["exchange"]).last().map(String::as_str), Some("cancelled"), "{result}");
    // The model is told, and goes on.
    let sent_to_model = chat.tool_results_sent();
    assert!(sent_to_model.iter().any(|r| r.contains("task deadline")), "{sent_to_model:?}");
}

/// Wait until the conversation's call runs.
async fn wait_until_running(chat: &Chat, id: &str) {
    let deadline = Instant::now() + Duration::from_secs(20);
    loop {
        let detail = chat.detail(id).await;
        if detail["tool_calls"].as_array().into_iter().flatten().any(|c| c["status"] == "running") {
            return;
        }
        assert!(Instant::now() < deadline, "the call never ran: {detail}");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_task_that_needs_input_asks_the_person() {
    let chat = Chat::start(DbKind::Sqlite).await;
    let everything = PeerProcess::everything("streamableHttp");
    let everything_id = chat.connector("Everything", &everything.url).await;
    let id = chat.conversation(&chat.owner, json!({"connectors": [everything_id]})).await;
    let me = &chat.owner;
    chat.model.push(Reply::tool_calls(vec![call("t", RESEARCH, json!({"topic": "python", "ambiguous": true}))]));
    chat.model.push(Reply::text("Researched."));
    let asked = chat.say(me, &id, "Research python", "p").await;
    let waiting = asked.waiting();
    // The task turns `input_required`: its question reaches the person as a form,
    // whose answer goes back to the server, which goes on with it.
    let answering = async {
        let deadline = Instant::now() + Duration::from_secs(30);
        let request = loop {
            let detail = chat.detail(&id).await;
            if let Some(found) = detail["elicitations"].as_array().and_then(|e| e.first()).cloned() {
                break found;
            }
            assert!(Instant::now() < deadline, "the task's question never reached the person: {detail}");
            tokio::time::sleep(Duration::from_millis(100)).await;
        };
        assert_eq!(request["connector_name"], "Everything", "{request}");
        let schema = &request["requested_schema"]["properties"]["interpretation"];
        let choice = schema["oneOf"][0]["const"].as_str().expect("a choice").to_owned();
        let eid = request["id"].as_str().expect("id");
        let (status, body) = send(
            me.client
                .post(chat.app.at(&format!("/api/v1/conversations/{id}/elicitations/{eid}")))
                .headers(me.csrf_headers())
                .json(&json!({"action": "accept", "content": {"interpretation": choice}})),
        )
        .await;
        assert!(status.is_success(), "{status}: {body}");
        choice
    };
    let (turn, choice) = tokio::join!(chat.decide(me, &id, &waiting, "approve", false, "p"), answering);
    assert_eq!(turn.done()["reason"], "answered", "{:?}", turn.events);
    let result = turn.of("tool_result")[0]["call"].clone();
    let report = result["result"]["content"][0]["text"].as_str().unwrap_or_default();
    assert!(report.contains(&choice), "the report follows the person's answer {choice:?}: {report}");
}
