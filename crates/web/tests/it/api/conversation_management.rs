//! Managing conversations: rename, pin, search by title and content, and the
//! models each provider lists (from the scripted provider's `/models`).

use serde_json::{Value, json};
use switchboard_core::Role;
use switchboard_testkit::{DbKind, Reply, ScriptedModel, Signed, TestApp};

use super::{assert_problem, on_both_backends, send};

fn patch(app: &TestApp, who: &Signed, path: &str, body: Value) -> reqwest::RequestBuilder {
    who.client.patch(app.at(path)).headers(who.csrf_headers()).json(&body)
}

async fn conversation(app: &TestApp, who: &Signed) -> String {
    let (status, c) =
        send(who.client.post(app.at("/api/v1/conversations")).headers(who.csrf_headers()).json(&json!({}))).await;
    assert_eq!(status, 201, "{c}");
    c["id"].as_str().expect("id").to_owned()
}

async fn say(app: &TestApp, who: &Signed, id: &str, text: &str) {
    let response = who
        .client
        .post(app.at(&format!("/api/v1/conversations/{id}/messages")))
        .headers(who.csrf_headers())
        .json(&json!({"content": text, "client_session": "s"}))
        .send()
        .await
        .expect("turn");
    assert_eq!(response.status(), 200);
    let _ = response.text().await;
}

async fn listed(app: &TestApp, who: &Signed, query: &str) -> Vec<String> {
    let (status, list) = send(who.client.get(app.at(&format!("/api/v1/conversations{query}")))).await;
    assert_eq!(status, 200, "{list}");
    list.as_array().expect("list").iter().map(|c| c["title"].as_str().unwrap_or_default().to_owned()).collect()
}

mod rename_pin_and_search {
    use super::*;

    pub(crate) async fn run(kind: DbKind) {
        let model = ScriptedModel::start().await;
        let providers = model.providers("openai/scripted");
        let app = TestApp::start_with(kind, move |mut c| {
            c.providers = providers;
            c
        })
        .await;
        let me = app.signed_in("me@example.com", Role::Member).await;
        let other = app.signed_in("other@example.com", Role::Member).await;
        model.respond_with(|_| Reply::text("Noted."));

        let report = conversation(&app, &me).await;
        say(&app, &me, &report, "Draft the Quarterly report for the board").await;
        let lunch = conversation(&app, &me).await;
        say(&app, &me, &lunch, "Where shall we have lunch?").await;
        let theirs = conversation(&app, &other).await;
        say(&app, &other, &theirs, "My quarterly numbers").await;

        // Search: title and content, any case, only one's own; LIKE's wildcards are literal.
        assert_eq!(listed(&app, &me, "?q=QUARTERLY").await, ["Draft the Quarterly report for the board"]);
        assert_eq!(listed(&app, &me, "?q=lunch").await, ["Where shall we have lunch?"]);
        assert_eq!(listed(&app, &me, "?q=%25").await, Vec::<String>::new(), "% matches only a percent sign");
        assert_eq!(listed(&app, &me, "?q=_").await, Vec::<String>::new());
        assert_eq!(listed(&app, &me, "?q=").await.len(), 2, "an empty search lists everything");
        model.push(Reply::text("Noted."));
        say(&app, &me, &lunch, "Budget is 50% of last time").await;
        assert_eq!(listed(&app, &me, "?q=50%25").await, ["Where shall we have lunch?"], "found in a later message");

        // Rename and pin: pinned first, then the most recently active.
        let (status, renamed) =
            send(patch(&app, &me, &format!("/api/v1/conversations/{report}"), json!({"title": "  Q3 board report  "})))
                .await;
        assert_eq!((status.as_u16(), renamed["title"].as_str()), (200, Some("Q3 board report")), "{renamed}");
        assert_eq!(listed(&app, &me, "").await, ["Where shall we have lunch?", "Q3 board report"]);
        let (_, pinned) =
            send(patch(&app, &me, &format!("/api/v1/conversations/{report}"), json!({"pinned": true}))).await;
        assert_eq!(pinned["pinned"], true);
        assert_eq!(listed(&app, &me, "").await, ["Q3 board report", "Where shall we have lunch?"]);
        send(patch(&app, &me, &format!("/api/v1/conversations/{report}"), json!({"pinned": false}))).await;
        assert_eq!(listed(&app, &me, "").await, ["Where shall we have lunch?", "Q3 board report"]);

        // Bad input, and someone else's conversation.
        let at = format!("/api/v1/conversations/{report}");
        assert_problem(&send(patch(&app, &me, &at, json!({"title": "   "}))).await, 422, "invalid_input");
        assert_problem(&send(patch(&app, &me, &at, json!({"title": "x".repeat(201)}))).await, 422, "invalid_input");
        assert_problem(&send(patch(&app, &me, &at, json!({}))).await, 422, "invalid_input");
        let unknown = send(patch(&app, &me, &at, json!({"title": "ok", "owner_id": other.user.id}))).await;
        assert_eq!(unknown.0.as_u16(), 422, "unknown fields are refused: {}", unknown.1);
        assert_problem(&send(patch(&app, &other, &at, json!({"title": "mine now"}))).await, 404, "not_found");
        let missing = format!("/api/v1/conversations/{}", uuid::Uuid::now_v7());
        assert_problem(&send(patch(&app, &me, &missing, json!({"pinned": true}))).await, 404, "not_found");
        assert_eq!(listed(&app, &other, "").await, ["My quarterly numbers"], "untouched");
    }
}

