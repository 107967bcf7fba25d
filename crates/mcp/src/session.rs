//! A live connection to one MCP server.

use std::time::{Duration, Instant};

use rmcp::model::{
    CallToolRequest, CallToolRequestParams, CancelledNotificationParam, ClientCapabilities, ClientConfig,
    ClientRequest, ElicitRequestParams, ElicitResult, ElicitationAction, ErrorCode, ErrorData, Implementation,
    PaginatedRequestParams, ProtocolVersion, ReadResourceRequestParams, RequestId, ServerResult, TASKS_EXTENSION_ID,
};
#[expect(deprecated, reason = "sampling and roots are deprecated (SEP-2577) but servers still ask for them")]
use rmcp::model::{CreateMessageRequestParams, CreateMessageResult, ListRootsResult};
use rmcp::model::{InputRequests, InputResponses};
use rmcp::service::{
    ClientInitializeError, ClientLifecycleMode, ClientServiceExt, Peer, PeerRequestOptions, RequestContext,
    RunningService, ServiceError,
};
use rmcp::transport::StreamableHttpClientTransport;
use rmcp::transport::streamable_http_client::{StreamableHttpClientTransportConfig, StreamableHttpError};
use rmcp::{ClientHandler, RoleClient};
use serde_json::{Map, Value};
use switchboard_core::catalog::Tool;
use switchboard_core::elicitation::{ElicitationAnswer, ElicitationRequest};
use url::Url;

use crate::elicitation::{Asker, Askers, URL_ELICITATION_REQUIRED, defaults_of, redact_exchange, required_urls};
use crate::endpoint::{Endpoint, HttpTransport};
use crate::error::{Cause, McpError};
use crate::http_client;
use crate::legacy_sse::LegacySseTransport;
use crate::options::{ClientOptions, Elicitation, Handshake};
use crate::recording::{Direction, Exchanged, Journal, ProgressWatcher, Recording, json_len};
use crate::stdio;
use crate::streamable::{SessionAwareClient, SessionIdSlot};
use crate::tasks::{self, CallWatch, TaskEnd};
use crate::tool_fields::ToolFields;

/// Most times one call may be answered with a request for input and sent again.
const MAX_INPUT_ROUNDS: usize = 8;

/// One resource as `resources/read` returned it (its first contents).
#[derive(Clone, Debug, PartialEq)]
pub struct ResourceRead {
    pub mime_type: Option<String>,
    pub body: ResourceBody,
    /// The contents' `_meta` (an MCP Apps view's `ui.csp`, an Apps SDK `openai/widgetCSP`).
    pub meta: Option<Value>,
}

/// A resource's contents.
#[derive(Clone, Debug, PartialEq)]
pub enum ResourceBody {
    Text(String),
    /// Base64, as sent.
    Blob(String),
}

/// What the call's response carries in the exchange instead of repeating the
/// result, which [`UpstreamOutcome::result`] holds.
pub const RESULT_REFERENCE: &str = "switchboard/see";

/// Replace the `result` of the call's response in `exchange` by a reference to
/// [`UpstreamOutcome::result`], so a result is kept (and sent, and stored) once.
pub(crate) fn point_to_result(exchange: &mut [Exchanged], request_id: &Value) {
    for item in exchange.iter_mut() {
        let message = &mut item.message;
        if item.direction == Direction::ServerToClient
            && message.get("id") == Some(request_id)
            && let Some(result) = message.get_mut("result")
        {
            *result = serde_json::json!({ RESULT_REFERENCE: "result" });
        }
    }
}

/// The result of one tool call.
#[derive(Clone, Debug, PartialEq)]
pub struct UpstreamOutcome {
    /// The MCP `CallToolResult` (`content`, `structuredContent`, `isError`, …), possibly truncated.
    pub result: Value,
    /// The result was larger than the cap and was cut down.
    pub truncated: bool,
    /// Size of the result as received, in bytes of JSON.
    pub bytes: usize,
    pub latency: Duration,
    /// Every JSON-RPC message of the call, in the order it crossed the transport,
    /// with its direction: the `tools/call` request, progress and log
    /// notifications, the server's own requests and our answers, a cancellation,
    /// the response or the error. A message larger than `max_result_bytes` is a
    /// stand-in that says how large it was.
    pub exchange: Vec<Exchanged>,
    /// Set when the call ran as a task: which, and how it ended (`tasks.rs`).
    pub task: Option<TaskEnd>,
}

/// Longest wait, after the handshake, for the session's stream of server requests to open.
const LISTEN_WAIT: Duration = Duration::from_secs(2);

