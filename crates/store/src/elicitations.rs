//! A server's requests for the person's input during a conversation's tool call:
//! recorded while they wait, answered once (whatever races), expired when nobody
//! can answer any more. What the person typed is not stored here.

use serde_json::Value;
use switchboard_core::elicitation::ElicitationAction;
use switchboard_core::{ConversationId, ElicitationId, ToolCallId, UserId};
use time::OffsetDateTime;

use crate::Store;
use crate::audit::append_in;
use crate::columns::{Columns, parse};
use crate::error::{Result, StoreError};
use crate::instance::InstanceId;
use crate::records::AuditEvent;
use crate::time_ms::{from_ms, now, to_ms};

/// Where a request stands.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ElicitationState {
    /// Waiting for the person.
    Pending,
    /// The person answered so.
    Answered(ElicitationAction),
    /// Nobody answered in time, the turn was stopped, the call ended first, or the
    /// instance that waited stopped: the server was answered `cancel`, or is gone.
    Expired,
}

impl ElicitationState {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Pending => "pending",
            Self::Answered(action) => action.as_str(),
            Self::Expired => "expired",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        match s {
            "pending" => Some(Self::Pending),
            "expired" => Some(Self::Expired),
            other => ElicitationAction::parse(other).map(Self::Answered),
        }
    }
}

/// A request for input, as recorded.
#[derive(Clone, Debug, PartialEq)]
pub struct Elicitation {
    pub id: ElicitationId,
    pub conversation_id: ConversationId,
    pub call_id: ToolCallId,
    /// The app whose server asks.
    pub connector_name: String,
    /// The `elicitation/create` params: `mode`, `message`, `requestedSchema` or `url`.
    pub request: Value,
    pub state: ElicitationState,
    pub created_at: OffsetDateTime,
    /// When it is answered `cancel` if nobody answered.
    pub expires_at: OffsetDateTime,
    pub answered_by: Option<UserId>,
    pub answered_at: Option<OffsetDateTime>,
}

/// A request to record as pending.
#[derive(Clone, Debug)]
pub struct NewElicitation<'a> {
    pub conversation_id: ConversationId,
    pub call_id: ToolCallId,
    pub connector_name: &'a str,
    pub request: &'a Value,
    /// The instance whose call waits for the answer.
    pub instance: &'a InstanceId,
    pub expires_at: OffsetDateTime,
}

const COLUMNS: &str = "id, conversation_id, call_id, connector_name, request, state, created_at, expires_at, \
                       answered_by, answered_at";

fn from_row(row: &impl Columns) -> Result<Elicitation> {
    let state = row.text("state")?;
    let request = row.text("request")?;
    Ok(Elicitation {
        id: parse("elicitation id", &row.text("id")?)?,
        conversation_id: parse("conversation id", &row.text("conversation_id")?)?,
        call_id: parse("call id", &row.text("call_id")?)?,
        connector_name: row.text("connector_name")?,
        request: serde_json::from_str(&request).map_err(|e| StoreError::corrupt("elicitation request", e))?,
        state: ElicitationState::parse(&state).ok_or_else(|| StoreError::corrupt("elicitation state", &state))?,
        created_at: from_ms(row.int("created_at")?)?,
        expires_at: from_ms(row.int("expires_at")?)?,
        answered_by: row.opt_text("answered_by")?.map(|s| parse("answered by", &s)).transpose()?,
        answered_at: row.opt_int("answered_at")?.map(from_ms).transpose()?,
    })
}

impl Store {
    /// Record a request that now waits for the person.
    pub async fn insert_elicitation(&self, new: NewElicitation<'_>) -> Result<Elicitation> {
        let created = now();
        let record = Elicitation {
            id: ElicitationId::new(),
            conversation_id: new.conversation_id,
            call_id: new.call_id,
            connector_name: new.connector_name.to_owned(),
            request: new.request.clone(),
            state: ElicitationState::Pending,
            created_at: created,
            // As stored: to the millisecond.
            expires_at: from_ms(to_ms(new.expires_at))?,
            answered_by: None,
            answered_at: None,
        };
        let mode = new.request.get("mode").and_then(Value::as_str).unwrap_or("form");
        sqlx::query(
            "INSERT INTO elicitations (id, conversation_id, call_id, connector_name, mode, request, state, \
             instance_id, created_at, expires_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)",
        )
        .bind(record.id.to_string())
        .bind(record.conversation_id.to_string())
        .bind(record.call_id.to_string())
        .bind(new.connector_name)
        .bind(mode)
        .bind(new.request.to_string())
        .bind(ElicitationState::Pending.as_str())
        .bind(new.instance.as_str())
        .bind(to_ms(created))
        .bind(to_ms(new.expires_at))
        .execute(&self.pool)
        .await?;
        Ok(record)
    }

