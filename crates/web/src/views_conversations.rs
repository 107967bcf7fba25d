//! The JSON shapes of the conversations API, its stream events and the
//! compliance export.

use serde::{Deserialize, Serialize};
use serde_json::Value;
use switchboard_agent::{Citation, TurnEvent};
use switchboard_core::conversation::{CallStatus, Decision, DecisionKind, MessageRole, Mode, TurnState};
use switchboard_core::widget::WidgetKind;
use switchboard_service::Transcript;
use switchboard_store::{Conversation, Message, RememberedTool, StepUsage, ToolCall};
use time::OffsetDateTime;
use utoipa::ToSchema;
use uuid::Uuid;

use crate::views_connectors::ClassificationName;
use crate::views_elicitations::ElicitationView;
use crate::views_widgets::WidgetCallView;

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct CreateConversationRequest {
    /// Connectors whose actions the model may use (ignored in `knowledge` mode).
    #[serde(default)]
    pub(crate) connectors: Vec<Uuid>,
    /// `provider/model`, or a model of the default provider; the default model when absent.
    pub(crate) model: Option<String>,
    #[serde(default)]
    #[schema(value_type = String, example = "default")]
    pub(crate) mode: ModeName,
}

/// `default`, `read_only` (read actions only) or `knowledge` (the `search` and
/// `fetch` actions of every accessible connector that has both, read-only).
#[derive(Clone, Copy, Debug, Default, Deserialize, Serialize)]
#[serde(transparent)]
pub(crate) struct ModeName(pub(crate) Mode);

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct SendMessageRequest {
    pub(crate) content: String,
    /// Identifies one page load: remembered choices last for it only.
    pub(crate) client_session: String,
}

/// A choice remembered for an action in a conversation, for one page session.
#[derive(Debug, Serialize, ToSchema)]
pub(crate) struct RememberedView {
    pub(crate) connector_id: Uuid,
    /// The tool's name on its server.
    pub(crate) tool: String,
    /// `approve` or `deny`.
    #[schema(value_type = String, example = "approve")]
    pub(crate) decision: Decision,
    #[serde(with = "time::serde::rfc3339")]
    #[schema(value_type = String, format = DateTime)]
    pub(crate) created_at: OffsetDateTime,
}

impl From<&RememberedTool> for RememberedView {
    fn from(r: &RememberedTool) -> Self {
        Self {
            connector_id: r.connector.as_uuid(),
            tool: r.tool.clone(),
            decision: r.decision,
            created_at: r.created_at,
        }
    }
}

/// Revoke a remembered choice.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct ForgetRequest {
    pub(crate) connector_id: String,
    pub(crate) tool: String,
    /// The page load the choice was remembered for.
    pub(crate) client_session: String,
}

/// Answer the last message again (Retry, Regenerate).
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct RegenerateRequest {
    /// Identifies one page load: remembered choices last for it only.
    pub(crate) client_session: String,
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct DecisionRequest {
    #[schema(value_type = String, example = "approve")]
    pub(crate) decision: Decision,
    /// Apply the same choice to this tool for the rest of this conversation, in this page session.
    #[serde(default)]
    pub(crate) remember: bool,
    pub(crate) client_session: String,
}

#[derive(Debug, Serialize, ToSchema)]
pub(crate) struct ConversationView {
    pub(crate) id: Uuid,
    pub(crate) owner_id: Uuid,
    pub(crate) title: String,
    pub(crate) model: String,
    #[schema(value_type = String, example = "default")]
    pub(crate) mode: Mode,
    pub(crate) connectors: Vec<Uuid>,
    /// `idle`, `running` or `awaiting_approval`.
    #[schema(value_type = String, example = "idle")]
    pub(crate) state: TurnState,
    #[serde(with = "time::serde::rfc3339")]
    #[schema(value_type = String, format = DateTime)]
    pub(crate) created_at: OffsetDateTime,
    #[serde(with = "time::serde::rfc3339")]
    #[schema(value_type = String, format = DateTime)]
    pub(crate) updated_at: OffsetDateTime,
    /// Pinned by its owner: listed first.
    pub(crate) pinned: bool,
}

/// What may change about a conversation.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct UpdateConversationRequest {
    /// A new title (1 to 200 characters).
    pub(crate) title: Option<String>,
    pub(crate) pinned: Option<bool>,
}