/// A connected, handshaken MCP client session.
#[derive(Debug)]
pub struct UpstreamSession {
    pub(crate) service: RunningService<RoleClient, Client>,
    protocol_version: String,
    server_info: Value,
    transport: &'static str,
    pub(crate) options: ClientOptions,
    pub(crate) journal: Journal,
    pub(crate) fields: ToolFields,
    /// The `Mcp-Session-Id` of a Streamable HTTP session, once the server gave one.
    pub(crate) http_session: SessionIdSlot,
    pub(crate) askers: Askers,
}

/// What a session watches on its transport: the messages of each call, and the
/// raw tool listings (for the fields rmcp drops).
#[derive(Clone, Debug)]
struct Watched {
    journal: Journal,
    fields: ToolFields,
    /// Whom each call's server requests for input go to.
    askers: Askers,
    http_session: SessionIdSlot,
}

impl UpstreamSession {
    /// Connect and complete the handshake: `server/discover` (2026-07-28) first,
    /// `initialize` for servers that predate it. Over HTTP, a server that predates
    /// Streamable HTTP is reached over HTTP+SSE with `initialize` at 2024-11-05.
    pub async fn connect(endpoint: &Endpoint, options: &ClientOptions) -> Result<UpstreamSession, McpError> {
        // One deadline for connecting and the handshake, whichever transports are tried.
        let deadline = tokio::time::Instant::now() + options.connect_timeout;
        let journal = Journal::new(options.max_result_bytes);
        let watched = Watched {
            journal: journal.clone(),
            fields: ToolFields::default(),
            askers: Askers::new(journal),
            http_session: SessionIdSlot::default(),
        };
        // The handshake's answer is looked at raw too, for the capabilities rmcp drops.
        let handshaking = watched.fields.listing();
        let (service, transport) =
            tokio::time::timeout_at(deadline, handshake(endpoint, options, deadline, watched.clone()))
                .await
                .map_err(|_| McpError::Timeout(options.connect_timeout))??;
        let peer = service.peer_info();
        let protocol_version = peer.as_ref().map(|p| p.protocol_version.to_string()).unwrap_or_default();
        let server_info = peer.as_ref().and_then(|p| serde_json::to_value(&p.server_info).ok()).unwrap_or(Value::Null);
        drop(handshaking);
        let Watched { journal, fields, askers, http_session } = watched;
        Ok(UpstreamSession {
            service,
            protocol_version,
            server_info,
            transport,
            options: options.clone(),
            journal,
            fields,
            askers,
            http_session,
        })
    }

    /// The protocol version the handshake settled on, e.g. `2026-07-28` or `2025-06-18`.
    pub fn protocol_version(&self) -> &str {
        &self.protocol_version
    }

