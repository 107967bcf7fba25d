//! A scripted model server for tests and benchmarks, in place of paid model APIs.
//! It speaks both real wire formats on one loopback port: OpenAI Chat Completions
//! (`POST /v1/chat/completions`) and Anthropic Messages (`POST /v1/messages`),
//! streamed as server-sent events chunk for chunk like the real APIs.
//!
//! Each request takes the next queued [`Reply`] (one queue for both formats), or
//! asks the responder set by [`ScriptedModel::respond_with`] when the queue is
//! empty, and is recorded so a test can check what the client sent.

mod anthropic;
mod openai;
mod reply;

use std::collections::{BTreeMap, VecDeque};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};
use std::time::{Duration, Instant};

use axum::Router;
use axum::body::{Body, Bytes};
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode, Uri, header};
use axum::response::Response;
use axum::routing::post;
use axum::serve::ListenerExt as _;
use futures::StreamExt as _;
use futures::stream::{self, BoxStream};
use serde_json::Value;
use tokio::sync::watch;

use reply::Kind;
pub use reply::{Gate, Reply, ToolCall};

/// A request the server received.
#[derive(Clone, Debug)]
pub struct RecordedRequest {
    /// `/v1/chat/completions` or `/v1/messages`.
    pub path: String,
    /// Header names in lower case.
    pub headers: BTreeMap<String, String>,
    /// The JSON body (`Value::String` of the raw text when it was not JSON).
    pub body: Value,
    /// When it arrived.
    pub at: Instant,
}

impl RecordedRequest {
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers.get(&name.to_ascii_lowercase()).map(String::as_str)
    }
}

type Responder = Arc<dyn Fn(&Value) -> Reply + Send + Sync>;

#[derive(Default)]
struct Script {
    queue: Mutex<VecDeque<Reply>>,
    responder: Mutex<Option<Responder>>,
    requests: Mutex<Vec<RecordedRequest>>,
    models: Mutex<Option<Vec<String>>>,
    served: AtomicU64,
}

/// The two wire formats.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Wire {
    OpenAi,
    Anthropic,
}

/// A running scripted model server; dropping it stops the server.
pub struct ScriptedModel {
    port: u16,
    script: Arc<Script>,
    server: tokio::task::JoinHandle<()>,
    /// Dropped with the server: ends replies that hang.
    _stop: watch::Sender<()>,
}

impl std::fmt::Debug for ScriptedModel {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ScriptedModel").field("port", &self.port).finish_non_exhaustive()
    }
}

impl Drop for ScriptedModel {
    fn drop(&mut self) {
        self.server.abort();
    }
}

#[derive(Clone)]
struct AppState {
    script: Arc<Script>,
    stop: watch::Receiver<()>,
}

impl ScriptedModel {
    /// Listen on `127.0.0.1:0` with an empty script.
    pub async fn start() -> ScriptedModel {
        crate::install_tls();
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.expect("bind a loopback port");
        let port = listener.local_addr().expect("local address").port();
        let script = Arc::new(Script::default());
        let (stop, stopped) = watch::channel(());
        let router = Router::new()
            .route("/v1/chat/completions", post(chat_completions))
            .route("/v1/messages", post(messages))
            .route("/v1/models", axum::routing::get(models))
            .with_state(AppState { script: script.clone(), stop: stopped });
        // Each frame goes out when written, as a provider's do, rather than
        // waiting for the client to acknowledge the last one (Nagle's algorithm).
        let listener = listener.tap_io(|tcp| {
            let _ = tcp.set_nodelay(true);
        });
        let server = tokio::spawn(async move {
            let _ = axum::serve(listener, router).await;
        });
        ScriptedModel { port, script, server, _stop: stop }
    }

    /// `http://127.0.0.1:PORT/v1`, the base URL of an OpenAI-compatible provider.
    pub fn openai_base_url(&self) -> String {
        format!("http://127.0.0.1:{}/v1", self.port)
    }

    /// `http://127.0.0.1:PORT`, the base URL of an Anthropic provider.
    pub fn anthropic_base_url(&self) -> String {
        format!("http://127.0.0.1:{}", self.port)
    }

