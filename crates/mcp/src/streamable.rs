//! The HTTP client under rmcp's Streamable HTTP transport: reqwest through the
//! address policy, plus two things rmcp's own client does not do.
//!
//! - **A forgotten session is told apart.** A POST that carried `Mcp-Session-Id`
//!   and was answered HTTP 404 (what the specification says) or 400 (what
//!   npm server-everything answers after a restart) means the server no longer
//!   knows the session and did not run the request. rmcp's client reports a 404 as
//!   [`StreamableHttpError::SessionExpired`], but turns a 400 with a JSON-RPC error
//!   body into an ordinary JSON-RPC error, losing the status. So POSTs within a
//!   session are sent here, and both statuses become `SessionExpired`. The session
//!   is then replaced by the pool, not by rmcp (its transparent re-initialisation is
//!   turned off), so a call is sent again only where Switchboard decides.
//! - **A refused session DELETE is not an error.** Servers that do not support it
//!   answer 405 (rmcp accepts that), 404 or 400 (rmcp would log an error).
//!
//! - **A tool listing is seen raw.** The bodies and events of `tools/list` answers
//!   are shown to [`ToolFields`] before rmcp parses them, so the fields its `Tool`
//!   drops are kept; listings without a session are sent here for that too.
//!
//! Everything else — `initialize`, `server/discover`, the rest of the stateless
//! protocol (no session), GET streams — goes to rmcp's reqwest client unchanged.

use std::borrow::Cow;
use std::collections::HashMap;
use std::sync::Arc;

use futures::StreamExt;
use futures::stream::BoxStream;
use reqwest::header::{ACCEPT, CONTENT_TYPE, HeaderName, HeaderValue};
use rmcp::model::{ClientJsonRpcMessage, ClientRequest, JsonRpcMessage};
use rmcp::transport::streamable_http_client::{StreamableHttpClient, StreamableHttpError, StreamableHttpPostResponse};
use sse_stream::{Error as SseError, Sse, SseStream};

use crate::tool_fields::ToolFields;

type HttpError = StreamableHttpError<reqwest::Error>;

const SESSION_HEADER: &str = "mcp-session-id";
const EVENT_STREAM: &str = "text/event-stream";
const JSON: &str = "application/json";
/// Largest error body read (it is only quoted in the error).
const MAX_ERROR_BODY: usize = 64 * 1024;
/// Largest JSON answer read; larger results are refused, not truncated and parsed.
const MAX_JSON_BODY: usize = 16 * 1024 * 1024;

/// reqwest for rmcp's Streamable HTTP transport; see the module's documentation.
#[derive(Clone, Debug)]
pub(crate) struct SessionAwareClient {
    client: reqwest::Client,
    fields: ToolFields,
    listening: Listening,
    session_id: SessionIdSlot,
}

/// The `Mcp-Session-Id` the session's requests last carried, kept so that a task can
/// be followed on the same server session after a restart (`tasks.rs`).
#[derive(Clone, Debug, Default)]
pub(crate) struct SessionIdSlot(Arc<std::sync::Mutex<Option<Arc<str>>>>);

impl SessionIdSlot {
    pub(crate) fn get(&self) -> Option<String> {
        self.0.lock().unwrap_or_else(std::sync::PoisonError::into_inner).as_deref().map(str::to_owned)
    }

    fn set(&self, id: &Arc<str>) {
        let mut kept = self.0.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
        if kept.as_ref() != Some(id) {
            *kept = Some(id.clone());
        }
    }
}

impl SessionAwareClient {
    pub(crate) fn new(client: reqwest::Client, fields: ToolFields) -> Self {
        Self { client, fields, listening: Listening::default(), session_id: SessionIdSlot::default() }
    }

    /// Keep the session id the requests carry in `slot`.
    pub(crate) fn remembering(mut self, slot: SessionIdSlot) -> Self {
        self.session_id = slot;
        self
    }