    /// The transport the session runs over: `streamable_http`, `sse` or `stdio`.
    pub fn transport(&self) -> &'static str {
        self.transport
    }

    /// The server's `name`, `version` and the rest of its self-description.
    pub fn server_info(&self) -> &Value {
        &self.server_info
    }

    /// Every tool, following `nextCursor` page by page, bounded by `max_tools`.
    pub async fn list_tools(&self) -> Result<Vec<Tool>, McpError> {
        let mut tools = vec![];
        let mut cursor: Option<String> = None;
        let _listing = self.fields.listing();
        loop {
            let params = PaginatedRequestParams::default().with_cursor(cursor.take());
            let page = tokio::time::timeout(self.options.call_timeout, self.service.list_tools(Some(params)))
                .await
                .map_err(|_| McpError::Timeout(self.options.call_timeout))?
                .map_err(|e| failed(e, self))?;
            for tool in page.tools {
                if tools.len() >= self.options.max_tools {
                    return Err(McpError::TooManyTools(self.options.max_tools));
                }
                let mut raw = serde_json::to_value(&tool).map_err(|e| McpError::Protocol(e.to_string().into()))?;
                self.fields.restore(&mut raw);
                tools.push(serde_json::from_value(raw).map_err(|e| McpError::Protocol(e.to_string().into()))?);
            }
            match page.next_cursor.filter(|c| !c.is_empty()) {
                Some(next) => cursor = Some(next),
                None => return Ok(tools),
            }
        }
    }

    /// Call a tool. A result larger than `max_result_bytes` is truncated, and says so.
    /// A call that outlives `call_timeout`, or whose caller gives up, is cancelled
    /// upstream with `notifications/cancelled`.
    pub async fn call_tool(&self, name: &str, arguments: Map<String, Value>) -> Result<UpstreamOutcome, McpError> {
        self.call_tool_watched(name, arguments, None).await
    }

    /// [`UpstreamSession::call_tool`], telling `watcher` about each progress notification
    /// the server sends for the call; they are part of the exchange too.
    pub async fn call_tool_watched(
        &self,
        name: &str,
        arguments: Map<String, Value>,
        watcher: Option<ProgressWatcher>,
    ) -> Result<UpstreamOutcome, McpError> {
        self.call_tool_with(name, arguments, &CallWatch::from(watcher)).await
    }

    /// [`UpstreamSession::call_tool_watched`] for a tool that may run as a task
    /// (`tasks.rs`): asked for as one where the session's protocol and the tool's
    /// `taskSupport` say so, followed when the server makes one, reported to `watch`.
    pub async fn call_tool_with(
        &self,
        name: &str,
        arguments: Map<String, Value>,
        watch: &CallWatch,
    ) -> Result<UpstreamOutcome, McpError> {
        if tasks::wants_task(self, watch) {
            return tasks::call_as_task(self, name, arguments, watch).await;
        }
        let watcher = watch.progress.clone();
        let started = Instant::now();
        let peer = self.service.peer();
        let mut params = CallToolRequestParams::new(name.to_owned()).with_arguments(arguments.clone());
        let mut exchange = vec![];
        let mut round = 0;
        // Whom to ask when the server asks for input: the caller's person, if it runs the call inside `asking`.
        let asker = crate::elicitation::current().filter(|_| self.options.elicitation == Elicitation::Ask);
        let (result, request_id) = loop {
            let request = ClientRequest::CallToolRequest(CallToolRequest::new(params.clone()));
            let options = PeerRequestOptions::with_timeout(self.options.call_timeout);
            let handle = peer.send_cancellable_request(request, options).await.map_err(|e| failed(e, self))?;
            if let Some(watcher) = &watcher {
                self.journal.watch(&handle.id, watcher.clone());
            }
            let _filed = asker.as_ref().map(|a| self.askers.file(&handle.id, a.clone()));
            let request_id = serde_json::to_value(&handle.id).unwrap_or_default();
            let mut pending =
                Pending { peer: peer.clone(), id: Some(handle.id.clone()), journal: self.journal.clone() };
            let answer = handle.await_response().await;
            exchange.extend(pending.finish());
            if let Err(ServiceError::McpError(refused)) = &answer
                && refused.code.0 == URL_ELICITATION_REQUIRED
            {
                // The person must open a URL first (sign in, consent, pay); once they
                // say they did, the call is sent again as it was: it did not run.
                round += 1;
                if round > MAX_INPUT_ROUNDS {
                    return Err(McpError::Protocol(
                        format!("the server still asked for input after {MAX_INPUT_ROUNDS} rounds").into(),
                    ));
                }
                complete_urls(required_urls(refused.data.as_ref()), asker.as_ref(), &refused.message).await?;
                continue;
            }
            match answer.map_err(|e| failed(e, self))? {
                ServerResult::CallToolResult(result) => break (result, request_id),
                ServerResult::CreateTaskResult(created) => {
                    let created =
                        serde_json::to_value(&created).map_err(|e| McpError::Protocol(e.to_string().into()))?;
                    return tasks::follow_created(self, created, exchange, watch, started).await;
                }
                ServerResult::InputRequiredResult(asked) => {
                    // SEP-2322: answer what was asked, then send the call again (a new
                    // request, so a new id) with the answers and the state, untouched.
                    round += 1;
                    if round > MAX_INPUT_ROUNDS {
                        return Err(McpError::Protocol(
                            format!("the server still asked for input after {MAX_INPUT_ROUNDS} rounds").into(),
                        ));
                    }
                    let responses =
                        self.answer_inputs(asked.input_requests.unwrap_or_default(), asker.as_ref()).await?;
                    params = CallToolRequestParams::new(name.to_owned())
                        .with_arguments(arguments.clone())
                        .with_input_responses(responses);
                    if let Some(state) = asked.request_state {
                        params = params.with_request_state(state);
                    }
                }
                _ => {
                    return Err(McpError::Protocol(
                        "the server answered tools/call with something other than a tool result".into(),
                    ));
                }
            }
        };
        let latency = started.elapsed();
        let result = serde_json::to_value(&result).map_err(|e| McpError::Protocol(e.to_string().into()))?;
        let bytes = json_len(&result);
        let (result, truncated) = cap(result, bytes, self.options.max_result_bytes);
        point_to_result(&mut exchange, &request_id);
        redact_exchange(&mut exchange);
        Ok(UpstreamOutcome { result, truncated, bytes, latency, exchange, task: None })
    }

    /// The answers to a server's requests for input during a call: forms accepted with
    /// their defaults where the session answers elicitation so, or the person's answers
    /// where it asks (`cancel` with nobody to ask); nothing else.
    pub(crate) async fn answer_inputs(
        &self,
        asked: InputRequests,
        asker: Option<&Asker>,
    ) -> Result<InputResponses, McpError> {
        let mut answers = InputResponses::new();
        for (key, request) in asked {
            let request = serde_json::to_value(&request).unwrap_or_default();
            let method = request.get("method").and_then(Value::as_str).unwrap_or_default();
            let params = request.get("params").cloned().unwrap_or_default();
            let form = params.get("mode").and_then(Value::as_str).is_none_or(|m| m == "form");
            if self.options.elicitation == Elicitation::Ask && method == "elicitation/create" {
                let answer = match (ElicitationRequest::from_params(&params), asker) {
                    (Ok(request), Some(asker)) => asker(request).await,
                    (Ok(_), None) => ElicitationAnswer::cancel(),
                    (Err(e), _) => return Err(McpError::Protocol(format!("the server asked for input: {e}").into())),
                };
                answers.insert(key, answer.to_result());
                continue;
            }
            if self.options.elicitation != Elicitation::AcceptDefaults || method != "elicitation/create" || !form {
                return Err(McpError::Protocol(
                    format!("the server asked for input ({method}) during the call, which this client does not give")
                        .into(),
                ));
            }
            let schema = params.get("requestedSchema").cloned().unwrap_or_default();
            let answer = serde_json::json!({"action": "accept", "content": defaults_of(&schema)});
            answers.insert(key, answer);
        }
        Ok(answers)
    }

    /// Read a resource (`resources/read`): its first contents, text or a base64
    /// blob, refused when larger than `max_bytes`.
    pub async fn read_resource(&self, uri: &str, max_bytes: usize) -> Result<ResourceRead, McpError> {
        let params = ReadResourceRequestParams::new(uri.to_owned());
        let read = tokio::time::timeout(self.options.call_timeout, self.service.read_resource(params))
            .await
            .map_err(|_| McpError::Timeout(self.options.call_timeout))?
            .map_err(|e| failed(e, self))?;
        let first = read.contents.into_iter().next().ok_or_else(|| {
            McpError::Protocol(format!("the server returned no contents for the resource {uri}").into())
        })?;
        // Read as JSON: the contents' variants may grow.
        let first = serde_json::to_value(first).unwrap_or_default();
        let text = |key: &str| first.get(key).and_then(Value::as_str).map(str::to_owned);
        let body = match (text("text"), text("blob")) {
            (Some(text), _) => ResourceBody::Text(text),
            (None, Some(blob)) => ResourceBody::Blob(blob),
            (None, None) => {
                return Err(McpError::Protocol(format!("the resource {uri} has neither text nor a blob").into()));
            }
        };
        let (mime_type, meta) = (text("mimeType"), first.get("_meta").cloned());
        let bytes = match &body {
            ResourceBody::Text(text) | ResourceBody::Blob(text) => text.len(),
        };
        if bytes > max_bytes {
            return Err(McpError::ResourceTooLarge { uri: uri.to_owned(), bytes, max: max_bytes });
        }
        Ok(ResourceRead { mime_type, body, meta })
    }

    /// The session can still carry requests.
    pub fn is_open(&self) -> bool {
        !self.service.is_closed() && !self.service.peer().is_transport_closed()
    }

    /// Close the session (and, for a local command, end its process group).
    pub async fn close(mut self) {
        let _ = self.service.close_with_timeout(Duration::from_secs(5)).await;
    }
}