    /// Providers `openai` and `anthropic`, both served by this server, with the
    /// default model `default_model` (`openai/scripted`, say).
    pub fn providers(&self, default_model: &str) -> switchboard_agent::Providers {
        self.providers_waiting(default_model, std::time::Duration::from_secs(10))
    }

    /// [`ScriptedModel::providers`] that wait `timeout` for each part of an answer
    /// (a test that stalls a reply on purpose, and acts on the page meanwhile, needs
    /// longer than a slow machine takes to do so).
    pub fn providers_waiting(&self, default_model: &str, timeout: std::time::Duration) -> switchboard_agent::Providers {
        use switchboard_agent::provider::build;
        use switchboard_agent::{ProviderConfig, ProviderKind};
        let config = |name: &str, kind, base_url| ProviderConfig {
            name: name.into(),
            kind,
            base_url,
            api_key: Some(switchboard_core::SecretString::from("sk-scripted-test-key".to_owned())),
            timeout,
            max_retries: 1,
        };
        let http = crate::http_client();
        switchboard_agent::Providers::new(Some(default_model.into()))
            .with("openai", build(config("openai", ProviderKind::OpenAi, self.openai_base_url()), http.clone()))
            .with("anthropic", build(config("anthropic", ProviderKind::Anthropic, self.anthropic_base_url()), http))
    }

    /// The models `GET /v1/models` lists (both wire formats share its shape);
    /// `["scripted", "scripted-large"]` until set.
    pub fn set_models(&self, models: &[&str]) {
        *lock(&self.script.models) = Some(models.iter().map(|m| (*m).to_owned()).collect());
    }

    /// Queue the answer to a coming request (first in, first out).
    pub fn push(&self, reply: Reply) {
        lock(&self.script.queue).push_back(reply);
    }

    /// Answer with `respond` (given the request body) whenever the queue is empty.
    pub fn respond_with(&self, respond: impl Fn(&Value) -> Reply + Send + Sync + 'static) {
        *lock(&self.script.responder) = Some(Arc::new(respond));
    }

    /// Every request so far, in the order they arrived.
    pub fn requests(&self) -> Vec<RecordedRequest> {
        lock(&self.script.requests).clone()
    }

    /// Queued replies not yet used.
    pub fn pending(&self) -> usize {
        lock(&self.script.queue).len()
    }
}

fn lock<T>(mutex: &Mutex<T>) -> MutexGuard<'_, T> {
    mutex.lock().unwrap_or_else(PoisonError::into_inner)
}

async fn chat_completions(State(state): State<AppState>, uri: Uri, headers: HeaderMap, body: Bytes) -> Response {
    answer(state, Wire::OpenAi, uri, headers, body).await
}

async fn messages(State(state): State<AppState>, uri: Uri, headers: HeaderMap, body: Bytes) -> Response {
    answer(state, Wire::Anthropic, uri, headers, body).await
}

/// `GET /v1/models`: the list both providers answer, `{"data": [{"id": …}]}`.
/// Model listings are not recorded as requests (they are not answers).
async fn models(State(state): State<AppState>) -> Response {
    let ids = lock(&state.script.models).clone().unwrap_or_else(|| vec!["scripted".into(), "scripted-large".into()]);
    let data: Vec<Value> = ids
        .iter()
        .map(|id| serde_json::json!({"id": id, "object": "model", "type": "model", "display_name": id, "owned_by": "scripted"}))
        .collect();
    let body = serde_json::json!({"object": "list", "data": data, "has_more": false});
    Response::builder()
        .header(header::CONTENT_TYPE, "application/json")
        .body(Body::from(body.to_string()))
        .unwrap_or_default()
}

