//! HTTP servers that are not MCP servers, for testing what a client makes of them:
//! a web page, a server that never answers, one that answers garbage, one that
//! redirects elsewhere. Each runs on a loopback port on a thread of its own and
//! stops when dropped.

use std::io::{Read as _, Write as _};
use std::net::{TcpListener, TcpStream};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

/// What the server does with each request.
#[derive(Clone, Debug)]
enum Behaviour {
    /// `200 OK` with this content type and body, whatever was asked.
    Answer { content_type: &'static str, body: String },
    /// Accept the connection, read the request, never answer.
    Silent,
    /// `307` to this location.
    Redirect(String),
}

/// A server that is not an MCP server, on `127.0.0.1:PORT`.
#[derive(Debug)]
pub struct NotMcp {
    /// `http://127.0.0.1:PORT/mcp`.
    pub url: String,
    stop: Arc<AtomicBool>,
}

impl NotMcp {
    /// A web page: `200 text/html` for every request.
    pub fn html_page() -> NotMcp {
        let body = "<!doctype html><html><head><title>Welcome</title></head><body><h1>It works</h1></body></html>";
        Self::start(Behaviour::Answer { content_type: "text/html; charset=utf-8", body: body.to_owned() })
    }

    /// `200 application/json` whose body is not a JSON-RPC response.
    pub fn garbage_json() -> NotMcp {
        Self::start(Behaviour::Answer { content_type: "application/json", body: "{\"hello\": \"world\"".to_owned() })
    }

    /// The same on a given port: a server that took the place of another.
    pub fn garbage_json_on(port: u16) -> NotMcp {
        let body = "{\"hello\": \"world\"".to_owned();
        Self::start_on(port, Behaviour::Answer { content_type: "application/json", body })
    }

    /// Accepts connections and requests, and never answers.
    pub fn silent() -> NotMcp {
        Self::start(Behaviour::Silent)
    }

    /// `307 Temporary Redirect` to `location` for every request.
    pub fn redirect_to(location: &str) -> NotMcp {
        Self::start(Behaviour::Redirect(location.to_owned()))
    }

    fn start(behaviour: Behaviour) -> NotMcp {
        Self::start_on(0, behaviour)
    }

    fn start_on(port: u16, behaviour: Behaviour) -> NotMcp {
        let listener = TcpListener::bind(("127.0.0.1", port)).expect("bind a loopback port");
        let port = listener.local_addr().expect("local address").port();
        listener.set_nonblocking(true).expect("non-blocking listener");
        let stop = Arc::new(AtomicBool::new(false));
        let stopped = stop.clone();
        std::thread::spawn(move || {
            let mut held = vec![];
            while !stopped.load(Ordering::Relaxed) {
                match listener.accept() {
                    Ok((stream, _)) => {
                        let behaviour = behaviour.clone();
                        if let Some(kept) = serve(stream, &behaviour) {
                            held.push(kept);
                        }
                    }
                    Err(_) => std::thread::sleep(Duration::from_millis(10)),
                }
            }
        });
        NotMcp { url: format!("http://127.0.0.1:{port}/mcp"), stop }
    }
}

impl Drop for NotMcp {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::Relaxed);
    }
}

/// Answer one connection; a silent server hands the stream back to keep it open.
fn serve(mut stream: TcpStream, behaviour: &Behaviour) -> Option<TcpStream> {
    let _ = stream.set_nonblocking(false);
    let _ = stream.set_read_timeout(Some(Duration::from_secs(5)));
    read_request(&mut stream);
    let response = match behaviour {
        Behaviour::Silent => return Some(stream),
        Behaviour::Answer { content_type, body } => format!(
            "HTTP/1.1 200 OK\r\ncontent-type: {content_type}\r\ncontent-length: {}\r\nconnection: close\r\n\r\n{body}",
            body.len()
        ),
        Behaviour::Redirect(location) => {
            format!(
                "HTTP/1.1 307 Temporary Redirect\r\nlocation: {location}\r\ncontent-length: 0\r\nconnection: close\r\n\r\n"
            )
        }
    };
    let _ = stream.write_all(response.as_bytes());
    let _ = stream.flush();
    None
}

/// Read the head and, by its `content-length`, the body of one request.
fn read_request(stream: &mut TcpStream) {
    let mut seen = Vec::new();
    let mut buf = [0u8; 4096];
    let head_end = loop {
        match stream.read(&mut buf) {
            Ok(0) | Err(_) => return,
            Ok(n) => seen.extend_from_slice(&buf[..n]),
        }
        if let Some(i) = seen.windows(4).position(|w| w == b"\r\n\r\n") {
            break i + 4;
        }
    };
    let head = String::from_utf8_lossy(&seen[..head_end]).to_ascii_lowercase();
    let length: usize =
        head.lines().find_map(|l| l.strip_prefix("content-length:")).and_then(|v| v.trim().parse().ok()).unwrap_or(0);
    let mut remaining = length.saturating_sub(seen.len() - head_end);
    while remaining > 0 {
        match stream.read(&mut buf) {
            Ok(0) | Err(_) => return,
            Ok(n) => remaining = remaining.saturating_sub(n),
        }
    }
}
