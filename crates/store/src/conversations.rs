//! Conversations, their messages and tool calls, and remembered choices. Every
//! change is written as it happens, so a restart loses nothing.

use std::sync::LazyLock;

use sqlx::Row;
use switchboard_core::catalog::Classification;
use switchboard_core::conversation::{CallStatus, Decision, DecisionKind, MessageRole, Mode, TurnState};
use switchboard_core::{ConnectorId, ConversationId, ToolCallId, UserId};
use time::OffsetDateTime;

use crate::Store;
use crate::audit::append_in;
use crate::columns::{Columns, json_column, parse};
use crate::error::{Result, StoreError};
use crate::instance::InstanceId;
use crate::records::{
    AuditEvent, CallOutcome, Conversation, DecisionRecord, History, Interruption, Message, NewConversation,
    NewRememberedChoice, RememberedChoice, RememberedTool, StartedTurn, StepUsage, ToolCall, TurnRestart,
};
use crate::time_ms::{from_ms, now, opt_from_ms, to_ms};
use crate::turns::{insert_message, settle_after_interruption};

const CONVERSATION: &str = "id, owner_id, title, model, mode, connectors, state, steps, created_at, updated_at, pinned";
pub(crate) const MESSAGE: &str = "id, conversation_id, seq, role, content, client_session, created_at, superseded, model, \
                       input_tokens, output_tokens, latency_ms, first_token_ms, turn_step";
pub(crate) const CALL: &str = "id, conversation_id, message_id, position, provider_call_id, name, connector_id, connector_name, \
                    tool, classification, arguments, arguments_digest, status, decision, decided_by, decided_at, \
                    client_session, result, is_error, model_content, exchange, latency_us, created_at, finished_at, \
                    definition_digest";

/// A conversation's messages in order (`$1`: its id).
pub(crate) static MESSAGES_SQL: LazyLock<String> =
    LazyLock::new(|| format!("SELECT {MESSAGE} FROM messages WHERE conversation_id = $1 ORDER BY seq"));

/// A conversation's tool calls in the order they were asked for (`$1`: its id).
pub(crate) static CALLS_SQL: LazyLock<String> = LazyLock::new(|| {
    format!("SELECT {CALL} FROM tool_calls WHERE conversation_id = $1 ORDER BY created_at, message_id, position")
});

fn conversation_from_row(row: &impl Columns) -> Result<Conversation> {
    let connectors = row.text("connectors")?;
    let mode = row.text("mode")?;
    let state = row.text("state")?;
    Ok(Conversation {
        id: parse("conversation id", &row.text("id")?)?,
        owner_id: parse("owner id", &row.text("owner_id")?)?,
        title: row.text("title")?,
        model: row.text("model")?,
        mode: Mode::parse(&mode).ok_or_else(|| StoreError::corrupt("mode", &mode))?,
        connectors: serde_json::from_str(&connectors).map_err(|e| StoreError::corrupt("connectors", e))?,
        state: TurnState::parse(&state).ok_or_else(|| StoreError::corrupt("state", &state))?,
        steps: u32::try_from(row.int("steps")?).map_err(|e| StoreError::corrupt("steps", e))?,
        created_at: from_ms(row.int("created_at")?)?,
        updated_at: from_ms(row.int("updated_at")?)?,
        pinned: row.int("pinned")? != 0,
    })
}

pub(crate) fn message_from_row(row: &impl Columns) -> Result<Message> {
    let role = row.text("role")?;
    Ok(Message {
        id: parse("message id", &row.text("id")?)?,
        conversation_id: parse("conversation id", &row.text("conversation_id")?)?,
        seq: row.int("seq")?,
        role: MessageRole::parse(&role).ok_or_else(|| StoreError::corrupt("role", &role))?,
        content: row.text("content")?,
        client_session: row.opt_text("client_session")?,
        created_at: from_ms(row.int("created_at")?)?,
        superseded: row.int("superseded")? != 0,
        usage: match row.opt_text("model")? {
            Some(model) => Some(StepUsage {
                model,
                input_tokens: row.opt_int("input_tokens")?.unwrap_or_default(),
                output_tokens: row.opt_int("output_tokens")?.unwrap_or_default(),
                latency_ms: row.opt_int("latency_ms")?.unwrap_or_default(),
                first_token_ms: row.opt_int("first_token_ms")?,
                turn_step: row.opt_int("turn_step")?.unwrap_or(1),
            }),
            None => None,
        },
    })
}

