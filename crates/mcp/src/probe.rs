//! A step-by-step probe of an HTTP MCP endpoint, for when a connection fails:
//! resolve, connect, then one `initialize` POST read for its status, content type
//! and JSON-RPC answer. It finds the first step that fails and says so.

use std::net::SocketAddr;
use std::time::Duration;

use serde_json::{Value, json};
use switchboard_core::network::check;
use url::{Host, Url};

use crate::diagnosis::Step;
use crate::http_client;
use crate::options::ClientOptions;

/// Largest answer read while probing.
const MAX_PROBE_BODY: usize = 64 * 1024;

fn ok(step: &'static str, detail: impl Into<String>) -> Step {
    Step { step, ok: true, detail: detail.into(), hint: None }
}

fn failed(step: &'static str, detail: impl Into<String>, hint: &str) -> Step {
    Step { step, ok: false, detail: detail.into(), hint: Some(hint.to_owned()) }
}

/// Probe `url`; the steps end at the first failure (or all pass).
pub(crate) async fn probe_http(url: &Url, options: &ClientOptions) -> Vec<Step> {
    let mut steps = vec![ok("url", format!("{url} is an http(s) URL"))];
    let port = url.port_or_known_default().unwrap_or(80);
    let addrs: Vec<SocketAddr> = match url.host() {
        Some(Host::Domain(name)) => match tokio::net::lookup_host((name, port)).await {
            Ok(found) => found.collect(),
            Err(e) => {
                steps.push(failed("resolve", format!("cannot resolve {name}: {e}"), "check the host name"));
                return steps;
            }
        },
        Some(Host::Ipv4(ip)) => vec![SocketAddr::new(ip.into(), port)],
        Some(Host::Ipv6(ip)) => vec![SocketAddr::new(ip.into(), port)],
        None => return steps,
    };
    let allowed: Vec<SocketAddr> = addrs.iter().copied().filter(|a| check(a.ip(), &options.network).is_ok()).collect();
    let Some(addr) = allowed.first().copied() else {
        let detail = match addrs.first() {
            Some(a) => check(a.ip(), &options.network).err().map(|r| r.to_string()).unwrap_or_default(),
            None => "the name resolves to no address".to_owned(),
        };
        steps.push(failed(
            "resolve",
            detail,
            "an admin can allow private or link-local addresses in the workspace's network settings",
        ));
        return steps;
    };
    steps.push(ok("resolve", format!("{} resolves to {}", url.host_str().unwrap_or_default(), addr.ip())));

    match tokio::time::timeout(options.connect_timeout, tokio::net::TcpStream::connect(addr)).await {
        Ok(Ok(_)) => steps.push(ok("connect", format!("a TCP connection to {addr} opened"))),
        Ok(Err(e)) => {
            steps.push(failed(
                "connect",
                format!("cannot connect to {addr}: {e}"),
                "nothing accepts connections there: check the host, the port and that the server runs",
            ));
            return steps;
        }
        Err(_) => {
            steps.push(failed(
                "connect",
                format!("no answer from {addr} within {:?}", options.connect_timeout),
                "a firewall may drop the connection",
            ));
            return steps;
        }
    }

    let Ok(client) = http_client::build(options) else { return steps };
    let initialize = json!({"jsonrpc": "2.0", "id": 1, "method": "initialize", "params": {
        "protocolVersion": "2025-11-25", "capabilities": {},
        "clientInfo": {"name": "switchboard-probe", "version": env!("CARGO_PKG_VERSION")}}});
    let sent = client
        .post(url.clone())
        .header("accept", "application/json, text/event-stream")
        .json(&initialize)
        .timeout(options.connect_timeout.max(Duration::from_secs(1)))
        .send()
        .await;
    let response = match sent {
        Ok(r) => r,
        Err(e) => {
            steps.push(unanswered(url, &e, options));
            return steps;
        }
    };
    if url.scheme() == "https" {
        steps.push(ok("tls", "the TLS certificate is valid for the host"));
    }
    let status = response.status();
    let content_type = response.headers().get("content-type").and_then(|v| v.to_str().ok()).unwrap_or("").to_owned();
    let challenge = response.headers().get("www-authenticate").and_then(|v| v.to_str().ok()).map(str::to_owned);
    if status.as_u16() == 401 || status.as_u16() == 403 {
        let detail =
            format!("HTTP {status}{}", challenge.map(|c| format!(", WWW-Authenticate: {c}")).unwrap_or_default());
        steps.push(ok("http_status", format!("the server answered HTTP {status}")));
        steps.push(failed("auth", detail, "the server wants authentication; connect it with the OAuth auth mode"));
        return steps;
    }
    if !status.is_success() {
        let hint = match status.as_u16() {
            404 => "the server has nothing at this path: MCP servers usually answer at /mcp (or /sse for older ones)",
            405 => "this path does not accept POST: for an older server try its /sse URL",
            _ => "the server refused the MCP initialize request; its log says why",
        };
        steps.push(failed("http_status", format!("the server answered HTTP {status} to an MCP initialize POST"), hint));
        return steps;
    }
    steps.push(ok("http_status", format!("the server answered HTTP {status}")));
    let is_json = content_type.starts_with("application/json");
    let is_sse = content_type.starts_with("text/event-stream");
    if !is_json && !is_sse {
        steps.push(failed(
            "content_type",
            format!("the answer is {content_type:?}, not application/json or text/event-stream"),
            "the URL answered, but not with MCP: it may be a web page or a proxy's login page",
        ));
        return steps;
    }
    steps.push(ok("content_type", format!("the answer is {content_type}")));
    let body = read_bounded(response).await;
    let message = if is_sse { first_sse_data(&body) } else { Some(body) };
    match message.as_deref().map(serde_json::from_str::<Value>) {
        Some(Ok(v)) if v.get("result").is_some() => {
            steps.push(ok("jsonrpc", "the server answered initialize"));
            let version = v["result"]["protocolVersion"].as_str().unwrap_or("?");
            steps.push(ok("protocol", format!("it speaks MCP {version}")));
        }
        Some(Ok(v)) if v.get("error").is_some() => {
            steps.push(failed(
                "jsonrpc",
                format!("the server answered with a JSON-RPC error: {}", v["error"]),
                "see the server's log for why it refused initialize",
            ));
        }
        _ => steps.push(failed(
            "jsonrpc",
            "the answer is not a JSON-RPC response",
            "check the server's MCP implementation",
        )),
    }
    steps
}

