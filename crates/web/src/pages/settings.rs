use askama::Template;
use axum::extract::{Path, State};
use axum::http::HeaderMap;
use axum::response::Response;

use switchboard_core::connector::may_create;

use super::{Shell, human_time, not_found_page, page_error, render, visible, visitor};
use crate::state::AppState;
use crate::views_connectors::ConnectorView;

#[derive(Template)]
#[template(path = "settings.html")]
struct SettingsPage {
    shell: Shell,
    tab: &'static str,
    me: MeRow,
    tokens: Vec<TokenRow>,
    apps: Vec<AppRow>,
    create: CreateApp,
}

/// One connector in the Apps & Connectors list.
pub(crate) struct AppRow {
    pub(crate) id: String,
    pub(crate) name: String,
    pub(crate) description: String,
    pub(crate) label: String,
    pub(crate) transport: String,
    pub(crate) tool_count: usize,
}

/// Whether the visitor may create apps, and what to tell them when not.
struct CreateApp {
    allowed: bool,
    /// Why the Create app form is not offered.
    why_not: String,
    /// Owners and admins may add local commands…
    commands_for_role: bool,
    /// …when the operator started the server with `--allow-local-commands`.
    commands_enabled: bool,
    /// The redirect URI a client registered for OAuth apps must have.
    callback_url: String,
}

struct MeRow {
    name: String,
    email: String,
    role: String,
    groups: Vec<String>,
    policy: String,
    developer_mode_enabled: bool,
    developer_mode_allowed: bool,
    developer_mode_active: bool,
}

struct TokenRow {
    id: String,
    name: String,
    hint: String,
    created: String,
    expires: String,
    last_used: String,
}

/// Settings: account, Apps & Connectors (with Advanced → developer mode), API tokens.
pub(crate) async fn page(State(state): State<AppState>, Path(tab): Path<String>, headers: HeaderMap) -> Response {
    let tab = match tab.as_str() {
        "account" => "account",
        "apps" => "apps",
        "tokens" => "tokens",
        _ => return not_found_page(),
    };
    let visitor = match visitor(&state, &headers, &format!("/settings/{tab}")).await {
        Ok(v) => v,
        Err(redirect) => return redirect,
    };
    let tokens = if tab == "tokens" {
        match state.services.accounts().tokens(&visitor.session.user).await {
            Ok(tokens) => tokens
                .iter()
                .map(|t| TokenRow {
                    id: t.id.to_string(),
                    name: t.name.clone(),
                    hint: t.hint.clone(),
                    created: human_time(t.created_at),
                    expires: t.expires_at.map(human_time).unwrap_or_else(|| "never".into()),
                    last_used: t.last_used_at.map(human_time).unwrap_or_else(|| "never".into()),
                })
                .collect(),
            Err(e) => return page_error(e.into()),
        }
    } else {
        vec![]
    };
    let me = &visitor.me;
    let user = &visitor.session.user;
    let apps = if tab == "apps" {
        match state.services.connectors().visible(user).await {
            Ok(list) => {
                list.iter().map(|(c, standing)| AppRow::from(&ConnectorView::for_viewer(c, *standing))).collect()
            }
            Err(e) => return page_error(e.into()),
        }
    } else {
        vec![]
    };
    let create = CreateApp {
        allowed: may_create(user.role, me.developer_mode.active, false, true).is_ok(),
        why_not: if me.developer_mode.allowed {
            "Creating apps needs developer mode: turn it on below, under Advanced.".to_owned()
        } else {
            "Creating apps needs developer mode, which your workspace's policy does not give you. Ask an admin to \
             grant it."
                .to_owned()
        },
        commands_for_role: may_create(user.role, true, true, true).is_ok(),
        commands_enabled: state.config.allow_local_commands,
        callback_url: format!("{}/oauth/callback", state.config.public_url),
    };
    let row = MeRow {
        name: me.name.clone(),
        email: me.email.clone(),
        role: visitor.session.user.role.to_string(),
        groups: me.groups.iter().map(|g| g.name.clone()).collect(),
        policy: switchboard_core::DeveloperModePolicy::from(me.developer_mode.policy).to_string(),
        developer_mode_enabled: me.developer_mode.enabled,
        developer_mode_allowed: me.developer_mode.allowed,
        developer_mode_active: me.developer_mode.active,
    };
    let title = match tab {
        "account" => "Account",
        "apps" => "Apps & Connectors",
        _ => "API tokens",
    };
    render(&SettingsPage {
        shell: visitor.shell(title, "settings", Some("settings.js")),
        tab,
        me: row,
        tokens,
        apps,
        create,
    })
}

impl From<&ConnectorView> for AppRow {
    fn from(c: &ConnectorView) -> Self {
        Self {
            id: c.id.to_string(),
            name: visible(&c.name),
            description: visible(&c.description),
            label: c.label.clone(),
            transport: transport_label(&c.transport, &c.used_transport),
            tool_count: c.tool_count,
        }
    }
}

/// The transport as people read it: what was used, and whether it was chosen automatically.
pub(crate) fn transport_label(asked: &str, used: &str) -> String {
    let name = |t: &str| {
        match t {
            "streamable_http" => "Streamable HTTP",
            "sse" => "HTTP+SSE (legacy)",
            "stdio" => "stdio (local command)",
            other => other,
        }
        .to_owned()
    };
    if asked == "auto" { format!("{} (auto)", name(used)) } else { name(used) }
}