/// The conversation's history, read in the transaction `tx`.
pub(crate) async fn read_history(
    tx: &mut sqlx::Transaction<'_, sqlx::Any>,
    conversation: ConversationId,
) -> Result<History> {
    let id = conversation.to_string();
    let messages = sqlx::query(&MESSAGES_SQL).bind(&id).fetch_all(&mut **tx).await?;
    let calls = sqlx::query(&CALLS_SQL).bind(&id).fetch_all(&mut **tx).await?;
    Ok(History {
        messages: messages.iter().map(message_from_row).collect::<Result<_>>()?,
        calls: calls.iter().map(call_from_row).collect::<Result<_>>()?,
    })
}

pub(crate) fn call_from_row(row: &impl Columns) -> Result<ToolCall> {
    let status = row.text("status")?;
    let classification = row.opt_text("classification")?;
    let decision = row.opt_text("decision")?;
    let connector_id = row.opt_text("connector_id")?;
    let decided_by = row.opt_text("decided_by")?;
    let outcome = match (json_column(row, "result")?, row.opt_int("finished_at")?) {
        (Some(result), Some(finished_at)) => Some(CallOutcome {
            result,
            is_error: row.int("is_error")? != 0,
            model_content: row.opt_text("model_content")?.unwrap_or_default(),
            exchange: json_column(row, "exchange")?,
            latency_us: row.opt_int("latency_us")?,
            finished_at: from_ms(finished_at)?,
        }),
        _ => None,
    };
    Ok(ToolCall {
        id: parse("tool call id", &row.text("id")?)?,
        conversation_id: parse("conversation id", &row.text("conversation_id")?)?,
        message_id: parse("message id", &row.text("message_id")?)?,
        position: row.int("position")?,
        provider_call_id: row.text("provider_call_id")?,
        name: row.text("name")?,
        connector_id: connector_id.map(|c| parse("connector id", &c)).transpose()?,
        connector_name: row.opt_text("connector_name")?,
        tool: row.opt_text("tool")?,
        classification: classification.map(|c| classification_from_str(&c)).transpose()?,
        arguments: row.text("arguments")?,
        arguments_digest: row.opt_text("arguments_digest")?,
        definition_digest: row.opt_text("definition_digest")?,
        status: CallStatus::parse(&status).ok_or_else(|| StoreError::corrupt("call status", &status))?,
        decision: decision
            .map(|d| DecisionKind::parse(&d).ok_or_else(|| StoreError::corrupt("decision", &d)))
            .transpose()?,
        decided_by: decided_by.map(|u| parse("decided by", &u)).transpose()?,
        decided_at: opt_from_ms(row.opt_int("decided_at")?)?,
        client_session: row.opt_text("client_session")?,
        outcome,
        created_at: from_ms(row.int("created_at")?)?,
    })
}

pub(crate) fn classification_from_str(s: &str) -> Result<Classification> {
    match s {
        "read" => Ok(Classification::Read),
        "write" => Ok(Classification::Write),
        other => Err(StoreError::corrupt("classification", other)),
    }
}

pub(crate) fn classification_str(c: Classification) -> &'static str {
    match c {
        Classification::Read => "read",
        Classification::Write => "write",
    }
}

impl Store {
    pub async fn create_conversation(&self, new: NewConversation) -> Result<Conversation> {
        let id = ConversationId::new();
        let now = to_ms(now());
        let connectors = serde_json::to_string(&new.connectors).map_err(|e| StoreError::corrupt("connectors", e))?;
        let sql =
            format!("INSERT INTO conversations ({CONVERSATION}) VALUES ($1, $2, $3, $4, $5, $6, $7, 0, $8, $8, 0)");
        sqlx::query(&sql)
            .bind(id.to_string())
            .bind(new.owner_id.to_string())
            .bind(&new.title)
            .bind(&new.model)
            .bind(new.mode.as_str())
            .bind(connectors)
            .bind(TurnState::Idle.as_str())
            .bind(now)
            .execute(&self.pool)
            .await?;
        self.conversation(id).await
    }

