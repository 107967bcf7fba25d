use askama::Template;
use axum::extract::{Path, State};
use axum::http::HeaderMap;
use axum::response::Response;
use switchboard_core::connector::{ConnectorStatus, may_govern};
use switchboard_core::network::NetworkPolicy;
use switchboard_core::permission::{Action, UserChange, assignable_roles, may_manage_user, permits};
use switchboard_core::{DeveloperModePolicy, Role};

use super::{Shell, human_time, not_found_page, page_error, render, visible, visitor};
use crate::error::AppError;
use crate::state::AppState;

#[derive(Template)]
#[template(path = "workspace.html")]
struct WorkspacePage {
    shell: Shell,
    tab: &'static str,
    can_read_audit: bool,
    can_manage: bool,
    /// The visitor manages someone whose password they may reset.
    can_reset_passwords: bool,
    roles: Vec<String>,
    users: Vec<UserRow>,
    groups: Vec<GroupRow>,
    policy: String,
    policies: Vec<(String, &'static str, &'static str)>,
    network: Vec<NetworkSwitch>,
    apps: AppsTab,
}

/// Workspace → Apps: every draft and published app, and what awaits review.
#[derive(Default)]
struct AppsTab {
    pending: Vec<PendingRow>,
    published: Vec<AppListRow>,
    drafts: Vec<AppListRow>,
}

struct AppListRow {
    id: String,
    name: String,
    label: String,
    creator: String,
    shared_with: String,
    actions_on: usize,
    actions: usize,
    when: String,
    pending: usize,
}

struct PendingRow {
    app_id: String,
    app_name: String,
    source: String,
    added: usize,
    changed: usize,
    removed: usize,
    when: String,
}

/// One switch of the network policy, explained for a person.
struct NetworkSwitch {
    /// The field of the API's `network` object.
    key: &'static str,
    title: &'static str,
    explanation: &'static str,
    /// Shown beside the switch while it is on.
    caution: Option<&'static str>,
    on: bool,
}

struct UserRow {
    id: String,
    name: String,
    email: String,
    role: String,
    developer_mode: bool,
    /// The visitor may change this user's role or remove them.
    editable: bool,
}

struct GroupRow {
    id: String,
    name: String,
    granted: bool,
    members: Vec<MemberRow>,
}

struct MemberRow {
    user_id: String,
    name: String,
    email: String,
}

/// Workspace settings for owners and admins (auditors see them read-only).
pub(crate) async fn page(State(state): State<AppState>, Path(tab): Path<String>, headers: HeaderMap) -> Response {
    let tab = match tab.as_str() {
        "members" => "members",
        "groups" => "groups",
        "permissions" => "permissions",
        "network" => "network",
        "apps" => "apps",
        _ => return not_found_page(),
    };
    let visitor = match visitor(&state, &headers, &format!("/workspace/{tab}")).await {
        Ok(v) => v,
        Err(redirect) => return redirect,
    };
    let role = visitor.session.user.role;
    if !permits(role, Action::ViewWorkspaceSettings) {
        return page_error(AppError::role("workspace settings are for owners, admins and auditors"));
    }
    if tab == "apps" && may_govern(role).is_err() {
        return page_error(AppError::role("the workspace's apps are governed by owners and admins"));
    }
    match build(&state, tab, role, &visitor).await {
        Ok(page) => render(&page),
        Err(e) => page_error(e),
    }
}

async fn build(
    state: &AppState,
    tab: &'static str,
    role: Role,
    visitor: &super::Visitor,
) -> Result<WorkspacePage, AppError> {
    let me = &visitor.session.user;
    let accounts = state.services.accounts();
    let users = if tab == "members" {
        accounts
            .users(me)
            .await?
            .iter()
            .map(|u| UserRow {
                id: u.id.to_string(),
                name: u.name.clone(),
                email: u.email.to_string(),
                role: u.role.to_string(),
                developer_mode: u.developer_mode,
                editable: may_manage_user(role, UserChange::Remove { role: u.role }, u.id == me.id).is_ok(),
            })
            .collect()
    } else {
        vec![]
    };
    let (settings, network) = state.services.workspace().settings(me).await?;
    let mut groups = vec![];
    if tab == "groups" || tab == "permissions" {
        for group in accounts.groups_with_members(me).await? {
            groups.push(GroupRow {
                id: group.id.to_string(),
                granted: settings.developer_mode_groups.iter().any(|g| g.id == group.id),
                name: group.name,
                members: group
                    .members
                    .iter()
                    .map(|m| MemberRow {
                        user_id: m.user_id.to_string(),
                        name: m.name.clone(),
                        email: m.email.to_string(),
                    })
                    .collect(),
            });
        }
    }
    let can_manage = match tab {
        "members" => permits(role, Action::ManageUsers),
        "groups" => permits(role, Action::ManageGroups),
        _ => permits(role, Action::ManageWorkspaceSettings),
    };
    // Admins may only hand out the roles they manage.
    let roles = assignable_roles(role).into_iter().map(|r| r.to_string()).collect();
    let title = match tab {
        "members" => "Members",
        "groups" => "Groups",
        "network" => "Network",
        "apps" => "Apps",
        _ => "Permissions & roles",
    };
    let apps = if tab == "apps" { apps_tab(state, &visitor.session.user).await? } else { AppsTab::default() };
    let network = if tab == "network" { network_switches(network) } else { vec![] };
    // Whom the visitor may remove is whom they may reset a password for (never themselves).
    let can_reset_passwords = users.iter().any(|u| u.editable);
    Ok(WorkspacePage {
        shell: visitor.shell(title, "workspace", Some("workspace.js")),
        tab,
        can_read_audit: permits(role, Action::ReadAudit),
        can_manage,
        can_reset_passwords,
        roles,
        users,
        groups,
        policy: settings.developer_mode_policy.to_string(),
        policies: vec![
            (DeveloperModePolicy::Off.to_string(), "Off", "nobody may use developer mode"),
            (DeveloperModePolicy::Admins.to_string(), "Owners and admins", "each turns it on for themselves"),
            (DeveloperModePolicy::Rbac.to_string(), "Owners, admins and granted groups", "role-based access"),
        ],
        network,
        apps,
    })
}

