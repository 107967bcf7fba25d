//! The HTTP+SSE transport of protocol version 2024-11-05, for servers that predate
//! Streamable HTTP. A GET opens an event stream whose first event, `endpoint`, names
//! the URL every client message is POSTed to; the server's messages arrive as
//! `message` events on that same stream.
//!
//! The endpoint must have the origin of the SSE URL, every event is bounded in
//! size, and both the GET and the POSTs go through the policy-checked client.
//! With an OAuth token (`ClientOptions::bearer`), both the GET and every POST carry
//! it (the endpoint has the SSE URL's origin, so the token goes nowhere else); a
//! 401 to either is `McpError::Unauthorized` with the server's challenge, and a 403
//! `insufficient_scope` `McpError::InsufficientScope`, as over Streamable HTTP.

use std::collections::VecDeque;
use std::time::Duration;

use reqwest::StatusCode;
use reqwest::header::{ACCEPT, CONTENT_TYPE, HeaderMap, WWW_AUTHENTICATE};
use rmcp::RoleClient;
use rmcp::service::{RxJsonRpcMessage, TxJsonRpcMessage};
use rmcp::transport::Transport;
use switchboard_core::SecretString;
use tokio::sync::mpsc;
use tokio::task::JoinHandle;
use tokio::time::Instant;
use url::Url;

use crate::error::{Cause, McpError};
use crate::options::ClientOptions;
use crate::tool_fields::ToolFields;

/// Largest single event accepted from a server.
pub(crate) const MAX_EVENT_BYTES: usize = 4 * 1024 * 1024;

/// Server messages read ahead of the client before the stream waits.
const READ_AHEAD: usize = 64;

const EVENT_STREAM: &str = "text/event-stream";

/// A client connection over HTTP+SSE; server messages are read by a task of its own.
#[derive(Debug)]
pub(crate) struct LegacySseTransport {
    client: reqwest::Client,
    post_url: Url,
    post_timeout: Duration,
    bearer: Option<SecretString>,
    incoming: mpsc::Receiver<RxJsonRpcMessage<RoleClient>>,
    reader: JoinHandle<()>,
}

impl LegacySseTransport {
    /// Open the event stream at `sse_url` and wait, until `deadline`, for its `endpoint`
    /// event. Messages are shown to `fields` raw, for tool listings.
    pub(crate) async fn connect(
        client: reqwest::Client,
        sse_url: &Url,
        options: &ClientOptions,
        deadline: Instant,
        fields: ToolFields,
    ) -> Result<Self, McpError> {
        let bearer = options.bearer.clone();
        let (post_url, events) = tokio::time::timeout_at(deadline, open(&client, sse_url, bearer.as_ref()))
            .await
            .map_err(|_| McpError::NoEndpointEvent(options.connect_timeout))??;
        let (tx, incoming) = mpsc::channel(READ_AHEAD);
        let reader = tokio::spawn(forward(events, tx, fields));
        Ok(LegacySseTransport { client, post_url, post_timeout: options.call_timeout, bearer, incoming, reader })
    }
}

impl Drop for LegacySseTransport {
    fn drop(&mut self) {
        // Dropping the response ends the GET, which ends the server's session.
        self.reader.abort();
    }
}

impl Transport<RoleClient> for LegacySseTransport {
    type Error = McpError;

    fn send(
        &mut self,
        item: TxJsonRpcMessage<RoleClient>,
    ) -> impl Future<Output = Result<(), McpError>> + Send + 'static {
        let request = with_bearer(self.client.post(self.post_url.clone()), self.bearer.as_ref())
            .timeout(self.post_timeout)
            .json(&item);
        async move {
            let response = request.send().await.map_err(|e| McpError::Connect(Cause::of(&e)))?;
            let status = response.status();
            if let Some(refused) = authorization_refused(status, response.headers()) {
                return Err(refused);
            }
            if !status.is_success() {
                return Err(McpError::Protocol(
                    format!("the server answered a posted message with HTTP {status}").into(),
                ));
            }
            Ok(())
        }
    }

    async fn receive(&mut self) -> Option<RxJsonRpcMessage<RoleClient>> {
        self.incoming.recv().await
    }

    async fn close(&mut self) -> Result<(), McpError> {
        self.reader.abort();
        self.incoming.close();
        Ok(())
    }
}