impl From<&Conversation> for ConversationView {
    fn from(c: &Conversation) -> Self {
        Self {
            id: c.id.as_uuid(),
            owner_id: c.owner_id.as_uuid(),
            title: c.title.clone(),
            model: c.model.clone(),
            mode: c.mode,
            connectors: c.connectors.iter().map(|id| id.as_uuid()).collect(),
            state: c.state,
            created_at: c.created_at,
            updated_at: c.updated_at,
            pinned: c.pinned,
        }
    }
}

#[derive(Debug, Serialize, ToSchema)]
pub(crate) struct MessageView {
    pub(crate) id: Uuid,
    /// `user`, `assistant`, `error` (a failure) or `stopped` (the owner stopped
    /// the turn); the last two are shown to people, never sent to the model.
    #[schema(value_type = String, example = "assistant")]
    pub(crate) role: MessageRole,
    pub(crate) content: String,
    #[serde(with = "time::serde::rfc3339")]
    #[schema(value_type = String, format = DateTime)]
    pub(crate) created_at: OffsetDateTime,
    /// Replaced by a later answer (regenerate, resend): kept on record, no
    /// longer sent to the model.
    pub(crate) superseded: bool,
    /// For a model's answer: what the model step that wrote it used.
    pub(crate) usage: Option<StepUsageView>,
}

impl From<&Message> for MessageView {
    fn from(m: &Message) -> Self {
        Self {
            id: m.id.as_uuid(),
            role: m.role,
            content: m.content.clone(),
            created_at: m.created_at,
            superseded: m.superseded,
            usage: m.usage.as_ref().map(Into::into),
        }
    }
}

/// What one model step used.
#[derive(Debug, Serialize, ToSchema)]
pub(crate) struct StepUsageView {
    /// `provider/model`.
    pub(crate) model: String,
    /// Tokens the provider reported for the request and the answer (0 when it
    /// reported none).
    pub(crate) input_tokens: i64,
    pub(crate) output_tokens: i64,
    /// From the request to the end of the answer's stream.
    pub(crate) latency_ms: i64,
    /// From the request to the first text or tool call.
    pub(crate) first_token_ms: Option<i64>,
    /// Which model step of its turn: 1 for the first.
    pub(crate) turn_step: i64,
}

impl From<&StepUsage> for StepUsageView {
    fn from(u: &StepUsage) -> Self {
        Self {
            model: u.model.clone(),
            input_tokens: u.input_tokens,
            output_tokens: u.output_tokens,
            latency_ms: u.latency_ms,
            first_token_ms: u.first_token_ms,
            turn_step: u.turn_step,
        }
    }
}

/// One tool call with everything that happened to it: full input and output.
#[derive(Debug, Serialize, ToSchema)]
pub(crate) struct ToolCallView {
    pub(crate) id: Uuid,
    /// The assistant message that asked for it.
    pub(crate) message_id: Uuid,
    /// The namespaced name the model called.
    pub(crate) name: String,
    /// `None` when the model named a tool that is not offered.
    pub(crate) connector_id: Option<Uuid>,
    pub(crate) connector_name: Option<String>,
    /// The action's name on its server.
    pub(crate) tool: Option<String>,
    pub(crate) classification: Option<ClassificationName>,
    /// The arguments, parsed; the raw text when they are not valid JSON.
    #[schema(value_type = Object)]
    pub(crate) arguments: Value,
    /// `awaiting_approval`, `running`, `completed`, `failed`, `denied`, `invalid`,
    /// `cancelled` or `interrupted`.
    #[schema(value_type = String, example = "completed")]
    pub(crate) status: CallStatus,
    /// `auto_read`, `approved`, `remembered`, `denied` or `remembered_deny`.
    #[schema(value_type = Option<String>, example = "approved")]
    pub(crate) decision: Option<DecisionKind>,
    pub(crate) decided_by: Option<Uuid>,
    /// The MCP result, or `{"error": …}` when there is none.
    #[schema(value_type = Option<Object>)]
    pub(crate) result: Option<Value>,
    pub(crate) is_error: bool,
    /// The JSON-RPC messages of the call.
    #[schema(value_type = Option<Object>)]
    pub(crate) exchange: Option<Value>,
    pub(crate) latency_ms: Option<f64>,
    #[serde(with = "time::serde::rfc3339")]
    #[schema(value_type = String, format = DateTime)]
    pub(crate) created_at: OffsetDateTime,
    /// The widget the call's result renders in (`mcp_app` or `apps_sdk`), when its
    /// tool links one: the page frames `/widgets/{conversation}/{call}`.
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schema(value_type = Option<String>, example = "mcp_app")]
    pub(crate) widget: Option<WidgetKind>,
}

