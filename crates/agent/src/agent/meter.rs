//! What a model step used: the tokens its provider reported and how long it
//! took, measured from the request to the first token and to the end of the
//! stream. Kept with the answer the step writes.

use std::time::Instant;

use switchboard_store::StepUsage;

use crate::model::Usage;

/// Measures one model step from the moment it is made (just before the request).
pub(super) struct Meter {
    model: String,
    /// Steps the turn had taken before this one.
    steps_before: u32,
    started: Instant,
    first_token: Option<Instant>,
    usage: Usage,
}

impl Meter {
    pub(super) fn new(model: String, steps_before: u32) -> Meter {
        Meter { model, steps_before, started: Instant::now(), first_token: None, usage: Usage::default() }
    }

    /// Text or a tool call arrived; the first one sets the time to first token.
    pub(super) fn first_token(&mut self) {
        self.first_token.get_or_insert_with(Instant::now);
    }

    /// The provider's usage figures, at the end of the answer.
    pub(super) fn tokens(&mut self, usage: Usage) {
        self.usage = usage;
    }

    /// The step's usage as it ends now.
    pub(super) fn finish(self) -> StepUsage {
        let ms = |at: Instant| i64::try_from(at.duration_since(self.started).as_millis()).unwrap_or(i64::MAX);
        StepUsage {
            model: self.model,
            input_tokens: i64::try_from(self.usage.input_tokens).unwrap_or(i64::MAX),
            output_tokens: i64::try_from(self.usage.output_tokens).unwrap_or(i64::MAX),
            latency_ms: ms(Instant::now()),
            first_token_ms: self.first_token.map(ms),
            turn_step: i64::from(self.steps_before) + 1,
        }
    }
}
