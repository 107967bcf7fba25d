//! The route table: every URL the server answers, in one place.

use axum::extract::DefaultBodyLimit;
use axum::http::StatusCode;
use axum::response::Response;
use axum::routing::{get, post, put};
use axum::{Router, middleware};

use crate::error::problem_response;
use crate::routes::{
    compliance, connectors, conversations, doctor, groups, health, me, models, session, setup, tokens, users, workspace,
};
use crate::state::AppState;
use crate::{assets, openapi, pages};

/// The whole application.
pub fn app(state: AppState) -> Router {
    let api = Router::new()
        .route("/setup", post(setup::create_owner::create_owner))
        .route(
            "/session",
            post(session::create_session::create_session).delete(session::delete_session::delete_session),
        )
        .route("/me", get(me::get_me::get_me))
        .route("/me/developer-mode", put(me::set_developer_mode::set_developer_mode))
        .route("/tokens", get(tokens::list_tokens::list_tokens).post(tokens::create_token::create_token))
        .route("/tokens/{id}", axum::routing::delete(tokens::delete_token::delete_token))
        .route("/users", get(users::list_users::list_users).post(users::create_user::create_user))
        .route(
            "/users/{id}",
            get(users::get_user::get_user)
                .patch(users::update_user::update_user)
                .delete(users::delete_user::delete_user),
        )
        .route("/groups", get(groups::list_groups::list_groups).post(groups::create_group::create_group))
        .route("/groups/{id}", get(groups::get_group::get_group).delete(groups::delete_group::delete_group))
        .route("/groups/{id}/members", post(groups::add_group_member::add_group_member))
        .route(
            "/groups/{id}/members/{user_id}",
            axum::routing::delete(groups::remove_group_member::remove_group_member),
        )
        .route(
            "/connectors",
            get(connectors::list_connectors::list_connectors).post(connectors::create_connector::create_connector),
        )
        .route(
            "/connectors/{id}",
            get(connectors::get_connector::get_connector).delete(connectors::delete_connector::delete_connector),
        )
        .route("/connectors/{id}/tools", get(connectors::list_tools::list_tools))
        .route("/connectors/{id}/tools/{name}", axum::routing::patch(connectors::update_tool::update_tool))
        .route("/connectors/{id}/tools/{name}/call", post(connectors::call_tool::call_tool))
        .route("/connectors/{id}/refresh", post(connectors::refresh_connector::refresh_connector))
        .route("/doctor", post(doctor::run_doctor::run_doctor))
        .route("/models", get(models::list_models::list_models))
        .route(
            "/conversations",
            get(conversations::list_conversations::list_conversations)
                .post(conversations::create_conversation::create_conversation),
        )
        .route(
            "/conversations/{id}",
            get(conversations::get_conversation::get_conversation)
                .delete(conversations::delete_conversation::delete_conversation),
        )
        .route("/conversations/{id}/messages", post(conversations::send_message::send_message))
        .route("/conversations/{id}/cancel", post(conversations::cancel_turn::cancel_turn))
        .route(
            "/conversations/{id}/tool-calls/{call_id}/decision",
            post(conversations::decide_tool_call::decide_tool_call),
        )
        .route("/compliance/conversations", get(compliance::export_conversations::export_conversations))
        .route(
            "/workspace/settings",
            get(workspace::get_workspace_settings::get_workspace_settings)
                .put(workspace::update_workspace_settings::update_workspace_settings),
        );

    let max_body = state.config.max_body_bytes;
    Router::new()
        .nest("/api/v1", api)
        .route("/api/openapi.json", get(openapi::serve_openapi))
        .route("/healthz", get(health::healthz))
        .route("/readyz", get(health::readyz))
        .route("/metrics", get(health::metrics))
        .merge(pages::routes())
        .merge(assets::routes())
        .fallback(not_found)
        .method_not_allowed_fallback(method_not_allowed)
        .layer(DefaultBodyLimit::max(max_body))
        .layer(middleware::from_fn_with_state(state.clone(), crate::middleware::guard_origin))
        .layer(middleware::from_fn(crate::middleware::security_headers))
        .route_layer(middleware::from_fn_with_state(state.clone(), crate::middleware::observe))
        .with_state(state)
}

async fn not_found() -> Response {
    problem_response(
        StatusCode::NOT_FOUND,
        "not_found",
        "no such route; the API is under /api/v1 (see /api/openapi.json)",
    )
}

async fn method_not_allowed() -> Response {
    problem_response(StatusCode::METHOD_NOT_ALLOWED, "method_not_allowed", "this route does not accept that method")
}
