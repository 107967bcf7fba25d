//! A streaming answer's body turned into [`ModelEvent`]s: bytes → SSE events →
//! the provider's decoder, with the timeout between chunks and the end checked.

use std::collections::VecDeque;
use std::pin::Pin;
use std::time::Duration;

use futures::{Stream, StreamExt as _};

use super::sse::{SseEvent, SseParser};
use super::{ModelStream, ProviderError, ProviderKind};
use crate::model::ModelEvent;

/// What turns one provider's events into model events.
pub(crate) trait Decoder: Send + 'static {
    /// Take one event, pushing the model events it completes onto `out`.
    /// Returns true once the answer is over (nothing after it is read).
    fn event(&mut self, event: SseEvent, out: &mut Vec<ModelEvent>) -> Result<bool, ProviderError>;
}

/// Bytes in, model events out: the SSE parser and a provider's decoder, with the
/// events decoded so far and whether the answer is over.
struct Decoding<D> {
    parser: SseParser,
    decoder: D,
    ready: VecDeque<Result<ModelEvent, ProviderError>>,
    over: bool,
}

struct State<S, D> {
    body: Pin<Box<S>>,
    decoding: Decoding<D>,
    timeout: Duration,
}

/// Decode a whole answer's body, given as the chunks it arrived in, as a stream
/// from a provider of `kind` is decoded (without the timeout): the events in
/// order, ending with the error that ended it, if one did. For tests and fuzzing
/// of the wire formats; the chunks may split the body anywhere.
pub fn decode_answer(kind: ProviderKind, chunks: &[&[u8]]) -> Vec<Result<ModelEvent, ProviderError>> {
    fn run<D: Decoder>(decoder: D, chunks: &[&[u8]]) -> Vec<Result<ModelEvent, ProviderError>> {
        let mut decoding = Decoding::new(decoder);
        for chunk in chunks {
            if decoding.over {
                break;
            }
            decoding.push(chunk);
        }
        decoding.end();
        decoding.ready.into()
    }
    match kind {
        ProviderKind::OpenAi => run(super::openai::ChatDecoder::default(), chunks),
        ProviderKind::Anthropic => run(super::anthropic::MessagesDecoder::default(), chunks),
    }
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
    let state = State { body: Box::pin(body), decoding: Decoding::new(decoder), timeout };
    Box::pin(futures::stream::unfold(state, |mut state| async move {
        loop {
            if let Some(item) = state.decoding.ready.pop_front() {
                return Some((item, state));
            }
            if state.decoding.over {
                return None;
            }
            match tokio::time::timeout(state.timeout, state.body.next()).await {
                Err(_) => state.decoding.fail(ProviderError::Timeout(state.timeout)),
                Ok(Some(Ok(bytes))) => state.decoding.push(bytes.as_ref()),
                Ok(Some(Err(e))) => {
                    tracing::debug!(error = %super::http::error_chain(&e), "model stream broke");
                    state.decoding.fail(ProviderError::Cut);
                }
                Ok(None) => state.decoding.end(),
            }
        }
    }))
}

impl<D: Decoder> Decoding<D> {
    fn new(decoder: D) -> Self {
        Self { parser: SseParser::default(), decoder, ready: VecDeque::new(), over: false }
    }

    /// The next bytes of the body.
    fn push(&mut self, bytes: &[u8]) {
        let events = self.parser.push(bytes);
        self.feed(events);
    }

    /// The body ended: its last event, if unfinished, is still decoded; an answer
    /// that is not over then was cut.
    fn end(&mut self) {
        let last = self.parser.finish();
        self.feed(last);
        if !self.over {
            self.fail(ProviderError::Cut);
        }
    }

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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::{StopReason, Usage};

    fn shown(events: &[Result<ModelEvent, ProviderError>]) -> Vec<String> {
        events.iter().map(|e| format!("{e:?}")).collect()
    }

    #[test]
    fn an_answer_decodes_alike_however_its_body_is_split() {
        let body = concat!(
            "data: {\"choices\":[{\"index\":0,\"delta\":{\"content\":\"Hi\"}}]}\r\n\r\n",
            "data: {\"choices\":[{\"index\":0,\"delta\":{},\"finish_reason\":\"stop\"}],",
            "\"usage\":{\"prompt_tokens\":3,\"completion_tokens\":1}}\n\n",
            "data: [DONE]\n\n",
            "data: {\"ignored\": \"after the end\"}\n\n",
        )
        .as_bytes();
        let whole = decode_answer(ProviderKind::OpenAi, &[body]);
        assert_eq!(
            shown(&whole),
            shown(&[
                Ok(ModelEvent::TextDelta("Hi".into())),
                Ok(ModelEvent::Finished {
                    stop: StopReason::EndTurn,
                    usage: Usage { input_tokens: 3, output_tokens: 1 }
                }),
            ])
        );
        let bytewise: Vec<&[u8]> = body.chunks(1).collect();
        assert_eq!(shown(&decode_answer(ProviderKind::OpenAi, &bytewise)), shown(&whole));
        // A body that ends between events was cut; one that ends inside an event still
        // has that event decoded, which here is half a JSON document.
        let first = body.windows(4).position(|w| w == b"\r\n\r\n").expect("an event") + 4;
        let events = decode_answer(ProviderKind::OpenAi, &[&body[..first]]);
        assert!(matches!(events.as_slice(), [Ok(ModelEvent::TextDelta(_)), Err(ProviderError::Cut)]), "{events:?}");
        let events = decode_answer(ProviderKind::OpenAi, &[&body[..first + 20]]);
        assert!(matches!(events.last(), Some(Err(ProviderError::Malformed(_)))), "{events:?}");
        let anthropic =
            decode_answer(ProviderKind::Anthropic, &[b"event: message_stop\ndata: {\"type\":\"message_stop\"}\n\n"]);
        assert!(matches!(anthropic.as_slice(), [Ok(ModelEvent::Finished { .. })]), "{anthropic:?}");
    }
}
