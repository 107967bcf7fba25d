//! The OpenAPI document, generated from the handlers' annotations.

use utoipa::openapi::security::{ApiKey, ApiKeyValue, HttpAuthScheme, HttpBuilder, SecurityScheme};
use utoipa::{Modify, OpenApi};

#[derive(OpenApi)]
#[openapi(
    info(
        title = "Switchboard API",
        description = "Self-hosted developer mode for MCP. Errors are RFC 9457 problem+json documents with a stable `code` \
                       (`application/problem+json`: the shared `Problem` response every operation refers to). \
                       Cookie-authenticated requests that change state need the `X-CSRF-Token` header.",
    ),
    components(schemas(crate::error::Problem)),
    modifiers(&SecuritySchemes),
    tags(
        (name = "operations", description = "Health, readiness and metrics"),
        (name = "setup", description = "Creating the first owner"),
        (name = "session", description = "Browser sign-in"),
        (name = "me", description = "The signed-in user"),
        (name = "tokens", description = "Personal API tokens"),
        (name = "users", description = "Workspace users"),
        (name = "groups", description = "Groups of users"),
        (name = "connectors", description = "MCP servers, their actions, and the playground"),
        (name = "doctor", description = "Readiness reports for MCP servers"),
        (name = "workspace", description = "Workspace settings"),
        (name = "conversations", description = "Chat with a model using connectors' actions; write actions wait for the owner"),
        (name = "widgets", description = "What a tool call's widget asks its host for: its app's tools (writes wait for the owner), resources and saved state"),
        (name = "compliance", description = "Exports for owners, admins and auditors"),
        (name = "audit", description = "The hash-chained audit trail of tool calls, decisions and admin changes, for owners, admins and auditors"),
        (name = "usage", description = "Tokens, turns and tool calls by user, app, model and day, for owners, admins and auditors"),
    )
)]
/// What the document says beyond its paths, which come from the route table
/// ([`crate::router::api_routes`]).
pub(crate) struct ApiDoc;

struct SecuritySchemes;

impl Modify for SecuritySchemes {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        let components = openapi.components.get_or_insert_with(Default::default);
        components.add_security_scheme(
            "token",
            SecurityScheme::Http(
                HttpBuilder::new()
                    .scheme(HttpAuthScheme::Bearer)
                    .description(Some("A personal API token (`sb_…`)"))
                    .build(),
            ),
        );
        components.add_security_scheme(
            "session",
            SecurityScheme::ApiKey(ApiKey::Cookie(ApiKeyValue::new("switchboard_session"))),
        );
    }
}

/// The OpenAPI document as pretty-printed JSON.
pub fn openapi_json() -> String {
    let mut doc = crate::router::api_routes().into_openapi();
    crate::openapi_errors::document_errors(&mut doc);
    doc.info.version = env!("CARGO_PKG_VERSION").to_owned();
    doc.to_pretty_json().unwrap_or_else(|e| format!("{{\"error\": \"{e}\"}}"))
}

pub(crate) async fn serve_openapi() -> impl axum::response::IntoResponse {
    static DOC: std::sync::OnceLock<String> = std::sync::OnceLock::new();
    ([(axum::http::header::CONTENT_TYPE, "application/json")], DOC.get_or_init(openapi_json).as_str())
}
