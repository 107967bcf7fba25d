//! What a start does with the work a stop of this instance cut off.

use std::collections::BTreeMap;

use serde_json::json;
use switchboard_core::ConversationId;
use switchboard_core::conversation::TurnState;
use switchboard_store::{CallTask, Conversation, Interruption, ToolCall, TurnMove};
use tokio::sync::mpsc;

use super::Agent;
use crate::error::AgentError;
use crate::history::model_messages;

impl Agent {
    /// After a start: this instance's calls that were running when it stopped are
    /// marked interrupted (never sent again) and its turns that were running end,
    /// each with a note — except calls that run as tasks on their servers: those
    /// are followed again in the background, and their turns go on once they end.
    /// Other instances' work is left alone. Returns the conversations touched.
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
        let touched = self.store.interrupt_unfinished(&self.config.instance, interruption).await?;
        let mut following: BTreeMap<ConversationId, Vec<(ToolCall, CallTask)>> = BTreeMap::new();
        for (call, task) in self.store.running_call_tasks(&self.config.instance).await? {
            following.entry(call.conversation_id).or_default().push((call, task));
        }
        for (id, calls) in following {
            tracing::info!(conversation = %id, calls = calls.len(), "following tasks a stop cut off");
            let agent = self.clone();
            tokio::spawn(async move {
                if let Err(e) = agent.follow_again(id, calls).await {
                    tracing::error!(conversation = %id, error = %e, "could not go on with a turn after its tasks");
                    agent.end_failed(id).await;
                }
            });
        }
        Ok(touched)
    }

    /// Follow a running turn's tasks to their ends, then go on with the turn as a
    /// drive of this process (so Stop reaches it): to the next model step when no
    /// call waits, else to `awaiting_approval`. Nobody listens to its events; they
    /// are all in the store.
    async fn follow_again(&self, id: ConversationId, calls: Vec<(ToolCall, CallTask)>) -> Result<(), AgentError> {
        let conversation = self.store.conversation(id).await?;
        let registered = self.running.start(id);
        let offered = self.host.offered(&conversation).await;
        let available = offered.as_deref().unwrap_or_default();
        let (tx, _) = mpsc::channel(256);
        let client_session = calls.iter().find_map(|(c, _)| c.client_session.clone()).unwrap_or_default();
        let runs = calls.into_iter().map(|(call, task)| {
            let conversation = &conversation;
            let tx = &tx;
            async move { self.execute_resumed(conversation, call, task, available, tx).await }
        });
        futures::future::join_all(runs).await;
        let calls = self.store.tool_calls(id).await?;
        // A task approved while its turn waited ran with the turn `awaiting_approval`;
        // one of a read, with the turn `running`.
        let state = self.store.conversation(id).await?.state;
        let move_to =
            |from, to| TurnMove { from, to, steps: conversation.steps, instance: &self.config.instance, note: None };
        if calls.iter().any(|c| !c.status.is_final()) {
            // A write of the same step waits for its decision.
            if state == TurnState::Running {
                self.store.move_turn(id, move_to(TurnState::Running, TurnState::AwaitingApproval)).await?;
            }
            return Ok(());
        }
        match state {
            TurnState::Running => {}
            TurnState::AwaitingApproval => {
                self.store.move_turn(id, move_to(TurnState::AwaitingApproval, TurnState::Running)).await?;
            }
            // Stopped meanwhile.
            TurnState::Idle => return Ok(()),
        }
        let messages = self.store.messages(id).await?;
        let history = model_messages(&messages, &calls);
        let running = Conversation { state: TurnState::Running, ..conversation };
        self.drive_with(running, offered, history, &client_session, &tx, &registered.cancel).await
    }
}
