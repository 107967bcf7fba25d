//! Both transports, both ways of starting MCP (`initialize` and `server/discover`), and the HTTP
//! server's Host check.

use rmcp::model::ProtocolVersion;
use serde_json::json;
use tokio::io::{AsyncBufReadExt as _, AsyncWriteExt as _, BufReader};

use crate::support::{Client, HttpServer, Lifecycle, call_ok, close, negotiated, stdio_client, within};

/// What every connection must offer, whichever way it started.
async fn check_connection(client: &Client) {
    let info = client.peer_info().expect("the server introduced itself");
    assert_eq!(info.server_info.as_ref().map(|server| server.name.as_str()), Some("kanban"));
    assert!(info.instructions.as_deref().is_some_and(|text| text.contains("todo, doing and done")));
    assert!(info.capabilities.tools.is_some());
    let found = call_ok(client, "search", json!({ "query": "backups" })).await;
    assert_eq!(found["results"][0]["id"], "T-4");
}

/// (lifecycle, the version it must negotiate)
const LIFECYCLES: [(Lifecycle, ProtocolVersion); 2] =
    [(Lifecycle::Initialize, ProtocolVersion::V_2025_11_25), (Lifecycle::Auto, ProtocolVersion::V_2026_07_28)];

#[tokio::test]
async fn stdio_negotiates_each_lifecycle() {
    for (lifecycle, version) in LIFECYCLES {
        let client = stdio_client(None, lifecycle).await;
        assert_eq!(negotiated(&client), version, "{lifecycle:?}");
        check_connection(&client).await;
        close(client).await;
    }
}

#[tokio::test]
async fn http_negotiates_each_lifecycle() {
    let server = HttpServer::start(None).await;
    for (lifecycle, version) in LIFECYCLES {
        let client = server.client(lifecycle).await;
        assert_eq!(negotiated(&client), version, "{lifecycle:?}");
        check_connection(&client).await;
        close(client).await;
    }
    server.stop().await;
}

/// Sends one raw HTTP/1.1 request and returns the status line.
async fn status_line(server: &HttpServer, host: &str) -> String {
    let body = json!({
        "jsonrpc": "2.0",
        "id": 1,
        "method": "initialize",
        "params": {
            "protocolVersion": "2025-11-25",
            "capabilities": {},
            "clientInfo": { "name": "raw-http", "version": "0.0.0" },
        },
    })
    .to_string();
    let request = format!(
        "POST /mcp HTTP/1.1\r\nHost: {host}\r\nContent-Type: application/json\r\n\
         Accept: application/json, text/event-stream\r\n\
         Content-Length: {}\r\nConnection: close\r\n\r\n{body}",
        body.len()
    );
    let mut stream = within("connect", tokio::net::TcpStream::connect(server.authority())).await.expect("connects");
    within("send", stream.write_all(request.as_bytes())).await.expect("sends");
    let mut status = String::new();
    within("receive", BufReader::new(stream).read_line(&mut status)).await.expect("receives");
    status.trim_end().to_owned()
}

/// Only loopback names are accepted in `Host`, which keeps a web page that rebinds its own
/// name to 127.0.0.1 from talking to the board.
#[tokio::test]
async fn http_refuses_foreign_host_headers() {
    let server = HttpServer::start(None).await;
    assert_eq!(status_line(&server, "attacker.example").await, "HTTP/1.1 403 Forbidden");
    assert_eq!(status_line(&server, server.authority()).await, "HTTP/1.1 200 OK");
    assert_eq!(status_line(&server, &server.authority().replace("127.0.0.1", "localhost")).await, "HTTP/1.1 200 OK");
    server.stop().await;
}

#[tokio::test]
async fn http_accepts_hosts_named_with_allow_host() {
    let server = HttpServer::start_with(&["--allow-host", "board.example"]).await;
    assert_eq!(status_line(&server, "board.example").await, "HTTP/1.1 200 OK");
    assert_eq!(status_line(&server, server.authority()).await, "HTTP/1.1 200 OK", "loopback stays allowed");
    assert_eq!(status_line(&server, "other.example").await, "HTTP/1.1 403 Forbidden");
    server.stop().await;
}
