//! Answering the last message again (`POST …/regenerate`: Retry, Regenerate) and
//! edit and resend (`POST …/resend`): what they replace stays on record, marked
//! superseded, and is no longer sent to the model; only the owner may, and only
//! while no turn runs or waits. Stopped turns and failures are stored as notes.

use serde_json::{Value, json};
use switchboard_core::Role;
use switchboard_testkit::{DbKind, Reply, ScriptedModel, Signed, TestApp};

use super::{assert_problem, on_both_backends, send};

async fn conversation(app: &TestApp, who: &Signed) -> String {
    let (status, c) =
        send(who.client.post(app.at("/api/v1/conversations")).headers(who.csrf_headers()).json(&json!({}))).await;
    assert_eq!(status, 201, "{c}");
    c["id"].as_str().expect("id").to_owned()
}

/// POST `body` to the conversation's `action` and read the whole event stream.
async fn turn(app: &TestApp, who: &Signed, id: &str, action: &str, body: Value) -> (u16, String) {
    let response = who
        .client
        .post(app.at(&format!("/api/v1/conversations/{id}/{action}")))
        .headers(who.csrf_headers())
        .json(&body)
        .send()
        .await
        .expect("turn");
    let status = response.status().as_u16();
    (status, response.text().await.expect("body"))
}

/// The conversation's messages as `[role, content, superseded]`.
async fn messages(app: &TestApp, who: &Signed, id: &str) -> Vec<(String, String, bool)> {
    let (status, detail) = send(who.client.get(app.at(&format!("/api/v1/conversations/{id}")))).await;
    assert_eq!(status, 200, "{detail}");
    detail["messages"]
        .as_array()
        .expect("messages")
        .iter()
        .map(|m| {
            let text = |k: &str| m[k].as_str().unwrap_or_default().to_owned();
            (text("role"), text("content"), m["superseded"] == true)
        })
        .collect()
}

fn m(role: &str, content: &str, superseded: bool) -> (String, String, bool) {
    (role.to_owned(), content.to_owned(), superseded)
}

/// The user and assistant texts of the model's last request, in order.
fn last_sent(model: &ScriptedModel) -> Vec<String> {
    let request = model.requests().last().cloned().expect("a model request");
    request.body["messages"]
        .as_array()
        .expect("messages")
        .iter()
        .filter(|m| m["role"] != "system")
        .map(|m| format!("{}: {}", m["role"].as_str().unwrap_or_default(), m["content"].as_str().unwrap_or_default()))
        .collect()
}

mod retry_regenerate_and_resend {
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
        let id = conversation(&app, &me).await;
        let session = json!({"client_session": "page-1"});

        // Nothing to answer yet.
        let (status, body) = turn(&app, &me, &id, "regenerate", session.clone()).await;
        assert_eq!(status, 409, "{body}");
        assert!(body.contains("no_message"), "{body}");

