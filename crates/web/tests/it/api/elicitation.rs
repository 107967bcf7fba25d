//! A server's requests for the person's input during a conversation's call
//! (elicitation), against real servers: the npm MCP SDK's example server
//! (`collect-user-info`, a form sent during the call), server-everything (a form, a
//! URL, and a URL required first as a `-32042` error) and a PyPI `mcp` server at
//! 2026-07-28 (an `input_required` result answered with `inputResponses`).

use std::time::{Duration, Instant};

use reqwest::StatusCode;
use serde_json::{Value, json};
use switchboard_core::Role;
use switchboard_testkit::peers::PeerProcess;
use switchboard_testkit::{DbKind, Reply, Signed, ToolCall};

use super::chat::{Chat, Turn};
use super::{assert_problem, on_both_backends, send};

/// The model calls `tool` with `arguments` once, then says "Done.".
fn script(chat: &Chat, tool: &str, arguments: Value) {
    chat.model.push(Reply::tool_calls(vec![ToolCall::new("e1", tool, arguments)]));
    chat.model.push(Reply::text("Done."));
}

/// Send `text` and approve the write call the model asks for: the rest of the turn.
async fn approved(chat: &Chat, id: &str, text: &str) -> Turn {
    let call = chat.say(&chat.owner, id, text, "page-1").await.waiting();
    chat.decide(&chat.owner, id, &call, "approve", false, "page-1").await
}

