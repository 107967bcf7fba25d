//! The baseline of the conversation benches: the model requests Switchboard made,
//! found again among those the scripted model received, and sent straight to it.

use std::time::{Duration, Instant};

use anyhow::Context as _;
use switchboard_testkit::RecordedRequest;

use crate::sse::{Flow, read_events};

/// The body of the latest of `requests` whose last message has `role` (and, when
/// given, `content`), to replay byte for byte; `what` names it in the error.
pub(crate) fn recorded(
    requests: &[RecordedRequest],
    what: &str,
    role: &str,
    content: Option<&str>,
) -> anyhow::Result<Vec<u8>> {
    let body = requests
        .iter()
        .rev()
        .map(|r| &r.body)
        .find(|body| {
            let last = body["messages"].as_array().and_then(|m| m.last());
            last.is_some_and(|m| m["role"] == role && content.is_none_or(|c| m["content"] == c))
        })
        .with_context(|| format!("Switchboard sent the model no request for {what}"))?;
    serde_json::to_vec(body).context("a request body")
}

/// A model reply as the direct client saw it.
#[derive(Debug, Default)]
pub(crate) struct Streamed {
    /// Request → the first frame with text.
    pub(crate) first_text: Option<Duration>,
    /// Request → `[DONE]`.
    pub(crate) done: Duration,
    /// Frames with text.
    pub(crate) deltas: usize,
    /// Calls of the tool the bench's model is scripted to ask for.
    pub(crate) calls: usize,
}

/// Post `body` to the model server's `url` and read the stream to `[DONE]`
/// (waiting at most `limit` for each piece), counting text deltas and calls of `tool`.
pub(crate) async fn replay(
    client: &reqwest::Client,
    url: &str,
    body: &[u8],
    tool: &str,
    limit: Duration,
) -> anyhow::Result<Streamed> {
    let started = Instant::now();
    let response = client
        .post(url)
        .header(reqwest::header::CONTENT_TYPE, "application/json")
        .header(reqwest::header::ACCEPT, "text/event-stream")
        .bearer_auth("sk-bench")
        .body(body.to_vec())
        .send()
        .await
        .context("a direct model request")?;
    let status = response.status();
    anyhow::ensure!(status == 200, "the model answered {status}: {}", response.text().await?);
    let mut streamed = Streamed::default();
    read_events(response, limit, |_, data| {
        if data == "[DONE]" {
            streamed.done = started.elapsed();
            return Ok(Flow::Stop);
        }
        let delta = &data["choices"][0]["delta"];
        if delta["content"].as_str().is_some_and(|text| !text.is_empty()) {
            streamed.first_text.get_or_insert_with(|| started.elapsed());
            streamed.deltas += 1;
        }
        if delta["tool_calls"][0]["function"]["name"] == tool {
            streamed.calls += 1;
        }
        Ok(Flow::Go)
    })
    .await?;
    Ok(streamed)
}
