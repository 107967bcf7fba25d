use axum::extract::{Path, State};
use axum::http::StatusCode;
use serde_json::{Value, json};
use switchboard_mcp::Exchanged;
use switchboard_store::AuditEvent;

use super::{call_kept, connector_for, kept_session, upstream_failed};
use crate::auth::Actor;
use crate::error::{ApiResult, AppError};
use crate::json::Json;
use crate::state::AppState;
use crate::views_connectors::{CallToolRequest, CallToolView};

/// Call one action by hand (the playground). Arguments are checked against the
/// tool's `inputSchema` first; a disabled action is refused.
#[utoipa::path(post, path = "/api/v1/connectors/{id}/tools/{name}/call", tag = "connectors",
    params(("id" = Uuid, Path), ("name" = String, Path)), request_body = CallToolRequest,
    security(("session" = []), ("token" = [])), responses(
    (status = 200, body = CallToolView),
    (status = 404, body = crate::error::Problem),
    (status = 409, description = "the action is turned off", body = crate::error::Problem),
    (status = 422, description = "the arguments do not match the schema (`details.errors`)", body = crate::error::Problem),
    (status = 502, description = "the server failed", body = crate::error::Problem),
))]
pub(crate) async fn call_tool(
    State(state): State<AppState>,
    actor: Actor,
    Path((id, name)): Path<(String, String)>,
    Json(body): Json<CallToolRequest>,
) -> ApiResult<Json<CallToolView>> {
    let c = connector_for(&state, &actor, &id).await?;
    let tool = match state.store.connector_tool(c.id, &name).await {
        Err(switchboard_store::StoreError::NotFound(_)) => {
            return Err(AppError::not_found(format!("the connector has no tool {name:?}")));
        }
        found => found?,
    };
    if !tool.enabled {
        return Err(AppError::conflict("tool_disabled", format!("{name} is turned off; turn it on to call it")));
    }
    if !body.arguments.is_object() {
        return Err(AppError::invalid("arguments must be a JSON object"));
    }
    validate(&state, &tool.tool.input_schema, &body.arguments)?;
    let Value::Object(arguments) = body.arguments else {
        return Err(AppError::invalid("arguments must be a JSON object"));
    };

    // Connect first, so that a server that cannot be reached gets its diagnosis.
    kept_session(&state, &c).await?;
    let audit = |status: &str, latency_us: Option<i64>, result: Value| AuditEvent {
        kind: "tool_call".into(),
        actor_id: Some(actor.user.id),
        conversation_id: None,
        tool_call_id: None,
        connector_id: Some(c.id),
        tool: Some(name.clone()),
        classification: Some(tool.tool.classification()),
        decision: None,
        status: Some(status.into()),
        latency_us,
        detail: json!({"source": "playground", "arguments": arguments, "result": result}),
    };
    let outcome = match call_kept(&state, &c, &name, arguments.clone(), None).await {
        Ok(outcome) => outcome,
        Err(e) => {
            state.store.append_audit(&audit("failed", None, json!({"error": e.to_string()}))).await?;
            return Err(upstream_failed(&e));
        }
    };
    let latency_us = i64::try_from(outcome.latency.as_micros()).ok();
    state.store.append_audit(&audit("completed", latency_us, outcome.result.clone())).await?;
    tracing::info!(actor = %actor.user.id, connector = %c.id, tool = %name, micros = outcome.latency.as_micros() as u64, "playground call");
    let exchange = exchange_view(&outcome.exchange);
    Ok(Json(CallToolView {
        is_error: outcome.result["isError"] == true,
        result: outcome.result,
        truncated: outcome.truncated,
        bytes: outcome.bytes,
        latency_ms: outcome.latency.as_secs_f64() * 1000.0,
        exchange,
    }))
}

/// Every message of the call, in the order it crossed, as `{direction, message}`.
fn exchange_view(messages: &[Exchanged]) -> Value {
    serde_json::to_value(messages).unwrap_or_default()
}

/// Check `instance` against the tool's JSON Schema; every error, with where it is.
fn validate(state: &AppState, schema: &Value, instance: &Value) -> Result<(), AppError> {
    let errors = state.schemas.errors(schema, instance).map_err(|e| {
        AppError::new(
            StatusCode::BAD_GATEWAY,
            "invalid_tool_schema",
            format!("the server's inputSchema for this tool is not a valid JSON Schema: {e}"),
        )
    })?;
    if errors.is_empty() {
        return Ok(());
    }
    let errors: Vec<Value> =
        errors.into_iter().map(|(path, message)| json!({"path": path, "message": message})).collect();
    Err(AppError::Detailed {
        status: StatusCode::UNPROCESSABLE_ENTITY,
        code: "invalid_arguments",
        detail: format!(
            "the arguments do not match the tool's inputSchema ({} error{})",
            errors.len(),
            if errors.len() == 1 { "" } else { "s" }
        ),
        details: json!({"errors": errors}),
    })
}
