//! Waiting for a child process to say it is ready.

use std::io::{BufRead as _, BufReader, Read};
use std::sync::mpsc;
use std::time::{Duration, Instant};

/// Read `output` line by line (on a thread) until `found` picks a line, for at
/// most `limit`. `Ok` carries what `found` returned and every line read so far;
/// `Err` carries the lines read before the output ended or the time ran out.
pub fn wait_for_line<T>(
    output: impl Read + Send + 'static,
    limit: Duration,
    mut found: impl FnMut(&str) -> Option<T>,
) -> Result<(T, Vec<String>), Vec<String>> {
    let (tx, rx) = mpsc::channel();
    std::thread::spawn(move || {
        // Read to the end even once nobody listens: a process whose stdout closed
        // would fail its next write (EPIPE), and chatty peers log every request.
        for line in BufReader::new(output).lines().map_while(Result::ok) {
            let _ = tx.send(line);
        }
    });
    let deadline = Instant::now() + limit;
    let mut lines = vec![];
    while let Ok(line) = rx.recv_timeout(deadline.saturating_duration_since(Instant::now())) {
        let hit = found(&line);
        lines.push(line);
        if let Some(value) = hit {
            return Ok((value, lines));
        }
    }
    Err(lines)
}