type Service = RunningService<RoleClient, Client>;

pub(crate) fn failed(error: ServiceError, session: &UpstreamSession) -> McpError {
    if let ServiceError::TransportSend(e) = &error
        && let Some(refused) = legacy_refusal(e.error.as_ref())
    {
        return refused;
    }
    match error {
        ServiceError::Timeout { .. } => McpError::Timeout(session.options.call_timeout),
        ServiceError::TransportSend(e)
            if matches!(
                e.error.downcast_ref::<StreamableHttpError<reqwest::Error>>(),
                Some(StreamableHttpError::SessionExpired)
            ) =>
        {
            McpError::SessionExpired
        }
        ServiceError::TransportSend(e)
            if matches!(
                e.error.downcast_ref::<StreamableHttpError<reqwest::Error>>(),
                Some(StreamableHttpError::AuthRequired(_))
            ) =>
        {
            let challenge = match e.error.downcast_ref::<StreamableHttpError<reqwest::Error>>() {
                Some(StreamableHttpError::AuthRequired(a)) => Some(a.www_authenticate_header.clone()),
                _ => None,
            };
            McpError::Unauthorized { challenge }
        }
        ServiceError::TransportSend(e)
            if matches!(
                e.error.downcast_ref::<StreamableHttpError<reqwest::Error>>(),
                Some(StreamableHttpError::InsufficientScope(_))
            ) =>
        {
            let challenge = match e.error.downcast_ref::<StreamableHttpError<reqwest::Error>>() {
                Some(StreamableHttpError::InsufficientScope(a)) => Some(a.www_authenticate_header.clone()),
                _ => None,
            };
            McpError::InsufficientScope { challenge }
        }
        ServiceError::TransportClosed => McpError::Closed,
        ServiceError::TransportSend(e) => McpError::Failed(Cause::of(&e)),
        other => McpError::Protocol(Cause::of(&other)),
    }
}

