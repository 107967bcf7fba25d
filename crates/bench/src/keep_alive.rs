//! A keep-alive HTTP/1.1 client over one blocking `TcpStream`, for load: one
//! connection per worker thread, `TCP_NODELAY`, each request written with one
//! `write` and each answer read into a buffer that is reused. It reads what a
//! client must to keep the connection (the status, the headers that frame the
//! body, `Mcp-Session-Id`) and hands the body back unparsed.
//!
//! The same client calls the upstream directly and calls Switchboard, so the
//! difference between the two is the server side, not the clients.

use std::io::{Read as _, Write as _};
use std::net::{SocketAddr, TcpStream};
use std::time::Duration;

use anyhow::Context as _;

/// How long a request may take once connected; a server that does not answer
/// fails the run instead of hanging it.
const IO_TIMEOUT: Duration = Duration::from_secs(30);
/// Longest response head we accept; a longer one is not something we asked for.
const MAX_HEAD: usize = 64 * 1024;

/// One open connection.
#[derive(Debug)]
pub(crate) struct Connection {
    stream: TcpStream,
    host: String,
    request: Vec<u8>,
    /// Bytes read but not consumed yet: `buf[start..end]`.
    buf: Vec<u8>,
    start: usize,
    end: usize,
}

/// What came back.
#[derive(Debug, Default)]
pub(crate) struct Response {
    pub(crate) status: u16,
    pub(crate) session_id: Option<String>,
    pub(crate) body: Vec<u8>,
}

impl Connection {
    pub(crate) fn open(addr: SocketAddr) -> anyhow::Result<Self> {
        let stream =
            TcpStream::connect_timeout(&addr, IO_TIMEOUT).with_context(|| format!("cannot connect to {addr}"))?;
        stream.set_nodelay(true)?;
        stream.set_read_timeout(Some(IO_TIMEOUT))?;
        stream.set_write_timeout(Some(IO_TIMEOUT))?;
        Ok(Self {
            stream,
            host: addr.to_string(),
            request: Vec::with_capacity(1024),
            buf: vec![0; 16 * 1024],
            start: 0,
            end: 0,
        })
    }

    /// `POST path` with a JSON `body` and `headers` (each a full line ending in
    /// `\r\n`); the response, read whole.
    pub(crate) fn post(&mut self, path: &str, headers: &str, body: &[u8]) -> anyhow::Result<Response> {
        self.request.clear();
        write!(
            self.request,
            "POST {path} HTTP/1.1\r\nHost: {}\r\nContent-Type: application/json\r\nContent-Length: {}\r\n{headers}\r\n",
            self.host,
            body.len()
        )?;
        self.request.extend_from_slice(body);
        self.stream.write_all(&self.request).with_context(|| format!("cannot send POST {path}"))?;
        self.read_response().with_context(|| format!("no complete answer to POST {path}"))
    }

    fn read_response(&mut self) -> anyhow::Result<Response> {
        let head_len = loop {
            if let Some(at) = find(&self.buf[self.start..self.end], b"\r\n\r\n") {
                break at + 4;
            }
            anyhow::ensure!(self.end - self.start < MAX_HEAD, "the response head is longer than {MAX_HEAD} bytes");
            self.fill()?;
        };
        let head = parse_head(&self.buf[self.start..self.start + head_len])?;
        self.start += head_len;
        let mut response = Response { status: head.status, session_id: head.session_id, body: Vec::new() };
        match head.framing {
            Framing::Length(n) => self.read_exact_into(n, &mut response.body)?,
            Framing::Chunked => loop {
                let line = self.read_line()?;
                let size = line.split(|&b| b == b';').next().unwrap_or_default();
                let size = std::str::from_utf8(size).ok().and_then(|s| usize::from_str_radix(s.trim(), 16).ok());
                let size = size.context("a chunk size that is not hexadecimal")?;
                if size == 0 {
                    // Trailers, if any, end with an empty line.
                    while !self.read_line()?.is_empty() {}
                    break;
                }
                self.read_exact_into(size, &mut response.body)?;
                anyhow::ensure!(self.read_line()?.is_empty(), "no CRLF after a chunk");
            },
            Framing::None => {}
        }
        Ok(response)
    }

    /// Read more bytes into the buffer, compacting it first.
    fn fill(&mut self) -> anyhow::Result<()> {
        if self.start > 0 {
            self.buf.copy_within(self.start..self.end, 0);
            self.end -= self.start;
            self.start = 0;
        }
        if self.end == self.buf.len() {
            self.buf.resize(self.buf.len() * 2, 0);
        }
        let n = self.stream.read(&mut self.buf[self.end..])?;
        anyhow::ensure!(n > 0, "the server closed the connection");
        self.end += n;
        Ok(())
    }

    fn read_exact_into(&mut self, mut n: usize, out: &mut Vec<u8>) -> anyhow::Result<()> {
        while n > 0 {
            if self.start == self.end {
                self.fill()?;
            }
            let take = n.min(self.end - self.start);
            out.extend_from_slice(&self.buf[self.start..self.start + take]);
            self.start += take;
            n -= take;
        }
        Ok(())
    }