    /// Whether the session's stream for the server's own requests is open yet.
    pub(crate) fn listening(&self) -> Listening {
        self.listening.clone()
    }
}

/// The stream a session opens (GET) for what the server sends on its own, such as
/// an elicitation about a call. A server that sends such a request before the
/// stream is open has nowhere to put it, so a new session waits until rmcp's
/// attempt to open it has been answered, one way or the other.
#[derive(Clone, Debug)]
pub(crate) struct Listening {
    /// A request carried a session id: the server keeps a session, and rmcp opens the stream.
    in_session: Arc<std::sync::atomic::AtomicBool>,
    answered: Arc<tokio::sync::watch::Sender<bool>>,
}

impl Default for Listening {
    fn default() -> Self {
        Self { in_session: Arc::default(), answered: Arc::new(tokio::sync::watch::channel(false).0) }
    }
}

impl Listening {
    /// Wait, at most `within`, until the stream has been opened or refused; at once
    /// without a session (the stateless protocol opens none).
    pub(crate) async fn settled(&self, within: std::time::Duration) {
        if !self.in_session.load(std::sync::atomic::Ordering::Acquire) {
            return;
        }
        let mut answered = self.answered.subscribe();
        let _ = tokio::time::timeout(within, answered.wait_for(|done| *done)).await;
    }

    fn answered(&self) {
        self.answered.send_replace(true);
    }
}

impl StreamableHttpClient for SessionAwareClient {
    type Error = reqwest::Error;

    async fn post_message(
        &self,
        uri: Arc<str>,
        message: ClientJsonRpcMessage,
        session_id: Option<Arc<str>>,
        auth_header: Option<String>,
        custom_headers: HashMap<HeaderName, HeaderValue>,
    ) -> Result<StreamableHttpPostResponse, HttpError> {
        self.post_message_with_max_sse_event_size(uri, message, session_id, auth_header, custom_headers, 1 << 20).await
    }

    async fn post_message_with_max_sse_event_size(
        &self,
        uri: Arc<str>,
        message: ClientJsonRpcMessage,
        session_id: Option<Arc<str>>,
        auth_header: Option<String>,
        custom_headers: HashMap<HeaderName, HeaderValue>,
        max_sse_event_size: usize,
    ) -> Result<StreamableHttpPostResponse, HttpError> {
        if let Some(id) = &session_id {
            self.listening.in_session.store(true, std::sync::atomic::Ordering::Release);
            self.session_id.set(id);
        }
        let post = Post { uri: &uri, message: &message, auth_header, custom_headers, max_sse_event_size };
        match session_id {
            Some(session_id) => self.post(post, Some(&session_id)).await,
            None if is_listing(&message) => self.post(post, None).await,
            None => {
                let Post { auth_header, custom_headers, .. } = post;
                self.client
                    .post_message_with_max_sse_event_size(
                        uri.clone(),
                        message,
                        None,
                        auth_header,
                        custom_headers,
                        max_sse_event_size,
                    )
                    .await
            }
        }
    }

    async fn delete_session(
        &self,
        uri: Arc<str>,
        session_id: Arc<str>,
        auth_header: Option<String>,
        custom_headers: HashMap<HeaderName, HeaderValue>,
    ) -> Result<(), HttpError> {
        match self.client.delete_session(uri, session_id, auth_header, custom_headers).await {
            Err(StreamableHttpError::Client(e))
                if e.status().is_some_and(|s| matches!(s.as_u16(), 400 | 404 | 405)) =>
            {
                tracing::debug!(status = ?e.status(), "the server does not support ending the session; leaving it");
                Ok(())
            }
            other => other,
        }
    }

