//! Sending a request to a provider: timeouts, retries of 429 and 5xx, and HTTP
//! failures turned into [`ProviderError`]s.

use std::time::Duration;

use reqwest::{RequestBuilder, Response, StatusCode};
use serde_json::Value;

use super::{ProviderConfig, ProviderError};

/// Longest wait between two attempts, whatever `Retry-After` asks.
pub(crate) const MAX_RETRY_WAIT: Duration = Duration::from_secs(20);
/// The first wait after a 5xx (or a 429 without `Retry-After`); it doubles each time.
const FIRST_BACKOFF: Duration = Duration::from_millis(500);
/// Longest provider message quoted in an error.
const MAX_MESSAGE_CHARS: usize = 500;

/// Send the request made by `request` until it gets a successful answer's
/// headers, retrying 429 and 5xx up to `config.max_retries` times.
pub(crate) async fn send(
    config: &ProviderConfig,
    request: impl Fn() -> RequestBuilder,
) -> Result<Response, ProviderError> {
    let mut attempt = 0;
    loop {
        let response = match tokio::time::timeout(config.timeout, request().send()).await {
            Err(_) => return Err(ProviderError::Timeout(config.timeout)),
            Ok(Err(e)) if e.is_timeout() => return Err(ProviderError::Timeout(config.timeout)),
            Ok(Err(e)) => return Err(ProviderError::Unreachable(redact(config, &error_chain(&e)))),
            Ok(Ok(response)) => response,
        };
        let status = response.status();
        if status.is_success() {
            return Ok(response);
        }
        let retry_after = retry_after(&response);
        let body = match tokio::time::timeout(config.timeout, response.text()).await {
            Ok(Ok(body)) => body,
            Ok(Err(_)) | Err(_) => String::new(),
        };
        let message = redact(config, &error_message(status, &body));
        let retryable = status == StatusCode::TOO_MANY_REQUESTS || status.is_server_error();
        if !retryable || attempt >= config.max_retries {
            return Err(status_error(status.as_u16(), message, retry_after));
        }
        let wait = match retry_after {
            Some(wait) if status == StatusCode::TOO_MANY_REQUESTS => wait.min(MAX_RETRY_WAIT),
            _ => backoff(attempt),
        };
        tracing::info!(status = status.as_u16(), attempt, ?wait, provider = %config.name, "retrying the model provider");
        tokio::time::sleep(wait).await;
        attempt += 1;
    }
}

/// The error for an HTTP status the provider answered (or reported inside a stream).
pub(crate) fn status_error(status: u16, message: String, retry_after: Option<Duration>) -> ProviderError {
    match status {
        401 | 403 => ProviderError::Unauthorized { status, message },
        429 => ProviderError::RateLimited { retry_after, message },
        500.. => ProviderError::Server { status, message },
        _ => ProviderError::Rejected { status, message },
    }
}

/// `FIRST_BACKOFF · 2^attempt`, at most [`MAX_RETRY_WAIT`].
fn backoff(attempt: u32) -> Duration {
    FIRST_BACKOFF.saturating_mul(2u32.saturating_pow(attempt)).min(MAX_RETRY_WAIT)
}

/// `Retry-After` in seconds (the HTTP-date form is not used by model providers).
fn retry_after(response: &Response) -> Option<Duration> {
    let value = response.headers().get(reqwest::header::RETRY_AFTER)?.to_str().ok()?;
    let seconds: f64 = value.trim().parse().ok()?;
    (seconds.is_finite() && seconds >= 0.0).then(|| Duration::from_secs_f64(seconds.min(MAX_RETRY_WAIT.as_secs_f64())))
}

/// The provider's own words from an error body: `error.message` (OpenAI,
/// Anthropic, vLLM), `error` as a string (Ollama), `message`, or the body itself.
pub(crate) fn error_message(status: StatusCode, body: &str) -> String {
    let from_json = serde_json::from_str::<Value>(body).ok().and_then(|v| message_of(&v));
    let message = match from_json {
        Some(message) => message,
        None if body.trim().is_empty() => status.canonical_reason().unwrap_or("no message").to_owned(),
        None => body.trim().to_owned(),
    };
    truncate(message)
}

/// The message of a JSON error object, in any of the shapes providers use.
pub(crate) fn message_of(value: &Value) -> Option<String> {
    let error = value.get("error").unwrap_or(value);
    match error {
        Value::String(message) => Some(message.clone()),
        _ => error.get("message").and_then(Value::as_str).map(str::to_owned),
    }
}