/// A call in flight. Dropped before it is finished — its caller went away —
/// it tells the server to stop with `notifications/cancelled`.
struct Pending {
    peer: Peer<RoleClient>,
    id: Option<RequestId>,
    journal: Journal,
}

impl Pending {
    /// The call is over: its messages.
    fn finish(&mut self) -> Vec<Exchanged> {
        self.id.take().map(|id| self.journal.take(&id)).unwrap_or_default()
    }
}

impl Drop for Pending {
    fn drop(&mut self) {
        let Some(id) = self.id.take() else { return };
        self.journal.take(&id);
        let Ok(runtime) = tokio::runtime::Handle::try_current() else { return };
        let peer = self.peer.clone();
        let reason = Some("the caller gave up on the call".to_owned());
        runtime.spawn(async move {
            let _ = peer.notify_cancelled(CancelledNotificationParam::new(Some(id), reason)).await;
        });
    }
}

/// Switchboard as an MCP client. It offers the server no sampling or roots, so it
/// answers those requests with "method not found" (rmcp's defaults would answer roots
/// with an empty list and decline elicitation, which reads as a person's choice);
/// elicitation is offered and answered as [`Elicitation`] says: refused, accepted with
/// the form's defaults, or asked of the person whose call it is. Every answer is in
/// the call's exchange.
#[derive(Clone, Debug)]
pub(crate) struct Client {
    info: ClientConfig,
    elicitation: Elicitation,
    askers: Option<Askers>,
}

impl Client {
    pub(crate) fn new(info: ClientConfig) -> Self {
        Self { info, elicitation: Elicitation::Refuse, askers: None }
    }

    /// A client that answers elicitation as `elicitation` says (and offers it when it
    /// answers), asking through `askers` when it asks.
    fn answering(mut info: ClientConfig, elicitation: Elicitation, askers: &Askers) -> Self {
        let offered = match elicitation {
            Elicitation::Refuse => None,
            // Form elicitation only: what a headless client can answer.
            Elicitation::AcceptDefaults => Some(serde_json::json!({"form": {}})),
            Elicitation::Ask => Some(serde_json::json!({"form": {}, "url": {}})),
        };
        if let Some(capability) = offered.and_then(|c| serde_json::from_value(c).ok()) {
            info.capabilities.elicitation = Some(capability);
        }
        Self { info, elicitation, askers: Some(askers.clone()) }
    }

    /// The asker of the call `server_request` is about. A request may cross the
    /// transport just before its call's asker is filed: wait a moment for it.
    async fn asker_for(&self, server_request: &RequestId) -> Option<Asker> {
        let askers = self.askers.as_ref()?;
        for _ in 0..20 {
            if let Some(asker) = askers.for_server_request(server_request) {
                return Some(asker);
            }
            tokio::time::sleep(Duration::from_millis(25)).await;
        }
        None
    }
}

/// Have the person open each URL a `-32042` error lists; an error unless they all say done.
async fn complete_urls(urls: Vec<ElicitationRequest>, asker: Option<&Asker>, message: &str) -> Result<(), McpError> {
    let listed = urls
        .iter()
        .filter_map(|u| match u {
            ElicitationRequest::Url { url, .. } => Some(url.as_str()),
            ElicitationRequest::Form { .. } => None,
        })
        .collect::<Vec<_>>()
        .join(", ");
    let Some(asker) = asker.filter(|_| !urls.is_empty()) else {
        return Err(McpError::Protocol(
            format!("{message}: the server needs the person to open {listed} first, then try again").into(),
        ));
    };
    for request in urls {
        if asker(request).await.action != switchboard_core::elicitation::ElicitationAction::Accept {
            return Err(McpError::Protocol(
                format!("the person did not complete what the server asked first (opening {listed})").into(),
            ));
        }
    }
    Ok(())
}