    async fn get_stream(
        &self,
        uri: Arc<str>,
        session_id: Option<Arc<str>>,
        last_event_id: Option<String>,
        auth_header: Option<String>,
        custom_headers: HashMap<HeaderName, HeaderValue>,
    ) -> Result<BoxStream<'static, Result<Sse, SseError>>, HttpError> {
        let opened = self.client.get_stream(uri, session_id, last_event_id, auth_header, custom_headers).await;
        self.listening.answered();
        opened
    }

    async fn get_stream_with_max_sse_event_size(
        &self,
        uri: Arc<str>,
        session_id: Option<Arc<str>>,
        last_event_id: Option<String>,
        auth_header: Option<String>,
        custom_headers: HashMap<HeaderName, HeaderValue>,
        max_sse_event_size: usize,
    ) -> Result<BoxStream<'static, Result<Sse, SseError>>, HttpError> {
        let opened = self
            .client
            .get_stream_with_max_sse_event_size(
                uri,
                session_id,
                last_event_id,
                auth_header,
                custom_headers,
                max_sse_event_size,
            )
            .await;
        self.listening.answered();
        opened
    }
}

/// A POST this client sends itself.
struct Post<'a> {
    uri: &'a str,
    message: &'a ClientJsonRpcMessage,
    auth_header: Option<String>,
    custom_headers: HashMap<HeaderName, HeaderValue>,
    max_sse_event_size: usize,
}

/// A `tools/list` request, whose answer rmcp would parse into its lossy `Tool`.
fn is_listing(message: &ClientJsonRpcMessage) -> bool {
    matches!(message, JsonRpcMessage::Request(r) if matches!(r.request, ClientRequest::ListToolsRequest(_)))
}

impl SessionAwareClient {
    /// One POST (within a session when `session_id` is given), read as the specification says.
    async fn post(&self, post: Post<'_>, session_id: Option<&str>) -> Result<StreamableHttpPostResponse, HttpError> {
        let Post { uri, message, auth_header, custom_headers, max_sse_event_size } = post;
        let mut request = self
            .client
            .post(uri)
            .header(ACCEPT, format!("{JSON}, {EVENT_STREAM}"))
            .headers(custom_headers.into_iter().collect())
            .json(message);
        if let Some(session_id) = session_id {
            request = request.header(SESSION_HEADER, session_id);
        }
        if let Some(token) = auth_header {
            request = request.bearer_auth(token);
        }
        let response = request.send().await.map_err(StreamableHttpError::Client)?;
        let status = response.status();
        if matches!(status.as_u16(), 202 | 204) {
            return Ok(StreamableHttpPostResponse::Accepted);
        }
        if status.as_u16() == 401 {
            // The token was refused (expired, revoked): the caller may refresh it and try again.
            return Err(StreamableHttpError::AuthRequired(
                rmcp::transport::streamable_http_client::AuthRequiredError::new(challenge(&response)),
            ));
        }
        if status.as_u16() == 403 {
            // The token lacks a scope the request needs: the caller may authorize again with more.
            return Err(StreamableHttpError::InsufficientScope(
                rmcp::transport::streamable_http_client::InsufficientScopeError::new(challenge(&response), None),
            ));
        }
        if session_id.is_some() && matches!(status.as_u16(), 400 | 404) {
            // The server no longer knows the session; it did not run the request.
            return Err(StreamableHttpError::SessionExpired);
        }
        let content_type =
            response.headers().get(CONTENT_TYPE).and_then(|v| v.to_str().ok()).unwrap_or_default().to_owned();
        let expects_answer = matches!(message, JsonRpcMessage::Request(_));
        if !status.is_success() {
            let body = read_bounded(response, MAX_ERROR_BODY).await.unwrap_or_default();
            let text = String::from_utf8_lossy(&body);
            if content_type.starts_with(JSON)
                && let Ok(error @ JsonRpcMessage::Error(_)) = crate::wire::parse_server_message(&body)
            {
                return Ok(StreamableHttpPostResponse::Json(error, None));
            }
            return Err(StreamableHttpError::UnexpectedServerResponse(Cow::Owned(format!("HTTP {status}: {text}"))));
        }
        if content_type.starts_with(EVENT_STREAM) {
            let fields = self.fields.clone();
            let events = SseStream::from_bytes_stream(bounded_events(response.bytes_stream(), max_sse_event_size))
                .inspect(move |event| {
                    if let Ok(Sse { data: Some(data), .. }) = event {
                        fields.offer(data.as_bytes());
                    }
                });
            return Ok(StreamableHttpPostResponse::Sse(events.boxed(), None));
        }
        if !expects_answer && response.content_length() == Some(0) {
            return Ok(StreamableHttpPostResponse::Accepted);
        }
        if !content_type.starts_with(JSON) {
            return Err(StreamableHttpError::UnexpectedContentType(Some(content_type)));
        }
        let body = read_bounded(response, MAX_JSON_BODY).await?;
        self.fields.offer(&body);
        match crate::wire::parse_server_message(&body) {
            Ok(answer) => Ok(StreamableHttpPostResponse::Json(answer, None)),
            // A notification or an answer needs no reply: an unreadable body is only an acknowledgement.
            Err(_) if !expects_answer => Ok(StreamableHttpPostResponse::Accepted),
            Err(e) => Err(StreamableHttpError::Deserialize(e)),
        }
    }
}