    /// The next line without its CRLF, borrowed from the buffer.
    fn read_line(&mut self) -> anyhow::Result<&[u8]> {
        loop {
            if let Some(at) = find(&self.buf[self.start..self.end], b"\r\n") {
                let line = self.start..self.start + at;
                self.start += at + 2;
                return Ok(&self.buf[line]);
            }
            self.fill()?;
        }
    }
}

/// How the body of a response is delimited.
#[derive(Debug, PartialEq)]
enum Framing {
    Length(usize),
    Chunked,
    /// No body (a 1xx, 204 or 304, or no length given on a keep-alive connection).
    None,
}

#[derive(Debug, PartialEq)]
struct Head {
    status: u16,
    session_id: Option<String>,
    framing: Framing,
}

fn parse_head(head: &[u8]) -> anyhow::Result<Head> {
    let text = std::str::from_utf8(head).context("a response head that is not UTF-8")?;
    let mut lines = text.split("\r\n");
    let status_line = lines.next().unwrap_or_default();
    let status = status_line
        .strip_prefix("HTTP/1.1 ")
        .and_then(|rest| rest.get(..3))
        .and_then(|code| code.parse().ok())
        .with_context(|| format!("not an HTTP/1.1 status line: {status_line:?}"))?;
    let mut session_id = None;
    let mut framing = Framing::None;
    for line in lines {
        let Some((name, value)) = line.split_once(':') else { continue };
        let value = value.trim();
        if name.eq_ignore_ascii_case("content-length") {
            framing = Framing::Length(value.parse().with_context(|| format!("Content-Length: {value:?}"))?);
        } else if name.eq_ignore_ascii_case("transfer-encoding") {
            anyhow::ensure!(value.eq_ignore_ascii_case("chunked"), "Transfer-Encoding {value:?} is not supported");
            framing = Framing::Chunked;
        } else if name.eq_ignore_ascii_case("mcp-session-id") {
            session_id = Some(value.to_owned());
        }
    }
    Ok(Head { status, session_id, framing })
}

/// Where `needle` first occurs in `haystack`.
pub(crate) fn find(haystack: &[u8], needle: &[u8]) -> Option<usize> {
    haystack.windows(needle.len()).position(|window| window == needle)
}

#[cfg(test)]
mod tests {
    use std::io::{Read as _, Write as _};
    use std::net::TcpListener;

    use super::{Connection, Framing, Head, find, parse_head};

    #[test]
    fn heads() {
        let check = |input: &str, expect: Option<Head>| assert_eq!(parse_head(input.as_bytes()).ok(), expect);
        check(
            "HTTP/1.1 200 OK\r\ncontent-type: application/json\r\ncontent-length: 12\r\n\r\n",
            Some(Head { status: 200, session_id: None, framing: Framing::Length(12) }),
        );
        check(
            "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\nMcp-Session-Id: abc\r\n\r\n",
            Some(Head { status: 200, session_id: Some("abc".into()), framing: Framing::Chunked }),
        );
        check("HTTP/1.1 202 Accepted\r\n\r\n", Some(Head { status: 202, session_id: None, framing: Framing::None }));
        check("HTTP/1.0 200 OK\r\n\r\n", None);
        check("HTTP/1.1 200 OK\r\ntransfer-encoding: gzip\r\n\r\n", None);
    }

    #[test]
    fn finds() {
        assert_eq!(find(b"ab\r\n\r\ncd", b"\r\n\r\n"), Some(2));
        assert_eq!(find(b"abc", b"\r\n"), None);
    }

    /// Two responses on one connection, one with a length and one chunked in
    /// pieces, read back to back.
    #[test]
    fn reads_both_framings_on_one_connection() {
        let listener = TcpListener::bind("127.0.0.1:0").expect("bind");
        let addr = listener.local_addr().expect("addr");
        let server = std::thread::spawn(move || {
            let (mut socket, _) = listener.accept().expect("accept");
            let mut request = [0; 4096];
            let _ = socket.read(&mut request).expect("first request");
            socket
                .write_all(b"HTTP/1.1 200 OK\r\nContent-Length: 5\r\nMcp-Session-Id: s1\r\n\r\nhello")
                .expect("write");
            let _ = socket.read(&mut request).expect("second request");
            socket.write_all(b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n6\r\ndata: \r\n").expect("write");
            socket.write_all(b"4\r\n{}\n\n\r\n0\r\n\r\n").expect("write");
        });
        let mut connection = Connection::open(addr).expect("connect");
        let first = connection.post("/mcp", "", b"{}").expect("first");
        assert_eq!((first.status, first.session_id.as_deref(), &first.body[..]), (200, Some("s1"), &b"hello"[..]));
        let second = connection.post("/mcp", "Mcp-Session-Id: s1\r\n", b"{}").expect("second");
        assert_eq!((second.status, &second.body[..]), (200, &b"data: {}\n\n"[..]));
        server.join().expect("server");
    }
}