mod models_come_from_the_providers {
    use super::*;

    pub(crate) async fn run(kind: DbKind) {
        let model = ScriptedModel::start().await;
        model.set_models(&["gpt-small", "gpt-large"]);
        let providers = model.providers("openai/gpt-small");
        let app = TestApp::start_with(kind, move |mut c| {
            c.providers = providers;
            c
        })
        .await;
        let me = app.signed_in("me@example.com", Role::Member).await;
        let (status, models) = send(me.client.get(app.at("/api/v1/models"))).await;
        assert_eq!(status, 200, "{models}");
        assert_eq!(
            models["models"],
            json!(["openai/gpt-large", "openai/gpt-small", "anthropic/gpt-large", "anthropic/gpt-small"])
        );
        assert_eq!(models["unavailable"], json!([]));
        assert_eq!(models["default_model"], "openai/gpt-small");
        // Kept: the providers are not asked again at once.
        model.set_models(&["changed"]);
        let (_, again) = send(me.client.get(app.at("/api/v1/models"))).await;
        assert_eq!(again["models"], models["models"]);
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_provider_that_cannot_list_its_models_is_named_and_asked_again() {
    let model = ScriptedModel::start().await;
    let good = model.providers("openai/scripted");
    let dead = {
        use switchboard_agent::provider::build;
        use switchboard_agent::{ProviderConfig, ProviderKind};
        let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("bind");
        let port = listener.local_addr().expect("addr").port();
        drop(listener);
        build(
            ProviderConfig {
                name: "gone".into(),
                kind: ProviderKind::OpenAi,
                base_url: format!("http://127.0.0.1:{port}/v1"),
                api_key: None,
                timeout: std::time::Duration::from_secs(2),
                max_retries: 0,
            },
            switchboard_testkit::http_client(),
        )
    };
    let providers = good.with("gone", dead);
    let app = TestApp::start_with(DbKind::Sqlite, move |mut c| {
        c.providers = providers;
        c
    })
    .await;
    let me = app.signed_in("me@example.com", Role::Member).await;
    let (_, models) = send(me.client.get(app.at("/api/v1/models"))).await;
    assert!(models["models"].as_array().expect("models").contains(&json!("openai/scripted")), "{models}");
    assert_eq!(models["unavailable"][0]["provider"], "gone", "{models}");
    assert!(models["unavailable"][0]["message"].as_str().is_some_and(|m| m.contains("could not reach")), "{models}");
    model.set_models(&["fresh"]);
    let (_, again) = send(me.client.get(app.at("/api/v1/models"))).await;
    assert!(again["models"].as_array().expect("models").contains(&json!("openai/fresh")), "asked again: {again}");
}

on_both_backends!(rename_pin_and_search, models_come_from_the_providers);
