//! The writes a running turn makes on every step: its start, each model step (the
//! answer, its calls, the state), each call's outcome, its end.
//!
//! Each is a [`TurnWrite`]: statements built in memory, run in one transaction
//! that writes nothing unless its first, conditional update changes a row. On a
//! SQLite file they run on the turn writer's thread (`turn_writer.rs`), one
//! hand-over per transaction; otherwise through sqlx. What was written is built
//! in memory, never read back; a turn's start reads the conversation's history
//! in its own transaction, so the turn needs no second trip to the database.

use switchboard_core::conversation::{CallStatus, DecisionKind, MessageRole, TurnState};
use switchboard_core::{ConversationId, MessageId, ToolCallId};
use time::OffsetDateTime;

use crate::Store;
use crate::args::{Arg, Stmt};
use crate::audit::append_in;
use crate::conversations::{CALL, classification_str, read_history};
use crate::error::{Result, StoreError};
use crate::instance::InstanceId;
use crate::records::{
    AuditEvent, CallEnd, CallOutcome, History, Interruption, Message, NewToolCall, RecordedStep, StartedTurn,
    StepRecord, StepUsage, ToolCall, TurnMove, TurnStart,
};
use crate::time_ms::{now, to_ms};

/// One transaction of a turn. `guard` is a conditional update: when it changes no
/// row nothing is written. Then `messages` (inserts that return their `seq`), the
/// other `inserts`, and last the `audit` entries (the chain's head stays locked
/// only until the commit); then, when asked, the `history` of that conversation
/// as the transaction leaves it.
#[derive(Debug)]
pub(crate) struct TurnWrite {
    pub(crate) guard: Stmt,
    pub(crate) messages: Vec<Stmt>,
    pub(crate) inserts: Vec<Stmt>,
    pub(crate) audit: Vec<AuditEvent>,
    pub(crate) history: Option<ConversationId>,
}

/// What a [`TurnWrite`] whose guard changed a row wrote and read.
#[derive(Debug, Default)]
pub(crate) struct Written {
    /// The `seq` of each message inserted, in order.
    pub(crate) seqs: Vec<i64>,
    pub(crate) history: Option<History>,
}

impl TurnWrite {
    fn guarded(guard: Stmt) -> Self {
        Self { guard, messages: vec![], inserts: vec![], audit: vec![], history: None }
    }
}

/// `running`/`idle`/… moves of a turn, with the step count and who runs it.
const MOVE: &str = "UPDATE conversations SET state = $3, steps = $4, updated_at = $5, instance_id = $6 \
                    WHERE id = $1 AND state = $2";

const START: &str = "UPDATE conversations SET state = $2, steps = 0, updated_at = $3, instance_id = $4, \
     title = CASE WHEN EXISTS (SELECT 1 FROM messages WHERE conversation_id = $1) THEN title ELSE $5 END \
     WHERE id = $1 AND state = $6";

const INSERT_MESSAGE: &str = "INSERT INTO messages (id, conversation_id, seq, role, content, client_session, \
     created_at, model, input_tokens, output_tokens, latency_ms, first_token_ms, turn_step) \
     SELECT $1, $2, COALESCE(MAX(seq), 0) + 1, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12 FROM messages \
     WHERE conversation_id = $2 RETURNING seq";

/// An abandoned turn's guard: still running, and by this instance.
const ABANDONED: &str = "UPDATE conversations SET updated_at = $3 WHERE id = $1 AND state = $2 AND instance_id = $4";

const INTERRUPT_CALLS: &str = "UPDATE tool_calls SET status = $1, result = $2, is_error = 1, model_content = $3, \
     finished_at = $4 WHERE conversation_id = $5 AND status = $6";

/// Where a turn in progress whose running calls were just interrupted goes: it keeps
/// waiting when a call of it still waits for a decision, else it ends. Changes
/// nothing when the turn is no longer in progress.
const SETTLE: &str = "UPDATE conversations SET state = CASE WHEN EXISTS (SELECT 1 FROM tool_calls \
     WHERE conversation_id = $1 AND status = $2) THEN $3 ELSE $4 END, updated_at = $5 WHERE id = $1 AND state IN ($6, $3)";

/// [`SETTLE`] for conversation `id` at `now` (ms); used by recovery at start too.
pub(crate) fn settle_after_interruption(id: &str, now: i64) -> Stmt {
    Stmt::new(
        SETTLE,
        vec![
            id.into(),
            CallStatus::AwaitingApproval.as_str().into(),
            TurnState::AwaitingApproval.as_str().into(),
            TurnState::Idle.as_str().into(),
            now.into(),
            TurnState::Running.as_str().into(),
        ],
    )
}

