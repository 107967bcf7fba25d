//! The agent loop: a state machine over the persisted conversation.
//!
//! A turn starts when the owner sends a message (`idle → running`). Each step
//! streams the model's answer, records it with the tool calls it asks for, runs
//! the reads at once (in parallel) and parks the writes (`running →
//! awaiting_approval`). A decision on the last waiting call resumes the turn
//! (`awaiting_approval → running`). Every change is in the store before it is
//! reported, so a restart loses nothing; nothing of the loop lives only in memory
//! but the cancel switch of a turn running here and the hand-over of an answer
//! to a call waiting for the person's input.
//!
//! - [`turn`]: starting a turn, the steps of a drive, its end;
//! - [`decisions`]: the owner's decisions and cancel;
//! - [`execution`]: what to do with each call the model asks for, and sending it;
//! - [`asking`]: a running call's requests for the person's input (elicitation);
//! - [`meter`]: what a model step used: tokens and time;
//! - [`records`]: the audit entries of calls and decisions;
//! - [`recovery`]: what a start does with the work a stop cut off.

mod asking;
mod decisions;
mod execution;
mod meter;
mod records;
mod recovery;
mod turn;

use std::sync::Arc;

use switchboard_core::conversation::TurnState;
use switchboard_store::{InstanceId, Store, StoreError};
use tokio::sync::mpsc;

use crate::error::AgentError;
use crate::events::{DoneReason, TurnEvent};
use crate::host::ToolHost;
use crate::provider::Providers;
use crate::running::Running;

pub use asking::AnswerElicitation;
pub use decisions::DecideCall;

/// Limits of the loop.
#[derive(Clone, Debug)]
pub struct AgentConfig {
    /// Model steps per turn.
    pub step_limit: u32,
    /// Largest tool output a model is sent, in bytes.
    pub output_cap: usize,
    /// Largest answer per step, in tokens.
    pub max_tokens: u32,
    /// This process: the turns and calls it runs are recorded as its, and its
    /// recovery at start touches only those.
    pub instance: InstanceId,
}

impl Default for AgentConfig {
    /// A new random instance: one that recovers nothing of an earlier run.
    fn default() -> Self {
        Self { step_limit: 10, output_cap: 16 * 1024, max_tokens: 4096, instance: InstanceId::random() }
    }
}

/// The events of one request's part of a turn.
pub type TurnEvents = mpsc::Receiver<TurnEvent>;

/// Runs turns. Cheap to clone.
#[derive(Clone, Debug)]
pub struct Agent {
    store: Store,
    providers: Providers,
    host: Arc<dyn ToolHost>,
    config: AgentConfig,
    running: Running,
    waiting: asking::Waiting,
}

type Tx = mpsc::Sender<TurnEvent>;

async fn emit(tx: &Tx, event: TurnEvent) {
    // A client that went away does not stop the turn: it is all in the store.
    let _ = tx.send(event).await;
}

/// End the stream of a turn that failed on `error`, with the state the conversation
/// is left in (`running` while its end could not be saved yet): a full disk is said
/// as such, since the person can have it fixed; anything else is in the server log.
async fn emit_failure(tx: &Tx, error: &AgentError, state: TurnState) {
    let (code, message) = match error {
        AgentError::Store(StoreError::StorageFull(_)) => (
            "storage_full",
            "the turn could not be saved: the database has no space left on its disk; once space is freed \
             the turn ends by itself and the message can be sent again",
        ),
        _ => ("internal", "the turn failed; see the server log"),
    };
    emit(tx, TurnEvent::Error { code, message: message.into() }).await;
    emit(tx, TurnEvent::Done { state, reason: DoneReason::Failed, citations: vec![] }).await;
}

impl Agent {
    pub fn new(store: Store, providers: Providers, host: Arc<dyn ToolHost>, config: AgentConfig) -> Self {
        Self { store, providers, host, config, running: Running::default(), waiting: asking::Waiting::default() }
    }

    pub fn providers(&self) -> &Providers {
        &self.providers
    }
}
