//! Server-rendered HTML pages. Templates are compiled and checked at build time;
//! behaviour lives in small ES modules under `static/js`, so no inline script is
//! needed and the CSP stays strict.

mod apps;
mod audit;
mod chat;
mod login;
mod settings;
mod setup;
mod usage;
mod usage_chart;
mod widget;
mod workspace;

use std::borrow::Cow;

use askama::Template;
use axum::Router;
use axum::http::{HeaderMap, StatusCode};
use axum::response::{Html, IntoResponse, Redirect, Response};
use axum::routing::get;
use std::sync::Arc;
use switchboard_core::SecretString;
use switchboard_core::permission::{Action, permits};

use switchboard_store::LoginSession;
use time::OffsetDateTime;

use crate::auth::{BrowserSession, session_from_headers};
use crate::error::AppError;
use crate::routes::me::me_view;
use crate::state::AppState;
use crate::views::MeView;

pub(crate) fn routes() -> Router<AppState> {
    Router::new()
        .route("/", get(index))
        .route("/setup", get(setup::page))
        .route("/login", get(login::page))
        .route("/chat", get(chat::page))
        .route("/settings", get(|| async { Redirect::to("/settings/account") }))
        .route("/settings/{tab}", get(settings::page))
        .route("/settings/apps/{id}", get(apps::page))
        .route("/workspace", get(|| async { Redirect::to("/workspace/members") }))
        .route("/workspace/audit", get(audit::page))
        .route("/workspace/usage", get(usage::page))
        .route("/workspace/{tab}", get(workspace::page))
        .route("/widgets/{conversation}/{call}", get(widget::page))
        .route("/widgets/apps/{connector}/{tool}", get(widget::app_page))
}

/// What the page frame (`base.html`) shows.
#[derive(Debug)]
pub(crate) struct Shell {
    pub(crate) title: Cow<'static, str>,
    pub(crate) nav: &'static str,
    pub(crate) layout: &'static str,
    pub(crate) csrf: String,
    pub(crate) script: Option<&'static str>,
    pub(crate) me: Option<ShellUser>,
}

#[derive(Debug)]
pub(crate) struct ShellUser {
    pub(crate) name: String,
    pub(crate) email: String,
    pub(crate) role: String,
    pub(crate) can_see_workspace: bool,
    pub(crate) developer_mode_active: bool,
    /// Owners and admins: publish apps and review their changes.
    pub(crate) can_govern_apps: bool,
    /// Change sets of published apps awaiting review (shown to owners and admins).
    pub(crate) pending_changes: usize,
    /// Owners, admins and auditors: Workspace → Usage.
    pub(crate) can_read_usage: bool,
}

impl Shell {
    /// The frame of a page seen before signing in.
    pub(crate) fn public(title: &'static str, script: &'static str) -> Self {
        Self { title: title.into(), nav: "", layout: "centered", csrf: String::new(), script: Some(script), me: None }
    }

    fn bare(title: &'static str) -> Self {
        Self { title: title.into(), nav: "", layout: "centered", csrf: String::new(), script: None, me: None }
    }
}

#[derive(Template)]
#[template(path = "error.html")]
struct ErrorPage {
    shell: Shell,
    heading: &'static str,
    detail: String,
}

/// An error as a page: the same status as the API would give, in words for a person.
pub(crate) fn page_error(err: AppError) -> Response {
    let (status, detail) = match err {
        AppError::Client { status, detail, .. } | AppError::Detailed { status, detail, .. } => (status, detail),
        AppError::Limited { detail, .. } => (StatusCode::TOO_MANY_REQUESTS, detail),
        AppError::Unavailable(detail) => {
            tracing::warn!(%detail, "dependency unavailable");
            (StatusCode::SERVICE_UNAVAILABLE, "the database is not reachable right now; try again shortly".to_owned())
        }
        AppError::StorageFull(detail) => {
            tracing::error!(%detail, "the database's disk is full");
            (StatusCode::SERVICE_UNAVAILABLE, crate::error::STORAGE_FULL.to_owned())
        }
        AppError::Internal(detail) => {
            tracing::error!(%detail, "internal error");
            (
                StatusCode::INTERNAL_SERVER_ERROR,
                "something went wrong on our side; the details are in the server log".to_owned(),
            )
        }
    };
    let heading = match status {
        StatusCode::NOT_FOUND => "Page not found",
        StatusCode::FORBIDDEN => "Not for your role",
        StatusCode::SERVICE_UNAVAILABLE => "Temporarily unavailable",
        _ => "Something went wrong",
    };
    let page = ErrorPage { shell: Shell::bare(heading), heading, detail };
    let mut response = render(&page);
    *response.status_mut() = status;
    response
}

