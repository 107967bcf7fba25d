//! The route table: every URL the server answers, in one place.

use axum::extract::DefaultBodyLimit;
use axum::http::StatusCode;
use axum::response::Response;
use axum::routing::get;
use axum::{Router, middleware};
use utoipa::OpenApi as _;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use crate::error::problem_response;
use crate::routes::health;
use crate::state::AppState;
use crate::{assets, openapi, pages};

/// Every API route, each registered once with the annotation that documents it:
/// the route table and the OpenAPI document come from the same declarations.
pub(crate) fn api_routes() -> OpenApiRouter<AppState> {
    use crate::routes::{
        audit as a, compliance as c, connectors as k, conversations as v, doctor as d, groups as g, me as m,
    };
    use crate::routes::{
        models as mo, session as s, setup as su, tokens as t, usage as us, users as u, widgets as wi, workspace as w,
    };
    OpenApiRouter::with_openapi(openapi::ApiDoc::openapi())
        .routes(routes!(health::healthz))
        .routes(routes!(health::readyz))
        .routes(routes!(health::metrics))
        .routes(routes!(su::create_owner::create_owner))
        .routes(routes!(s::create_session::create_session, s::delete_session::delete_session))
        .routes(routes!(m::get_me::get_me, m::update_me::update_me))
        .routes(routes!(m::change_password::change_password))
        .routes(routes!(m::set_developer_mode::set_developer_mode))
        .routes(routes!(t::list_tokens::list_tokens, t::create_token::create_token))
        .routes(routes!(t::delete_token::delete_token))
        .routes(routes!(u::list_users::list_users, u::create_user::create_user))
        .routes(routes!(u::get_user::get_user, u::update_user::update_user, u::delete_user::delete_user))
        .routes(routes!(g::list_groups::list_groups, g::create_group::create_group))
        .routes(routes!(g::get_group::get_group, g::delete_group::delete_group))
        .routes(routes!(g::add_group_member::add_group_member))
        .routes(routes!(g::remove_group_member::remove_group_member))
        .routes(routes!(k::list_connectors::list_connectors, k::create_connector::create_connector))
        .routes(routes!(k::get_connector::get_connector, k::delete_connector::delete_connector))
        .routes(routes!(k::list_tools::list_tools))
        .routes(routes!(k::start_oauth::start_oauth))
        .routes(routes!(k::get_oauth::get_oauth, k::disconnect_oauth::disconnect_oauth))
        .routes(routes!(crate::routes::oauth::callback::oauth_callback))
        .routes(routes!(crate::routes::oauth::client_metadata::client_metadata))
        .routes(routes!(k::update_tool::update_tool))
        .routes(routes!(k::call_tool::call_tool))
        .routes(routes!(k::list_playground_elicitations::list_playground_elicitations))
        .routes(routes!(k::answer_playground_elicitation::answer_playground_elicitation))
        .routes(routes!(k::call_tool_stream::call_tool_stream))
        .routes(routes!(k::refresh_connector::refresh_connector))
        .routes(routes!(k::publish_review::publish_review))
        .routes(routes!(k::publish_connector::publish_connector))
        .routes(routes!(k::unpublish_connector::unpublish_connector))
        .routes(routes!(k::update_access::update_access))
        .routes(routes!(k::list_changes::list_changes))
        .routes(routes!(k::accept_change::accept_change))
        .routes(routes!(k::reject_change::reject_change))
        .routes(routes!(w::list_pending_changes::list_pending_changes))
        .routes(routes!(d::run_doctor::run_doctor))
        .routes(routes!(mo::list_models::list_models))
        .routes(routes!(v::list_conversations::list_conversations, v::create_conversation::create_conversation))
        .routes(routes!(
            v::get_conversation::get_conversation,
            v::update_conversation::update_conversation,
            v::delete_conversation::delete_conversation
        ))
        .routes(routes!(v::send_message::send_message))
        .routes(routes!(v::regenerate_answer::regenerate_answer))
        .routes(routes!(v::resend_message::resend_message))
        .routes(routes!(v::list_remembered::list_remembered))
        .routes(routes!(v::forget_remembered::forget_remembered))
        .routes(routes!(v::cancel_turn::cancel_turn))
        .routes(routes!(v::decide_tool_call::decide_tool_call))
        .routes(routes!(wi::call_widget_tool::call_widget_tool))
        .routes(routes!(wi::decide_widget_call::decide_widget_call))
        .routes(routes!(wi::list_widget_calls::list_widget_calls))
        .routes(routes!(wi::read_widget_resource::read_widget_resource))
        .routes(routes!(wi::save_widget_state::save_widget_state))
        .routes(routes!(v::answer_elicitation::answer_elicitation))
        .routes(routes!(c::export_conversations::export_conversations))
        .routes(routes!(a::list_audit::list_audit))
        .routes(routes!(a::export_audit::export_audit))
        .routes(routes!(us::get_usage::get_usage))
        .routes(routes!(
            w::get_workspace_settings::get_workspace_settings,
            w::update_workspace_settings::update_workspace_settings
        ))
}

/// The whole application.
pub fn app(state: AppState) -> Router {
    let (api, _) = api_routes().split_for_parts();
    let max_body = state.config.max_body_bytes;
    api.route("/api/openapi.json", get(openapi::serve_openapi))
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
