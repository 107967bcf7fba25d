//! Widgets (DESIGN E1–E3): the UI a tool call renders in its conversation, read
//! from the tool's server with the owner's credentials; the tool calls a widget
//! makes through its host, each checked like the model's (the app's own enabled
//! tools that a widget may call, reads at once, writes only after the owner
//! approves), recorded and audited; and the state an Apps SDK widget keeps.
//! Only the conversation's owner reaches any of it; to anyone else it is "not found".

use std::sync::Arc;

use serde_json::{Map, Value, json};
use switchboard_core::approval;
use switchboard_core::catalog::{Classification, Tool};
use switchboard_core::conversation::{CallStatus, DecisionKind};
use switchboard_core::widget::{self, Template, WidgetKind};
use switchboard_core::{AuditKind, ConnectorId, ConversationId, ToolCallId};
use switchboard_mcp::{CallWatch, ResourceBody};
use switchboard_store::{
    AuditEvent, Connector, Conversation, NewWidgetCall, Store, StoreError, ToolCall, User, WidgetCall, WidgetCallEnd,
};

use crate::connectors::{Catalog, Connectors};
use crate::conversations::Conversations;
use crate::error::{Result, ServiceError};

/// Largest UI resource rendered, in bytes.
pub const MAX_WIDGET_BYTES: usize = 2 * 1024 * 1024;
/// Largest resource a widget may read through its host, in bytes.
const MAX_READ_BYTES: usize = 4 * 1024 * 1024;
/// Largest state a widget may keep, in bytes of JSON.
pub const MAX_WIDGET_STATE_BYTES: usize = 64 * 1024;

/// A widget's document and what its host hands it.
#[derive(Clone, Debug)]
pub struct WidgetDocument {
    pub kind: WidgetKind,
    /// The resource's HTML, as the server sent it.
    pub html: String,
    /// The resource contents' `_meta` (the domains it declares).
    pub resource_meta: Option<Value>,
    /// The app the widget belongs to, by name.
    pub app: String,
    pub tool: Tool,
    /// The call's arguments.
    pub tool_input: Value,
    /// The call's MCP result, when it has one.
    pub tool_result: Option<Value>,
    /// What the widget saved with its message.
    pub widget_state: Option<Value>,
}

/// The call a widget belongs to, with everything checked.
struct Parent {
    conversation: Conversation,
    call: ToolCall,
    catalog: Arc<Catalog>,
    tool: Tool,
    template: Template,
}

/// Cheap to clone.
#[derive(Clone, Debug)]
pub struct Widgets {
    store: Store,
    connectors: Connectors,
    conversations: Conversations,
}

fn unknown_call() -> ServiceError {
    ServiceError::not_found("tool call")
}

impl Widgets {
    pub(crate) fn new(store: Store, connectors: Connectors, conversations: Conversations) -> Self {
        Self { store, connectors, conversations }
    }

    /// The call `call` of `user`'s conversation, if its tool (as its app defines
    /// it now) links a widget and the app is still theirs to use.
    async fn parent(&self, user: &User, conversation: ConversationId, call: ToolCallId) -> Result<Parent> {
        let conversation = self.conversations.owned(user, conversation).await?;
        let call = match self.store.tool_call(call).await {
            Ok(found) if found.conversation_id == conversation.id => found,
            Ok(_) | Err(StoreError::NotFound(_)) => return Err(unknown_call()),
            Err(e) => return Err(e.into()),
        };
        let (Some(connector), Some(name)) = (call.connector_id, call.tool.as_deref()) else {
            return Err(ServiceError::not_found("widget"));
        };
        let catalog = match self.connectors.catalog(connector).await {
            Ok(found) => found,
            Err(ServiceError::Store(StoreError::NotFound(_))) => return Err(ServiceError::not_found("app")),
            Err(e) => return Err(e),
        };
        if !self.connectors.standing_on(user, &catalog).await?.view {
            return Err(ServiceError::not_found("app"));
        }
        let tool = catalog.tool(name).ok_or_else(|| ServiceError::not_found("widget"))?.stored.tool.clone();
        let template = widget::template(&tool).ok_or_else(|| ServiceError::not_found("widget"))?;
        Ok(Parent { conversation, call, catalog, tool, template })
    }