fn with_bearer(request: reqwest::RequestBuilder, bearer: Option<&SecretString>) -> reqwest::RequestBuilder {
    match bearer {
        Some(token) => request.bearer_auth(token.expose()),
        None => request,
    }
}

/// A 401, or a 403 whose Bearer challenge says `insufficient_scope`, as the error
/// that starts (or steps up) an authorization, with the server's challenge.
fn authorization_refused(status: StatusCode, headers: &HeaderMap) -> Option<McpError> {
    let challenges: Vec<&str> = headers.get_all(WWW_AUTHENTICATE).iter().filter_map(|v| v.to_str().ok()).collect();
    let challenge = (!challenges.is_empty()).then(|| challenges.join(", "));
    match status {
        StatusCode::UNAUTHORIZED => Some(McpError::Unauthorized { challenge }),
        StatusCode::FORBIDDEN if challenge.as_deref().is_some_and(|c| c.contains("insufficient_scope")) => {
            Some(McpError::InsufficientScope { challenge })
        }
        _ => None,
    }
}

/// GET the event stream (with the token, if any) and read up to the `endpoint` event.
async fn open(
    client: &reqwest::Client,
    sse_url: &Url,
    bearer: Option<&SecretString>,
) -> Result<(Url, EventReader), McpError> {
    let response = with_bearer(client.get(sse_url.clone()), bearer)
        .header(ACCEPT, EVENT_STREAM)
        .send()
        .await
        .map_err(|e| McpError::Connect(Cause::of(&e)))?;
    let status = response.status();
    if let Some(refused) = authorization_refused(status, response.headers()) {
        return Err(refused);
    }
    if !status.is_success() {
        return Err(McpError::Connect(format!("the SSE URL answered HTTP {status} instead of an event stream").into()));
    }
    let content_type = response.headers().get(CONTENT_TYPE).and_then(|v| v.to_str().ok()).unwrap_or_default();
    if !content_type.starts_with(EVENT_STREAM) {
        return Err(McpError::Connect(
            format!("the SSE URL answered {content_type:?} instead of {EVENT_STREAM}").into(),
        ));
    }
    let mut events = EventReader { response, parser: SseParser::new(MAX_EVENT_BYTES), ready: VecDeque::new() };
    loop {
        match events.next().await? {
            Some(event) if event.name == "endpoint" => return Ok((legacy_endpoint_url(sse_url, &event.data)?, events)),
            // A priming event, or anything else a server sends before its endpoint.
            Some(_) => continue,
            None => {
                return Err(McpError::Connect("the server closed the event stream before its endpoint event".into()));
            }
        }
    }
}

/// Resolve the `endpoint` event against the SSE URL; it must keep that URL's origin.
pub fn legacy_endpoint_url(sse_url: &Url, data: &str) -> Result<Url, McpError> {
    let data = data.trim();
    if data.is_empty() {
        return Err(McpError::BadUrl("the server's endpoint event is empty".into()));
    }
    let endpoint = sse_url
        .join(data)
        .map_err(|e| McpError::BadUrl(format!("the server's endpoint event {data:?} is not a URL: {e}")))?;
    if endpoint.origin() != sse_url.origin() {
        return Err(McpError::ForeignEndpoint {
            endpoint: endpoint.origin().ascii_serialization(),
            origin: sse_url.origin().ascii_serialization(),
        });
    }
    Ok(endpoint)
}

/// The events (name, data) of an event stream that arrived in `chunks`, each bounded
/// by `max_bytes`, as this transport reads them. For tests and fuzzing.
pub fn legacy_sse_events(chunks: &[&[u8]], max_bytes: usize) -> Result<Vec<(String, String)>, McpError> {
    let mut parser = SseParser::new(max_bytes);
    let mut out = VecDeque::new();
    for chunk in chunks {
        parser.feed(chunk, &mut out)?;
    }
    Ok(out.into_iter().map(|e| (e.name, e.data)).collect())
}

