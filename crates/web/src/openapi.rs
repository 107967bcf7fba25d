//! The OpenAPI document, generated from the handlers' annotations.

use utoipa::openapi::security::{ApiKey, ApiKeyValue, HttpAuthScheme, HttpBuilder, SecurityScheme};
use utoipa::{Modify, OpenApi};

use crate::routes::{
    compliance, connectors, conversations, doctor, groups, health, me, models, session, setup, tokens, users, workspace,
};

#[derive(OpenApi)]
#[openapi(
    info(
        title = "Switchboard API",
        description = "Self-hosted developer mode for MCP. Errors are RFC 9457 problem+json documents with a stable `code`. \
                       Cookie-authenticated requests that change state need the `X-CSRF-Token` header.",
    ),
    paths(
        health::healthz, health::readyz, health::metrics,
        setup::create_owner::create_owner,
        session::create_session::create_session, session::delete_session::delete_session,
        me::get_me::get_me, me::set_developer_mode::set_developer_mode,
        tokens::list_tokens::list_tokens, tokens::create_token::create_token, tokens::delete_token::delete_token,
        users::list_users::list_users, users::create_user::create_user, users::get_user::get_user,
        users::update_user::update_user, users::delete_user::delete_user,
        groups::list_groups::list_groups, groups::create_group::create_group, groups::get_group::get_group,
        groups::delete_group::delete_group, groups::add_group_member::add_group_member,
        groups::remove_group_member::remove_group_member,
        connectors::create_connector::create_connector, connectors::list_connectors::list_connectors,
        connectors::get_connector::get_connector, connectors::delete_connector::delete_connector,
        connectors::list_tools::list_tools, connectors::update_tool::update_tool,
        connectors::call_tool::call_tool, connectors::refresh_connector::refresh_connector,
        doctor::run_doctor::run_doctor,
        models::list_models::list_models,
        conversations::create_conversation::create_conversation,
        conversations::list_conversations::list_conversations,
        conversations::get_conversation::get_conversation,
        conversations::delete_conversation::delete_conversation,
        conversations::send_message::send_message,
        conversations::decide_tool_call::decide_tool_call,
        conversations::cancel_turn::cancel_turn,
        compliance::export_conversations::export_conversations,
        workspace::get_workspace_settings::get_workspace_settings,
        workspace::update_workspace_settings::update_workspace_settings,
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
        (name = "compliance", description = "Exports for owners, admins and auditors"),
    )
)]
struct ApiDoc;

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
    let mut doc = ApiDoc::openapi();
    doc.info.version = env!("CARGO_PKG_VERSION").to_owned();
    doc.to_pretty_json().unwrap_or_else(|e| format!("{{\"error\": \"{e}\"}}"))
}

pub(crate) async fn serve_openapi() -> impl axum::response::IntoResponse {
    ([(axum::http::header::CONTENT_TYPE, "application/json")], openapi_json())
}
