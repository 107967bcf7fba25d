//! A tool call's widget document, framed by the chat page.
//!
//! The UI resource is read from the app's server on the owner's behalf (the
//! browser never talks to the server) and served as it came, with a
//! Content-Security-Policy built only from the domains the resource declares and
//! `sandbox allow-scripts allow-forms`, so it runs in an origin of its own even if
//! opened on its own. An Apps SDK component gets `window.openai` first in its
//! `<head>`: the call's input, output and saved state, and the bridge to the page.

use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::http::header::{self, HeaderMap, HeaderValue};
use axum::response::{IntoResponse, Response};
use serde_json::json;
use switchboard_core::widget::{self, WidgetKind};
use switchboard_service::WidgetDocument;

use crate::auth::Actor;
use crate::error::AppError;
use crate::routes::parse_id;
use crate::state::AppState;

/// `window.openai` for Apps SDK components (see the file).
const OPENAI_SHIM: &str = include_str!("../../static/js/openai_shim.js");

/// The policy of a page that only says why there is no widget.
const MESSAGE_CSP: &str = "default-src 'none'; style-src 'unsafe-inline'; frame-ancestors 'self'; sandbox";

/// The widget of a call in a conversation.
pub(crate) async fn page(
    State(state): State<AppState>,
    headers: HeaderMap,
    Path((conversation, call)): Path<(String, String)>,
    actor: Result<Actor, AppError>,
) -> Response {
    let document = async {
        let actor = actor?;
        let conversation = parse_id(&conversation, "conversation")?;
        let call = parse_id(&call, "tool call")?;
        Ok::<_, AppError>(state.services.widgets().document(&actor.user, conversation, call).await?)
    };
    serve(&state, &headers, document.await)
}

/// The widget of an app's tool, for a call by hand in the playground (its data
/// comes over the bridge).
pub(crate) async fn app_page(
    State(state): State<AppState>,
    headers: HeaderMap,
    Path((connector, tool)): Path<(String, String)>,
    actor: Result<Actor, AppError>,
) -> Response {
    let document = async {
        let actor = actor?;
        let connector = parse_id(&connector, "app")?;
        Ok::<_, AppError>(state.services.widgets().app_document(&actor.user, connector, &tool).await?)
    };
    serve(&state, &headers, document.await)
}

fn serve(state: &AppState, headers: &HeaderMap, document: Result<WidgetDocument, AppError>) -> Response {
    match document {
        Ok(document) => {
            let own = own_origins(state, headers);
            let declared = widget::declared_csp(document.resource_meta.as_ref(), &own);
            if !declared.refused.is_empty() {
                tracing::info!(app = %document.app, refused = ?declared.refused, "a widget declared domains that were left out");
            }
            let policy = widget::content_security_policy(&declared);
            let html = match document.kind {
                WidgetKind::McpApp => document.html,
                WidgetKind::AppsSdk => widget::insert_first(&document.html, &apps_sdk_boot(&document)),
            };
            respond(StatusCode::OK, &policy, html)
        }
        Err(error) => {
            let (status, message) = explain(error);
            let html = format!(
                "<!doctype html><meta charset=utf-8><style>body{{font:14px system-ui,sans-serif;margin:12px;\
                 color:#555}}</style><p>This widget cannot be shown: {}</p>",
                escape(&message)
            );
            respond(status, MESSAGE_CSP, html)
        }
    }
}

/// Switchboard's own origins, which a widget may never be allowed to reach.
fn own_origins(state: &AppState, headers: &HeaderMap) -> Vec<String> {
    let mut own = vec![state.config.public_url.clone()];
    if let Some(host) = headers.get(header::HOST).and_then(|h| h.to_str().ok()) {
        own.push(format!("http://{host}"));
        own.push(format!("https://{host}"));
    }
    own
}

fn respond(status: StatusCode, policy: &str, html: String) -> Response {
    let mut response = (status, html).into_response();
    let h = response.headers_mut();
    h.insert(header::CONTENT_TYPE, HeaderValue::from_static("text/html; charset=utf-8"));
    if let Ok(policy) = HeaderValue::from_str(policy) {
        h.insert(header::CONTENT_SECURITY_POLICY, policy);
    }
    // Framed by Switchboard's own pages only.
    h.insert(header::X_FRAME_OPTIONS, HeaderValue::from_static("SAMEORIGIN"));
    h.insert("cross-origin-resource-policy", HeaderValue::from_static("same-origin"));
    response
}

/// Why there is no widget, in words for the person (the detail of a fault of
/// ours stays in the log).
fn explain(error: AppError) -> (StatusCode, String) {
    let (_, message) = error.code_and_detail();
    (error.into_response().status(), message)
}

/// The script that gives an Apps SDK component its data and `window.openai`.
fn apps_sdk_boot(document: &WidgetDocument) -> String {
    let result = document.tool_result.as_ref();
    let boot = json!({
        "toolInput": document.tool_input,
        "toolOutput": result.and_then(|r| r.get("structuredContent")),
        "toolResponseMetadata": result.and_then(|r| r.get("_meta")),
        "widgetState": document.widget_state,
    });
    format!("<script>window.__switchboardWidget={};</script><script>{OPENAI_SHIM}</script>", script_json(&boot))
}

/// JSON that is safe inside a `<script>` element: no `<`, so no `</script>`.
fn script_json(value: &serde_json::Value) -> String {
    value.to_string().replace('<', "\\u003c").replace('\u{2028}', "\\u2028").replace('\u{2029}', "\\u2029")
}

fn escape(text: &str) -> String {
    text.replace('&', "&amp;").replace('<', "&lt;").replace('>', "&gt;").replace('"', "&quot;")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn script_json_cannot_close_its_script() {
        let out = script_json(&json!({"text": "</script><script>alert(1)</script>", "line": "a\u{2028}b"}));
        assert!(!out.contains("</script>"), "{out}");
        assert!(!out.contains('\u{2028}'), "{out}");
        let back: serde_json::Value = serde_json::from_str(&out).unwrap();
        assert_eq!(back["text"], "</script><script>alert(1)</script>");
    }

    #[test]
    fn messages_are_escaped() {
        assert_eq!(escape("<b>\"x\" & y</b>"), "&lt;b&gt;&quot;x&quot; &amp; y&lt;/b&gt;");
    }
}
