//! Usage: each model step stores the tokens its provider reported (OpenAI and
//! Anthropic wire formats, streamed) and its latency, the conversation shows
//! them, and `GET /api/v1/usage` sums them by day, user, app and model for
//! owners, admins and auditors only.

use serde_json::{Value, json};
use switchboard_core::Role;
use switchboard_testkit::{DbKind, Reply, ToolCall};
use time::OffsetDateTime;

use super::chat::Chat;
use super::{assert_problem, on_both_backends, send};

const LIST: &str = "kanban__list_tasks";

/// The figures of a usage row (or the totals) that tests compare exactly.
fn figures(v: &Value) -> (i64, i64, i64, i64, i64) {
    let n = |k: &str| v[k].as_i64().unwrap_or_else(|| panic!("{k} in {v}"));
    (n("input_tokens"), n("output_tokens"), n("turns"), n("model_steps"), n("tool_calls"))
}

fn today() -> String {
    switchboard_core::usage::format_day(OffsetDateTime::now_utc().date())
}

/// The assistant messages' usage, in order.
fn usages(detail: &Value) -> Vec<Value> {
    detail["messages"]
        .as_array()
        .expect("messages")
        .iter()
        .filter(|m| m["role"] == "assistant")
        .map(|m| m["usage"].clone())
        .collect()
}

mod stored_per_step_and_summed {
    use super::*;

    pub(super) async fn run(kind: DbKind) {
        let chat = Chat::start(kind).await;
        let admin = &chat.owner;

        // OpenAI's wire: the usage comes in a last chunk without choices, because it is asked for.
        let openai =
            chat.conversation(admin, json!({"connectors": [chat.kanban_id], "model": "openai/scripted"})).await;
        chat.model.push(Reply::tool_calls(vec![ToolCall::new("c1", LIST, json!({}))]).with_usage(1234, 56));
        chat.model.push(Reply::text("The board is empty.").with_usage(1300, 44));
        let turn = chat.say(admin, &openai, "What is on the board?", "page-1").await;
        assert_eq!(turn.done()["reason"], "answered", "{:?}", turn.events);
        let requests = chat.model.requests();
        assert_eq!(requests[0].body["stream_options"], json!({"include_usage": true}));
        let live: Vec<(i64, i64, i64)> = turn
            .of("step_usage")
            .iter()
            .map(|e| {
                let u = &e["usage"];
                (
                    u["input_tokens"].as_i64().unwrap(),
                    u["output_tokens"].as_i64().unwrap(),
                    u["turn_step"].as_i64().unwrap(),
                )
            })
            .collect();
        assert_eq!(live, [(1234, 56, 1), (1300, 44, 2)], "each step's usage is streamed as it is stored");

        let detail = chat.detail(&openai).await;
        let stored = usages(&detail);
        assert_eq!(stored.len(), 2, "{detail}");
        for (usage, (input, output, step)) in stored.iter().zip([(1234, 56, 1), (1300, 44, 2)]) {
            assert_eq!(usage["model"], "openai/scripted");
            assert_eq!((usage["input_tokens"].as_i64(), usage["output_tokens"].as_i64()), (Some(input), Some(output)));
            assert_eq!(usage["turn_step"].as_i64(), Some(step));
            let latency = usage["latency_ms"].as_i64().expect("latency");
            let first = usage["first_token_ms"].as_i64().expect("time to first token");
            assert!((0..60_000).contains(&latency) && first <= latency, "{usage}");
        }
        let stream_messages = turn.of("step_usage").iter().map(|e| e["message_id"].clone()).collect::<Vec<_>>();
        let stored_ids = detail["messages"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|m| m["role"] == "assistant")
            .map(|m| m["id"].clone())
            .collect::<Vec<_>>();
        assert_eq!(stream_messages, stored_ids, "the events name the answers they belong to");
        let call = &detail["tool_calls"][0];
        assert!(call["latency_ms"].as_f64().is_some_and(|ms| ms > 0.0), "a tool call keeps its duration: {call}");
        for m in detail["messages"].as_array().unwrap().iter().filter(|m| m["role"] == "user") {
            assert!(m["usage"].is_null(), "only answers carry usage: {m}");
        }

        // Anthropic's wire: input tokens in message_start, output tokens in message_delta.
        let anthropic = chat.conversation(admin, json!({"model": "anthropic/scripted"})).await;
        chat.model.push(Reply::text("Hola.").with_usage(700, 30));
        let turn = chat.say(admin, &anthropic, "Say hello in Spanish", "page-1").await;
        assert_eq!(turn.done()["reason"], "answered", "{:?}", turn.events);
        let stored = usages(&chat.detail(&anthropic).await);
        assert_eq!(
            (stored[0]["model"].as_str(), stored[0]["input_tokens"].as_i64(), stored[0]["output_tokens"].as_i64()),
            (Some("anthropic/scripted"), Some(700), Some(30))
        );

        // The report: totals, and every grouping.
        let (status, report) = send(admin.client.get(chat.app.at("/api/v1/usage"))).await;
        assert_eq!(status, 200, "{report}");
        assert_eq!(figures(&report["totals"]), (3234, 130, 2, 3, 1), "{report}");
        assert!(report["totals"]["tool_latency_ms"].as_f64().is_some_and(|ms| ms > 0.0), "{report}");
        assert_eq!(report["to"], today());
        let by_day = report["by_day"].as_array().expect("by_day");
        assert_eq!(by_day.len(), 1, "{report}");
        assert_eq!((by_day[0]["key"].as_str(), figures(&by_day[0])), (Some(today().as_str()), (3234, 130, 2, 3, 1)));
        let by_model = report["by_model"].as_array().expect("by_model");
        let model = |name: &str| by_model.iter().find(|g| g["key"] == name).map(figures);
        assert_eq!(model("openai/scripted"), Some((2534, 100, 1, 2, 1)), "{report}");
        assert_eq!(model("anthropic/scripted"), Some((700, 30, 1, 1, 0)), "{report}");
        assert_eq!(by_model[0]["key"], "openai/scripted", "most tokens first");
        let by_user = report["by_user"].as_array().expect("by_user");
        assert_eq!(by_user.len(), 1, "{report}");
        assert!(by_user[0]["label"].as_str().is_some_and(|l| l.contains("admin@example.com")), "{report}");
        assert_eq!(figures(&by_user[0]), (3234, 130, 2, 3, 1));
        let by_app = report["by_app"].as_array().expect("by_app");
        assert_eq!(by_app.len(), 1, "{report}");
        assert_eq!(
            (by_app[0]["key"].as_str(), by_app[0]["label"].as_str()),
            (Some(chat.kanban_id.as_str()), Some("Kanban"))
        );
        assert_eq!(figures(&by_app[0]), (1234, 56, 1, 1, 1), "the step that called the app, and its call");

        // One grouping; another range.
        let (status, only) = send(admin.client.get(chat.app.at("/api/v1/usage?group_by=model"))).await;
        assert_eq!(status, 200, "{only}");
        assert!(only.get("by_day").is_none() && only.get("by_user").is_none() && only["by_model"].is_array(), "{only}");
        assert_eq!(figures(&only["totals"]), (3234, 130, 2, 3, 1));
        let yesterday = switchboard_core::usage::format_day(OffsetDateTime::now_utc().date() - time::Duration::days(1));
        let path = format!("/api/v1/usage?from={yesterday}&to={yesterday}");
        let (status, before) = send(admin.client.get(chat.app.at(&path))).await;
        assert_eq!(status, 200, "{before}");
        assert_eq!(figures(&before["totals"]), (0, 0, 0, 0, 0), "{before}");
        assert_eq!(before["by_day"], json!([]));
    }
}

