//! Failures, on both wires: HTTP errors, retries, timeouts and broken streams.

use std::time::{Duration, Instant};

use switchboard_agent::{ModelEvent, ProviderError, ProviderKind};
use switchboard_testkit::{Reply, ScriptedModel};

use crate::support::{KEY, ask, provider, run};

const KINDS: [ProviderKind; 2] = [ProviderKind::OpenAi, ProviderKind::Anthropic];

#[tokio::test]
async fn a_refused_key_is_unauthorized_and_not_retried() {
    for kind in KINDS {
        let server = ScriptedModel::start().await;
        server.push(Reply::status(401));
        let error = run(provider(&server, kind, Some(KEY), Duration::from_secs(10), 3).as_ref(), ask("hi"))
            .await
            .expect_error();
        match &error {
            ProviderError::Unauthorized { status: 401, message } => {
                assert!(message.contains("API key") || message.contains("x-api-key"), "{kind:?}: {message}")
            }
            other => panic!("{kind:?}: {other:?}"),
        }
        assert_eq!(server.requests().len(), 1, "{kind:?}: a 401 is not retried");
    }
}

#[tokio::test]
async fn the_key_never_appears_in_an_error() {
    for kind in KINDS {
        let server = ScriptedModel::start().await;
        server.push(Reply::status(401).with_message(format!("Incorrect API key provided: {KEY}.")));
        let error = run(provider(&server, kind, Some(KEY), Duration::from_secs(10), 0).as_ref(), ask("hi"))
            .await
            .expect_error();
        let shown = format!("{error} {error:?}");
        assert!(!shown.contains(KEY), "{kind:?}: {shown}");
        assert!(shown.contains("Incorrect API key provided: [redacted]."), "{kind:?}: {shown}");
    }
}

#[tokio::test]
async fn a_429_waits_for_retry_after_then_succeeds() {
    for kind in KINDS {
        let server = ScriptedModel::start().await;
        server.push(Reply::status(429).retry_after(1));
        server.push(Reply::text("after the wait"));
        let outcome = run(provider(&server, kind, Some(KEY), Duration::from_secs(10), 2).as_ref(), ask("hi")).await;
        assert!(outcome.error.is_none(), "{kind:?}: {outcome:?}");
        assert_eq!(outcome.text(), "after the wait");
        let requests = server.requests();
        assert_eq!(requests.len(), 2, "{kind:?}");
        let waited = requests[1].at.duration_since(requests[0].at);
        assert!(waited >= Duration::from_millis(950), "{kind:?}: retried after {waited:?}, Retry-After said 1 s");
    }
}

#[tokio::test]
async fn a_429_after_every_retry_is_rate_limited() {
    for kind in KINDS {
        let server = ScriptedModel::start().await;
        server.push(Reply::status(429).retry_after(0));
        server.push(Reply::status(429).retry_after(0));
        server.push(Reply::text("never reached"));
        let error = run(provider(&server, kind, Some(KEY), Duration::from_secs(10), 1).as_ref(), ask("hi"))
            .await
            .expect_error();
        match &error {
            ProviderError::RateLimited { retry_after, message } => {
                assert_eq!(*retry_after, Some(Duration::ZERO), "{kind:?}");
                assert!(message.to_lowercase().contains("rate limit"), "{kind:?}: {message}");
            }
            other => panic!("{kind:?}: {other:?}"),
        }
        assert_eq!(server.requests().len(), 2, "{kind:?}: one try and one retry");
        assert_eq!(server.pending(), 1, "{kind:?}");
    }
}

#[tokio::test]
async fn a_500_is_retried_then_succeeds() {
    for kind in KINDS {
        let server = ScriptedModel::start().await;
        server.push(Reply::status(500));
        server.push(Reply::text("recovered"));
        let outcome = run(provider(&server, kind, Some(KEY), Duration::from_secs(10), 2).as_ref(), ask("hi")).await;
        assert!(outcome.error.is_none(), "{kind:?}: {outcome:?}");
        assert_eq!(outcome.text(), "recovered");
        let requests = server.requests();
        assert_eq!(requests.len(), 2, "{kind:?}");
        let waited = requests[1].at.duration_since(requests[0].at);
        assert!(waited >= Duration::from_millis(450), "{kind:?}: the first backoff is 500 ms, waited {waited:?}");
    }
}

#[tokio::test]
async fn an_exhausted_script_is_a_server_error_that_says_so() {
    for kind in KINDS {
        let server = ScriptedModel::start().await;
        let error = run(provider(&server, kind, Some(KEY), Duration::from_secs(10), 0).as_ref(), ask("hi"))
            .await
            .expect_error();
        match &error {
            ProviderError::Server { status: 500, message } => {
                assert!(message.contains("test script is exhausted"), "{kind:?}: {message}")
            }
            other => panic!("{kind:?}: {other:?}"),
        }
    }
}