    /// The widget of `call` in `user`'s conversation: its UI resource read from
    /// the app's server on the owner's behalf, which must be HTML and at most
    /// [`MAX_WIDGET_BYTES`].
    pub async fn document(
        &self,
        user: &User,
        conversation: ConversationId,
        call: ToolCallId,
    ) -> Result<WidgetDocument> {
        let parent = self.parent(user, conversation, call).await?;
        let (kind, html, resource_meta) = self.read_template(user, &parent.catalog.connector, &parent.template).await?;
        let arguments = serde_json::from_str(&parent.call.arguments).unwrap_or(Value::Object(Map::new()));
        let tool_result = parent.call.outcome.as_ref().filter(|_| parent.call.status == CallStatus::Completed);
        Ok(WidgetDocument {
            kind,
            html,
            resource_meta,
            app: parent.catalog.connector.name.clone(),
            tool: parent.tool,
            tool_input: arguments,
            tool_result: tool_result.map(|o| o.result.clone()),
            widget_state: self.store.widget_state(parent.call.id).await?,
        })
    }

    /// The widget of `tool` of app `connector` for a call by hand (the playground):
    /// the app must be one `user` may see, the tool one they may call.
    pub async fn app_document(&self, user: &User, connector: ConnectorId, tool: &str) -> Result<WidgetDocument> {
        let (catalog, standing) = self.connectors.opened(user, connector).await?;
        let found = catalog
            .tool(tool)
            .filter(|t| t.stored.enabled || standing.manage)
            .ok_or_else(|| ServiceError::not_found("widget"))?;
        let tool = found.stored.tool.clone();
        let template = widget::template(&tool).ok_or_else(|| ServiceError::not_found("widget"))?;
        let (kind, html, resource_meta) = self.read_template(user, &catalog.connector, &template).await?;
        Ok(WidgetDocument {
            kind,
            html,
            resource_meta,
            app: catalog.connector.name.clone(),
            tool,
            tool_input: Value::Object(Map::new()),
            tool_result: None,
            widget_state: None,
        })
    }

    /// A template's HTML, read on `user`'s behalf: HTML only, at most [`MAX_WIDGET_BYTES`].
    async fn read_template(
        &self,
        user: &User,
        c: &Connector,
        template: &Template,
    ) -> Result<(WidgetKind, String, Option<Value>)> {
        let read = self.connectors.read_resource_upstream(user.id, c, &template.uri, MAX_WIDGET_BYTES).await?;
        let mime = read.mime_type.clone().unwrap_or_default();
        if !widget::is_renderable(&mime) {
            return Err(ServiceError::conflict(
                "widget_not_html",
                format!(
                    "{} sent {} as {}, not HTML; it cannot be shown",
                    c.name,
                    template.uri,
                    if mime.is_empty() { "no type" } else { mime.as_str() }
                ),
            ));
        }
        match read.body {
            ResourceBody::Text(text) => Ok((template.kind, text, read.meta)),
            ResourceBody::Blob(_) => Err(ServiceError::conflict(
                "widget_not_html",
                format!("{} sent its widget as binary data, not HTML text; it cannot be shown", c.name),
            )),
        }
    }

    /// A resource of the widget's own app, read for the widget (`resources/read`).
    pub async fn read_resource(
        &self,
        user: &User,
        conversation: ConversationId,
        call: ToolCallId,
        uri: &str,
    ) -> Result<Value> {
        let parent = self.parent(user, conversation, call).await?;
        if uri.is_empty() || uri.len() > 2048 {
            return Err(ServiceError::Invalid("a resource URI is between 1 and 2048 characters".into()));
        }
        let c = &parent.catalog.connector;
        let read = self.connectors.read_resource_upstream(user.id, c, uri, MAX_READ_BYTES).await?;
        let mut contents = json!({"uri": uri});
        if let Some(mime) = read.mime_type {
            contents["mimeType"] = json!(mime);
        }
        match read.body {
            ResourceBody::Text(text) => contents["text"] = json!(text),
            ResourceBody::Blob(blob) => contents["blob"] = json!(blob),
        }
        if let Some(meta) = read.meta {
            contents["_meta"] = meta;
        }
        Ok(json!({"contents": [contents]}))
    }