/// Pass `message` events on as JSON-RPC messages until the stream or the client ends.
async fn forward(mut events: EventReader, tx: mpsc::Sender<RxJsonRpcMessage<RoleClient>>, fields: ToolFields) {
    loop {
        let event = match events.next().await {
            Ok(Some(event)) => event,
            Ok(None) => return tracing::debug!("the server closed its event stream"),
            Err(e) => return tracing::warn!(error = %e, "the server's event stream failed"),
        };
        if event.name != "message" || event.data.trim().is_empty() {
            continue;
        }
        fields.offer(event.data.as_bytes());
        match crate::wire::parse_server_message(event.data.as_bytes()) {
            Ok(message) => {
                if tx.send(message).await.is_err() {
                    return;
                }
            }
            Err(e) => tracing::warn!(error = %e, "ignored a server event that is not a JSON-RPC message"),
        }
    }
}

/// Events read from a response body.
#[derive(Debug)]
struct EventReader {
    response: reqwest::Response,
    parser: SseParser,
    ready: VecDeque<SseEvent>,
}

impl EventReader {
    async fn next(&mut self) -> Result<Option<SseEvent>, McpError> {
        loop {
            if let Some(event) = self.ready.pop_front() {
                return Ok(Some(event));
            }
            match self.response.chunk().await.map_err(|e| McpError::Connect(Cause::of(&e)))? {
                Some(chunk) => self.parser.feed(&chunk, &mut self.ready)?,
                None => return Ok(None),
            }
        }
    }
}

#[derive(Debug, PartialEq, Eq)]
struct SseEvent {
    /// The `event` field, `message` when there is none.
    name: String,
    /// The `data` lines joined by newlines.
    data: String,
}

/// The event-stream format of the HTML standard, as far as MCP needs it: `event`
/// and `data` fields, comments, and lines ended by CRLF, LF or CR. `id` and
/// `retry` are ignored, since this transport never resumes a stream.
#[derive(Debug)]
struct SseParser {
    max_bytes: usize,
    /// The current line, not yet ended.
    line: Vec<u8>,
    /// The last chunk ended with CR: a LF starting the next one belongs to it.
    after_cr: bool,
    first_line: bool,
    name: String,
    data: String,
}

impl SseParser {
    fn new(max_bytes: usize) -> Self {
        Self { max_bytes, line: vec![], after_cr: false, first_line: true, name: String::new(), data: String::new() }
    }

    /// Take in a chunk of the stream; every event it completes goes to `out`.
    fn feed(&mut self, chunk: &[u8], out: &mut VecDeque<SseEvent>) -> Result<(), McpError> {
        let mut rest = chunk;
        while let Some(&first) = rest.first() {
            if std::mem::take(&mut self.after_cr) && first == b'\n' {
                rest = &rest[1..];
                continue;
            }
            let end = rest.iter().position(|b| matches!(b, b'\r' | b'\n'));
            let text = &rest[..end.unwrap_or(rest.len())];
            if self.line.len() + text.len() + self.name.len() + self.data.len() > self.max_bytes {
                return Err(McpError::EventTooLarge(self.max_bytes));
            }
            self.line.extend_from_slice(text);
            match end {
                Some(i) => {
                    self.after_cr = rest[i] == b'\r';
                    self.end_line(out);
                    rest = &rest[i + 1..];
                }
                None => rest = &[],
            }
        }
        Ok(())
    }

    fn end_line(&mut self, out: &mut VecDeque<SseEvent>) {
        let bytes = std::mem::take(&mut self.line);
        let mut line = String::from_utf8_lossy(&bytes);
        if std::mem::take(&mut self.first_line)
            && let Some(rest) = line.strip_prefix('\u{feff}')
        {
            line = rest.to_owned().into();
        }
        if line.is_empty() {
            return self.dispatch(out);
        }
        if line.starts_with(':') {
            return;
        }
        let (field, value) = match line.split_once(':') {
            Some((field, value)) => (field, value.strip_prefix(' ').unwrap_or(value)),
            None => (&*line, ""),
        };
        match field {
            "event" => value.clone_into(&mut self.name),
            "data" => {
                self.data.push_str(value);
                self.data.push('\n');
            }
            _ => {}
        }
    }