#[tokio::test]
async fn an_unknown_model_is_rejected_with_the_providers_message() {
    let cases = [
        (ProviderKind::OpenAi, "The model `no-such-model` does not exist or you do not have access to it."),
        (ProviderKind::Anthropic, "model: no-such-model"),
    ];
    for (kind, expect) in cases {
        let server = ScriptedModel::start().await;
        server.push(Reply::status(404));
        let mut request = ask("hi");
        request.model = "no-such-model".into();
        let error =
            run(provider(&server, kind, Some(KEY), Duration::from_secs(10), 2).as_ref(), request).await.expect_error();
        match &error {
            ProviderError::Rejected { status: 404, message } => assert_eq!(message, expect, "{kind:?}"),
            other => panic!("{kind:?}: {other:?}"),
        }
        assert_eq!(server.requests().len(), 1, "{kind:?}: a 404 is not retried");
    }
}

#[tokio::test]
async fn no_answer_within_the_timeout_is_a_timeout() {
    for kind in KINDS {
        let server = ScriptedModel::start().await;
        server.push(Reply::hang());
        let timeout = Duration::from_millis(300);
        let started = Instant::now();
        let error = run(provider(&server, kind, Some(KEY), timeout, 2).as_ref(), ask("hi")).await.expect_error();
        assert!(matches!(error, ProviderError::Timeout(t) if t == timeout), "{kind:?}: {error:?}");
        assert!(started.elapsed() >= timeout, "{kind:?}");
        assert_eq!(server.requests().len(), 1, "{kind:?}: a timeout is not retried");
    }
}

#[tokio::test]
async fn a_stream_that_stalls_times_out_after_what_it_sent() {
    for kind in KINDS {
        let server = ScriptedModel::start().await;
        // OpenAI: the role chunk and two text deltas; Anthropic: message_start, block start, ping, one delta.
        let frames = match kind {
            ProviderKind::OpenAi => 3,
            ProviderKind::Anthropic => 4,
        };
        server.push(Reply::text("abcdefghijkl").stall_after(frames));
        let timeout = Duration::from_millis(300);
        let outcome = run(provider(&server, kind, Some(KEY), timeout, 0).as_ref(), ask("hi")).await;
        assert!(outcome.text().starts_with("abcd"), "{kind:?}: {outcome:?}");
        assert!(!outcome.events.iter().any(|e| matches!(e, ModelEvent::Finished { .. })), "{kind:?}");
        assert!(matches!(outcome.error, Some(ProviderError::Timeout(_))), "{kind:?}: {outcome:?}");
    }
}

#[tokio::test]
async fn a_line_that_is_not_json_is_malformed() {
    for kind in KINDS {
        let server = ScriptedModel::start().await;
        server.push(Reply::malformed());
        let error = run(provider(&server, kind, Some(KEY), Duration::from_secs(10), 2).as_ref(), ask("hi"))
            .await
            .expect_error();
        assert!(matches!(error, ProviderError::Malformed(_)), "{kind:?}: {error:?}");
        assert_eq!(server.requests().len(), 1, "{kind:?}: nothing is retried once the stream started");
    }
}

#[tokio::test]
async fn a_stream_cut_before_its_end_is_cut() {
    for kind in KINDS {
        let server = ScriptedModel::start().await;
        server.push(Reply::text("the start of a long answer").cut_after(4));
        let outcome = run(provider(&server, kind, Some(KEY), Duration::from_secs(10), 2).as_ref(), ask("hi")).await;
        assert!(!outcome.text().is_empty(), "{kind:?}: what came before the cut is kept");
        assert!(!outcome.events.iter().any(|e| matches!(e, ModelEvent::Finished { .. })), "{kind:?}");
        assert!(matches!(outcome.error, Some(ProviderError::Cut)), "{kind:?}: {outcome:?}");
        assert_eq!(server.requests().len(), 1, "{kind:?}");
    }
}

#[tokio::test]
async fn a_closed_port_is_unreachable() {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.expect("bind");
    let port = listener.local_addr().expect("address").port();
    drop(listener);
    for kind in KINDS {
        let config = switchboard_agent::ProviderConfig {
            name: "gone".into(),
            kind,
            base_url: format!("http://127.0.0.1:{port}"),
            api_key: Some(switchboard_core::SecretString::new(KEY)),
            timeout: Duration::from_secs(5),
            max_retries: 2,
        };
        let error =
            run(switchboard_agent::provider::build(config, switchboard_testkit::http_client()).as_ref(), ask("hi"))
                .await
                .expect_error();
        match &error {
            ProviderError::Unreachable(message) => {
                assert!(message.contains(&port.to_string()), "{kind:?}: {message}");
                assert!(!message.contains(KEY), "{kind:?}: {message}");
            }
            other => panic!("{kind:?}: {other:?}"),
        }
    }
}

#[tokio::test]
async fn a_responder_answers_when_the_queue_is_empty() {
    let server = ScriptedModel::start().await;
    server.push(Reply::text("queued first"));
    server.respond_with(|body| Reply::text(format!("you asked {}", body["model"].as_str().unwrap_or("?"))));
    for (kind, expect) in [(ProviderKind::OpenAi, "queued first"), (ProviderKind::Anthropic, "you asked test-model")] {
        let outcome = run(provider(&server, kind, None, Duration::from_secs(10), 0).as_ref(), ask("hi")).await;
        assert_eq!(outcome.text(), expect, "{kind:?}");
    }
}
