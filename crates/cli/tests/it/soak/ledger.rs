//! What the server acknowledged to the workload: after a `kill -9` and a restart,
//! each of these must still be in the database.

use std::collections::HashSet;

/// Acknowledgements, in the order they arrived, over every round.
#[derive(Clone, Default)]
pub(super) struct Ledger {
    /// Conversations whose creation was answered 201.
    pub(super) conversations: Vec<String>,
    /// `(conversation, content)` of each message answered 200.
    pub(super) messages: Vec<(String, String)>,
    /// `(call, decision)` of each decision answered 200.
    pub(super) decisions: Vec<(String, String)>,
    /// Every marker the playground asked the server to call with, answered or not.
    pub(super) playground_sent: HashSet<String>,
    /// Markers of playground calls answered 200.
    pub(super) playground_answered: Vec<String>,
}

impl Ledger {
    /// How many acknowledgements there are, to tell that a round made progress.
    pub(super) fn acknowledged(&self) -> usize {
        self.conversations.len() + self.messages.len() + self.decisions.len() + self.playground_answered.len()
    }
}