    /// A blank line ends an event; one without data lines is no event.
    fn dispatch(&mut self, out: &mut VecDeque<SseEvent>) {
        let name = std::mem::take(&mut self.name);
        let mut data = std::mem::take(&mut self.data);
        if data.pop().is_some() {
            let name = if name.is_empty() { "message".to_owned() } else { name };
            out.push_back(SseEvent { name, data });
        }
    }
}

#[cfg(test)]
mod tests {
    use tokio::io::{AsyncReadExt as _, AsyncWriteExt as _};
    use tokio::net::TcpListener;

    use super::*;
    use crate::http_client;

    fn events(chunks: &[&[u8]], max_bytes: usize) -> Result<Vec<(String, String)>, McpError> {
        legacy_sse_events(chunks, max_bytes)
    }

    /// The stream as one chunk and split at every byte must give the same events.
    #[track_caller]
    fn check(stream: &str, expect: &[(&str, &str)]) {
        let expect: Vec<(String, String)> = expect.iter().map(|(n, d)| (n.to_string(), d.to_string())).collect();
        let whole = events(&[stream.as_bytes()], MAX_EVENT_BYTES).expect("parses");
        assert_eq!(whole, expect, "{stream:?} as one chunk");
        let bytes: Vec<&[u8]> = stream.as_bytes().chunks(1).collect();
        assert_eq!(events(&bytes, MAX_EVENT_BYTES).expect("parses"), expect, "{stream:?} byte by byte");
    }

    #[test]
    fn event_streams_parse_as_the_html_standard_says() {
        check("event: endpoint\ndata: /message?sessionId=1\n\n", &[("endpoint", "/message?sessionId=1")]);
        check(
            "event: endpoint\r\ndata: /m\r\n\r\nevent: message\r\ndata: {}\r\n\r\n",
            &[("endpoint", "/m"), ("message", "{}")],
        );
        check("data: a\rdata: b\r\r", &[("message", "a\nb")]);
        check("data: {\"a\":\ndata: 1}\n\n", &[("message", "{\"a\":\n1}")]);
        // Comments, a priming event with an empty data line, an event without data.
        check(": ping\n\nid: 0\ndata:\n\nevent: foo\n\ndata\n\n", &[("message", ""), ("message", "")]);
        check("data:x\n\ndata:  y\n\n", &[("message", "x"), ("message", " y")]);
        check("\u{feff}event: endpoint\ndata: /m\n\n", &[("endpoint", "/m")]);
        // An event is only complete at its blank line.
        check("data: never ended\n", &[]);
    }

    #[test]
    fn events_are_bounded_one_by_one() {
        let small = "data: 0123456789\n\n".repeat(100);
        assert_eq!(events(&[small.as_bytes()], 32).expect("each event is small").len(), 100);
        let big = events(&[b"data: 0123456789\n", b"data: 0123456789\n", b"data: 0123456789"], 32);
        assert!(matches!(big, Err(McpError::EventTooLarge(32))), "{big:?}");
        let endless_line = events(&[&[b'x'; 64]], 32);
        assert!(matches!(endless_line, Err(McpError::EventTooLarge(32))), "{endless_line:?}");
    }

    #[test]
    fn the_endpoint_keeps_the_origin_of_the_sse_url() {
        let sse: Url = "http://127.0.0.1:8080/sse".parse().expect("url");
        let same = [
            ("/message?sessionId=1", "http://127.0.0.1:8080/message?sessionId=1"),
            ("messages/?session_id=2", "http://127.0.0.1:8080/messages/?session_id=2"),
            ("http://127.0.0.1:8080/m", "http://127.0.0.1:8080/m"),
            (" /padded \n", "http://127.0.0.1:8080/padded"),
        ];
        for (data, expect) in same {
            assert_eq!(legacy_endpoint_url(&sse, data).expect(data).as_str(), expect);
        }
        let foreign =
            ["http://evil.example/m", "//evil.example/m", "http://127.0.0.1:8081/m", "https://127.0.0.1:8080/m"];
        for data in foreign {
            let err = legacy_endpoint_url(&sse, data).expect_err(data);
            assert!(matches!(err, McpError::ForeignEndpoint { .. }), "{data}: {err:?}");
            assert!(err.to_string().contains("points to another origin"), "{err}");
        }
        assert!(matches!(legacy_endpoint_url(&sse, "data:text/plain,x"), Err(McpError::ForeignEndpoint { .. })));
        assert!(matches!(legacy_endpoint_url(&sse, " "), Err(McpError::BadUrl(_))));
    }