    pub async fn conversation(&self, id: ConversationId) -> Result<Conversation> {
        let sql = format!("SELECT {CONVERSATION} FROM conversations WHERE id = $1");
        let row = sqlx::query(&sql).bind(id.to_string()).fetch_optional(&self.pool).await?;
        conversation_from_row(&row.ok_or(StoreError::NotFound("conversation"))?)
    }

    /// The user's conversations, pinned first, then most recently active first.
    /// With `search`, only those whose title or a message contains it (any case).
    pub async fn list_conversations(&self, owner: UserId, search: Option<&str>) -> Result<Vec<Conversation>> {
        let rows = match search.map(str::trim).filter(|q| !q.is_empty()) {
            None => {
                let sql = format!(
                    "SELECT {CONVERSATION} FROM conversations WHERE owner_id = $1 ORDER BY pinned DESC, updated_at DESC, id"
                );
                sqlx::query(&sql).bind(owner.to_string()).fetch_all(&self.pool).await?
            }
            Some(q) => {
                let pattern = format!("%{}%", like_escaped(&q.to_lowercase()));
                let sql = format!(
                    "SELECT {CONVERSATION} FROM conversations c WHERE owner_id = $1 AND (LOWER(title) LIKE $2 ESCAPE '\\' \
                     OR EXISTS (SELECT 1 FROM messages m WHERE m.conversation_id = c.id AND LOWER(m.content) LIKE $2 ESCAPE '\\')) \
                     ORDER BY pinned DESC, updated_at DESC, id"
                );
                sqlx::query(&sql).bind(owner.to_string()).bind(pattern).fetch_all(&self.pool).await?
            }
        };
        rows.iter().map(conversation_from_row).collect()
    }

    /// Rename and pin or unpin a conversation; what is `None` stays as it was.
    pub async fn update_conversation(
        &self,
        id: ConversationId,
        title: Option<&str>,
        pinned: Option<bool>,
    ) -> Result<Conversation> {
        let done = sqlx::query(
            "UPDATE conversations SET title = COALESCE($1, title), pinned = COALESCE($2, pinned) WHERE id = $3",
        )
        .bind(title)
        .bind(pinned.map(i64::from))
        .bind(id.to_string())
        .execute(&self.pool)
        .await?;
        if done.rows_affected() == 0 {
            return Err(StoreError::NotFound("conversation"));
        }
        self.conversation(id).await
    }

    /// Conversations active in `[since, until)` (created before `until`, updated at
    /// or after `since`), oldest first, optionally of one user.
    pub async fn conversations_between(
        &self,
        since: OffsetDateTime,
        until: OffsetDateTime,
        owner: Option<UserId>,
    ) -> Result<Vec<Conversation>> {
        let sql = format!(
            "SELECT {CONVERSATION} FROM conversations WHERE updated_at >= $1 AND created_at < $2 \
             AND ($3 = '' OR owner_id = $3) ORDER BY created_at, id"
        );
        let rows = sqlx::query(&sql)
            .bind(to_ms(since))
            .bind(to_ms(until))
            .bind(owner.map(|o| o.to_string()).unwrap_or_default())
            .fetch_all(&self.pool)
            .await?;
        rows.iter().map(conversation_from_row).collect()
    }

    /// `Conflict` saying which state the conversation is in instead of `expected`.
    pub(crate) async fn not_in(&self, id: ConversationId, expected: TurnState) -> StoreError {
        match self.conversation(id).await {
            Ok(current) => StoreError::Conflict(format!(
                "the conversation is {}, not {}",
                current.state.as_str(),
                expected.as_str()
            )),
            Err(e) => e,
        }
    }

