use std::convert::Infallible;
use std::sync::Arc;

use axum::extract::{Path, State};
use axum::response::sse::{Event, KeepAlive, Sse};
use axum::response::{IntoResponse, Response};
use switchboard_mcp::{CallWatch, Progress, StopSwitch, TaskUpdate, stop_switch};
use switchboard_service::HandCall;
use tokio::sync::mpsc;

use super::call_tool::call_view;
use crate::auth::Actor;
use crate::error::{ApiResult, AppError};
use crate::json::Json;
use crate::routes::parse_id;
use crate::state::AppState;
use crate::views_connectors::{CallEventEnvelope, CallEventView, CallToolRequest};

/// Call one action by hand and follow it (the playground): a `text/event-stream` of
/// `progress` and, for a call that runs as a task, `task` events, then `result` (or
/// `error`). The checks of a plain call are made before the stream starts. Closing
/// the stream stops the call: a task is cancelled upstream
/// (`tasks/cancel`); the call is audited either way.
#[utoipa::path(post, path = "/api/v1/connectors/{id}/tools/{name}/call/stream", tag = "connectors",
    params(("id" = Uuid, Path), ("name" = String, Path)), request_body = CallToolRequest,
    security(("session" = []), ("token" = [])), responses(
    (status = 200, description = "`text/event-stream` of call events", content_type = "text/event-stream", body = CallEventEnvelope),
    (status = 404),
    (status = 409, description = "the action is turned off"),
    (status = 422, description = "the arguments do not match the schema (`details.errors`)"),
))]
pub(crate) async fn call_tool_stream(
    State(state): State<AppState>,
    actor: Actor,
    Path((id, name)): Path<(String, String)>,
    Json(body): Json<CallToolRequest>,
) -> ApiResult<Response> {
    let connector = parse_id(&id, "connector")?;
    // Refused before the stream starts, with the status a plain call would get.
    let check = HandCall { connector, tool: &name, arguments: body.arguments.clone() };
    state.services.connectors().check_call_by_hand(&actor.user, &check).await?;
    let (tx, rx) = mpsc::unbounded_channel();
    let (switch, stop) = stop_switch();
    let progress = tx.clone();
    let task = tx.clone();
    let watch = CallWatch {
        progress: Some(Arc::new(move |p: Progress| {
            let _ = progress.send(CallEventView::Progress { progress: p.progress, total: p.total, message: p.message });
        })),
        task: Some(Arc::new(move |u: TaskUpdate| {
            if let TaskUpdate::Status { status, message } = u {
                let _ = task.send(CallEventView::Task { status, message });
            }
        })),
        stop: Some(stop),
        ..CallWatch::default()
    };
    // The call runs on its own, so that a closed stream stops it rather than drops it.
    tokio::spawn(async move {
        let call = HandCall { connector, tool: &name, arguments: body.arguments };
        let done = Box::pin(state.services.connectors().call_by_hand_watched(&actor.user, call, watch)).await;
        let last = match done {
            Ok(outcome) => CallEventView::Result { call: call_view(outcome) },
            Err(e) => {
                let (code, detail) = AppError::from(e).code_and_detail();
                CallEventView::Error { code: code.to_owned(), detail }
            }
        };
        let _ = tx.send(last);
    });
    let stream = futures::stream::unfold((rx, StopOnDrop(switch)), |(mut rx, guard)| async move {
        let event = rx.recv().await?;
        let sse = Event::default()
            .event(event.name())
            .json_data(&event)
            .unwrap_or_else(|_| Event::default().comment("unserialisable event"));
        Some((Ok::<_, Infallible>(sse), (rx, guard)))
    });
    Ok(Sse::new(stream).keep_alive(KeepAlive::default()).into_response())
}

/// Stops the call when the stream is dropped (the client closed it).
struct StopOnDrop(StopSwitch);

impl Drop for StopOnDrop {
    fn drop(&mut self) {
        self.0.stop();
    }
}
