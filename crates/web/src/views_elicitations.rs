//! The JSON shapes of a server's requests for the person's input (elicitation).

use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};
use switchboard_core::elicitation::{self, ElicitationAction, ElicitationAnswer};
use switchboard_service::HandAsk;
use switchboard_store::Elicitation;
use time::OffsetDateTime;
use utoipa::ToSchema;
use uuid::Uuid;

/// A request for input from a running call's server, to show at the call.
#[derive(Debug, Serialize, ToSchema)]
pub(crate) struct ElicitationView {
    pub(crate) id: Uuid,
    /// The conversation and call that wait (absent for a call by hand in the playground).
    pub(crate) conversation_id: Option<Uuid>,
    pub(crate) call_id: Option<Uuid>,
    /// The app whose server asks (its name, as inert text).
    pub(crate) connector_name: String,
    /// `form` (fill in `requested_schema`) or `url` (open `url`, then say when done).
    pub(crate) mode: String,
    /// The server's message, as inert text.
    pub(crate) message: String,
    /// The form: the restricted elicitation schema (flat properties).
    pub(crate) requested_schema: Option<Value>,
    pub(crate) url: Option<String>,
    /// The host of `url`, shown emphasised.
    pub(crate) url_host: Option<String>,
    /// Whether `url` may be opened (only `http` and `https`).
    pub(crate) url_openable: bool,
    /// Fields of the form that look like secrets (password, token, API key…): the
    /// page warns before they are typed, and their values are never stored as typed.
    pub(crate) secret_fields: Vec<String>,
    /// `pending`, `accept`, `decline`, `cancel` or `expired`.
    pub(crate) state: String,
    #[serde(with = "time::serde::rfc3339")]
    #[schema(value_type = String, format = DateTime)]
    pub(crate) created_at: OffsetDateTime,
    /// When it is answered `cancel` if nobody has answered.
    #[serde(with = "time::serde::rfc3339")]
    #[schema(value_type = String, format = DateTime)]
    pub(crate) expires_at: OffsetDateTime,
}

/// What every request has, wherever it waits.
struct Parts<'a> {
    id: Uuid,
    connector_name: &'a str,
    request: &'a Value,
    state: &'a str,
    created_at: OffsetDateTime,
    expires_at: OffsetDateTime,
}

impl From<&Elicitation> for ElicitationView {
    fn from(e: &Elicitation) -> Self {
        let mut view = Self::of(Parts {
            id: e.id.as_uuid(),
            connector_name: &e.connector_name,
            request: &e.request,
            state: e.state.as_str(),
            created_at: e.created_at,
            expires_at: e.expires_at,
        });
        view.conversation_id = Some(e.conversation_id.as_uuid());
        view.call_id = Some(e.call_id.as_uuid());
        view
    }
}

impl From<&HandAsk> for ElicitationView {
    fn from(a: &HandAsk) -> Self {
        Self::of(Parts {
            id: a.id.as_uuid(),
            connector_name: &a.connector_name,
            request: &a.request,
            state: a.state,
            created_at: a.created_at,
            expires_at: a.expires_at,
        })
    }
}

impl ElicitationView {
    fn of(e: Parts<'_>) -> Self {
        let text = |key: &str| e.request.get(key).and_then(Value::as_str).map(str::to_owned);
        let mode = text("mode").unwrap_or_else(|| "form".into());
        let schema = e.request.get("requestedSchema").cloned().filter(|_| mode == "form");
        let url = text("url").filter(|_| mode == "url");
        let url_openable = url.as_deref().is_some_and(elicitation::openable);
        let url_host = url
            .as_deref()
            .filter(|_| url_openable)
            .and_then(|u| url::Url::parse(u).ok())
            .and_then(|u| u.host_str().map(str::to_owned));
        Self {
            id: e.id,
            conversation_id: None,
            call_id: None,
            connector_name: e.connector_name.to_owned(),
            message: text("message").unwrap_or_default(),
            secret_fields: schema.as_ref().map(elicitation::secret_fields).unwrap_or_default(),
            requested_schema: schema,
            url,
            url_host,
            url_openable,
            mode,
            state: e.state.to_owned(),
            created_at: e.created_at,
            expires_at: e.expires_at,
        }
    }
}

/// `accept`, `decline` or `cancel`.
#[derive(Clone, Copy, Debug, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub(crate) enum ElicitationActionName {
    Accept,
    Decline,
    Cancel,
}

/// The person's answer: accept (a form with its `content`), decline or cancel.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct AnswerElicitationRequest {
    pub(crate) action: ElicitationActionName,
    /// The form's values, by field name (an accepted form only); checked against its schema.
    #[serde(default)]
    #[schema(value_type = Option<Object>)]
    pub(crate) content: Option<Map<String, Value>>,
}

impl AnswerElicitationRequest {
    pub(crate) fn answer(self) -> ElicitationAnswer {
        let action = match self.action {
            ElicitationActionName::Accept => ElicitationAction::Accept,
            ElicitationActionName::Decline => ElicitationAction::Decline,
            ElicitationActionName::Cancel => ElicitationAction::Cancel,
        };
        ElicitationAnswer { action, content: self.content }
    }
}