    /// Answer the owner's last message again, in one transaction: `idle →
    /// running` (steps 0, run by `instance`), everything after that message
    /// marked superseded, and with a replacement the message too, the replacement
    /// appended in its place. Returns the message the turn answers. `Conflict`
    /// when the conversation is not idle; `NotFound` when it has no message of
    /// its owner to answer.
    pub async fn restart_turn(&self, restart: TurnRestart<'_>) -> Result<StartedTurn> {
        let now = now();
        let id = restart.conversation.to_string();
        let mut tx = self.pool.begin().await?;
        let done = sqlx::query(
            "UPDATE conversations SET state = $2, steps = 0, updated_at = $3, instance_id = $4 \
             WHERE id = $1 AND state = $5",
        )
        .bind(&id)
        .bind(TurnState::Running.as_str())
        .bind(to_ms(now))
        .bind(restart.instance.as_str())
        .bind(TurnState::Idle.as_str())
        .execute(&mut *tx)
        .await?;
        if done.rows_affected() == 0 {
            tx.rollback().await?;
            return Err(self.not_in(restart.conversation, TurnState::Idle).await);
        }
        let sql = format!(
            "SELECT {MESSAGE} FROM messages WHERE conversation_id = $1 AND role = $2 AND superseded = 0 \
             ORDER BY seq DESC LIMIT 1"
        );
        let Some(row) = sqlx::query(&sql).bind(&id).bind(MessageRole::User.as_str()).fetch_optional(&mut *tx).await?
        else {
            tx.rollback().await?;
            return Err(StoreError::NotFound("message to answer"));
        };
        let last = message_from_row(&row)?;
        // With a replacement the last message goes too.
        let from = if restart.replacement.is_some() { last.seq } else { last.seq + 1 };
        sqlx::query("UPDATE messages SET superseded = 1 WHERE conversation_id = $1 AND seq >= $2")
            .bind(&id)
            .bind(from)
            .execute(&mut *tx)
            .await?;
        let answered = match restart.replacement {
            Some(text) => {
                insert_message(
                    &mut tx,
                    restart.conversation,
                    MessageRole::User,
                    text,
                    Some(restart.client_session),
                    now,
                )
                .await?
            }
            None => last,
        };
        let history = read_history(&mut tx, restart.conversation).await?;
        tx.commit().await?;
        Ok(StartedTurn { message: answered, history })
    }

    pub async fn messages(&self, conversation: ConversationId) -> Result<Vec<Message>> {
        let rows = sqlx::query(&MESSAGES_SQL).bind(conversation.to_string()).fetch_all(&self.pool).await?;
        rows.iter().map(message_from_row).collect()
    }

    /// The conversation's messages and tool calls, in order.
    pub async fn history(&self, conversation: ConversationId) -> Result<History> {
        Ok(History { messages: self.messages(conversation).await?, calls: self.tool_calls(conversation).await? })
    }

    pub async fn tool_call(&self, id: ToolCallId) -> Result<ToolCall> {
        let sql = format!("SELECT {CALL} FROM tool_calls WHERE id = $1");
        let row = sqlx::query(&sql).bind(id.to_string()).fetch_optional(&self.pool).await?;
        call_from_row(&row.ok_or(StoreError::NotFound("tool call"))?)
    }

    /// Every tool call of the conversation, in the order they were asked for.
    pub async fn tool_calls(&self, conversation: ConversationId) -> Result<Vec<ToolCall>> {
        let rows = sqlx::query(&CALLS_SQL).bind(conversation.to_string()).fetch_all(&self.pool).await?;
        rows.iter().map(call_from_row).collect()
    }

    /// Record the owner's decision on `call`, which waits: it becomes `running`
    /// (approved, to be sent by `decision.instance`) or `denied`, audited with the
    /// entries `audit` makes, in one transaction. Returns the call as decided.
    /// `Conflict` when it is no longer waiting, so a call is decided once,
    /// whatever races.
    pub async fn decide_call(
        &self,
        call: &ToolCall,
        decision: DecisionRecord<'_>,
        audit: impl FnOnce(&ToolCall) -> Vec<AuditEvent>,
    ) -> Result<ToolCall> {
        let now = now();
        let DecisionRecord { kind, by, client_session, denied, instance } = decision;
        let status = if denied.is_some() { CallStatus::Denied } else { CallStatus::Running };
        let (result, content) = match &denied {
            Some((r, c)) => (Some(r.to_string()), Some(c.as_str())),
            None => (None, None),
        };
        let mut tx = self.pool.begin().await?;
        let done = sqlx::query(
            "UPDATE tool_calls SET status = $2, decision = $3, decided_by = $4, decided_at = $5, client_session = $6, \
             result = $7, model_content = $8, is_error = $9, finished_at = $10, instance_id = $11 \
             WHERE id = $1 AND status = $12",
        )
        .bind(call.id.to_string())
        .bind(status.as_str())
        .bind(kind.as_str())
        .bind(by.to_string())
        .bind(to_ms(now))
        .bind(client_session)
        .bind(result)
        .bind(content)
        .bind(i64::from(denied.is_some()))
        .bind(denied.as_ref().map(|_| to_ms(now)))
        .bind(instance.as_str())
        .bind(CallStatus::AwaitingApproval.as_str())
        .execute(&mut *tx)
        .await?;
        if done.rows_affected() == 0 {
            tx.rollback().await?;
            let current = self.tool_call(call.id).await?;
            return Err(StoreError::Conflict(format!(
                "this tool call is not waiting for a decision (it is {})",
                current.status.as_str()
            )));
        }
        let decided = ToolCall {
            status,
            decision: Some(kind),
            decided_by: Some(by),
            decided_at: Some(now),
            client_session: Some(client_session.to_owned()),
            outcome: denied.map(|(result, model_content)| CallOutcome {
                result,
                is_error: true,
                model_content,
                exchange: None,
                latency_us: None,
                finished_at: now,
            }),
            ..call.clone()
        };
        append_in(&mut tx, &audit(&decided)).await?;
        tx.commit().await?;
        Ok(decided)
    }