impl From<&ToolCall> for ToolCallView {
    fn from(c: &ToolCall) -> Self {
        let outcome = c.outcome.as_ref();
        Self {
            id: c.id.as_uuid(),
            message_id: c.message_id.as_uuid(),
            name: c.name.clone(),
            connector_id: c.connector_id.map(|id| id.as_uuid()),
            connector_name: c.connector_name.clone(),
            tool: c.tool.clone(),
            classification: c.classification.map(Into::into),
            arguments: serde_json::from_str(&c.arguments).unwrap_or_else(|_| Value::String(c.arguments.clone())),
            status: c.status,
            decision: c.decision,
            decided_by: c.decided_by.map(|u| u.as_uuid()),
            result: outcome.map(|o| o.result.clone()),
            is_error: outcome.is_some_and(|o| o.is_error),
            exchange: outcome.and_then(|o| o.exchange.clone()),
            latency_ms: outcome.and_then(|o| o.latency_us).map(|us| us as f64 / 1000.0),
            created_at: c.created_at,
            widget: None,
        }
    }
}

/// A conversation with its messages and tool calls (also one line of the
/// compliance export).
#[derive(Debug, Serialize, ToSchema)]
pub(crate) struct ConversationDetail {
    #[serde(flatten)]
    pub(crate) conversation: ConversationView,
    pub(crate) messages: Vec<MessageView>,
    pub(crate) tool_calls: Vec<ToolCallView>,
    /// Requests of running calls' servers that wait for the owner's input (absent when none).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub(crate) elicitations: Vec<ElicitationView>,
    /// The tool calls widgets made, oldest first (absent when none).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub(crate) widget_calls: Vec<WidgetCallView>,
}

impl ConversationDetail {
    pub(crate) fn new(c: &Conversation, transcript: &Transcript) -> Self {
        Self {
            conversation: c.into(),
            messages: transcript.messages.iter().map(Into::into).collect(),
            tool_calls: transcript
                .tool_calls
                .iter()
                .map(|call| ToolCallView { widget: transcript.widgets.get(&call.id).copied(), ..call.into() })
                .collect(),
            elicitations: transcript.elicitations.iter().map(Into::into).collect(),
            widget_calls: transcript.widget_calls.iter().map(Into::into).collect(),
        }
    }
}

#[derive(Debug, Serialize, ToSchema)]
pub(crate) struct CitationView {
    pub(crate) id: String,
    pub(crate) title: Option<String>,
    pub(crate) url: Option<String>,
}

impl From<&Citation> for CitationView {
    fn from(c: &Citation) -> Self {
        Self { id: c.id.clone(), title: c.title.clone(), url: c.url.clone() }
    }
}

/// One event of the stream that answers a message or a decision. The SSE
/// `event:` field is the `type`; `data:` is this object as JSON.
#[derive(Debug, Serialize, ToSchema)]
#[serde(tag = "type", rename_all = "snake_case")]
pub(crate) enum TurnEventView {
    /// A piece of the model's answer.
    TextDelta { text: String },
    /// The model asked for a tool call (recorded; not yet run), with the tool's
    /// status texts (`_meta` `openai/toolInvocation/invoking` and `…/invoked`) when it has them.
    ToolCallProposed { call: ToolCallView, status_text: Option<StatusTextView> },
    /// A running call's server reported progress (`notifications/progress`).
    ToolProgress { call_id: Uuid, progress: f64, total: Option<f64>, message: Option<String> },
    /// A running call's server asks the owner for input (a form, or a URL to open);
    /// answer it at `/api/v1/conversations/{id}/elicitations/{elicitation_id}`.
    Elicitation { elicitation: ElicitationView },
    /// A request for input ended unanswered (time ran out, the turn was stopped, the call ended).
    ElicitationEnded { elicitation_id: Uuid, call_id: Uuid },
    /// A running call runs as a task on its server: the task's `status` (`working`,
    /// `input_required`, `completed`, `failed`, `cancelled`) and the server's status message.
    ToolTask { call_id: Uuid, status: String, message: Option<String> },
    /// A write action waits for the owner's decision.
    AwaitingApproval { call: ToolCallView },
    /// A call is over: completed, failed, denied, invalid, cancelled.
    ToolResult { call: ToolCallView },
    /// A model step's answer was stored as `message_id`: what the step used.
    StepUsage { message_id: Uuid, usage: StepUsageView },
    /// Something went wrong; `done` follows.
    Error { code: String, message: String },
    /// The last event: where the turn stopped and why (`answered`,
    /// `awaiting_approval`, `step_limit`, `cancelled`, `failed`).
    Done {
        #[schema(value_type = String, example = "idle")]
        state: TurnState,
        reason: String,
        /// Items fetched in knowledge mode.
        citations: Vec<CitationView>,
    },
}

