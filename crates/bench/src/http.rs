//! Just enough HTTP/1.1 over a plain `TcpStream` to probe the server: one
//! request per connection, status code only. Keeping the client this small
//! keeps its own cost out of the figures.

use std::io::{Read as _, Write as _};
use std::net::{SocketAddr, TcpStream};
use std::time::Duration;

use anyhow::Context as _;

/// How long one request may take once connected; a server that accepts but
/// does not answer is a failure, not a reason to wait forever.
const IO_TIMEOUT: Duration = Duration::from_secs(5);

/// `GET path` on `addr` and return the status code.
///
/// A refused connection is returned as the `std::io::Error` inside the
/// `anyhow::Error`, so callers polling for readiness can tell it apart.
pub(crate) fn get_status(addr: SocketAddr, path: &str) -> anyhow::Result<u16> {
    let mut stream = TcpStream::connect_timeout(&addr, IO_TIMEOUT)?;
    stream.set_read_timeout(Some(IO_TIMEOUT))?;
    stream.set_write_timeout(Some(IO_TIMEOUT))?;
    stream.set_nodelay(true)?;
    let request = format!("GET {path} HTTP/1.1\r\nHost: {addr}\r\nConnection: close\r\n\r\n");
    stream.write_all(request.as_bytes()).with_context(|| format!("cannot send GET {path} to {addr}"))?;
    let mut response = Vec::new();
    stream.read_to_end(&mut response).with_context(|| format!("no complete answer to GET {path} from {addr}"))?;
    parse_status(&response).with_context(|| {
        let head = String::from_utf8_lossy(&response[..response.len().min(80)]).into_owned();
        format!("GET {path} on {addr}: not an HTTP/1.1 response: {head:?}")
    })
}

/// The status code of `HTTP/1.1 200 OK\r\n...`.
fn parse_status(response: &[u8]) -> Option<u16> {
    let line = response.split(|&b| b == b'\r').next()?;
    let line = std::str::from_utf8(line).ok()?;
    let mut parts = line.split(' ');
    match parts.next()? {
        "HTTP/1.1" | "HTTP/1.0" => parts.next()?.parse().ok(),
        _ => None,
    }
}

/// Whether `error` (from [`get_status`]) means nothing listens on the port yet.
pub(crate) fn is_refused(error: &anyhow::Error) -> bool {
    error.downcast_ref::<std::io::Error>().is_some_and(|e| e.kind() == std::io::ErrorKind::ConnectionRefused)
}

#[cfg(test)]
mod tests {
    use super::parse_status;

    #[test]
    fn status_lines() {
        let check = |input: &[u8], expect: Option<u16>| assert_eq!(parse_status(input), expect);
        check(b"HTTP/1.1 200 OK\r\ncontent-length: 0\r\n\r\n", Some(200));
        check(b"HTTP/1.1 503 Service Unavailable\r\n", Some(503));
        check(b"HTTP/1.0 404 Not Found\r\n", Some(404));
        check(b"", None);
        check(b"SSH-2.0-OpenSSH\r\n", None);
        check(b"HTTP/1.1 two hundred\r\n", None);
    }
}