const FINISH_CALL: &str = "UPDATE tool_calls SET status = $2, result = $3, is_error = $4, model_content = $5, \
     exchange = $6, latency_us = $7, finished_at = $8 WHERE id = $1 AND status IN ($9, $10)";

fn move_stmt(id: ConversationId, from: TurnState, to: TurnState, steps: u32, instance: &InstanceId, now: i64) -> Stmt {
    let args = vec![
        id.to_string().into(),
        from.as_str().into(),
        to.as_str().into(),
        i64::from(steps).into(),
        now.into(),
        instance.as_str().into(),
    ];
    Stmt::new(MOVE, args)
}

/// A message appended to its conversation (its `seq` is the database's), and the insert.
pub(crate) fn new_message(
    conversation: ConversationId,
    role: MessageRole,
    content: &str,
    client_session: Option<&str>,
    now: OffsetDateTime,
    usage: Option<&StepUsage>,
) -> (Message, Stmt) {
    let id = MessageId::new();
    let args: Vec<Arg> = vec![
        id.to_string().into(),
        conversation.to_string().into(),
        role.as_str().into(),
        content.into(),
        client_session.into(),
        to_ms(now).into(),
        usage.map(|u| u.model.as_str()).into(),
        usage.map(|u| u.input_tokens).into(),
        usage.map(|u| u.output_tokens).into(),
        usage.map(|u| u.latency_ms).into(),
        usage.and_then(|u| u.first_token_ms).into(),
        usage.map(|u| u.turn_step).into(),
    ];
    let message = Message {
        id,
        conversation_id: conversation,
        seq: 0,
        role,
        content: content.to_owned(),
        client_session: client_session.map(str::to_owned),
        created_at: now,
        superseded: false,
        usage: usage.cloned(),
    };
    (message, Stmt::new(INSERT_MESSAGE, args))
}

/// A call the model asked for in `message`, as it will be stored, and the insert.
fn new_call(
    message: &Message,
    position: usize,
    call: &NewToolCall,
    instance: &InstanceId,
    now: OffsetDateTime,
) -> Result<(ToolCall, Stmt)> {
    let id = ToolCallId::new();
    let position = i64::try_from(position).map_err(|e| StoreError::corrupt("call position", e))?;
    let (result, model_content) = match &call.outcome {
        Some((result, content)) => (Some(result.to_string()), Some(content.as_str())),
        None => (None, None),
    };
    let args: Vec<Arg> = vec![
        id.to_string().into(),
        message.conversation_id.to_string().into(),
        message.id.to_string().into(),
        position.into(),
        call.provider_call_id.as_str().into(),
        call.name.as_str().into(),
        call.connector_id.map(|c| c.to_string()).into(),
        call.connector_name.as_deref().into(),
        call.tool.as_deref().into(),
        call.classification.map(classification_str).into(),
        call.arguments.as_str().into(),
        call.arguments_digest.as_deref().into(),
        call.status.as_str().into(),
        call.decision.map(DecisionKind::as_str).into(),
        call.client_session.as_deref().into(),
        result.into(),
        i64::from(call.outcome.is_some()).into(),
        model_content.into(),
        to_ms(now).into(),
        call.outcome.as_ref().map(|_| to_ms(now)).into(),
        call.decided_by.map(|u| u.to_string()).into(),
        call.decided_by.map(|_| to_ms(now)).into(),
        instance.as_str().into(),
        call.definition_digest.as_deref().into(),
    ];
    let sql = format!(
        "INSERT INTO tool_calls ({CALL}, instance_id) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, \
         $13, $14, $21, $22, $15, $16, $17, $18, NULL, NULL, $19, $20, $24, $23)"
    );
    let stored = ToolCall {
        id,
        conversation_id: message.conversation_id,
        message_id: message.id,
        position,
        provider_call_id: call.provider_call_id.clone(),
        name: call.name.clone(),
        connector_id: call.connector_id,
        connector_name: call.connector_name.clone(),
        tool: call.tool.clone(),
        classification: call.classification,
        arguments: call.arguments.clone(),
        arguments_digest: call.arguments_digest.clone(),
        definition_digest: call.definition_digest.clone(),
        status: call.status,
        decision: call.decision,
        decided_by: call.decided_by,
        decided_at: call.decided_by.map(|_| now),
        client_session: call.client_session.clone(),
        outcome: call.outcome.clone().map(|(result, model_content)| CallOutcome {
            result,
            is_error: true,
            model_content,
            exchange: None,
            latency_us: None,
            finished_at: now,
        }),
        created_at: now,
    };
    Ok((stored, Stmt::new(sql, args)))
}

