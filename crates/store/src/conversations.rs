//! Conversations, their messages and tool calls, and remembered choices. Every
//! change is written as it happens, so a restart loses nothing.

use serde_json::Value;
use sqlx::Row;
use sqlx::any::AnyRow;
use switchboard_core::catalog::Classification;
use switchboard_core::conversation::{CallStatus, Decision, DecisionKind, Mode, Role, TurnState};
use switchboard_core::{ConnectorId, ConversationId, MessageId, ToolCallId, UserId};
use time::OffsetDateTime;

use crate::Store;
use crate::error::{Result, StoreError};
use crate::records::{CallEnd, CallOutcome, Conversation, Message, NewConversation, NewToolCall, ToolCall};
use crate::time_ms::{from_ms, now, opt_from_ms, to_ms};

const CONVERSATION: &str = "id, owner_id, title, model, mode, connectors, state, steps, created_at, updated_at";
const MESSAGE: &str = "id, conversation_id, seq, role, content, client_session, created_at";
const CALL: &str = "id, conversation_id, message_id, position, provider_call_id, name, connector_id, connector_name, \
                    tool, classification, arguments, arguments_digest, status, decision, decided_by, decided_at, \
                    client_session, result, is_error, model_content, exchange, latency_us, created_at, finished_at";

fn parse<T: std::str::FromStr>(what: &str, s: &str) -> Result<T>
where
    T::Err: std::fmt::Display,
{
    s.parse().map_err(|e| StoreError::corrupt(what, e))
}

fn conversation_from_row(row: &AnyRow) -> Result<Conversation> {
    let connectors: String = row.try_get("connectors")?;
    let mode: String = row.try_get("mode")?;
    let state: String = row.try_get("state")?;
    Ok(Conversation {
        id: parse("conversation id", &row.try_get::<String, _>("id")?)?,
        owner_id: parse("owner id", &row.try_get::<String, _>("owner_id")?)?,
        title: row.try_get("title")?,
        model: row.try_get("model")?,
        mode: Mode::parse(&mode).ok_or_else(|| StoreError::corrupt("mode", &mode))?,
        connectors: serde_json::from_str(&connectors).map_err(|e| StoreError::corrupt("connectors", e))?,
        state: TurnState::parse(&state).ok_or_else(|| StoreError::corrupt("state", &state))?,
        steps: u32::try_from(row.try_get::<i64, _>("steps")?).map_err(|e| StoreError::corrupt("steps", e))?,
        created_at: from_ms(row.try_get("created_at")?)?,
        updated_at: from_ms(row.try_get("updated_at")?)?,
    })
}

fn message_from_row(row: &AnyRow) -> Result<Message> {
    let role: String = row.try_get("role")?;
    Ok(Message {
        id: parse("message id", &row.try_get::<String, _>("id")?)?,
        conversation_id: parse("conversation id", &row.try_get::<String, _>("conversation_id")?)?,
        seq: row.try_get("seq")?,
        role: Role::parse(&role).ok_or_else(|| StoreError::corrupt("role", &role))?,
        content: row.try_get("content")?,
        client_session: row.try_get("client_session")?,
        created_at: from_ms(row.try_get("created_at")?)?,
    })
}

fn json_column(row: &AnyRow, name: &str) -> Result<Option<Value>> {
    let text: Option<String> = row.try_get(name)?;
    text.map(|t| serde_json::from_str(&t).map_err(|e| StoreError::corrupt(name, e))).transpose()
}