/// The conversation's pending requests for input, once there are `n` (within 20 s).
async fn pending(chat: &Chat, id: &str, n: usize) -> Vec<Value> {
    let deadline = Instant::now() + Duration::from_secs(20);
    loop {
        let detail = chat.detail(id).await;
        let found = detail["elicitations"].as_array().cloned().unwrap_or_default();
        if found.len() >= n {
            return found;
        }
        assert!(Instant::now() < deadline, "no request for input came: {detail}");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

/// The first pending request for input (within 20 s).
async fn request(chat: &Chat, id: &str) -> Value {
    pending(chat, id, 1).await.remove(0)
}

/// Wait until the request with `eid` no longer waits, then the next one.
async fn next_request(chat: &Chat, id: &str, eid: &Value) -> Value {
    let deadline = Instant::now() + Duration::from_secs(20);
    loop {
        let found = pending(chat, id, 1).await;
        if let Some(next) = found.into_iter().find(|e| &e["id"] != eid) {
            return next;
        }
        assert!(Instant::now() < deadline, "no second request for input came");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

async fn answer(chat: &Chat, who: &Signed, id: &str, eid: &Value, body: Value) -> (StatusCode, Value) {
    let eid = eid.as_str().expect("id");
    send(
        who.client
            .post(chat.app.at(&format!("/api/v1/conversations/{id}/elicitations/{eid}")))
            .headers(who.csrf_headers())
            .json(&body),
    )
    .await
}

/// The one call's result text and its exchange, from the turn.
fn outcome(turn: &Turn) -> (String, Value) {
    assert_eq!(turn.done()["reason"], "answered", "{:?}", turn.events);
    let results = turn.of("tool_result");
    assert_eq!(results.len(), 1, "{:?}", turn.events);
    let call = &results[0]["call"];
    assert_eq!(call["status"], "completed", "{call}");
    let text = call["result"]["content"].as_array().into_iter().flatten().filter_map(|c| c["text"].as_str()).collect();
    (text, call["exchange"].clone())
}

mod sdk_form_accept_decline_cancel {
    use super::*;

    pub(crate) async fn run(kind: DbKind) {
        let chat = Chat::start(kind).await;
        let me = &chat.owner;
        let sdk = PeerProcess::sdk_example();
        let sdk_id = chat.connector("SDK", &sdk.url.replace("127.0.0.1", "localhost")).await;
        let id = chat.conversation(me, json!({"connectors": [sdk_id]})).await;
        let other = chat.app.signed_in("bob@example.com", Role::Member).await;

        // Accept: the form appears at the call, the person fills it in, the server gets the values.
        script(&chat, "sdk__collect-user-info", json!({"infoType": "contact"}));
        let turn = approved(&chat, &id, "Collect my contact details");
        let person = async {
            let asked = request(&chat, &id).await;
            assert_eq!(asked["connector_name"], "SDK");
            assert_eq!(asked["mode"], "form");
            assert_eq!(asked["state"], "pending");
            assert_eq!(asked["message"], "Please provide your contact information");
            assert_eq!(asked["requested_schema"]["required"], json!(["name", "email"]));
            assert_eq!(asked["secret_fields"], json!([]));
            let eid = asked["id"].clone();

            // Only the owner answers; to others the conversation does not exist.
            let theirs = answer(&chat, &other, &id, &eid, json!({"action": "accept", "content": {}})).await;
            assert_problem(&theirs, 404, "not_found");
            // Unknown ids, bad JSON, an unknown action, content that does not fit: refused, nothing sent.
            let unknown =
                answer(&chat, me, &id, &json!(uuid::Uuid::new_v4().to_string()), json!({"action": "cancel"})).await;
            assert_problem(&unknown, 404, "not_found");
            let raw = me
                .client
                .post(chat.app.at(&format!("/api/v1/conversations/{id}/elicitations/{}", eid.as_str().expect("id"))))
                .headers(me.csrf_headers())
                .header("content-type", "application/json")
                .body("{\"action\": \"accept\", ");
            let malformed = send(raw).await;
            assert_eq!(malformed.0.as_u16(), 400, "{}", malformed.1);
            let maybe = answer(&chat, me, &id, &eid, json!({"action": "maybe"})).await;
            assert_eq!(maybe.0.as_u16(), 422, "{}", maybe.1);
            let wrong =
                answer(&chat, me, &id, &eid, json!({"action": "accept", "content": {"name": "Ann", "email": "no"}}))
                    .await;
            assert_problem(&wrong, 422, "invalid_answer");
            let detail = wrong.1["detail"].as_str().unwrap_or_default();
            assert!(detail.contains("email: must be an email address"), "{detail}");
            let missing = answer(&chat, me, &id, &eid, json!({"action": "accept", "content": {"phone": "1"}})).await;
            assert_problem(&missing, 422, "invalid_answer");
            assert_eq!(pending(&chat, &id, 1).await.len(), 1, "still waiting after the refusals");

            let content = json!({"name": "Ann Example", "email": "ann@example.com"});
            let done = answer(&chat, me, &id, &eid, json!({"action": "accept", "content": content})).await;
            assert_eq!(done.0, 200, "{}", done.1);
            assert_eq!(done.1["state"], "accept");
            // Answered once.
            let again = answer(&chat, me, &id, &eid, json!({"action": "decline"})).await;
            assert_problem(&again, 409, "not_waiting");
        };
        let (turn, ()) = tokio::join!(turn, person);
        assert_eq!(turn.of("elicitation").len(), 1, "the stream showed the request: {:?}", turn.events);
        let (text, exchange) = outcome(&turn);
        assert!(text.contains("Ann Example") && text.contains("ann@example.com"), "{text}");
        let exchange_text = exchange.to_string();
        assert!(exchange_text.contains("elicitation/create"), "{exchange_text}");
        assert!(exchange_text.contains("\"action\":\"accept\""), "the answer is in the exchange: {exchange_text}");
        assert!(chat.detail(&id).await.get("elicitations").is_none(), "nothing waits any more");

        // The audit trail has the choice, not what was typed.
        let (status, audit) = send(me.client.get(chat.app.at("/api/v1/audit?kind=elicitation"))).await;
        assert_eq!(status, 200, "{audit}");
        let entries = audit["entries"].as_array().cloned().unwrap_or_default();
        assert_eq!(entries.len(), 1, "{audit}");
        assert_eq!(entries[0]["detail"]["action"], "accept", "{audit}");
        assert!(!entries[0].to_string().contains("ann@example.com"), "{audit}");

        // Decline: the server is told so.
        script(&chat, "sdk__collect-user-info", json!({"infoType": "preferences"}));
        let turn = approved(&chat, &id, "Set my preferences");
        let person = async {
            let asked = request(&chat, &id).await;
            let done = answer(&chat, me, &id, &asked["id"], json!({"action": "decline"})).await;
            assert_eq!(done.1["state"], "decline", "{}", done.1);
        };
        let (turn, ()) = tokio::join!(turn, person);
        let (text, _) = outcome(&turn);
        assert!(text.contains("User declined preferences information request"), "{text}");

        // Cancel.
        script(&chat, "sdk__collect-user-info", json!({"infoType": "feedback"}));
        let turn = approved(&chat, &id, "Take my feedback");
        let person = async {
            let asked = request(&chat, &id).await;
            let done = answer(&chat, me, &id, &asked["id"], json!({"action": "cancel"})).await;
            assert_eq!(done.1["state"], "cancel", "{}", done.1);
        };
        let (turn, ()) = tokio::join!(turn, person);
        let (text, _) = outcome(&turn);
        assert!(text.contains("cancelled by the user"), "{text}");

        // Stop: a request left waiting is answered cancel, and can no longer be answered.
        script(&chat, "sdk__collect-user-info", json!({"infoType": "contact"}));
        let turn = approved(&chat, &id, "Collect my details again");
        let person = async {
            let asked = request(&chat, &id).await;
            let (status, body) = send(
                me.client.post(chat.app.at(&format!("/api/v1/conversations/{id}/cancel"))).headers(me.csrf_headers()),
            )
            .await;
            assert!(status.is_success(), "{body}");
            let late = answer(&chat, me, &id, &asked["id"], json!({"action": "decline"})).await;
            assert_problem(&late, 409, "not_waiting");
        };
        let (turn, ()) = tokio::join!(turn, person);
        assert_eq!(turn.of("elicitation_ended").len(), 1, "{:?}", turn.events);
        let results = turn.of("tool_result");
        let text = results[0]["call"]["result"]["content"][0]["text"].as_str().unwrap_or_default();
        assert!(text.contains("cancelled by the user"), "the server was told cancel: {:?}", turn.events);
        assert!(chat.detail(&id).await.get("elicitations").is_none(), "nothing waits any more");
    }
}

mod input_required_round_trip {
    use super::*;

    pub(crate) async fn run(kind: DbKind) {
        let chat = Chat::start(kind).await;
        let me = &chat.owner;
        let peer = PeerProcess::python_elicit();
        let app_id = chat.connector("Vault", &peer.url).await;
        let id = chat.conversation(me, json!({"connectors": [app_id]})).await;

        script(&chat, "vault__sign_in", json!({"service": "Acme"}));
        let turn = approved(&chat, &id, "Sign me in to Acme");
        let person = async {
            let asked = request(&chat, &id).await;
            assert_eq!(asked["message"], "Sign in to Acme");
            assert_eq!(asked["secret_fields"], json!(["api_token"]), "{asked}");
            let content = json!({"username": "ann", "api_token": "s3cret-token-value"});
            let done = answer(&chat, me, &id, &asked["id"], json!({"action": "accept", "content": content})).await;
            assert_eq!(done.0, 200, "{}", done.1);
        };
        let (turn, ()) = tokio::join!(turn, person);
        let (text, exchange) = outcome(&turn);
        // The server received the values through the second round's inputResponses.
        assert!(text.contains("\"username\": \"ann\"") && text.contains("s3cret-token-value"), "{text}");
        let exchange_text = exchange.to_string();
        assert!(exchange_text.contains("inputRequests"), "a 2026-07-28 round trip: {exchange_text}");
        assert!(exchange_text.contains("inputResponses") && exchange_text.contains("requestState"), "{exchange_text}");
        // The secret is redacted where Switchboard keeps the exchange (the result is the server's own words).
        assert!(!exchange_text.contains("s3cret-token-value"), "{exchange_text}");
        assert!(exchange_text.contains("[redacted]"), "{exchange_text}");
        let stored = chat.detail(&id).await;
        let kept = stored["tool_calls"][0]["exchange"].to_string();
        assert!(!kept.contains("s3cret-token-value") && kept.contains("[redacted]"), "{kept}");

        // Declined: the server is told so, and goes on.
        script(&chat, "vault__sign_in", json!({"service": "Beta"}));
        let turn = approved(&chat, &id, "Sign me in to Beta");
        let person = async {
            let asked = request(&chat, &id).await;
            answer(&chat, me, &id, &asked["id"], json!({"action": "decline"})).await;
        };
        let (turn, ()) = tokio::join!(turn, person);
        let (text, _) = outcome(&turn);
        assert!(text.contains("decline"), "{text}");
    }
}

on_both_backends!(sdk_form_accept_decline_cancel, input_required_round_trip);

/// server-everything's form, and its URL requests: during the call, and as a
/// `-32042` error whose URL must be opened before the call is sent again.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn everything_form_and_urls() {
    let chat = Chat::start(DbKind::Sqlite).await;
    let me = &chat.owner;
    let everything = PeerProcess::everything("streamableHttp");
    let app_id = chat.connector("Everything", &everything.url).await;
    let id = chat.conversation(me, json!({"connectors": [app_id]})).await;

    // A form with every kind of field.
    script(&chat, "everything__trigger-elicitation-request", json!({}));
    let turn = approved(&chat, &id, "Ask me things");
    let person = async {
        let asked = request(&chat, &id).await;
        assert_eq!(asked["connector_name"], "Everything");
        let wrong = answer(&chat, me, &id, &asked["id"], json!({"action": "accept", "content": {"name": 3}})).await;
        assert_problem(&wrong, 422, "invalid_answer");
        let done = answer(&chat, me, &id, &asked["id"], json!({"action": "accept", "content": {"name": "Zed"}})).await;
        assert_eq!(done.0, 200, "{}", done.1);
    };
    let (turn, ()) = tokio::join!(turn, person);
    let (text, _) = outcome(&turn);
    assert!(text.contains("User provided the requested information") && text.contains("Zed"), "{text}");

    // A URL during the call: shown whole, its host named, openable (http/https).
    let url = "https://example.com/pay?order=42";
    script(&chat, "everything__trigger-url-elicitation", json!({"url": url, "message": "Pay for order 42"}));
    let turn = approved(&chat, &id, "Pay");
    let person = async {
        let asked = request(&chat, &id).await;
        assert_eq!(asked["mode"], "url");
        assert_eq!(asked["url"], url);
        assert_eq!(asked["url_host"], "example.com");
        assert_eq!(asked["url_openable"], true);
        assert_eq!(asked["message"], "Pay for order 42");
        // A URL request carries no content: any sent is ignored.
        let done = answer(&chat, me, &id, &asked["id"], json!({"action": "accept"})).await;
        assert_eq!(done.0, 200, "{}", done.1);
    };
    let (turn, ()) = tokio::join!(turn, person);
    let (text, _) = outcome(&turn);
    assert!(text.contains("User completed the URL elicitation flow") && text.contains(url), "{text}");

    // A URL that is not http(s) is shown, never openable.
    script(&chat, "everything__trigger-url-elicitation", json!({"url": "javascript:alert(1)"}));
    let turn = approved(&chat, &id, "Open it");
    let person = async {
        let asked = request(&chat, &id).await;
        assert_eq!(asked["url_openable"], false, "{asked}");
        assert_eq!(asked["url_host"], Value::Null);
        answer(&chat, me, &id, &asked["id"], json!({"action": "decline"})).await;
    };
    let (turn, ()) = tokio::join!(turn, person);
    let (text, _) = outcome(&turn);
    assert!(text.contains("User declined to open the URL"), "{text}");

    // The error path: -32042 lists a URL to open first; once the person says done,
    // the call is sent again and proceeds (here, to its own URL request).
    script(&chat, "everything__trigger-url-elicitation", json!({"url": url, "errorPath": true}));
    let turn = approved(&chat, &id, "Pay again");
    let person = async {
        let first = request(&chat, &id).await;
        assert_eq!(first["url"], "https://modelcontextprotocol.io", "{first}");
        assert_eq!(first["mode"], "url");
        answer(&chat, me, &id, &first["id"], json!({"action": "accept"})).await;
        let second = next_request(&chat, &id, &first["id"]).await;
        assert_eq!(second["url"], url, "{second}");
        answer(&chat, me, &id, &second["id"], json!({"action": "accept"})).await;
    };
    let (turn, ()) = tokio::join!(turn, person);
    assert_eq!(turn.of("elicitation").len(), 2, "{:?}", turn.events);
    let (text, exchange) = outcome(&turn);
    assert!(text.contains("User completed the URL elicitation flow"), "{text}");
    assert!(exchange.to_string().contains("-32042"), "the refusal is in the exchange: {exchange}");

    // Declining the URL the error asks for fails the call with words that say why.
    script(
        &chat,
        "everything__trigger-url-elicitation",
        json!({"url": "https://example.com/other", "errorPath": true}),
    );
    let turn = approved(&chat, &id, "Pay for the other");
    let person = async {
        let first = request(&chat, &id).await;
        answer(&chat, me, &id, &first["id"], json!({"action": "decline"})).await;
    };
    let (turn, ()) = tokio::join!(turn, person);
    let results = turn.of("tool_result");
    assert_eq!(results[0]["call"]["status"], "failed", "{:?}", turn.events);
    let error = results[0]["call"]["result"]["error"].as_str().unwrap_or_default();
    assert!(error.contains("modelcontextprotocol.io"), "{error}");
}

/// A call by hand (the playground) whose server asks for a form: the caller sees the
/// request while the call runs, answers it, and the server gets the values.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn playground_call_asks_its_caller() {
    let chat = Chat::start(DbKind::Sqlite).await;
    let me = &chat.owner;
    let sdk = PeerProcess::sdk_example();
    let app_id = chat.connector("SDK", &sdk.url.replace("127.0.0.1", "localhost")).await;
    let other = chat.app.signed_in("bob@example.com", Role::Member).await;
    let asks = format!("/api/v1/connectors/{app_id}/elicitations");

    let call = send(
        me.client
            .post(chat.app.at(&format!("/api/v1/connectors/{app_id}/tools/collect-user-info/call")))
            .headers(me.csrf_headers())
            .json(&json!({"arguments": {"infoType": "contact"}})),
    );
    let person = async {
        let deadline = Instant::now() + Duration::from_secs(20);
        let asked = loop {
            let (status, found) = send(me.client.get(chat.app.at(&asks))).await;
            assert_eq!(status, 200, "{found}");
            if let Some(first) = found.as_array().and_then(|a| a.first()) {
                break first.clone();
            }
            assert!(Instant::now() < deadline, "no request for input came");
            tokio::time::sleep(Duration::from_millis(100)).await;
        };
        assert_eq!(asked["connector_name"], "SDK");
        assert_eq!(asked["call_id"], Value::Null);
        let path = format!("{asks}/{}", asked["id"].as_str().expect("id"));
        // Someone else sees nothing and answers nothing.
        let (status, theirs) = send(other.client.get(chat.app.at(&asks))).await;
        assert!(status == 404 || theirs == json!([]), "{status} {theirs}");
        let post =
            |who: &Signed, body: Value| who.client.post(chat.app.at(&path)).headers(who.csrf_headers()).json(&body);
        let theirs = send(post(&other, json!({"action": "accept", "content": {}}))).await;
        assert_problem(&theirs, 404, "not_found");
        let wrong = send(post(me, json!({"action": "accept", "content": {"name": "Ann"}}))).await;
        assert_problem(&wrong, 422, "invalid_input");
        let done =
            send(post(me, json!({"action": "accept", "content": {"name": "Ann Hand", "email": "hand@example.com"}})))
                .await;
        assert_eq!(done.0, 200, "{}", done.1);
        assert_eq!(done.1["state"], "accept");
        let again = send(post(me, json!({"action": "decline"}))).await;
        assert!(matches!(again.0.as_u16(), 404 | 409), "answered once: {}", again.1);
    };
    let ((status, result), ()) = tokio::join!(call, person);
    assert_eq!(status, 200, "{result}");
    let text = result["result"]["content"][0]["text"].as_str().unwrap_or_default();
    assert!(text.contains("Ann Hand") && text.contains("hand@example.com"), "{text}");
    assert!(result["exchange"].to_string().contains("elicitation/create"), "{result}");
}

/// Nobody answers: after the call's time limit the server is answered cancel, the
/// request is expired and the stream says so; a late answer is refused.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_unanswered_request_times_out_as_cancel() {
    let model = switchboard_testkit::ScriptedModel::start().await;
    let providers = model.providers("openai/scripted");
    let app = switchboard_testkit::TestApp::start_with(DbKind::Sqlite, move |mut c| {
        c.providers = providers;
        c.upstream.call_timeout = Duration::from_secs(2);
        c
    })
    .await;
    let me = app.signed_in("owner@example.com", Role::Owner).await;
    let vault = PeerProcess::python_elicit();
    let post = |path: String, body: Value| me.client.post(app.at(&path)).headers(me.csrf_headers()).json(&body);
    let (_, created) = send(post("/api/v1/connectors".into(), json!({"name": "Vault", "url": vault.url}))).await;
    let app_id = created["connector"]["id"].as_str().expect("id").to_owned();
    let (_, c) = send(post("/api/v1/conversations".into(), json!({"connectors": [app_id]}))).await;
    let id = c["id"].as_str().expect("id").to_owned();
    model.push(Reply::tool_calls(vec![ToolCall::new("t1", "vault__sign_in", json!({"service": "Acme"}))]));
    model.push(Reply::text("Nobody answered."));
    let said =
        post(format!("/api/v1/conversations/{id}/messages"), json!({"content": "Sign in", "client_session": "p"}));
    let turn = Turn::read(said.send().await.expect("send")).await;
    let call = turn.waiting();
    let decided = post(
        format!("/api/v1/conversations/{id}/tool-calls/{call}/decision"),
        json!({"decision": "approve", "client_session": "p"}),
    );
    let started = Instant::now();
    let turn = Turn::read(decided.send().await.expect("send")).await;
    assert!(started.elapsed() >= Duration::from_secs(2), "it waited for the person first");
    assert_eq!(turn.of("elicitation").len(), 1, "{:?}", turn.events);
    let ended = turn.of("elicitation_ended");
    assert_eq!(ended.len(), 1, "{:?}", turn.events);
    let results = turn.of("tool_result");
    assert_eq!(results[0]["call"]["status"], "completed", "{:?}", turn.events);
    let text = results[0]["call"]["result"]["content"][0]["text"].as_str().unwrap_or_default();
    assert!(text.contains("cancel"), "the server was answered cancel: {text}");
    let eid = ended[0]["elicitation_id"].as_str().expect("id");
    let late = send(post(
        format!("/api/v1/conversations/{id}/elicitations/{eid}"),
        json!({"action": "accept", "content": {}}),
    ))
    .await;
    assert_problem(&late, 409, "not_waiting");
}
