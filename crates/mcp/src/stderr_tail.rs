//! The end of what a local command writes to stderr, kept to explain a failed start.
//!
//! The pipe is drained for as long as the program runs (a full pipe would block
//! it); only the last [`TAIL_BYTES`] are kept, and each line is logged at debug
//! level.

use std::sync::{Arc, Mutex, PoisonError};
use std::time::Duration;

use tokio::io::{AsyncBufReadExt, BufReader};
use tokio::process::ChildStderr;
use tokio::sync::watch;

/// Bytes of stderr kept.
const TAIL_BYTES: usize = 2048;

#[derive(Clone, Debug)]
pub(crate) struct StderrTail {
    text: Arc<Mutex<String>>,
    ended: watch::Receiver<bool>,
}

impl StderrTail {
    /// Start draining `stderr` of `program`.
    pub(crate) fn drain(stderr: ChildStderr, program: String) -> Self {
        let text = Arc::new(Mutex::new(String::new()));
        let (ended_tx, ended) = watch::channel(false);
        let kept = text.clone();
        tokio::spawn(async move {
            let mut lines = BufReader::new(stderr).lines();
            while let Ok(Some(line)) = lines.next_line().await {
                tracing::debug!(%program, line = %line, "upstream stderr");
                let mut text = kept.lock().unwrap_or_else(PoisonError::into_inner);
                text.push_str(&line);
                text.push('\n');
                if text.len() > TAIL_BYTES {
                    let mut cut = text.len() - TAIL_BYTES;
                    while !text.is_char_boundary(cut) {
                        cut += 1;
                    }
                    text.drain(..cut);
                }
            }
            let _ = ended_tx.send(true);
        });
        Self { text, ended }
    }

    /// What was written so far, after waiting up to `wait` for the program to close stderr.
    pub(crate) async fn read(&self, wait: Duration) -> String {
        let mut ended = self.ended.clone();
        let _ = tokio::time::timeout(wait, ended.wait_for(|done| *done)).await;
        self.text.lock().unwrap_or_else(PoisonError::into_inner).trim_end().to_owned()
    }
}