fn unsupported(method: &str) -> ErrorData {
    ErrorData::new(
        ErrorCode::METHOD_NOT_FOUND,
        format!("Switchboard does not support {method}; the server must do without it"),
        None,
    )
}

// Sampling and roots are deprecated (SEP-2577), but servers still send them: they get an answer.
#[expect(deprecated)]
impl ClientHandler for Client {
    async fn create_message(
        &self,
        _params: CreateMessageRequestParams,
        _context: RequestContext<RoleClient>,
    ) -> Result<CreateMessageResult, ErrorData> {
        Err(unsupported("sampling/createMessage"))
    }

    async fn list_roots(&self, _context: RequestContext<RoleClient>) -> Result<ListRootsResult, ErrorData> {
        Err(unsupported("roots/list"))
    }

    async fn create_elicitation(
        &self,
        request: ElicitRequestParams,
        context: RequestContext<RoleClient>,
    ) -> Result<ElicitResult, ErrorData> {
        if self.elicitation == Elicitation::Ask {
            let params = serde_json::to_value(&request).unwrap_or_default();
            let request = ElicitationRequest::from_params(&params).map_err(|e| ErrorData::invalid_params(e, None))?;
            // Nobody to ask (a call made outside a person's turn): nobody answered.
            let answer = match self.asker_for(&context.id).await {
                Some(asker) => asker(request).await,
                None => ElicitationAnswer::cancel(),
            };
            return serde_json::from_value(answer.to_result())
                .map_err(|e| ErrorData::internal_error(e.to_string(), None));
        }
        match (self.elicitation, request) {
            (Elicitation::AcceptDefaults, ElicitRequestParams::FormElicitationParams { requested_schema, .. }) => {
                let schema = serde_json::to_value(&requested_schema).unwrap_or_default();
                let mut answer = ElicitResult::new(ElicitationAction::Accept);
                answer.content = Some(Value::Object(defaults_of(&schema)));
                Ok(answer)
            }
            _ => Err(unsupported("elicitation/create")),
        }
    }

    fn get_info(&self) -> ClientConfig {
        self.info.clone()
    }
}

/// Switchboard's description of itself: it renders MCP Apps views (the
/// `io.modelcontextprotocol/ui` extension), so servers may offer their UI.
pub(crate) fn client_info() -> ClientConfig {
    // Switchboard renders MCP Apps views; tasks of 2026-07-28 are the server's choice
    // once the client declares the extension.
    let mut capabilities = ClientCapabilities::default();
    let mut ui = Map::new();
    ui.insert("mimeTypes".into(), serde_json::json!([switchboard_core::widget::MCP_APP_MIME]));
    capabilities.extensions = Some(
        [(switchboard_core::widget::UI_EXTENSION.to_owned(), ui), (TASKS_EXTENSION_ID.to_owned(), Map::new())]
            .into_iter()
            .collect(),
    );
    ClientConfig::new(capabilities, Implementation::new("switchboard", env!("CARGO_PKG_VERSION")))
}

/// The client's description and the lifecycle it follows: by default `server/discover`
/// first, `initialize` at 2025-11-25 for a server that does not know it; or the one
/// lifecycle of the protocol version asked for.
fn lifecycle(options: &ClientOptions, askers: &Askers) -> Result<(Client, ClientLifecycleMode), McpError> {
    match &options.handshake {
        Handshake::Auto => Ok((
            Client::answering(client_info(), options.elicitation, askers),
            ClientLifecycleMode::Auto {
                preferred_versions: vec![ProtocolVersion::V_2026_07_28],
                legacy_version: Some(ProtocolVersion::V_2025_11_25),
            },
        )),
        Handshake::Version(asked) => {
            let Some(version) = ProtocolVersion::KNOWN_VERSIONS.iter().find(|v| v.as_str() == asked) else {
                let known: Vec<&str> = ProtocolVersion::KNOWN_VERSIONS.iter().map(ProtocolVersion::as_str).collect();
                return Err(McpError::Connect(
                    format!("protocol version {asked:?} is not one Switchboard knows ({})", known.join(", ")).into(),
                ));
            };
            Ok(if version.has_initialize() {
                (
                    Client::answering(
                        client_info().with_protocol_version(version.clone()),
                        options.elicitation,
                        askers,
                    ),
                    ClientLifecycleMode::Initialize,
                )
            } else {
                (
                    Client::answering(client_info(), options.elicitation, askers),
                    ClientLifecycleMode::Discover { preferred_versions: vec![version.clone()] },
                )
            })
        }
    }
}