    /// A widget's call of `tool` with `arguments`: a tool of the widget's own app,
    /// turned on, that widgets may call, offered in the conversation's mode, with
    /// arguments that fit it. A read runs now; a write waits for the owner
    /// ([`Widgets::decide`]). Returns the call as it stands.
    pub async fn call(
        &self,
        user: &User,
        conversation: ConversationId,
        call: ToolCallId,
        tool: &str,
        arguments: Value,
    ) -> Result<WidgetCall> {
        let parent = self.parent(user, conversation, call).await?;
        let c = &parent.catalog.connector;
        let Some(target) = parent.catalog.tool(tool) else {
            return Err(ServiceError::NotFound(format!("{} has no tool {tool:?}", c.name)));
        };
        if !target.stored.enabled {
            return Err(ServiceError::conflict("tool_disabled", format!("{tool} is turned off in {}", c.name)));
        }
        if !widget::callable_from_widget(&target.stored.tool) {
            return Err(ServiceError::forbidden(
                "tool_not_for_widgets",
                format!("{} does not let its widgets call {tool}", c.name),
            ));
        }
        let classification = target.stored.classification();
        if !approval::offered(parent.conversation.mode, classification) {
            return Err(ServiceError::forbidden(
                "tool_not_in_mode",
                format!("{tool} changes data, and this conversation is read-only"),
            ));
        }
        if !arguments.is_object() {
            return Err(ServiceError::Invalid("arguments must be a JSON object".into()));
        }
        let errors = target.schema_errors(&arguments).map_err(ServiceError::InvalidToolSchema)?;
        if !errors.is_empty() {
            return Err(ServiceError::InvalidArguments(errors));
        }
        let new = NewWidgetCall {
            conversation_id: parent.conversation.id,
            parent_call_id: parent.call.id,
            connector_id: c.id,
            tool: tool.to_owned(),
            classification,
            arguments_digest: approval::arguments_digest(&arguments),
            arguments,
            definition_digest: target.stored.tool.definition_digest(),
            // A widget's write always asks: a remembered choice is for the model's calls.
            decision: (classification == Classification::Read).then_some(DecisionKind::AutoRead),
        };
        let recorded = self.store.insert_widget_call(new, user.id, |_| vec![]).await?;
        if recorded.status == CallStatus::Running { self.send(user, &parent, recorded).await } else { Ok(recorded) }
    }

    /// The owner's decision on a widget's write that waits for one; an approved
    /// call is sent, when its tool is still the one that was asked for.
    pub async fn decide(
        &self,
        user: &User,
        conversation: ConversationId,
        widget_call: ToolCallId,
        approve: bool,
    ) -> Result<WidgetCall> {
        let conversation = self.conversations.owned(user, conversation).await?;
        let found = match self.store.widget_call(widget_call).await {
            Ok(found) if found.conversation_id == conversation.id => found,
            Ok(_) | Err(StoreError::NotFound(_)) => return Err(unknown_call()),
            Err(e) => return Err(e.into()),
        };
        let kind = if approve { DecisionKind::Approved } else { DecisionKind::Denied };
        let decided =
            self.store.decide_widget_call(&found, kind, user.id, |d| vec![decision_entry(d, user)]).await.map_err(
                |e| match e {
                    StoreError::Conflict(message) => ServiceError::conflict("call_not_awaiting", message),
                    other => other.into(),
                },
            )?;
        if !approve {
            return Ok(decided);
        }
        let parent = match self.parent(user, conversation.id, decided.parent_call_id).await {
            Ok(parent) => parent,
            Err(e) => return self.fail(user, decided, &e.to_string()).await,
        };
        self.send(user, &parent, decided).await
    }

    /// A conversation's widget calls, oldest first.
    pub async fn calls(&self, user: &User, conversation: ConversationId) -> Result<Vec<WidgetCall>> {
        let conversation = self.conversations.owned(user, conversation).await?;
        Ok(self.store.widget_calls(conversation.id).await?)
    }