        // A failure is stored as a note; Retry answers the same message again.
        model.push(Reply::status(400).with_message("the scripted model refuses this one"));
        let (status, body) =
            turn(&app, &me, &id, "messages", json!({"content": "Hello", "client_session": "page-1"})).await;
        assert_eq!(status, 200, "{body}");
        assert!(body.contains("the scripted model refuses this one"), "{body}");
        let stored = messages(&app, &me, &id).await;
        assert_eq!(stored.len(), 2);
        assert_eq!((stored[1].0.as_str(), stored[1].2), ("error", false));
        assert!(stored[1].1.contains("the scripted model refuses this one"), "{stored:?}");
        model.push(Reply::text("Hi there."));
        let (status, body) = turn(&app, &me, &id, "regenerate", session.clone()).await;
        assert_eq!(status, 200, "{body}");
        assert!(body.contains(r#""reason":"answered""#), "{body}");
        let stored = messages(&app, &me, &id).await;
        assert_eq!(stored[2..], [m("assistant", "Hi there.", false)]);
        assert!(stored[1].2, "the error is superseded: {stored:?}");
        assert_eq!(last_sent(&model), ["user: Hello"]);

        // Regenerate: the answer is replaced, and the model is not sent the old one.
        model.push(Reply::text("Hello again."));
        let (status, _) = turn(&app, &me, &id, "regenerate", session.clone()).await;
        assert_eq!(status, 200);
        let stored = messages(&app, &me, &id).await;
        assert_eq!(stored[2..], [m("assistant", "Hi there.", true), m("assistant", "Hello again.", false)]);
        assert_eq!(last_sent(&model), ["user: Hello"]);

        // Edit and resend: the last message and its answer are replaced.
        model.push(Reply::text("Bonjour."));
        let body = json!({"content": "Say it in French", "client_session": "page-1"});
        let (status, _) = turn(&app, &me, &id, "resend", body).await;
        assert_eq!(status, 200);
        let stored = messages(&app, &me, &id).await;
        assert_eq!(
            stored,
            [
                m("user", "Hello", true),
                m("error", &stored[1].1, true),
                m("assistant", "Hi there.", true),
                m("assistant", "Hello again.", true),
                m("user", "Say it in French", false),
                m("assistant", "Bonjour.", false),
            ]
        );
        assert_eq!(last_sent(&model), ["user: Say it in French"]);
        // A later message goes on from what is current.
        model.push(Reply::text("Merci."));
        turn(&app, &me, &id, "messages", json!({"content": "Thanks", "client_session": "page-1"})).await;
        assert_eq!(last_sent(&model), ["user: Say it in French", "assistant: Bonjour.", "user: Thanks"]);

        // A stopped turn leaves a note, and Retry answers again.
        model.push(Reply::hang());
        let (client, csrf, url) =
            (me.client.clone(), me.csrf_headers(), app.at(&format!("/api/v1/conversations/{id}/messages")));
        let running = tokio::spawn(async move {
            let response = client
                .post(url)
                .headers(csrf)
                .json(&json!({"content": "Think hard", "client_session": "page-1"}))
                .send()
                .await
                .expect("turn");
            response.text().await.expect("body")
        });
        for _ in 0..100 {
            if model.requests().len() >= 6 {
                break;
            }
            tokio::time::sleep(std::time::Duration::from_millis(50)).await;
        }
        // Busy: neither route may start another turn.
        let (status, body) = turn(&app, &me, &id, "regenerate", session.clone()).await;
        assert_eq!(status, 409, "{body}");
        assert!(body.contains("conversation_busy"), "{body}");
        let (status, _) = turn(&app, &me, &id, "resend", json!({"content": "x", "client_session": "p"})).await;
        assert_eq!(status, 409);
        let (status, body) =
            send(me.client.post(app.at(&format!("/api/v1/conversations/{id}/cancel"))).headers(me.csrf_headers()))
                .await;
        assert!(status.is_success(), "{body}");
        let events = running.await.expect("stream");
        assert!(events.contains("cancelled"), "{events}");
        let stored = messages(&app, &me, &id).await;
        assert_eq!(stored.last(), Some(&m("stopped", "Stopped.", false)), "{stored:?}");
        model.push(Reply::text("Thought about it."));
        let (status, _) = turn(&app, &me, &id, "regenerate", session.clone()).await;
        assert_eq!(status, 200);
        let stored = messages(&app, &me, &id).await;
        let n = stored.len();
        assert_eq!(
            stored[n - 3..],
            [
                m("user", "Think hard", false),
                m("stopped", "Stopped.", true),
                m("assistant", "Thought about it.", false)
            ]
        );
    }
}

mod only_the_owner_may_and_bad_requests_are_refused {
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
        let other = app.signed_in("other@example.com", Role::Admin).await;
        let id = conversation(&app, &me).await;
        model.push(Reply::text("Noted."));
        turn(&app, &me, &id, "messages", json!({"content": "Keep this", "client_session": "s"})).await;
        let missing = uuid::Uuid::now_v7().to_string();

        for action in ["regenerate", "resend"] {
            let body = json!({"content": "Mine now", "client_session": "s"});
            let body = if action == "regenerate" { json!({"client_session": "s"}) } else { body };
            let at = |c: &str| format!("/api/v1/conversations/{c}/{action}");
            // Someone else's conversation, even an admin's view of it, and an unknown one: not found.
            let theirs = send(other.client.post(app.at(&at(&id))).headers(other.csrf_headers()).json(&body)).await;
            assert_problem(&theirs, 404, "not_found");
            let unknown = send(me.client.post(app.at(&at(&missing))).headers(me.csrf_headers()).json(&body)).await;
            assert_problem(&unknown, 404, "not_found");
            let malformed = send(
                me.client
                    .post(app.at(&at(&id)))
                    .headers(me.csrf_headers())
                    .header("content-type", "application/json")
                    .body("{\"client_session\": "),
            )
            .await;
            assert_problem(&malformed, 400, "invalid_json");
            let no_session = send(
                me.client
                    .post(app.at(&at(&id)))
                    .headers(me.csrf_headers())
                    .json(&json!({"content": "x", "client_session": " "})),
            )
            .await;
            assert_eq!(no_session.0.as_u16(), 422, "{}", no_session.1);
            // Without the CSRF header a cookie session may not start a turn.
            let forged = send(me.client.post(app.at(&at(&id))).json(&body)).await;
            assert_eq!(forged.0.as_u16(), 403, "{}", forged.1);
        }
        let empty = send(
            me.client
                .post(app.at(&format!("/api/v1/conversations/{id}/resend")))
                .headers(me.csrf_headers())
                .json(&json!({"content": "   ", "client_session": "s"})),
        )
        .await;
        assert_problem(&empty, 422, "invalid_input");
        assert_eq!(model.requests().len(), 1, "no refused request reached the model");
        let (_, detail) = send(me.client.get(app.at(&format!("/api/v1/conversations/{id}")))).await;
        assert_eq!(detail["messages"].as_array().map(Vec::len), Some(2), "nothing was superseded: {detail}");
        assert!(detail["messages"].as_array().into_iter().flatten().all(|m| m["superseded"] == false));
    }
}

on_both_backends!(retry_regenerate_and_resend, only_the_owner_may_and_bad_requests_are_refused);