async fn handshake(
    endpoint: &Endpoint,
    options: &ClientOptions,
    deadline: tokio::time::Instant,
    watched: Watched,
) -> Result<(Service, &'static str), McpError> {
    match endpoint {
        Endpoint::Http { url, transport } => serve_http(url, *transport, options, deadline, watched).await,
        Endpoint::Stdio(command) => {
            let (client, mode) = lifecycle(options, &watched.askers)?;
            let (child, stderr) = stdio::spawn(command, watched.fields)?;
            let transport = Recording::new(child, watched.journal);
            match client.serve_with_lifecycle(transport, mode).await {
                Ok(service) => Ok((service, "stdio")),
                Err(e) => Err(McpError::Stopped {
                    reason: Cause::of(&e),
                    stderr: stderr.read(Duration::from_millis(500)).await,
                }),
            }
        }
    }
}

async fn serve_http(
    url: &Url,
    transport: HttpTransport,
    options: &ClientOptions,
    deadline: tokio::time::Instant,
    watched: Watched,
) -> Result<(Service, &'static str), McpError> {
    http_client::preflight(url, &options.network).await?;
    let client = http_client::build(options)?;
    if transport == HttpTransport::Sse {
        return Ok((serve_sse(client, url, options, deadline, watched).await?, "sse"));
    }
    // A session the server forgot is replaced by the pool, which knows whether the
    // request may be sent again; rmcp would re-initialise and resend on its own.
    let mut config = StreamableHttpClientTransportConfig::with_uri(url.as_str()).reinit_on_expired_session(false);
    if let Some(token) = &options.bearer {
        config = config.auth_header(token.expose());
    }
    let http =
        SessionAwareClient::new(client.clone(), watched.fields.clone()).remembering(watched.http_session.clone());
    let listening = http.listening();
    let streamable = Recording::new(StreamableHttpClientTransport::with_client(http, config), watched.journal.clone());
    let (handler, mode) = lifecycle(options, &watched.askers)?;
    match handler.serve_with_lifecycle(streamable, mode).await {
        Ok(service) => {
            // A request of the server's about the first call must have somewhere to go.
            listening.settled(LISTEN_WAIT).await;
            Ok((service, "streamable_http"))
        }
        Err(e) if transport == HttpTransport::Auto && predates_streamable_http(&e) => {
            let refused = Cause::of(initialize_failure(&e));
            tracing::debug!(error = %refused.chain(), "the server refused Streamable HTTP; trying HTTP+SSE");
            match serve_sse(client, url, options, deadline, watched).await {
                Ok(service) => Ok((service, "sse")),
                Err(McpError::Connect(sse)) => Err(McpError::Connect(Cause::both(
                    "the server refused Streamable HTTP",
                    &refused,
                    "and HTTP+SSE at the same URL failed",
                    &sse,
                ))),
                Err(other) => Err(other),
            }
        }
        Err(e) => Err(auth_required(&e).unwrap_or_else(|| McpError::Connect(Cause::of(&e)))),
    }
}

/// A handshake the server answered with HTTP 401 (or 403 `insufficient_scope`), with its challenge.
fn auth_required(error: &ClientInitializeError) -> Option<McpError> {
    let ClientInitializeError::TransportError { error, .. } = initialize_failure(error) else { return None };
    match error.error.downcast_ref::<StreamableHttpError<reqwest::Error>>() {
        Some(StreamableHttpError::AuthRequired(e)) => {
            Some(McpError::Unauthorized { challenge: Some(e.www_authenticate_header.clone()) })
        }
        Some(StreamableHttpError::InsufficientScope(e)) => {
            Some(McpError::InsufficientScope { challenge: Some(e.www_authenticate_header.clone()) })
        }
        _ => None,
    }
}