    /// Remember the owner's choice for a tool, in a conversation, for one page
    /// session, made on one definition of the tool (replacing an earlier choice).
    pub async fn remember_decision(&self, choice: NewRememberedChoice<'_>) -> Result<()> {
        let sql = "INSERT INTO remembered_decisions (conversation_id, connector_id, tool, client_session, decision, \
                   definition_digest, created_at) VALUES ($1, $2, $3, $4, $5, $6, $7) ON CONFLICT (conversation_id, \
                   connector_id, tool, client_session) DO UPDATE SET decision = excluded.decision, \
                   definition_digest = excluded.definition_digest, created_at = excluded.created_at";
        sqlx::query(sql)
            .bind(choice.conversation.to_string())
            .bind(choice.connector.to_string())
            .bind(choice.tool)
            .bind(choice.client_session)
            .bind(choice.decision.as_str())
            .bind(choice.definition_digest)
            .bind(to_ms(now()))
            .execute(&self.pool)
            .await?;
        Ok(())
    }

    /// The choice remembered for a tool in a conversation and page session, with
    /// the definition it was made on.
    pub async fn remembered_decision(
        &self,
        conversation: ConversationId,
        connector: ConnectorId,
        tool: &str,
        client_session: &str,
    ) -> Result<Option<RememberedChoice>> {
        let row = sqlx::query(
            "SELECT decision, definition_digest FROM remembered_decisions WHERE conversation_id = $1 \
             AND connector_id = $2 AND tool = $3 AND client_session = $4",
        )
        .bind(conversation.to_string())
        .bind(connector.to_string())
        .bind(tool)
        .bind(client_session)
        .fetch_optional(&self.pool)
        .await?;
        row.map(|r| {
            let d: String = r.try_get("decision")?;
            let decision = Decision::parse(&d).ok_or_else(|| StoreError::corrupt("remembered decision", d))?;
            Ok(RememberedChoice { decision, definition_digest: r.try_get("definition_digest")? })
        })
        .transpose()
    }

    /// The choices remembered in `conversation` for the page session
    /// `client_session`, oldest first.
    pub async fn remembered_decisions(
        &self,
        conversation: ConversationId,
        client_session: &str,
    ) -> Result<Vec<RememberedTool>> {
        let rows = sqlx::query(
            "SELECT connector_id, tool, decision, created_at FROM remembered_decisions \
             WHERE conversation_id = $1 AND client_session = $2 ORDER BY created_at, connector_id, tool",
        )
        .bind(conversation.to_string())
        .bind(client_session)
        .fetch_all(&self.pool)
        .await?;
        rows.iter()
            .map(|r| {
                let d: String = r.try_get("decision")?;
                Ok(RememberedTool {
                    connector: parse("connector id", &r.try_get::<String, _>("connector_id")?)?,
                    tool: r.try_get("tool")?,
                    decision: Decision::parse(&d).ok_or_else(|| StoreError::corrupt("remembered decision", d))?,
                    created_at: from_ms(r.try_get("created_at")?)?,
                })
            })
            .collect()
    }

