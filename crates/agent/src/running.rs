//! Turns running in this process, so they can be cancelled.

use std::collections::HashMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};

use switchboard_core::ConversationId;
use tokio_util::sync::CancellationToken;

/// The drive of each conversation running here, with the switch that cancels it.
#[derive(Clone, Debug, Default)]
pub(crate) struct Running(Arc<Drives>);

#[derive(Debug, Default)]
struct Drives {
    by_conversation: Mutex<HashMap<ConversationId, (u64, CancellationToken)>>,
    next: AtomicU64,
}

/// One drive's registration: its cancel switch, until it is dropped. Dropping it
/// removes this drive's switch only, never a newer drive's of the same
/// conversation (one started by a decision just as this one ended).
#[derive(Debug)]
pub(crate) struct Registered {
    drives: Arc<Drives>,
    conversation: ConversationId,
    serial: u64,
    pub(crate) cancel: CancellationToken,
}

impl Running {
    /// Register a drive of `conversation`; the newest drive is the one cancelled.
    pub(crate) fn start(&self, conversation: ConversationId) -> Registered {
        let serial = self.0.next.fetch_add(1, Ordering::Relaxed);
        let cancel = CancellationToken::new();
        self.0.by_conversation.lock().unwrap_or_else(|e| e.into_inner()).insert(conversation, (serial, cancel.clone()));
        Registered { drives: self.0.clone(), conversation, serial, cancel }
    }

    /// The cancel switch of the drive of `conversation` running here, if one does.
    pub(crate) fn token(&self, conversation: ConversationId) -> Option<CancellationToken> {
        self.0.by_conversation.lock().unwrap_or_else(|e| e.into_inner()).get(&conversation).map(|(_, t)| t.clone())
    }

    /// Cancel the turn if it runs here; whether it did.
    pub(crate) fn cancel(&self, conversation: ConversationId) -> bool {
        match self.0.by_conversation.lock().unwrap_or_else(|e| e.into_inner()).get(&conversation) {
            Some((_, token)) => {
                token.cancel();
                true
            }
            None => false,
        }
    }
}

impl Drop for Registered {
    fn drop(&mut self) {
        let mut drives = self.drives.by_conversation.lock().unwrap_or_else(|e| e.into_inner());
        if drives.get(&self.conversation).is_some_and(|(serial, _)| *serial == self.serial) {
            drives.remove(&self.conversation);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_ending_drive_leaves_the_next_one_cancellable() {
        let running = Running::default();
        let id = ConversationId::new();
        let ending = running.start(id);
        // A decision starts the next drive before the first has unregistered.
        let next = running.start(id);
        drop(ending);
        assert!(running.cancel(id), "the newer drive is still registered");
        assert!(next.cancel.is_cancelled());
        drop(next);
        assert!(!running.cancel(id), "nothing runs once both are gone");
    }

    #[test]
    fn cancel_reaches_the_drive_that_runs() {
        let running = Running::default();
        let (a, b) = (ConversationId::new(), ConversationId::new());
        let first = running.start(a);
        let other = running.start(b);
        assert!(running.cancel(a));
        assert!(first.cancel.is_cancelled() && !other.cancel.is_cancelled());
    }
}