/// The HTTP+SSE transport's refusal of a POST for want of authorization (its own
/// `McpError`, which rmcp carries as the transport's error), made anew.
fn legacy_refusal(error: &(dyn std::error::Error + Send + Sync + 'static)) -> Option<McpError> {
    match error.downcast_ref::<McpError>()? {
        McpError::Unauthorized { challenge } => Some(McpError::Unauthorized { challenge: challenge.clone() }),
        McpError::InsufficientScope { challenge } => Some(McpError::InsufficientScope { challenge: challenge.clone() }),
        _ => None,
    }
}

/// The HTTP+SSE transport with the `initialize` handshake, asking for 2024-11-05:
/// a server that speaks only this transport may know no later version.
async fn serve_sse(
    client: reqwest::Client,
    url: &Url,
    options: &ClientOptions,
    deadline: tokio::time::Instant,
    watched: Watched,
) -> Result<Service, McpError> {
    let legacy = LegacySseTransport::connect(client, url, options, deadline, watched.fields).await?;
    let transport = Recording::new(legacy, watched.journal);
    let info = client_info().with_protocol_version(ProtocolVersion::V_2024_11_05);
    Client::new(info).serve_with_lifecycle(transport, ClientLifecycleMode::Initialize).await.map_err(|e| {
        match &e {
            // The `initialize` POST refused for want of a token (or of scopes).
            ClientInitializeError::TransportError { error, .. } => legacy_refusal(error.error.as_ref()),
            _ => None,
        }
        .unwrap_or_else(|| McpError::Connect(Cause::of(&e)))
    })
}

/// The specification's compatibility procedure: a server that answers the
/// `initialize` POST with HTTP 400, 404 or 405 predates Streamable HTTP.
fn predates_streamable_http(error: &ClientInitializeError) -> bool {
    let ClientInitializeError::TransportError { error, .. } = initialize_failure(error) else { return false };
    match error.error.downcast_ref::<StreamableHttpError<reqwest::Error>>() {
        // rmcp keeps the status of a 4xx answer only in the text of this error: `HTTP 405 Method Not Allowed: …`.
        Some(StreamableHttpError::UnexpectedServerResponse(text)) => {
            matches!(text.strip_prefix("HTTP ").and_then(|t| t.get(..3)), Some("400" | "404" | "405"))
        }
        _ => false,
    }
}

/// When `server/discover` was refused and `initialize` then failed too, the failure of `initialize`.
fn initialize_failure(error: &ClientInitializeError) -> &ClientInitializeError {
    match error {
        ClientInitializeError::LegacyFallbackFailed { fallback, .. } => initialize_failure(fallback),
        other => other,
    }
}

/// Replace an oversized result by its beginning, as one text block, marked as truncated.
pub(crate) fn cap(result: Value, bytes: usize, max: usize) -> (Value, bool) {
    if bytes <= max {
        return (result, false);
    }
    let text = result.to_string();
    let mut end = max.min(text.len());
    while !text.is_char_boundary(end) {
        end -= 1;
    }
    let note = format!("[result truncated: {bytes} bytes received, the first {end} shown]");
    let capped = serde_json::json!({
        "content": [{"type": "text", "text": format!("{}\n{note}", &text[..end])}],
        "isError": result.get("isError").cloned().unwrap_or(Value::Bool(false)),
        "_meta": {"switchboard/truncated": true, "switchboard/originalBytes": bytes},
    });
    (capped, true)
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    #[test]
    fn only_a_refused_initialize_post_means_an_older_server() {
        type Streamable = StreamableHttpClientTransport<SessionAwareClient>;
        let answered = |text: &str| {
            let error = StreamableHttpError::UnexpectedServerResponse(text.to_owned().into());
            ClientInitializeError::transport::<Streamable>(error, "send initialize request")
        };
        for (error, older) in [
            (answered("HTTP 404 Not Found: Cannot POST /sse"), true),
            (answered("HTTP 405 Method Not Allowed: "), true),
            (answered("HTTP 400 Bad Request: "), true),
            (answered("HTTP 401 Unauthorized: "), false),
            (answered("HTTP 500 Internal Server Error: "), false),
            (answered("could not parse JSON response"), false),
            (ClientInitializeError::ConnectionClosed("initialize response".into()), false),
        ] {
            let text = error.to_string();
            assert_eq!(predates_streamable_http(&error), older, "{text}");
            let discover = Box::new(ClientInitializeError::ConnectionClosed("discover".into()));
            let both = ClientInitializeError::LegacyFallbackFailed { discover, fallback: Box::new(error) };
            assert_eq!(predates_streamable_http(&both), older, "after discover: {text}");
        }
    }

    #[test]
    fn small_results_pass_untouched() {
        let result = json!({"content": [{"type": "text", "text": "hi"}], "isError": false});
        let bytes = result.to_string().len();
        assert_eq!(cap(result.clone(), bytes, 1024), (result, false));
    }

    #[test]
    fn large_results_are_cut_on_a_char_boundary_and_say_so() {
        let result = json!({"content": [{"type": "text", "text": "é".repeat(1000)}], "isError": true});
        let bytes = result.to_string().len();
        let (capped, truncated) = cap(result, bytes, 102);
        assert!(truncated);
        assert_eq!(capped["isError"], true);
        assert_eq!(capped["_meta"]["switchboard/originalBytes"], bytes);
        let text = capped["content"][0]["text"].as_str().expect("text");
        assert!(text.ends_with(&format!("[result truncated: {bytes} bytes received, the first 101 shown]")), "{text}");
    }
}