async fn answer(mut state: AppState, wire: Wire, uri: Uri, headers: HeaderMap, body: Bytes) -> Response {
    let body =
        serde_json::from_slice(&body).unwrap_or_else(|_| Value::String(String::from_utf8_lossy(&body).into_owned()));
    let number = {
        let mut requests = lock(&state.script.requests);
        requests.push(RecordedRequest {
            path: uri.path().to_owned(),
            headers: headers
                .iter()
                .map(|(name, value)| (name.as_str().to_owned(), String::from_utf8_lossy(value.as_bytes()).into_owned()))
                .collect(),
            body: body.clone(),
            at: Instant::now(),
        });
        requests.len()
    };
    let queued = lock(&state.script.queue).pop_front();
    let reply = match queued {
        Some(reply) => reply,
        None => {
            let responder = lock(&state.script.responder).clone();
            match responder {
                Some(respond) => respond(&body),
                None => Reply::status(500).with_message(format!(
                    "the scripted model's test script is exhausted: request {number} to {} found no queued Reply \
                     and no respond_with responder; push one more Reply in the test",
                    uri.path()
                )),
            }
        }
    };
    let model = body["model"].as_str().unwrap_or("scripted-model").to_owned();
    let serial = state.script.served.fetch_add(1, Ordering::Relaxed);
    match &reply.kind {
        Kind::Hang => {
            let _ = state.stop.changed().await;
            status_response(StatusCode::SERVICE_UNAVAILABLE, None, "the scripted model stopped".into())
        }
        Kind::Status { status, retry_after, message } => {
            let status = StatusCode::from_u16(*status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
            let body = match wire {
                Wire::OpenAi => openai::error_body(status, message.as_deref(), &model),
                Wire::Anthropic => anthropic::error_body(status, message.as_deref(), &model, serial),
            };
            status_response(status, *retry_after, body.to_string())
        }
        Kind::Answer { .. } | Kind::Malformed => {
            let frames = match wire {
                Wire::OpenAi => {
                    let include_usage = body["stream_options"]["include_usage"].as_bool().unwrap_or(false);
                    openai::frames(&reply, &model, serial, include_usage)
                }
                Wire::Anthropic => anthropic::frames(&reply, &model, serial),
            };
            sse_response(frames, &reply)
        }
    }
}

fn status_response(status: StatusCode, retry_after: Option<u64>, body: String) -> Response {
    let mut response = Response::builder().status(status).header(header::CONTENT_TYPE, "application/json");
    if let Some(seconds) = retry_after {
        response = response.header(header::RETRY_AFTER, seconds.to_string());
    }
    response.body(Body::from(body)).expect("a valid response")
}

/// The frames as a streamed body, each its own chunk, ended as `reply` says:
/// cleanly, by dropping the connection, or never.
fn sse_response(frames: Vec<String>, reply: &Reply) -> Response {
    let shown = reply.cut_after.or(reply.stall_after).unwrap_or(frames.len());
    let pause = reply.pause;
    let hold = reply.hold.clone();
    let head = stream::iter(frames.into_iter().take(shown).enumerate()).then(move |(index, frame)| {
        let hold = hold.clone();
        async move {
            if let Some((_, gate)) = hold.filter(|(held, _)| *held == index) {
                gate.wait().await;
            }
            // A pause between chunks, so they reach the client as separate reads.
            if !pause.is_zero() {
                tokio::time::sleep(pause).await;
            }
            Ok::<_, std::io::Error>(Bytes::from(frame))
        }
    });
    let body: BoxStream<'static, Result<Bytes, std::io::Error>> = if reply.cut_after.is_some() {
        // The pause lets the frames already sent be flushed before the connection drops.
        let cut = async {
            tokio::time::sleep(Duration::from_millis(20)).await;
            Err(std::io::Error::other("the scripted model cut the stream"))
        };
        head.chain(stream::once(cut)).boxed()
    } else if reply.stall_after.is_some() {
        head.chain(stream::pending()).boxed()
    } else {
        head.boxed()
    };
    Response::builder()
        .status(StatusCode::OK)
        .header(header::CONTENT_TYPE, "text/event-stream; charset=utf-8")
        .header(header::CACHE_CONTROL, "no-cache")
        .body(Body::from_stream(body))
        .expect("a valid response")
}

/// Seconds since the epoch, for `created` fields.
fn now_unix() -> u64 {
    std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map(|d| d.as_secs()).unwrap_or_default()
}

/// `text` in pieces of at most `size` characters.
fn pieces(text: &str, size: usize) -> Vec<String> {
    let chars: Vec<char> = text.chars().collect();
    chars.chunks(size.max(1)).map(|c| c.iter().collect()).collect()
}