async fn apps_tab(state: &AppState, user: &switchboard_store::User) -> Result<AppsTab, AppError> {
    let connectors = state.services.connectors();
    let pending = connectors.pending_changes(user).await?;
    let users = state.services.accounts().users(user).await?;
    let groups = state.services.accounts().groups(user).await?;
    let mut tab = AppsTab::default();
    let mut names = std::collections::HashMap::new();
    for (c, _) in connectors.visible(user).await? {
        let k = &c.connector;
        names.insert(k.id, k.name.clone());
        let creator =
            users.iter().find(|u| u.id == k.owner_id).map_or_else(|| "a removed user".to_owned(), |u| visible(&u.name));
        let shared_with = if k.access.everyone {
            "Everyone".to_owned()
        } else if k.access.groups.is_empty() {
            "Nobody yet".to_owned()
        } else {
            groups
                .iter()
                .filter(|g| k.access.groups.contains(&g.id))
                .map(|g| visible(&g.name))
                .collect::<Vec<_>>()
                .join(", ")
        };
        let row = AppListRow {
            id: k.id.to_string(),
            name: visible(&k.name),
            label: k.status.label().to_owned(),
            creator,
            shared_with,
            actions_on: c.enabled().count(),
            actions: c.tools.len(),
            when: human_time(k.published_at.unwrap_or(k.created_at)),
            pending: pending.iter().filter(|p| p.connector_id == k.id).count(),
        };
        match k.status {
            ConnectorStatus::Published => tab.published.push(row),
            ConnectorStatus::Draft => tab.drafts.push(row),
        }
    }
    tab.pending = pending
        .iter()
        .map(|p| PendingRow {
            app_id: p.connector_id.to_string(),
            app_name: names.get(&p.connector_id).map(|n| visible(n)).unwrap_or_default(),
            source: if p.source == "drift" { "found by the background check" } else { "found by a refresh" }.to_owned(),
            added: p.diff.added.len(),
            changed: p.diff.changed.len(),
            removed: p.diff.removed.len(),
            when: human_time(p.created_at),
        })
        .collect();
    Ok(tab)
}

fn network_switches(policy: NetworkPolicy) -> Vec<NetworkSwitch> {
    vec![
        NetworkSwitch {
            key: "allow_private",
            title: "Local and private-network servers",
            explanation: "Loopback (127.0.0.1, localhost, ::1) and private ranges (10.x, 172.16–31.x, 192.168.x, \
                          100.64.x, fc00::/7): MCP servers on this machine or your own network. On by default, \
                          since testing local servers is what developer mode is for. Turn it off where Switchboard \
                          runs next to internal services that apps must not reach.",
            caution: None,
            on: policy.allow_private,
        },
        NetworkSwitch {
            key: "allow_link_local",
            title: "Link-local addresses",
            explanation: "169.254.0.0/16 and fe80::/10. Off by default: on cloud hosts these ranges lead to the \
                          instance's own services, which can expose its credentials. Turn on only for a server \
                          you know lives there.",
            caution: Some("Apps may now reach link-local services of this host."),
            on: policy.allow_link_local,
        },
        NetworkSwitch {
            key: "allow_cloud_metadata",
            title: "Cloud metadata endpoints",
            explanation: "169.254.169.254, fd00:ec2::254 and the like. Off by default: these endpoints hand out \
                          the cloud instance's credentials to anyone who asks, so an app pointed at them could \
                          steal them. Almost never needed.",
            caution: Some("Apps may now read this host's cloud credentials."),
            on: policy.allow_cloud_metadata,
        },
    ]
}
