//! What a start does with the work a stop of this instance cut off.

use serde_json::json;
use switchboard_core::ConversationId;
use switchboard_store::Interruption;

use super::Agent;
use crate::error::AgentError;

impl Agent {
    /// After a start: this instance's calls that were running when it stopped are
    /// marked interrupted (never sent again) and its turns that were running end,
    /// each with a note. Other instances' work is left alone. Returns the
    /// conversations touched.
    pub async fn recover(&self) -> Result<Vec<ConversationId>, AgentError> {
        let message = "Switchboard stopped while this call was running; it may or may not have taken effect, \
                       and it was not sent again";
        let interruption = Interruption {
            result: &json!({"error": message}),
            model_content: message,
            note: "The server stopped during this turn; what was running then was not sent again.",
        };
        // The server requests those calls waited on died with their connections.
        let expired = self.store.expire_elicitations_of(&self.config.instance).await?;
        if expired > 0 {
            tracing::info!(expired, "requests for input left unanswered by the stop were expired");
        }
        Ok(self.store.interrupt_unfinished(&self.config.instance, interruption).await?)
    }
}