/// The `WWW-Authenticate` challenge of a 401 or 403, or a bare `Bearer`.
fn challenge(response: &reqwest::Response) -> String {
    response
        .headers()
        .get(reqwest::header::WWW_AUTHENTICATE)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("Bearer")
        .to_owned()
}

/// The body, up to `max` bytes; a larger one is refused.
async fn read_bounded(response: reqwest::Response, max: usize) -> Result<Vec<u8>, HttpError> {
    let mut body = Vec::new();
    let mut chunks = response.bytes_stream();
    while let Some(chunk) = chunks.next().await {
        let chunk = chunk.map_err(StreamableHttpError::Client)?;
        if body.len() + chunk.len() > max {
            return Err(StreamableHttpError::ResponseBodyTooLarge { max_size: max });
        }
        body.extend_from_slice(&chunk);
    }
    Ok(body)
}

/// An SSE byte stream that ends with an error once one event grows past `max` bytes.
fn bounded_events<S>(bytes: S, max: usize) -> impl futures::Stream<Item = Result<bytes::Bytes, EventStreamError>>
where
    S: futures::Stream<Item = Result<bytes::Bytes, reqwest::Error>> + Send + 'static,
{
    let mut size = EventSize::default();
    let mut failed = false;
    bytes.map(move |chunk| {
        if failed {
            return Err(EventStreamError::TooLarge(max));
        }
        let chunk = chunk.map_err(EventStreamError::Broken)?;
        if size.feed(&chunk) > max {
            failed = true;
            return Err(EventStreamError::TooLarge(max));
        }
        Ok(chunk)
    })
}

/// Why an event stream ended early.
#[derive(Debug, thiserror::Error)]
pub(crate) enum EventStreamError {
    #[error("the server sent an event larger than {0} bytes; Switchboard accepts at most that much")]
    TooLarge(usize),
    #[error("the event stream broke: {0}")]
    Broken(reqwest::Error),
}

/// Bytes of the event being read: an empty line ends an event.
#[derive(Default)]
struct EventSize {
    event: usize,
    line: usize,
}

impl EventSize {
    /// Count `chunk`; the size of the largest event it grew to.
    fn feed(&mut self, chunk: &[u8]) -> usize {
        let mut largest = self.event;
        for &b in chunk {
            match b {
                b'\n' if self.line == 0 => self.event = 0,
                b'\n' => self.line = 0,
                b'\r' => {}
                _ => {
                    self.line += 1;
                    self.event += 1;
                    largest = largest.max(self.event);
                }
            }
        }
        largest
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_empty_line_ends_an_event() {
        let mut size = EventSize::default();
        assert_eq!(size.feed(b"data: abc\n"), 9);
        assert_eq!(size.feed(b"data: de\n\n"), 17);
        assert_eq!(size.feed(b"data: x\r\n\r\ndata: y"), 7);
    }
}