/// Append a message inside a sqlx transaction (recovery and restarts, which read
/// as they write), as written.
pub(crate) async fn insert_message(
    tx: &mut sqlx::Transaction<'_, sqlx::Any>,
    conversation: ConversationId,
    role: MessageRole,
    content: &str,
    client_session: Option<&str>,
    now: OffsetDateTime,
) -> Result<Message> {
    use sqlx::Row as _;
    let (mut message, insert) = new_message(conversation, role, content, client_session, now, None);
    message.seq = insert.sqlx().fetch_one(&mut **tx).await?.try_get("seq")?;
    Ok(message)
}

impl Store {
    /// Run `write` in one transaction: on the turn writer's thread when this store
    /// has one, else through sqlx. `None` when its guard changed nothing.
    async fn apply(&self, write: TurnWrite) -> Result<Option<Written>> {
        match &self.turns {
            Some(writer) => writer.apply(write).await,
            None => self.apply_with_sqlx(write).await,
        }
    }

    async fn apply_with_sqlx(&self, write: TurnWrite) -> Result<Option<Written>> {
        use sqlx::Row as _;
        let mut tx = self.pool.begin().await?;
        if write.guard.sqlx().execute(&mut *tx).await?.rows_affected() == 0 {
            tx.rollback().await?;
            return Ok(None);
        }
        let mut seqs = Vec::with_capacity(write.messages.len());
        for message in &write.messages {
            seqs.push(message.sqlx().fetch_one(&mut *tx).await?.try_get("seq")?);
        }
        for insert in &write.inserts {
            insert.sqlx().execute(&mut *tx).await?;
        }
        append_in(&mut tx, &write.audit).await?;
        let history = match write.history {
            Some(conversation) => Some(read_history(&mut tx, conversation).await?),
            None => None,
        };
        tx.commit().await?;
        Ok(Some(Written { seqs, history }))
    }

    /// Move the turn from `from` to `to` (steps as given), recording `instance` as
    /// the one that moved it; `Conflict` when the conversation is not in `from`, so
    /// two turns never run at once.
    pub async fn move_turn(&self, id: ConversationId, change: TurnMove<'_>) -> Result<()> {
        let now = now();
        let mut write =
            TurnWrite::guarded(move_stmt(id, change.from, change.to, change.steps, change.instance, to_ms(now)));
        if let Some(note) = change.note {
            write.messages.push(new_message(id, note.role(), note.text(), None, now, None).1);
        }
        match self.apply(write).await? {
            Some(_) => Ok(()),
            None => Err(self.not_in(id, change.from).await),
        }
    }

    /// Start a turn with the owner's message, in one transaction: `idle →
    /// running` (steps 0, run by `instance`), the title when it is the first
    /// message, the message, and the conversation's history with it.
    /// `Conflict` when the conversation is not idle.
    pub async fn start_turn(&self, start: TurnStart<'_>) -> Result<StartedTurn> {
        let now = now();
        let guard = Stmt::new(
            START,
            vec![
                start.conversation.to_string().into(),
                TurnState::Running.as_str().into(),
                to_ms(now).into(),
                start.instance.as_str().into(),
                start.title.into(),
                TurnState::Idle.as_str().into(),
            ],
        );
        let (mut message, insert) =
            new_message(start.conversation, MessageRole::User, start.text, Some(start.client_session), now, None);
        let mut write = TurnWrite::guarded(guard);
        write.messages.push(insert);
        write.history = Some(start.conversation);
        match self.apply(write).await? {
            Some(written) => {
                message.seq = written.seqs.first().copied().unwrap_or_default();
                Ok(StartedTurn { message, history: written.history.unwrap_or_default() })
            }
            None => Err(self.not_in(start.conversation, TurnState::Idle).await),
        }
    }

