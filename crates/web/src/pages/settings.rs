use askama::Template;
use axum::extract::{Path, State};
use axum::http::HeaderMap;
use axum::response::Response;

use super::{Shell, human_time, not_found_page, page_error, render, visitor};
use crate::state::AppState;

#[derive(Template)]
#[template(path = "settings.html")]
struct SettingsPage {
    shell: Shell,
    tab: &'static str,
    me: MeRow,
    tokens: Vec<TokenRow>,
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
        match state.store.list_api_tokens(visitor.session.user.id).await {
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
    render(&SettingsPage { shell: visitor.shell(title, "settings", Some("settings.js")), tab, me: row, tokens })
}