fn truncate(message: String) -> String {
    match message.char_indices().nth(MAX_MESSAGE_CHARS) {
        Some((at, _)) => format!("{}…", &message[..at]),
        None => message,
    }
}

/// The key never appears in an error, even when the provider quotes it back.
pub(crate) fn redact(config: &ProviderConfig, message: &str) -> String {
    match &config.api_key {
        Some(key) if !key.is_empty() => message.replace(key.expose(), "[redacted]"),
        _ => message.to_owned(),
    }
}

/// An error and its causes, `: `-separated ("error sending request…: connection refused").
pub(crate) fn error_chain(error: &dyn std::error::Error) -> String {
    let mut text = error.to_string();
    let mut source = error.source();
    while let Some(cause) = source {
        let said = cause.to_string();
        if !text.contains(&said) {
            text.push_str(": ");
            text.push_str(&said);
        }
        source = cause.source();
    }
    text
}

/// The model ids of a `/models` answer (`{"data": [{"id": …}, …]}`, the shape
/// OpenAI-compatible servers and Anthropic share), sorted, without repeats.
pub(crate) async fn model_ids(
    config: &ProviderConfig,
    request: impl Fn() -> RequestBuilder,
) -> Result<Vec<String>, ProviderError> {
    let response = send(config, request).await?;
    let body: Value = match tokio::time::timeout(config.timeout, response.json()).await {
        Ok(Ok(body)) => body,
        Ok(Err(e)) => return Err(ProviderError::Malformed(format!("the model list is not JSON: {e}"))),
        Err(_) => return Err(ProviderError::Timeout(config.timeout)),
    };
    let Some(data) = body.get("data").and_then(Value::as_array) else {
        return Err(ProviderError::Malformed("the model list has no `data` array".into()));
    };
    let mut ids: Vec<String> =
        data.iter().filter_map(|m| m.get("id").and_then(Value::as_str)).map(str::to_owned).collect();
    ids.sort();
    ids.dedup();
    Ok(ids)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn statuses_map_to_errors() {
        let cases: &[(u16, &str)] = &[
            (400, "Rejected"),
            (401, "Unauthorized"),
            (403, "Unauthorized"),
            (404, "Rejected"),
            (422, "Rejected"),
            (429, "RateLimited"),
            (500, "Server"),
            (503, "Server"),
            (529, "Server"),
        ];
        for (status, expect) in cases {
            let got = format!("{:?}", status_error(*status, "m".into(), None));
            assert!(got.starts_with(expect), "{status}: {got}");
        }
    }

    #[test]
    fn messages_come_from_every_provider_shape() {
        let cases: &[(&str, &str)] = &[
            (
                r#"{"error":{"message":"The model `x` does not exist","type":"invalid_request_error"}}"#,
                "The model `x` does not exist",
            ),
            (r#"{"type":"error","error":{"type":"not_found_error","message":"model: x"}}"#, "model: x"),
            (r#"{"error":"model 'x' not found"}"#, "model 'x' not found"),
            (r#"{"object":"error","message":"vllm says no","code":404}"#, "vllm says no"),
            ("plain text failure\n", "plain text failure"),
            ("", "Not Found"),
            (r#"{"unexpected":true}"#, r#"{"unexpected":true}"#),
        ];
        for (body, expect) in cases {
            assert_eq!(error_message(StatusCode::NOT_FOUND, body), *expect, "{body}");
        }
    }

    #[test]
    fn long_messages_are_cut() {
        let long = "x".repeat(2000);
        assert_eq!(error_message(StatusCode::BAD_REQUEST, &long).chars().count(), MAX_MESSAGE_CHARS + 1);
    }

    #[test]
    fn backoff_doubles_up_to_the_cap() {
        let cases = [(0, 500), (1, 1000), (2, 2000), (5, 16_000), (6, 20_000), (40, 20_000)];
        for (attempt, millis) in cases {
            assert_eq!(backoff(attempt), Duration::from_millis(millis), "attempt {attempt}");
        }
    }

    #[test]
    fn the_key_is_redacted() {
        let config = ProviderConfig {
            name: "openai".into(),
            kind: super::super::ProviderKind::OpenAi,
            base_url: "http://127.0.0.1:1".into(),
            api_key: Some(switchboard_core::SecretString::new("sk-secret")),
            timeout: Duration::from_secs(1),
            max_retries: 0,
        };
        assert_eq!(
            redact(&config, "Incorrect API key provided: sk-secret."),
            "Incorrect API key provided: [redacted]."
        );
    }
}
