//! Turns running in this process, so they can be cancelled.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use switchboard_core::ConversationId;
use tokio_util::sync::CancellationToken;

#[derive(Clone, Debug, Default)]
pub(crate) struct Running(Arc<Mutex<HashMap<ConversationId, CancellationToken>>>);

impl Running {
    pub(crate) fn start(&self, id: ConversationId) -> CancellationToken {
        let token = CancellationToken::new();
        self.0.lock().unwrap_or_else(|e| e.into_inner()).insert(id, token.clone());
        token
    }

    pub(crate) fn finish(&self, id: ConversationId) {
        self.0.lock().unwrap_or_else(|e| e.into_inner()).remove(&id);
    }

    /// Cancel the turn if it runs here; whether it did.
    pub(crate) fn cancel(&self, id: ConversationId) -> bool {
        match self.0.lock().unwrap_or_else(|e| e.into_inner()).get(&id) {
            Some(token) => {
                token.cancel();
                true
            }
            None => false,
        }
    }
}