fn call_from_row(row: &AnyRow) -> Result<ToolCall> {
    let status: String = row.try_get("status")?;
    let classification: Option<String> = row.try_get("classification")?;
    let decision: Option<String> = row.try_get("decision")?;
    let connector_id: Option<String> = row.try_get("connector_id")?;
    let decided_by: Option<String> = row.try_get("decided_by")?;
    let outcome = match (json_column(row, "result")?, row.try_get::<Option<i64>, _>("finished_at")?) {
        (Some(result), Some(finished_at)) => Some(CallOutcome {
            result,
            is_error: row.try_get::<i64, _>("is_error")? != 0,
            model_content: row.try_get::<Option<String>, _>("model_content")?.unwrap_or_default(),
            exchange: json_column(row, "exchange")?,
            latency_us: row.try_get("latency_us")?,
            finished_at: from_ms(finished_at)?,
        }),
        _ => None,
    };
    Ok(ToolCall {
        id: parse("tool call id", &row.try_get::<String, _>("id")?)?,
        conversation_id: parse("conversation id", &row.try_get::<String, _>("conversation_id")?)?,
        message_id: parse("message id", &row.try_get::<String, _>("message_id")?)?,
        position: row.try_get("position")?,
        provider_call_id: row.try_get("provider_call_id")?,
        name: row.try_get("name")?,
        connector_id: connector_id.map(|c| parse("connector id", &c)).transpose()?,
        connector_name: row.try_get("connector_name")?,
        tool: row.try_get("tool")?,
        classification: classification.map(|c| classification_from_str(&c)).transpose()?,
        arguments: row.try_get("arguments")?,
        arguments_digest: row.try_get("arguments_digest")?,
        status: CallStatus::parse(&status).ok_or_else(|| StoreError::corrupt("call status", &status))?,
        decision: decision
            .map(|d| DecisionKind::parse(&d).ok_or_else(|| StoreError::corrupt("decision", &d)))
            .transpose()?,
        decided_by: decided_by.map(|u| parse("decided by", &u)).transpose()?,
        decided_at: opt_from_ms(row.try_get("decided_at")?)?,
        client_session: row.try_get("client_session")?,
        outcome,
        created_at: from_ms(row.try_get("created_at")?)?,
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
        let sql = format!("INSERT INTO conversations ({CONVERSATION}) VALUES ($1, $2, $3, $4, $5, $6, $7, 0, $8, $8)");
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

    /// The user's conversations, most recently active first.
    pub async fn list_conversations(&self, owner: UserId) -> Result<Vec<Conversation>> {
        let sql = format!("SELECT {CONVERSATION} FROM conversations WHERE owner_id = $1 ORDER BY updated_at DESC, id");
        let rows = sqlx::query(&sql).bind(owner.to_string()).fetch_all(&self.pool).await?;
        rows.iter().map(conversation_from_row).collect()
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

    pub async fn set_conversation_title(&self, id: ConversationId, title: &str) -> Result<()> {
        sqlx::query("UPDATE conversations SET title = $2 WHERE id = $1")
            .bind(id.to_string())
            .bind(title)
            .execute(&self.pool)
            .await?;
        Ok(())
    }

    /// Move the turn from `from` to `to` (steps as given); `Conflict` when the
    /// conversation is not in `from`, so two turns never run at once.
    pub async fn move_turn(&self, id: ConversationId, from: TurnState, to: TurnState, steps: u32) -> Result<()> {
        let done = sqlx::query(
            "UPDATE conversations SET state = $3, steps = $4, updated_at = $5 WHERE id = $1 AND state = $2",
        )
        .bind(id.to_string())
        .bind(from.as_str())
        .bind(to.as_str())
        .bind(i64::from(steps))
        .bind(to_ms(now()))
        .execute(&self.pool)
        .await?;
        if done.rows_affected() == 0 {
            let current = self.conversation(id).await?;
            return Err(StoreError::Conflict(format!(
                "the conversation is {}, not {}",
                current.state.as_str(),
                from.as_str()
            )));
        }
        Ok(())
    }

    pub async fn add_message(
        &self,
        conversation: ConversationId,
        role: Role,
        content: &str,
        client_session: Option<&str>,
    ) -> Result<Message> {
        let mut tx = self.pool.begin().await?;
        let id = insert_message(&mut tx, conversation, role, content, client_session).await?;
        tx.commit().await?;
        self.message(id).await
    }

    /// An assistant message and the tool calls it asks for, together.
    pub async fn add_assistant_message(
        &self,
        conversation: ConversationId,
        content: &str,
        calls: &[NewToolCall],
    ) -> Result<(Message, Vec<ToolCall>)> {
        let mut tx = self.pool.begin().await?;
        let message = insert_message(&mut tx, conversation, Role::Assistant, content, None).await?;
        let now = to_ms(now());
        let sql = format!(
            "INSERT INTO tool_calls ({CALL}) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, \
             $21, $22, $15, $16, $17, $18, NULL, NULL, $19, $20)"
        );
        for (position, call) in calls.iter().enumerate() {
            let (result, model_content) = match &call.outcome {
                Some((result, content)) => (Some(result.to_string()), Some(content.as_str())),
                None => (None, None),
            };
            sqlx::query(&sql)
                .bind(ToolCallId::new().to_string())
                .bind(conversation.to_string())
                .bind(message.to_string())
                .bind(position as i64)
                .bind(&call.provider_call_id)
                .bind(&call.name)
                .bind(call.connector_id.map(|c| c.to_string()))
                .bind(&call.connector_name)
                .bind(&call.tool)
                .bind(call.classification.map(classification_str))
                .bind(&call.arguments)
                .bind(&call.arguments_digest)
                .bind(call.status.as_str())
                .bind(call.decision.map(DecisionKind::as_str))
                .bind(&call.client_session)
                .bind(result)
                .bind(i64::from(call.outcome.is_some()))
                .bind(model_content)
                .bind(now)
                .bind(call.outcome.as_ref().map(|_| now))
                .bind(call.decided_by.map(|u| u.to_string()))
                .bind(call.decided_by.map(|_| now))
                .execute(&mut *tx)
                .await?;
        }
        tx.commit().await?;
        let calls = self.message_calls(message).await?;
        Ok((self.message(message).await?, calls))
    }

    pub async fn message(&self, id: MessageId) -> Result<Message> {
        let sql = format!("SELECT {MESSAGE} FROM messages WHERE id = $1");
        let row = sqlx::query(&sql).bind(id.to_string()).fetch_optional(&self.pool).await?;
        message_from_row(&row.ok_or(StoreError::NotFound("message"))?)
    }

    pub async fn messages(&self, conversation: ConversationId) -> Result<Vec<Message>> {
        let sql = format!("SELECT {MESSAGE} FROM messages WHERE conversation_id = $1 ORDER BY seq");
        let rows = sqlx::query(&sql).bind(conversation.to_string()).fetch_all(&self.pool).await?;
        rows.iter().map(message_from_row).collect()
    }

    pub async fn tool_call(&self, id: ToolCallId) -> Result<ToolCall> {
        let sql = format!("SELECT {CALL} FROM tool_calls WHERE id = $1");
        let row = sqlx::query(&sql).bind(id.to_string()).fetch_optional(&self.pool).await?;
        call_from_row(&row.ok_or(StoreError::NotFound("tool call"))?)
    }

    /// Every tool call of the conversation, in the order they were asked for.
    pub async fn tool_calls(&self, conversation: ConversationId) -> Result<Vec<ToolCall>> {
        let sql = format!(
            "SELECT {CALL} FROM tool_calls WHERE conversation_id = $1 ORDER BY created_at, message_id, position"
        );
        let rows = sqlx::query(&sql).bind(conversation.to_string()).fetch_all(&self.pool).await?;
        rows.iter().map(call_from_row).collect()
    }

    async fn message_calls(&self, message: MessageId) -> Result<Vec<ToolCall>> {
        let sql = format!("SELECT {CALL} FROM tool_calls WHERE message_id = $1 ORDER BY position");
        let rows = sqlx::query(&sql).bind(message.to_string()).fetch_all(&self.pool).await?;
        rows.iter().map(call_from_row).collect()
    }

    /// Record the owner's decision on a waiting call: it becomes `running`
    /// (approved) or `denied`. `Conflict` when it is no longer waiting, so a call
    /// is decided once, whatever races.
    pub async fn decide_call(
        &self,
        id: ToolCallId,
        kind: DecisionKind,
        by: UserId,
        client_session: &str,
        denied: Option<(Value, String)>,
    ) -> Result<ToolCall> {
        let now = to_ms(now());
        let status = if denied.is_some() { CallStatus::Denied } else { CallStatus::Running };
        let (result, content) = match &denied {
            Some((r, c)) => (Some(r.to_string()), Some(c.as_str())),
            None => (None, None),
        };
        let done = sqlx::query(
            "UPDATE tool_calls SET status = $2, decision = $3, decided_by = $4, decided_at = $5, client_session = $6, \
             result = $7, model_content = $8, is_error = $9, finished_at = $10 WHERE id = $1 AND status = $11",
        )
        .bind(id.to_string())
        .bind(status.as_str())
        .bind(kind.as_str())
        .bind(by.to_string())
        .bind(now)
        .bind(client_session)
        .bind(result)
        .bind(content)
        .bind(i64::from(denied.is_some()))
        .bind(denied.as_ref().map(|_| now))
        .bind(CallStatus::AwaitingApproval.as_str())
        .execute(&self.pool)
        .await?;
        if done.rows_affected() == 0 {
            let current = self.tool_call(id).await?;
            return Err(StoreError::Conflict(format!(
                "this tool call is not waiting for a decision (it is {})",
                current.status.as_str()
            )));
        }
        self.tool_call(id).await
    }

    /// Close a call with its outcome (`completed`, `failed`, `cancelled`, …), once:
    /// a call already over is left alone and `Conflict` is returned.
    pub async fn finish_call(&self, id: ToolCallId, end: CallEnd<'_>) -> Result<ToolCall> {
        let CallEnd { status, result, is_error, model_content, exchange, latency_us } = end;
        let done = sqlx::query(
            "UPDATE tool_calls SET status = $2, result = $3, is_error = $4, model_content = $5, exchange = $6, \
             latency_us = $7, finished_at = $8 WHERE id = $1 AND status IN ($9, $10)",
        )
        .bind(id.to_string())
        .bind(status.as_str())
        .bind(result.to_string())
        .bind(i64::from(is_error))
        .bind(model_content)
        .bind(exchange.map(Value::to_string))
        .bind(latency_us)
        .bind(to_ms(now()))
        .bind(CallStatus::Running.as_str())
        .bind(CallStatus::AwaitingApproval.as_str())
        .execute(&self.pool)
        .await?;
        if done.rows_affected() == 0 {
            return Err(StoreError::Conflict("the tool call is already over".into()));
        }
        self.tool_call(id).await
    }

    /// Remember the owner's choice for a tool, in a conversation, for one page session.
    pub async fn remember_decision(
        &self,
        conversation: ConversationId,
        connector: ConnectorId,
        tool: &str,
        client_session: &str,
        decision: Decision,
    ) -> Result<()> {
        let sql = "INSERT INTO remembered_decisions (conversation_id, connector_id, tool, client_session, decision, \
                   created_at) VALUES ($1, $2, $3, $4, $5, $6) ON CONFLICT (conversation_id, connector_id, tool, \
                   client_session) DO UPDATE SET decision = excluded.decision, created_at = excluded.created_at";
        sqlx::query(sql)
            .bind(conversation.to_string())
            .bind(connector.to_string())
            .bind(tool)
            .bind(client_session)
            .bind(decision.as_str())
            .bind(to_ms(now()))
            .execute(&self.pool)
            .await?;
        Ok(())
    }

    pub async fn remembered_decision(
        &self,
        conversation: ConversationId,
        connector: ConnectorId,
        tool: &str,
        client_session: &str,
    ) -> Result<Option<Decision>> {
        let row = sqlx::query(
            "SELECT decision FROM remembered_decisions WHERE conversation_id = $1 AND connector_id = $2 \
             AND tool = $3 AND client_session = $4",
        )
        .bind(conversation.to_string())
        .bind(connector.to_string())
        .bind(tool)
        .bind(client_session)
        .fetch_optional(&self.pool)
        .await?;
        row.map(|r| {
            let d: String = r.try_get("decision")?;
            Decision::parse(&d).ok_or_else(|| StoreError::corrupt("remembered decision", d))
        })
        .transpose()
    }

    /// After a stop: calls left running become `interrupted` (never sent again)
    /// with `result`, and the turns they belonged to (and running turns) go back to
    /// idle, or stay waiting when a call of theirs still waits. Returns the
    /// conversations touched.
    pub async fn interrupt_unfinished(&self, result: &Value, model_content: &str) -> Result<Vec<ConversationId>> {
        let mut tx = self.pool.begin().await?;
        // Running turns, and waiting ones whose approved call was running: after the
        // update below such a turn may have nothing left to wait for.
        let rows = sqlx::query(
            "SELECT id FROM conversations c WHERE c.state = $1 OR (c.state = $2 AND EXISTS              (SELECT 1 FROM tool_calls t WHERE t.conversation_id = c.id AND t.status = $3))",
        )
        .bind(TurnState::Running.as_str())
        .bind(TurnState::AwaitingApproval.as_str())
        .bind(CallStatus::Running.as_str())
        .fetch_all(&mut *tx)
        .await?;
        let ids: Vec<String> = rows.iter().map(|r| r.try_get("id")).collect::<std::result::Result<_, _>>()?;
        let now = to_ms(now());
        sqlx::query(
            "UPDATE tool_calls SET status = $1, result = $2, is_error = 1, model_content = $3, finished_at = $4 \
             WHERE status = $5",
        )
        .bind(CallStatus::Interrupted.as_str())
        .bind(result.to_string())
        .bind(model_content)
        .bind(now)
        .bind(CallStatus::Running.as_str())
        .execute(&mut *tx)
        .await?;
        for id in &ids {
            let waiting: i64 =
                sqlx::query("SELECT COUNT(*) AS n FROM tool_calls WHERE conversation_id = $1 AND status = $2")
                    .bind(id)
                    .bind(CallStatus::AwaitingApproval.as_str())
                    .fetch_one(&mut *tx)
                    .await?
                    .try_get("n")?;
            let state = if waiting > 0 { TurnState::AwaitingApproval } else { TurnState::Idle };
            sqlx::query("UPDATE conversations SET state = $2, updated_at = $3 WHERE id = $1")
                .bind(id)
                .bind(state.as_str())
                .bind(now)
                .execute(&mut *tx)
                .await?;
        }
        tx.commit().await?;
        ids.iter().map(|id| parse("conversation id", id)).collect()
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

async fn insert_message(
    tx: &mut sqlx::Transaction<'_, sqlx::Any>,
    conversation: ConversationId,
    role: Role,
    content: &str,
    client_session: Option<&str>,
) -> Result<MessageId> {
    let id = MessageId::new();
    let now = to_ms(now());
    sqlx::query(
        "INSERT INTO messages (id, conversation_id, seq, role, content, client_session, created_at) \
         SELECT $1, $2, COALESCE(MAX(seq), 0) + 1, $3, $4, $5, $6 FROM messages WHERE conversation_id = $2",
    )
    .bind(id.to_string())
    .bind(conversation.to_string())
    .bind(role.as_str())
    .bind(content)
    .bind(client_session)
    .bind(now)
    .execute(&mut **tx)
    .await?;
    sqlx::query("UPDATE conversations SET updated_at = $2 WHERE id = $1")
        .bind(conversation.to_string())
        .bind(now)
        .execute(&mut **tx)
        .await?;
    Ok(id)
}