    /// Keep `state` (at most [`MAX_WIDGET_STATE_BYTES`] of JSON) with the widget of `call`.
    pub async fn save_state(
        &self,
        user: &User,
        conversation: ConversationId,
        call: ToolCallId,
        state: &Value,
    ) -> Result<()> {
        let parent = self.parent(user, conversation, call).await?;
        let size = state.to_string().len();
        if size > MAX_WIDGET_STATE_BYTES {
            return Err(ServiceError::Invalid(format!(
                "a widget's state is at most {MAX_WIDGET_STATE_BYTES} bytes of JSON; this one is {size}"
            )));
        }
        Ok(self.store.set_widget_state(parent.conversation.id, parent.call.id, state).await?)
    }

    /// Send a recorded, running call — only if its tool is still the definition it
    /// was checked against and, for a write, the owner approved these arguments —
    /// and record how it ended.
    async fn send(&self, user: &User, parent: &Parent, call: WidgetCall) -> Result<WidgetCall> {
        let c = &parent.catalog.connector;
        let current = parent.catalog.tool(&call.tool).filter(|t| t.stored.enabled);
        let Some(current) = current.filter(|t| t.stored.tool.definition_digest() == call.definition_digest) else {
            return self.fail(user, call, "the tool changed or was turned off since it was asked for; ask again").await;
        };
        let recorded = call.decision.map(|kind| approval::Recorded { kind, arguments_digest: &call.arguments_digest });
        let digest = approval::arguments_digest(&call.arguments);
        if !approval::may_send(call.classification, recorded.as_ref(), &digest) {
            return self.fail(user, call, "the call was not approved").await;
        }
        let Value::Object(arguments) = call.arguments.clone() else {
            return self.fail(user, call, "arguments must be a JSON object").await;
        };
        let watch = CallWatch { task_support: current.stored.tool.task_support(), ..CallWatch::default() };
        match self.connectors.call_upstream(user.id, c, &current.stored.tool, arguments, watch).await {
            Ok(outcome) => {
                let end = WidgetCallEnd {
                    status: CallStatus::Completed,
                    is_error: outcome.result["isError"] == true,
                    result: outcome.result,
                    latency_us: i64::try_from(outcome.latency.as_micros()).ok(),
                };
                Ok(self.store.finish_widget_call(&call, end, |f| vec![call_entry(f, user)]).await?)
            }
            Err(e) => {
                tracing::warn!(error = %e, connector = %c.id, "a widget's call failed");
                let message = match &e {
                    ServiceError::Upstream(inner) => format!("the MCP server {} failed: {inner}", c.name),
                    other => other.to_string(),
                };
                self.fail(user, call, &message).await
            }
        }
    }

    async fn fail(&self, user: &User, call: WidgetCall, message: &str) -> Result<WidgetCall> {
        let end = WidgetCallEnd {
            status: CallStatus::Failed,
            result: json!({"error": message}),
            is_error: true,
            latency_us: None,
        };
        Ok(self.store.finish_widget_call(&call, end, |f| vec![call_entry(f, user)]).await?)
    }
}

/// The audit entry of a widget's call as it ended.
fn call_entry(call: &WidgetCall, user: &User) -> AuditEvent {
    let detail = json!({
        "source": "widget",
        "widget_of": call.parent_call_id,
        "arguments": call.arguments,
        "result": call.result,
        "is_error": call.is_error,
        "decided_by": call.decided_by,
    });
    entry(AuditKind::ToolCall, call, user, detail)
}

/// The audit entry of the owner's decision on a widget's write.
fn decision_entry(call: &WidgetCall, user: &User) -> AuditEvent {
    let detail = json!({"source": "widget", "widget_of": call.parent_call_id, "arguments": call.arguments});
    AuditEvent { latency_us: None, ..entry(AuditKind::Decision, call, user, detail) }
}

fn entry(kind: AuditKind, call: &WidgetCall, user: &User, detail: Value) -> AuditEvent {
    AuditEvent {
        kind,
        actor_id: Some(user.id),
        conversation_id: Some(call.conversation_id),
        tool_call_id: Some(call.id),
        connector_id: Some(call.connector_id),
        tool: Some(call.tool.clone()),
        classification: Some(call.classification),
        decision: call.decision,
        status: Some(call.status.as_str().into()),
        latency_us: call.latency_us,
        detail,
    }
}