    /// A server on 127.0.0.1 that answers one GET with an event stream of `body`,
    /// then keeps the connection open. It lives as long as the test's runtime.
    async fn serve_events(body: Vec<u8>) -> Url {
        let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind");
        let addr = listener.local_addr().expect("address");
        tokio::spawn(async move {
            let (mut socket, _) = listener.accept().await.expect("accept");
            let mut request = vec![];
            let mut buf = [0; 1024];
            while !request.windows(4).any(|w| w == b"\r\n\r\n") {
                let n = socket.read(&mut buf).await.expect("read the request");
                assert!(n > 0, "the client closed before its request ended");
                request.extend_from_slice(&buf[..n]);
            }
            socket.write_all(b"HTTP/1.1 200 OK\r\ncontent-type: text/event-stream\r\n\r\n").await.expect("head");
            let _ = socket.write_all(&body).await;
            tokio::time::sleep(Duration::from_secs(60)).await;
        });
        format!("http://{addr}/sse").parse().expect("url")
    }

    async fn connect_to(url: &Url, wait: Duration) -> Result<LegacySseTransport, McpError> {
        let options = ClientOptions { connect_timeout: wait, ..ClientOptions::default() };
        let client = http_client::build(&options).expect("client");
        LegacySseTransport::connect(client, url, &options, Instant::now() + wait, ToolFields::default()).await
    }

    async fn connect(body: impl Into<Vec<u8>>, wait: Duration) -> Result<LegacySseTransport, McpError> {
        connect_to(&serve_events(body.into()).await, wait).await
    }

    #[tokio::test]
    async fn an_endpoint_on_another_origin_is_refused() {
        let url = serve_events(b"event: endpoint\ndata: http://evil.example/message\n\n".to_vec()).await;
        let err = connect_to(&url, Duration::from_secs(10)).await.expect_err("refused");
        assert!(matches!(err, McpError::ForeignEndpoint { .. }), "{err:?}");
        let expect = format!(
            "the server's endpoint event points to another origin (http://evil.example); \
             Switchboard only posts messages to http://{}, the origin of the SSE URL",
            url.authority()
        );
        assert_eq!(err.to_string(), expect);
    }

    #[tokio::test]
    async fn a_stream_without_an_endpoint_event_times_out() {
        let started = std::time::Instant::now();
        let err = connect(": ping\n\ndata:\n\n", Duration::from_millis(300)).await.expect_err("no endpoint");
        assert!(matches!(err, McpError::NoEndpointEvent(_)), "{err:?}");
        assert!(err.to_string().contains("no endpoint event within 300ms"), "{err}");
        assert!(started.elapsed() < Duration::from_secs(5));
    }

    #[tokio::test]
    async fn a_huge_event_ends_the_stream() {
        let huge = "x".repeat(MAX_EVENT_BYTES + 1);
        let err = connect(format!("event: endpoint\ndata: {huge}\n\n"), Duration::from_secs(10)).await;
        assert!(matches!(err, Err(McpError::EventTooLarge(MAX_EVENT_BYTES))), "{err:?}");

        // After the endpoint event, an oversized message closes the transport.
        let body = format!("event: endpoint\ndata: /message\n\nevent: message\ndata: {huge}\n\n");
        let mut transport = connect(body, Duration::from_secs(10)).await.expect("connect");
        assert_eq!(transport.post_url.path(), "/message");
        let next = tokio::time::timeout(Duration::from_secs(10), transport.receive()).await.expect("not stuck");
        assert!(next.is_none(), "{next:?}");
    }
}
