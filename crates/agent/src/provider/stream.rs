//! A streaming answer's body turned into [`ModelEvent`]s: bytes → SSE events →
//! the provider's decoder, with the timeout between chunks and the end checked.

use std::collections::VecDeque;
use std::pin::Pin;
use std::time::Duration;

use futures::{Stream, StreamExt as _};

use super::sse::{SseEvent, SseParser};
use super::{ModelStream, ProviderError};
use crate::model::ModelEvent;

/// What turns one provider's events into model events.
pub(crate) trait Decoder: Send + 'static {
    /// Take one event, pushing the model events it completes onto `out`.
    /// Returns true once the answer is over (nothing after it is read).
    fn event(&mut self, event: SseEvent, out: &mut Vec<ModelEvent>) -> Result<bool, ProviderError>;
}

struct State<S, D> {
    body: Pin<Box<S>>,
    parser: SseParser,
    decoder: D,
    ready: VecDeque<Result<ModelEvent, ProviderError>>,
    over: bool,
    timeout: Duration,
}

/// The events of `body`, decoded by `decoder`. The stream fails with
/// [`ProviderError::Timeout`] when no chunk comes within `timeout`, and with
/// [`ProviderError::Cut`] when the body ends (or breaks) before the decoder says
/// the answer is over.
pub(crate) fn model_stream<S, B, D>(body: S, decoder: D, timeout: Duration) -> ModelStream
where
    S: Stream<Item = reqwest::Result<B>> + Send + 'static,
    B: AsRef<[u8]>,
    D: Decoder,
{
    let state = State {
        body: Box::pin(body),
        parser: SseParser::default(),
        decoder,
        ready: VecDeque::new(),
        over: false,
        timeout,
    };
    Box::pin(futures::stream::unfold(state, |mut state| async move {
        loop {
            if let Some(item) = state.ready.pop_front() {
                return Some((item, state));
            }
            if state.over {
                return None;
            }
            match tokio::time::timeout(state.timeout, state.body.next()).await {
                Err(_) => state.fail(ProviderError::Timeout(state.timeout)),
                Ok(Some(Ok(bytes))) => {
                    let events = state.parser.push(bytes.as_ref());
                    state.feed(events);
                }
                Ok(Some(Err(e))) => {
                    tracing::debug!(error = %super::http::error_chain(&e), "model stream broke");
                    state.fail(ProviderError::Cut);
                }
                Ok(None) => {
                    let last = state.parser.finish();
                    state.feed(last);
                    if !state.over {
                        state.fail(ProviderError::Cut);
                    }
                }
            }
        }
    }))
}

impl<S, D: Decoder> State<S, D> {
    fn feed(&mut self, events: impl IntoIterator<Item = SseEvent>) {
        let mut out = vec![];
        for event in events {
            if self.over {
                break;
            }
            let result = self.decoder.event(event, &mut out);
            self.ready.extend(out.drain(..).map(Ok));
            match result {
                Ok(done) => self.over = done,
                Err(e) => self.fail(e),
            }
        }
    }

    fn fail(&mut self, error: ProviderError) {
        self.ready.push_back(Err(error));
        self.over = true;
    }
}
