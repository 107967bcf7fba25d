//! Connectors: MCP servers connected to the workspace, their catalogs, and the
//! playground that calls their tools by hand.

pub(crate) mod call_tool;
pub(crate) mod create_connector;
pub(crate) mod delete_connector;
pub(crate) mod get_connector;
pub(crate) mod list_connectors;
pub(crate) mod list_tools;
pub(crate) mod refresh_connector;
pub(crate) mod update_tool;

use std::sync::Arc;

use axum::http::StatusCode;
use switchboard_core::connector;
use switchboard_mcp::{
    CallOutcome, ClientOptions, Endpoint, HttpTransport, McpError, ProgressWatcher, Session, StdioCommand,
};
use switchboard_store::{Connector, User};

use crate::auth::Actor;
use crate::error::AppError;
use crate::routes::me::me_view;
use crate::routes::parse_id;
use crate::state::AppState;
use crate::views_connectors::ConnectorView;

/// Whether developer mode is in effect for the actor.
pub(crate) async fn developer_mode_active(state: &AppState, actor: &Actor) -> Result<bool, AppError> {
    Ok(me_view(state, &actor.user).await?.developer_mode.active)
}

/// The connector if the actor may work on it; "not found" otherwise, so ids of
/// other people's drafts cannot be probed.
pub(crate) async fn connector_for(state: &AppState, actor: &Actor, raw_id: &str) -> Result<Connector, AppError> {
    let found = state.store.connector(parse_id(raw_id, "connector")?).await?;
    let u = &actor.user;
    // Developer mode only ever grants access: when the answer is yes without it,
    // the queries that work it out are not needed (admins, on every call).
    if connector::may_manage(u.role, u.id, false, found.owner_id, found.status) {
        return Ok(found);
    }
    permitted(u, developer_mode_active(state, actor).await?, found)
}

/// [`connector_for`] for a user whose developer-mode status is known (the pages).
pub(crate) async fn managed_connector(
    state: &AppState,
    user: &User,
    developer_mode_active: bool,
    raw_id: &str,
) -> Result<Connector, AppError> {
    let found = state.store.connector(parse_id(raw_id, "connector")?).await?;
    permitted(user, developer_mode_active, found)
}

fn permitted(user: &User, developer_mode_active: bool, found: Connector) -> Result<Connector, AppError> {
    if !connector::may_manage(user.role, user.id, developer_mode_active, found.owner_id, found.status) {
        return Err(AppError::not_found("connector not found"));
    }
    Ok(found)
}

/// Every connector the user may see, with its tool count, in the store's order.
pub(crate) async fn visible_connectors(
    state: &AppState,
    user: &User,
    developer_mode_active: bool,
) -> Result<Vec<ConnectorView>, AppError> {
    let mut out = vec![];
    for c in state.store.list_connectors().await? {
        if connector::may_view(user.role, user.id, developer_mode_active, c.owner_id, c.status) {
            let count = state.store.tool_count(c.id).await?;
            out.push(ConnectorView::new(&c, count));
        }
    }
    Ok(out)
}

/// Upstream options with the workspace's current address policy.
pub(crate) async fn client_options(state: &AppState) -> Result<ClientOptions, AppError> {
    Ok(ClientOptions { network: state.network_policy().await?, ..state.config.upstream.clone() })
}

/// Connect under the workspace's current policy; a failure answers 422 with the diagnosis.
pub(crate) async fn open_session(state: &AppState, endpoint: &Endpoint) -> Result<Session, AppError> {
    let options = client_options(state).await?;
    match Session::connect(endpoint, &options).await {
        Ok(session) => Ok(session),
        Err(e) => Err(connection_failed(endpoint, &e, &options).await),
    }
}

/// The connector's kept session (see [`switchboard_mcp::SessionPool`]), connecting
/// when there is none; a failure answers 422 with the diagnosis.
pub(crate) async fn kept_session(state: &AppState, c: &Connector) -> Result<Arc<Session>, AppError> {
    let endpoint = endpoint_of(c)?;
    let options = client_options(state).await?;
    match state.sessions.session(&c.id, &endpoint, &options).await {
        Ok(session) => Ok(session),
        Err(e) => Err(connection_failed(&endpoint, &e, &options).await),
    }
}

/// Call a tool through the connector's kept session (see
/// [`switchboard_mcp::SessionPool::call_tool`]): sent again on a new session only
/// when the server refused it because it forgot the session; a failure other than
/// a timeout drops the session, so the next call starts anew.
pub(crate) async fn call_kept(
    state: &AppState,
    c: &Connector,
    name: &str,
    arguments: serde_json::Map<String, serde_json::Value>,
    watcher: Option<ProgressWatcher>,
) -> Result<CallOutcome, McpError> {
    let endpoint = endpoint_of(c).map_err(|e| McpError::Connect(e.detail()))?;
    let options = client_options(state).await.map_err(|e| McpError::Connect(e.detail()))?;
    state.sessions.call_tool(&c.id, &endpoint, &options, name, arguments, watcher).await
}

/// How to reach a stored connector.
pub(crate) fn endpoint_of(c: &Connector) -> Result<Endpoint, AppError> {
    if let Some(url) = &c.url {
        let url = url.parse().map_err(|e| AppError::Internal(format!("stored url {url:?}: {e}")))?;
        let transport = match c.transport.as_str() {
            "streamable_http" => HttpTransport::StreamableHttp,
            "sse" => HttpTransport::Sse,
            _ => HttpTransport::Auto,
        };
        return Ok(Endpoint::Http { url, transport });
    }
    let command =
        c.command.as_ref().ok_or_else(|| AppError::Internal("connector has neither url nor command".into()))?;
    let argv = command["argv"].as_array().into_iter().flatten().filter_map(|v| v.as_str().map(str::to_owned)).collect();
    let env = command["env"]
        .as_object()
        .into_iter()
        .flatten()
        .filter_map(|(k, v)| v.as_str().map(|v| (k.clone(), v.to_owned())))
        .collect();
    let cwd = command["cwd"].as_str().map(Into::into);
    Ok(Endpoint::Stdio(StdioCommand { argv, env, cwd }))
}

/// 422 with the diagnosis steps.
async fn connection_failed(endpoint: &Endpoint, err: &McpError, options: &ClientOptions) -> AppError {
    let steps = switchboard_mcp::diagnose(endpoint, err, options).await;
    AppError::Detailed {
        status: StatusCode::UNPROCESSABLE_ENTITY,
        code: "connection_failed",
        detail: format!("could not connect to the MCP server: {err}"),
        details: serde_json::json!({"steps": steps}),
    }
}

/// An upstream failure after connecting (listing or calling): 502 with the reason.
pub(crate) fn upstream_failed(err: &McpError) -> AppError {
    let status =
        if matches!(err, McpError::Timeout(_)) { StatusCode::GATEWAY_TIMEOUT } else { StatusCode::BAD_GATEWAY };
    AppError::new(status, "upstream_failed", format!("the MCP server failed: {err}"))
}