    /// Forget the choice remembered for `tool` of `connector` in `conversation`
    /// for `client_session`: its next call asks again. `NotFound` when none is.
    pub async fn forget_decision(
        &self,
        conversation: ConversationId,
        connector: ConnectorId,
        tool: &str,
        client_session: &str,
    ) -> Result<()> {
        let done = sqlx::query(
            "DELETE FROM remembered_decisions WHERE conversation_id = $1 AND connector_id = $2 AND tool = $3 \
             AND client_session = $4",
        )
        .bind(conversation.to_string())
        .bind(connector.to_string())
        .bind(tool)
        .bind(client_session)
        .execute(&self.pool)
        .await?;
        if done.rows_affected() == 0 {
            return Err(StoreError::NotFound("remembered choice"));
        }
        Ok(())
    }

    /// After a stop of `instance`: its calls left running become `interrupted`
    /// (never sent again), and its turns that were running, or that waited while
    /// an approved call of its ran, end — or keep waiting when a call of theirs
    /// still waits — each with `interruption.note` for the user; all in one
    /// transaction. Work of other instances is left alone; work recorded before
    /// instances were (no instance) is taken as this one's. Returns the
    /// conversations touched.
    pub async fn interrupt_unfinished(
        &self,
        instance: &InstanceId,
        interruption: Interruption<'_>,
    ) -> Result<Vec<ConversationId>> {
        let now = now();
        let mut tx = self.pool.begin().await?;
        // The calls first: the update takes the write lock before anything is read. A call
        // that runs as a task on its server is left running: it is followed again
        // (`running_call_tasks`), and so is its turn.
        let calls = sqlx::query(
            "UPDATE tool_calls SET status = $1, result = $2, is_error = 1, model_content = $3, finished_at = $4 \
             WHERE status = $5 AND (instance_id = $6 OR instance_id IS NULL) \
             AND NOT EXISTS (SELECT 1 FROM tool_call_tasks t WHERE t.call_id = tool_calls.id) \
             RETURNING conversation_id",
        )
        .bind(CallStatus::Interrupted.as_str())
        .bind(interruption.result.to_string())
        .bind(interruption.model_content)
        .bind(to_ms(now))
        .bind(CallStatus::Running.as_str())
        .bind(instance.as_str())
        .fetch_all(&mut *tx)
        .await?;
        let mut ids: Vec<String> =
            calls.iter().map(|r| r.try_get("conversation_id")).collect::<std::result::Result<_, _>>()?;
        let running = sqlx::query(
            "SELECT id FROM conversations WHERE state = $1 AND (instance_id = $2 OR instance_id IS NULL) \
             AND NOT EXISTS (SELECT 1 FROM tool_calls c JOIN tool_call_tasks t ON t.call_id = c.id \
             WHERE c.conversation_id = conversations.id AND c.status = $3)",
        )
        .bind(TurnState::Running.as_str())
        .bind(instance.as_str())
        .bind(CallStatus::Running.as_str())
        .fetch_all(&mut *tx)
        .await?;
        // Turns whose task still runs go on once it ends.
        let following: Vec<String> = sqlx::query_scalar(
            "SELECT DISTINCT c.conversation_id FROM tool_calls c JOIN tool_call_tasks t ON t.call_id = c.id \
             WHERE c.status = $1",
        )
        .bind(CallStatus::Running.as_str())
        .fetch_all(&mut *tx)
        .await?;
        ids.retain(|id| !following.contains(id));
        for row in &running {
            ids.push(row.try_get("id")?);
        }
        ids.sort();
        ids.dedup();
        let mut touched = vec![];
        for id in &ids {
            // Only turns still in progress: a call of an idle conversation (cancelled
            // while it ran) does not wake it.
            let moved = settle_after_interruption(id, to_ms(now)).sqlx().execute(&mut *tx).await?;
            if moved.rows_affected() == 0 {
                continue;
            }
            let id: ConversationId = parse("conversation id", id)?;
            insert_message(&mut tx, id, MessageRole::Error, interruption.note, None, now).await?;
            touched.push(id);
        }
        tx.commit().await?;
        Ok(touched)
    }

    pub async fn delete_conversation(&self, id: ConversationId) -> Result<()> {
        let done =
            sqlx::query("DELETE FROM conversations WHERE id = $1").bind(id.to_string()).execute(&self.pool).await?;
        if done.rows_affected() == 0 {
            return Err(StoreError::NotFound("conversation"));
        }
        Ok(())
    }
}

/// `text` with LIKE's wildcards and the escape character escaped (by `\`).
fn like_escaped(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        if matches!(c, '%' | '_' | '\\') {
            out.push('\\');
        }
        out.push(c);
    }
    out
}