mod owners_admins_and_auditors_only {
    use super::*;

    pub(super) async fn run(kind: DbKind) {
        let chat = Chat::start(kind).await;
        let member = chat.app.signed_in("member@example.com", Role::Member).await;
        let id = chat.conversation(&member, json!({})).await;
        chat.model.push(Reply::text("Hi.").with_usage(40, 2));
        assert_eq!(chat.say(&member, &id, "Hello", "page-1").await.done()["reason"], "answered");

        // A member sees their own answer's usage, not the workspace's.
        let (status, detail) = send(member.client.get(chat.app.at(&format!("/api/v1/conversations/{id}")))).await;
        assert_eq!(status, 200);
        assert_eq!(usages(&detail)[0]["input_tokens"], 40);
        assert_problem(&send(member.client.get(chat.app.at("/api/v1/usage"))).await, 403, "insufficient_role");
        let page = member.client.get(chat.app.at("/workspace/usage")).send().await.expect("page");
        assert_eq!(page.status(), 403);

        for role in [Role::Auditor, Role::Owner] {
            let who = chat.app.signed_in(&format!("{role}@example.com"), role).await;
            let (status, report) = send(who.client.get(chat.app.at("/api/v1/usage"))).await;
            assert_eq!(status, 200, "{role}: {report}");
            assert_eq!(figures(&report["totals"]), (40, 2, 1, 1, 0), "{role}: {report}");
            let page = who.client.get(chat.app.at("/workspace/usage")).send().await.expect("page");
            assert_eq!(page.status(), 200, "{role}");
            let html = page.text().await.expect("html");
            assert!(html.contains(r#"<dd data-figure="input_tokens">40</dd>"#), "{html}");
            assert!(html.contains("member@example.com"), "the page names the user");
        }
        let anonymous = reqwest::Client::new();
        assert_problem(&send(anonymous.get(chat.app.at("/api/v1/usage"))).await, 401, "not_signed_in");

        // Bad input is told plainly.
        let auditor = chat.app.signed_in("reader@example.com", Role::Auditor).await;
        for (query, says) in [
            ("from=2026-13-01", "from must be a day"),
            ("from=2026-11-30&to=2026-11-01", "from must not be after to"),
            ("from=2024-01-01&to=2026-01-01", "at most 366 days"),
            ("group_by=team", "unknown group_by"),
        ] {
            let got = send(auditor.client.get(chat.app.at(&format!("/api/v1/usage?{query}")))).await;
            assert_problem(&got, 422, "invalid_input");
            assert!(got.1["detail"].as_str().is_some_and(|d| d.contains(says)), "{query}: {}", got.1);
        }
    }
}

on_both_backends!(stored_per_step_and_summed, owners_admins_and_auditors_only);