impl TurnEventView {
    pub(crate) fn name(&self) -> &'static str {
        match self {
            Self::TextDelta { .. } => "text_delta",
            Self::ToolCallProposed { .. } => "tool_call_proposed",
            Self::ToolProgress { .. } => "tool_progress",
            Self::Elicitation { .. } => "elicitation",
            Self::ElicitationEnded { .. } => "elicitation_ended",
            Self::ToolTask { .. } => "tool_task",
            Self::AwaitingApproval { .. } => "awaiting_approval",
            Self::ToolResult { .. } => "tool_result",
            Self::StepUsage { .. } => "step_usage",
            Self::Error { .. } => "error",
            Self::Done { .. } => "done",
        }
    }
}

impl From<&TurnEvent> for TurnEventView {
    fn from(e: &TurnEvent) -> Self {
        match e {
            TurnEvent::TextDelta(text) => Self::TextDelta { text: text.clone() },
            TurnEvent::ToolCallProposed { call, status_text, widget } => Self::ToolCallProposed {
                call: ToolCallView { widget: *widget, ..call.into() },
                status_text: status_text
                    .as_ref()
                    .map(|s| StatusTextView { invoking: s.invoking.clone(), invoked: s.invoked.clone() }),
            },
            TurnEvent::ToolProgress { call, progress } => Self::ToolProgress {
                call_id: call.as_uuid(),
                progress: progress.progress,
                total: progress.total,
                message: progress.message.clone(),
            },
            TurnEvent::Elicitation(e) => Self::Elicitation { elicitation: e.into() },
            TurnEvent::ElicitationEnded { id, call } => {
                Self::ElicitationEnded { elicitation_id: id.as_uuid(), call_id: call.as_uuid() }
            }
            TurnEvent::ToolTask { call, status, message } => {
                Self::ToolTask { call_id: call.as_uuid(), status: status.clone(), message: message.clone() }
            }
            TurnEvent::AwaitingApproval(c) => Self::AwaitingApproval { call: c.into() },
            TurnEvent::ToolResult(c) => Self::ToolResult { call: c.into() },
            TurnEvent::StepUsage { message, usage } => {
                Self::StepUsage { message_id: message.as_uuid(), usage: usage.into() }
            }
            TurnEvent::Error { code, message } => Self::Error { code: (*code).to_owned(), message: message.clone() },
            TurnEvent::Done { state, reason, citations } => Self::Done {
                state: *state,
                reason: reason.as_str().to_owned(),
                citations: citations.iter().map(Into::into).collect(),
            },
        }
    }
}

/// What a tool asks hosts to show while it runs, and once it has run.
#[derive(Debug, Serialize, ToSchema)]
pub(crate) struct StatusTextView {
    pub(crate) invoking: Option<String>,
    pub(crate) invoked: Option<String>,
}

/// The models that can be chosen.
#[derive(Debug, Serialize, ToSchema)]
pub(crate) struct ModelsView {
    /// Configured provider names (`openai`, `anthropic`, …).
    pub(crate) providers: Vec<String>,
    /// Every provider's models as `provider/model`, from their `/models` endpoints.
    pub(crate) models: Vec<String>,
    /// Providers whose model list could not be read (any name may still be typed).
    pub(crate) unavailable: Vec<UnavailableProvider>,
    /// The model used when a conversation names none.
    pub(crate) default_model: Option<String>,
}

#[derive(Debug, Serialize, ToSchema)]
pub(crate) struct UnavailableProvider {
    pub(crate) provider: String,
    pub(crate) message: String,
}