    pub async fn elicitation(&self, id: ElicitationId) -> Result<Elicitation> {
        let sql = format!("SELECT {COLUMNS} FROM elicitations WHERE id = $1");
        let row = sqlx::query(&sql).bind(id.to_string()).fetch_optional(&self.pool).await?;
        from_row(&row.ok_or(StoreError::NotFound("elicitation"))?)
    }

    /// The requests of a conversation that wait for its owner, oldest first.
    pub async fn pending_elicitations(&self, conversation: ConversationId) -> Result<Vec<Elicitation>> {
        let sql = format!(
            "SELECT {COLUMNS} FROM elicitations WHERE conversation_id = $1 AND state = $2 ORDER BY created_at, id"
        );
        let rows = sqlx::query(&sql)
            .bind(conversation.to_string())
            .bind(ElicitationState::Pending.as_str())
            .fetch_all(&self.pool)
            .await?;
        rows.iter().map(from_row).collect()
    }

    /// Record `by`'s answer to a pending request, with the audit entries `audit`
    /// makes, in one transaction. `Conflict` when it no longer waits, so a request
    /// is answered once.
    pub async fn answer_elicitation(
        &self,
        id: ElicitationId,
        action: ElicitationAction,
        by: UserId,
        audit: impl FnOnce(&Elicitation) -> Vec<AuditEvent>,
    ) -> Result<Elicitation> {
        let at = now();
        let state = ElicitationState::Answered(action);
        let mut tx = self.pool.begin().await?;
        let done = sqlx::query(
            "UPDATE elicitations SET state = $2, answered_by = $3, answered_at = $4 WHERE id = $1 AND state = $5",
        )
        .bind(id.to_string())
        .bind(state.as_str())
        .bind(by.to_string())
        .bind(to_ms(at))
        .bind(ElicitationState::Pending.as_str())
        .execute(&mut *tx)
        .await?;
        if done.rows_affected() == 0 {
            tx.rollback().await?;
            let current = self.elicitation(id).await?;
            return Err(StoreError::Conflict(format!(
                "this request was already answered or has ended (it is {})",
                current.state.as_str()
            )));
        }
        let sql = format!("SELECT {COLUMNS} FROM elicitations WHERE id = $1");
        let answered = from_row(&sqlx::query(&sql).bind(id.to_string()).fetch_one(&mut *tx).await?)?;
        append_in(&mut tx, &audit(&answered)).await?;
        tx.commit().await?;
        Ok(answered)
    }

    /// End a request nobody answered (time ran out, the turn stopped, the call
    /// ended); whether it was still pending.
    pub async fn expire_elicitation(&self, id: ElicitationId) -> Result<bool> {
        let done = sqlx::query("UPDATE elicitations SET state = $2 WHERE id = $1 AND state = $3")
            .bind(id.to_string())
            .bind(ElicitationState::Expired.as_str())
            .bind(ElicitationState::Pending.as_str())
            .execute(&self.pool)
            .await?;
        Ok(done.rows_affected() > 0)
    }

    /// After a start: the requests `instance` waited on when it stopped are expired
    /// (their server's request died with the connection). Returns how many.
    pub async fn expire_elicitations_of(&self, instance: &InstanceId) -> Result<u64> {
        let done = sqlx::query("UPDATE elicitations SET state = $2 WHERE instance_id = $1 AND state = $3")
            .bind(instance.as_str())
            .bind(ElicitationState::Expired.as_str())
            .bind(ElicitationState::Pending.as_str())
            .execute(&self.pool)
            .await?;
        Ok(done.rows_affected())
    }
}
