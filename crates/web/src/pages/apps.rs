use askama::Template;
use axum::extract::{Path, State};
use axum::http::HeaderMap;
use axum::response::Response;
use serde_json::Value;

use super::settings::transport_label;
use super::{Shell, human_time, page_error, render, visible, visitor};
use crate::error::AppError;
use crate::routes::parse_id;
use crate::state::AppState;

#[derive(Template)]
#[template(path = "app.html")]
struct AppPage {
    shell: Shell,
    /// The settings tab it sits under.
    tab: &'static str,
    app: AppHeader,
}

/// What the header of an app's page shows. The tools, Refresh, the doctor and the
/// playground are drawn by `app.js` from the connectors API.
struct AppHeader {
    id: String,
    name: String,
    description: String,
    label: String,
    transport: String,
    protocol_version: String,
    server_name: String,
    server_version: String,
    url: Option<String>,
    /// The URL exactly as stored, for the doctor.
    raw_url: String,
    /// For a local command: the exact argv it runs with, then its working directory
    /// and the names of the variables it adds to the clean environment.
    argv: Vec<String>,
    cwd: Option<String>,
    env_names: Vec<String>,
    auth: String,
    /// The server wants each person's OAuth token: the page offers Connect.
    oauth: bool,
    /// `draft` or `published`.
    status: String,
    /// May change it (a draft's creator, owners and admins).
    can_manage: bool,
    /// May publish, share and review it (owners and admins).
    can_govern: bool,
    /// Whom a published app is shared with, in words.
    shared_with: String,
    created_by: String,
    created_at: String,
    refreshed_at: String,
}

/// An app's page: its header, actions, Refresh, doctor and playground. Whoever may
/// not work on the app gets the same 404 as for an id that does not exist.
pub(crate) async fn page(State(state): State<AppState>, Path(id): Path<String>, headers: HeaderMap) -> Response {
    let visitor = match visitor(&state, &headers, &format!("/settings/apps/{id}")).await {
        Ok(v) => v,
        Err(redirect) => return redirect,
    };
    let user = &visitor.session.user;
    let opened = match parse_id(&id, "app") {
        Ok(id) => state.services.connectors().opened(user, id).await.map_err(AppError::from),
        Err(e) => Err(e),
    };
    let (found, standing) = match opened {
        Ok(opened) => opened,
        Err(AppError::Client { status, .. }) if status == axum::http::StatusCode::NOT_FOUND => {
            return page_error(AppError::not_found(
                "there is no such app, or it is not yours to see (drafts show only while developer mode is on)",
            ));
        }
        Err(e) => return page_error(e),
    };
    let c = &found.connector;
    let created_by = match state.services.accounts().user_if_any(c.owner_id).await {
        Ok(Some(owner)) => format!("{} ({})", owner.name, owner.email),
        Ok(None) => "a removed user".to_owned(),
        Err(e) => return page_error(e.into()),
    };
    let shared_with = if c.access.everyone {
        "Everyone in the workspace".to_owned()
    } else if c.access.groups.is_empty() {
        "Nobody yet (owners and admins only)".to_owned()
    } else {
        match state.services.accounts().group_names(&c.access.groups).await {
            Ok(names) => names.iter().map(|n| visible(n)).collect::<Vec<_>>().join(", "),
            Err(e) => return page_error(e.into()),
        }
    };
    let text = |v: &Value| visible(v.as_str().unwrap_or_default());
    let command = c.command.as_ref();
    let app = AppHeader {
        id: c.id.to_string(),
        name: visible(&c.name),
        description: visible(&c.description),
        label: c.status.label().to_owned(),
        transport: transport_label(&c.transport, &c.used_transport),
        protocol_version: c.protocol_version.clone(),
        server_name: text(&c.server_info["name"]),
        server_version: text(&c.server_info["version"]),
        url: c.url.as_deref().map(visible),
        raw_url: c.url.clone().unwrap_or_default(),
        argv: command.and_then(|cmd| cmd["argv"].as_array()).into_iter().flatten().map(text).collect(),
        cwd: command.and_then(|cmd| cmd["cwd"].as_str()).map(visible),
        env_names: command
            .and_then(|cmd| cmd["env"].as_object())
            .into_iter()
            .flatten()
            .map(|(k, _)| visible(k))
            .collect(),
        auth: match c.auth_mode.as_str() {
            "none" => "None".to_owned(),
            "oauth" => "OAuth 2.1, each person with their own token".to_owned(),
            "mixed" => "Mixed: each action's securitySchemes say whether it needs your OAuth token".to_owned(),
            other => other.to_owned(),
        },
        oauth: matches!(c.auth_mode.as_str(), "oauth" | "mixed"),
        status: c.status.as_str().to_owned(),
        can_manage: standing.manage,
        can_govern: standing.manage && switchboard_core::connector::may_govern(user.role).is_ok(),
        shared_with,
        created_by,
        created_at: human_time(c.created_at),
        refreshed_at: human_time(c.refreshed_at),
    };
    let mut shell = visitor.shell("App", "settings", Some("app.js"));
    shell.title = app.name.clone().into();
    render(&AppPage { shell, tab: "apps", app })
}
