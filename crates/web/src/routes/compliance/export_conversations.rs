use axum::body::Body;
use axum::extract::State;
use axum::http::header;
use axum::response::{IntoResponse, Response};
use serde::Deserialize;
use switchboard_core::UserId;
use switchboard_core::permission::Action;
use time::OffsetDateTime;
use utoipa::IntoParams;

use crate::auth::Actor;
use crate::error::{ApiResult, AppError};
use crate::query::Query;
use crate::routes::instant;
use crate::state::AppState;
use crate::views_conversations::ConversationDetail;

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub(crate) struct ExportQuery {
    /// RFC 3339; conversations active at or after it (default: the beginning).
    since: Option<String>,
    /// RFC 3339; conversations begun before it (default: now).
    until: Option<String>,
    /// A user id: only that user's conversations.
    user: Option<String>,
}

/// Every conversation active in the window, as NDJSON: one line per
/// conversation with its messages and tool calls (full input and output), oldest
/// first. Owners, admins and auditors only.
#[utoipa::path(get, path = "/api/v1/compliance/conversations", tag = "compliance", params(ExportQuery),
    security(("session" = []), ("token" = [])), responses(
    (status = 200, description = "NDJSON: one `ConversationDetail` per line (the schema is the sequence of lines)",
        content_type = "application/x-ndjson", body = [ConversationDetail]),
    (status = 403),
    (status = 422),
))]
pub(crate) async fn export_conversations(
    State(state): State<AppState>,
    actor: Actor,
    Query(query): Query<ExportQuery>,
) -> ApiResult<Response> {
    actor.require(Action::ExportConversations)?;
    let since = instant(query.since.as_deref(), "since", OffsetDateTime::UNIX_EPOCH)?;
    let until = instant(query.until.as_deref(), "until", OffsetDateTime::now_utc())?;
    let user: Option<UserId> = match query.user.as_deref() {
        None | Some("") => None,
        Some(raw) => Some(raw.parse().map_err(|_| AppError::invalid("user must be a user id"))?),
    };
    tracing::info!(actor = %actor.user.id, %since, %until, user = ?user, "compliance export");
    let conversations = state.services.conversations().between(since, until, user).await?;
    let lines = futures::stream::unfold((state, conversations.into_iter()), |(state, mut rest)| async move {
        let c = rest.next()?;
        let line = match state.services.conversations().transcript(&c).await {
            Ok(t) => serde_json::to_vec(&ConversationDetail::new(&c, &t)).map(|mut v| {
                v.push(b'\n');
                v
            }),
            Err(e) => {
                tracing::error!(conversation = %c.id, error = %e, "compliance export stopped");
                return Some((Err(std::io::Error::other("the export stopped; see the server log")), (state, rest)));
            }
        };
        Some((line.map_err(std::io::Error::other), (state, rest)))
    });
    Ok(([(header::CONTENT_TYPE, "application/x-ndjson")], Body::from_stream(lines)).into_response())
}
