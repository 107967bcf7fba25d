//! Conversations as their owners and auditors reach them: whose they are, and
//! what was said and called in them. Running turns is the agent's.

use std::collections::HashMap;

use switchboard_agent::Providers;
use switchboard_core::conversation::{Mode, TurnState};
use switchboard_core::permission::Action;
use switchboard_core::widget::{self, WidgetKind};
use switchboard_core::{ConnectorId, ConversationId, ToolCallId, UserId};
use switchboard_store::{
    Conversation, Elicitation, Message, NewConversation, Store, StoreError, ToolCall, User, WidgetCall,
};
use time::OffsetDateTime;

use crate::connectors::Connectors;
use crate::error::{Result, ServiceError};
use crate::policy::require;

/// A conversation to start.
#[derive(Debug)]
pub struct NewChat {
    /// The model asked for; `None`: the workspace's default, else the server's.
    pub model: Option<String>,
    pub mode: Mode,
    /// The connectors it may use (none in knowledge mode: it uses every one
    /// that offers `search` and `fetch`).
    pub connectors: Vec<ConnectorId>,
}

/// Everything a conversation holds, in order.
#[derive(Clone, Debug)]
pub struct Transcript {
    pub messages: Vec<Message>,
    pub tool_calls: Vec<ToolCall>,
    /// The calls whose tool (as its app defines it now) renders a widget, and its kind.
    pub widgets: HashMap<ToolCallId, WidgetKind>,
    /// Requests for the owner's input that wait (elicitation).
    pub elicitations: Vec<Elicitation>,
    /// The tool calls widgets made, oldest first (not part of the model's history).
    pub widget_calls: Vec<WidgetCall>,
}

/// Cheap to clone.
#[derive(Clone, Debug)]
pub struct Conversations {
    store: Store,
    connectors: Connectors,
    providers: Providers,
}

impl Conversations {
    pub(crate) fn new(store: Store, connectors: Connectors, providers: Providers) -> Self {
        Self { store, connectors, providers }
    }

    /// Start a conversation of `user`'s with connectors they may use and a model
    /// a provider resolves.
    pub async fn start(&self, user: &User, new: NewChat) -> Result<Conversation> {
        require(user, Action::Converse)?;
        let requested = match new.model {
            Some(m) => Some(m),
            None => self.store.default_model().await?,
        };
        let model = self.providers.resolve(requested.as_deref()).map_err(ServiceError::invalid)?;
        let mut connectors: Vec<ConnectorId> = vec![];
        if new.mode != Mode::Knowledge {
            for id in new.connectors {
                match self.connectors.usable(user, id).await {
                    Err(ServiceError::NotFound(_)) => {
                        return Err(ServiceError::NotFound(format!("connector {id} not found")));
                    }
                    found => found?,
                };
                if !connectors.contains(&id) {
                    connectors.push(id);
                }
            }
        }
        let new = NewConversation {
            owner_id: user.id,
            title: "New conversation".into(),
            model: model.qualified(),
            mode: new.mode,
            connectors,
        };
        Ok(self.store.create_conversation(new).await?)
    }

    /// Delete one of `user`'s conversations (its audit trail stays); not while a turn runs.
    pub async fn delete(&self, user: &User, id: ConversationId) -> Result<()> {
        let c = self.owned(user, id).await?;
        if c.state == TurnState::Running {
            return Err(ServiceError::conflict("conversation_busy", "a turn is running; cancel it first"));
        }
        Ok(self.store.delete_conversation(c.id).await?)
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
        let tool_calls = self.store.tool_calls(c.id).await?;
        let mut widgets = HashMap::new();
        for call in &tool_calls {
            let (Some(connector), Some(tool)) = (call.connector_id, call.tool.as_deref()) else { continue };
            let catalog = match self.connectors.catalog(connector).await {
                Ok(found) => found,
                Err(ServiceError::Store(StoreError::NotFound(_))) => continue,
                Err(e) => return Err(e),
            };
            if let Some(template) = catalog.tool(tool).and_then(|t| widget::template(&t.stored.tool)) {
                widgets.insert(call.id, template.kind);
            }
        }
        Ok(Transcript {
            messages: self.store.messages(c.id).await?,
            tool_calls,
            widgets,
            elicitations: self.store.pending_elicitations(c.id).await?,
            widget_calls: self.store.widget_calls(c.id).await?,
        })
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