    /// End `id`'s turn when `instance` had it running and nothing drives it any more
    /// (its driver stopped on a failed write, such as a full disk): its calls left
    /// running become `interrupted` (never sent again) and the conversation idle, or
    /// waiting when a call of its still waits, with `interruption.note`; all in one
    /// transaction, on the turn writer's thread on a SQLite file. False, changing
    /// nothing, when the turn is not running or another instance runs it.
    pub async fn end_abandoned_turn(
        &self,
        id: ConversationId,
        instance: &InstanceId,
        interruption: Interruption<'_>,
    ) -> Result<bool> {
        let at = now();
        let now = to_ms(at);
        let conversation = id.to_string();
        let guard = Stmt::new(
            ABANDONED,
            vec![conversation.clone().into(), TurnState::Running.as_str().into(), now.into(), instance.as_str().into()],
        );
        let mut write = TurnWrite::guarded(guard);
        write.messages.push(new_message(id, MessageRole::Error, interruption.note, None, at, None).1);
        write.inserts.push(Stmt::new(
            INTERRUPT_CALLS,
            vec![
                CallStatus::Interrupted.as_str().into(),
                interruption.result.to_string().into(),
                interruption.model_content.into(),
                now.into(),
                conversation.clone().into(),
                CallStatus::Running.as_str().into(),
            ],
        ));
        write.inserts.push(settle_after_interruption(&conversation, now));
        Ok(self.apply(write).await?.is_some())
    }

    /// A step of a running turn, in one transaction: the model's answer and the
    /// calls it asks for, a note to the user, the step count and `running → to`.
    /// Calls are audited with the entries `audit` makes for each (calls over
    /// before they start: invalid, refused by a remembered choice). Returns what
    /// was written. `Conflict` when the turn is not running.
    pub async fn record_step(
        &self,
        step: StepRecord<'_>,
        audit: impl Fn(&ToolCall) -> Vec<AuditEvent>,
    ) -> Result<RecordedStep> {
        let now = now();
        let conversation = step.conversation;
        let guard = move_stmt(conversation, TurnState::Running, step.to, step.steps, step.instance, to_ms(now));
        let mut write = TurnWrite::guarded(guard);
        let mut recorded = RecordedStep::default();
        if let Some(answer) = step.answer {
            let (message, insert) =
                new_message(conversation, MessageRole::Assistant, answer.text, None, now, answer.usage);
            write.messages.push(insert);
            for (position, call) in answer.calls.iter().enumerate() {
                let (call, insert) = new_call(&message, position, call, step.instance, now)?;
                write.inserts.push(insert);
                write.audit.extend(audit(&call));
                recorded.calls.push(call);
            }
            recorded.answer = Some(message);
        }
        if let Some(note) = step.note {
            let (message, insert) = new_message(conversation, note.role(), note.text(), None, now, None);
            write.messages.push(insert);
            recorded.note = Some(message);
        }
        let Some(written) = self.apply(write).await? else {
            return Err(self.not_in(conversation, TurnState::Running).await);
        };
        let mut seqs = written.seqs.into_iter();
        for message in [recorded.answer.as_mut(), recorded.note.as_mut()].into_iter().flatten() {
            message.seq = seqs.next().unwrap_or_default();
        }
        Ok(recorded)
    }

    /// Close `call` with its outcome (`completed`, `failed`, `cancelled`, …), once,
    /// audited with the entries `audit` makes, in one transaction. Returns the call
    /// as closed. A call already over is left alone and `Conflict` is returned.
    pub async fn finish_call(
        &self,
        call: &ToolCall,
        end: CallEnd<'_>,
        audit: impl FnOnce(&ToolCall) -> Vec<AuditEvent>,
    ) -> Result<ToolCall> {
        let now = now();
        let CallEnd { status, result, is_error, model_content, exchange, latency_us } = end;
        let guard = Stmt::new(
            FINISH_CALL,
            vec![
                call.id.to_string().into(),
                status.as_str().into(),
                result.to_string().into(),
                i64::from(is_error).into(),
                model_content.into(),
                exchange.map(serde_json::Value::to_string).into(),
                latency_us.into(),
                to_ms(now).into(),
                CallStatus::Running.as_str().into(),
                CallStatus::AwaitingApproval.as_str().into(),
            ],
        );
        let finished = ToolCall {
            status,
            outcome: Some(CallOutcome {
                result: result.clone(),
                is_error,
                model_content: model_content.to_owned(),
                exchange: exchange.cloned(),
                latency_us,
                finished_at: now,
            }),
            ..call.clone()
        };
        let mut write = TurnWrite::guarded(guard);
        write.audit = audit(&finished);
        match self.apply(write).await? {
            Some(_) => Ok(finished),
            None => Err(StoreError::Conflict("the tool call is already over".into())),
        }
    }
}