/// Whether `url` answers a GET with an event stream: the legacy HTTP+SSE transport
/// (the stream is closed as soon as its headers arrive).
pub(crate) async fn serves_legacy_sse(url: &Url, options: &ClientOptions) -> bool {
    let Ok(client) = http_client::build(options) else { return false };
    let sent = client
        .get(url.clone())
        .header("accept", "text/event-stream")
        .timeout(options.connect_timeout.max(Duration::from_secs(1)))
        .send()
        .await;
    sent.is_ok_and(|r| {
        let content_type = r.headers().get("content-type").and_then(|v| v.to_str().ok()).unwrap_or("");
        r.status().is_success() && content_type.starts_with("text/event-stream")
    })
}

/// The step that failed when a request got no HTTP answer, with a hint for its cause.
fn unanswered(url: &Url, e: &reqwest::Error, options: &ClientOptions) -> Step {
    let chain = crate::error::with_causes(e);
    let text = crate::error::Cause::of(e).to_string();
    if e.is_timeout() {
        return failed(
            "http_status",
            format!(
                "no answer to the initialize POST within {:?}",
                options.connect_timeout.max(Duration::from_secs(1))
            ),
            "the server accepted the connection but never answered the initialize POST: check that an MCP \
             server (not another service) listens on this port and that it is not stuck",
        );
    }
    if e.is_redirect() {
        return failed(
            "redirect",
            text,
            "the server redirects elsewhere; Switchboard follows redirects only within the same origin and to \
             addresses the workspace allows: use the final URL of the MCP endpoint",
        );
    }
    if chain.to_ascii_lowercase().contains("certificate") || url.scheme() == "https" && e.is_connect() {
        return failed("tls", text, "the server's TLS certificate is not trusted or does not match the host name");
    }
    failed("http_status", text, "the server closed the connection without an HTTP answer")
}

async fn read_bounded(mut response: reqwest::Response) -> String {
    let mut out = Vec::new();
    while let Ok(Some(chunk)) = response.chunk().await {
        out.extend_from_slice(&chunk);
        // One SSE event is enough: a stream may never end.
        if out.len() >= MAX_PROBE_BODY || first_sse_data(&String::from_utf8_lossy(&out)).is_some() {
            break;
        }
    }
    String::from_utf8_lossy(&out).into_owned()
}

/// The first non-empty `data:` of an SSE body.
fn first_sse_data(body: &str) -> Option<String> {
    let mut data = String::new();
    for line in body.lines() {
        let line = line.trim_end_matches('\r');
        if let Some(rest) = line.strip_prefix("data:") {
            data.push_str(rest.strip_prefix(' ').unwrap_or(rest));
        } else if line.is_empty() && !data.trim().is_empty() {
            return Some(data);
        } else if line.is_empty() {
            data.clear();
        }
    }
    (!data.trim().is_empty()).then_some(data)
}

#[cfg(test)]
mod tests {
    use super::first_sse_data;

    #[test]
    fn the_first_event_with_data_is_the_answer() {
        assert_eq!(first_sse_data("event: message\ndata: {\"a\":1}\n\n").as_deref(), Some("{\"a\":1}"));
        assert_eq!(first_sse_data("id: 0\ndata:\n\nevent: message\ndata: {}\n\n").as_deref(), Some("{}"));
        assert_eq!(first_sse_data(": comment\n\n"), None);
    }
}