/// A signed-in visitor of a page.
pub(crate) struct Visitor {
    pub(crate) session: Arc<LoginSession>,
    /// The session's CSRF token, for the page's scripts.
    pub(crate) csrf: SecretString,
    pub(crate) me: MeView,
    /// Change sets awaiting review, for owners and admins (0 for others).
    pub(crate) pending_changes: usize,
}

impl Visitor {
    pub(crate) fn shell(&self, title: &'static str, nav: &'static str, script: Option<&'static str>) -> Shell {
        let user = &self.session.user;
        Shell {
            title: title.into(),
            nav,
            layout: "with-sidebar",
            csrf: self.csrf.expose().to_owned(),
            script,
            me: Some(ShellUser {
                name: user.name.clone(),
                email: user.email.to_string(),
                role: user.role.to_string(),
                can_see_workspace: permits(user.role, Action::ViewWorkspaceSettings),
                developer_mode_active: self.me.developer_mode.active,
                can_govern_apps: switchboard_core::connector::may_govern(user.role).is_ok(),
                pending_changes: self.pending_changes,
                can_read_usage: permits(user.role, Action::ReadUsage),
            }),
        }
    }
}

/// The signed-in visitor, or the redirect that gets them signed in.
pub(crate) async fn visitor(state: &AppState, headers: &HeaderMap, here: &str) -> Result<Visitor, Response> {
    let found = session_from_headers(headers, state).await.map_err(page_error)?;
    match found {
        Some(BrowserSession { session, csrf, .. }) => {
            let me = me_view(state, &session.user).await.map_err(page_error)?;
            let pending_changes = if switchboard_core::connector::may_govern(session.user.role).is_ok() {
                state
                    .services
                    .connectors()
                    .pending_changes(&session.user)
                    .await
                    .map_err(|e| page_error(e.into()))?
                    .len()
            } else {
                0
            };
            Ok(Visitor { session, csrf, me, pending_changes })
        }
        None => Err(to_sign_in(state, here).await),
    }
}

async fn to_sign_in(state: &AppState, here: &str) -> Response {
    match state.services.accounts().is_set_up().await {
        Ok(false) => Redirect::to("/setup").into_response(),
        Ok(true) => Redirect::to(&format!("/login?next={}", urlencode(here))).into_response(),
        Err(e) => page_error(e.into()),
    }
}

fn urlencode(path: &str) -> String {
    path.bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'/' | b'-' | b'_' | b'.' => (b as char).to_string(),
            _ => format!("%{b:02X}"),
        })
        .collect()
}

async fn index(axum::extract::State(state): axum::extract::State<AppState>, headers: HeaderMap) -> Response {
    match visitor(&state, &headers, "/chat").await {
        Ok(_) => Redirect::to("/chat").into_response(),
        Err(redirect) => redirect,
    }
}

pub(crate) fn render(template: &impl Template) -> Response {
    match template.render() {
        Ok(html) => Html(html).into_response(),
        // Not through `page_error`: rendering its template could fail the same way.
        Err(e) => AppError::Internal(format!("template: {e}")).into_response(),
    }
}

pub(crate) fn not_found_page() -> Response {
    page_error(AppError::not_found("there is no such page"))
}

/// Text from elsewhere (an MCP server, a person) as inert text: invisible
/// characters (`core::untrusted::is_invisible`: direction overrides and isolates,
/// zero-width marks, tag characters…) and control characters other than tab and
/// newline are shown as `\u{…}`, so they cannot disguise what surrounds them or
/// hide text from the person reading it.
pub(crate) fn visible(text: &str) -> String {
    let hidden = |c: char| (c.is_control() && c != '\n' && c != '\t') || switchboard_core::untrusted::is_invisible(c);
    text.chars().map(|c| if hidden(c) { format!("\\u{{{:04x}}}", u32::from(c)) } else { c.to_string() }).collect()
}

/// A time as people read it: `2026-11-22 14:05 UTC`.
pub(crate) fn human_time(t: OffsetDateTime) -> String {
    let t = t.to_offset(time::UtcOffset::UTC);
    format!("{:04}-{:02}-{:02} {:02}:{:02} UTC", t.year(), u8::from(t.month()), t.day(), t.hour(), t.minute())
}

#[cfg(test)]
mod tests {
    use super::visible;

    #[test]
    fn hidden_characters_are_made_visible() {
        assert_eq!(visible("plain text\nwith\ttabs"), "plain text\nwith\ttabs");
        assert_eq!(visible("evil\u{202e}gnp.exe"), "evil\\u{202e}gnp.exe");
        assert_eq!(visible("a\u{0}b\u{200b}c"), "a\\u{0000}b\\u{200b}c");
        assert_eq!(visible("café ✓"), "café ✓");
        // Tag characters spell text a model reads and a person does not see.
        assert_eq!(visible("ok\u{e0049}\u{e0047}\u{2062}\u{ad}"), "ok\\u{e0049}\\u{e0047}\\u{2062}\\u{00ad}");
    }
}
