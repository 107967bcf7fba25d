//! Conversations as their owners and auditors reach them: whose they are, and
//! what was said and called in them. Running turns is the agent's.

use switchboard_core::{ConversationId, UserId};
use switchboard_store::{Conversation, Message, Store, StoreError, ToolCall, User};
use time::OffsetDateTime;

use crate::error::{Result, ServiceError};

/// Everything a conversation holds, in order.
#[derive(Clone, Debug)]
pub struct Transcript {
    pub messages: Vec<Message>,
    pub tool_calls: Vec<ToolCall>,
}

/// Cheap to clone.
#[derive(Clone, Debug)]
pub struct Conversations {
    store: Store,
}

impl Conversations {
    pub(crate) fn new(store: Store) -> Self {
        Self { store }
    }

    /// The conversation if it is `user`'s; "not found" otherwise, so the ids of
    /// other people's conversations cannot be probed.
    pub async fn owned(&self, user: &User, id: ConversationId) -> Result<Conversation> {
        match self.store.conversation(id).await {
            Ok(c) if c.owner_id == user.id => Ok(c),
            Ok(_) | Err(StoreError::NotFound(_)) => Err(ServiceError::not_found("conversation")),
            Err(e) => Err(e.into()),
        }
    }

    /// `user`'s conversations, pinned first, then most recently active first;
    /// with `search`, those whose title or messages contain it.
    pub async fn list(&self, user: &User, search: Option<&str>) -> Result<Vec<Conversation>> {
        Ok(self.store.list_conversations(user.id, search).await?)
    }

    /// Rename, pin or unpin one of `user`'s conversations.
    pub async fn update(
        &self,
        user: &User,
        id: ConversationId,
        title: Option<&str>,
        pinned: Option<bool>,
    ) -> Result<Conversation> {
        self.owned(user, id).await?;
        let title = match title.map(str::trim) {
            Some("") => return Err(ServiceError::Invalid("a title cannot be empty".into())),
            Some(t) if t.chars().count() > 200 => {
                return Err(ServiceError::Invalid("a title is at most 200 characters".into()));
            }
            other => other,
        };
        Ok(self.store.update_conversation(id, title, pinned).await?)
    }

    /// The messages and tool calls of a conversation.
    pub async fn transcript(&self, c: &Conversation) -> Result<Transcript> {
        Ok(Transcript { messages: self.store.messages(c.id).await?, tool_calls: self.store.tool_calls(c.id).await? })
    }

    /// Conversations active in `[since, until)`, of one user or everyone, oldest
    /// first (the compliance export; who may ask is the caller's check).
    pub async fn between(
        &self,
        since: OffsetDateTime,
        until: OffsetDateTime,
        user: Option<UserId>,
    ) -> Result<Vec<Conversation>> {
        Ok(self.store.conversations_between(since, until, user).await?)
    }
}
