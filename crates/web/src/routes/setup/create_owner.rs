use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use switchboard_store::NewUser;

use crate::error::{ApiResult, AppError};
use crate::json::Json;
use crate::routes::hash_new_password;
use crate::routes::session::start_session;
use crate::state::AppState;
use crate::views::{SetupRequest, parse_email, parse_name};

/// Create the first owner with the one-time setup token, and sign them in.
#[utoipa::path(post, path = "/api/v1/setup", tag = "setup", request_body = SetupRequest, responses(
    (status = 201, description = "the owner was created and signed in", body = crate::views::SessionView),
    (status = 403, description = "wrong or used setup token"),
    (status = 409, description = "the workspace already has an owner"),
    (status = 422, description = "invalid email, name or password"),
))]
pub(crate) async fn create_owner(State(state): State<AppState>, Json(body): Json<SetupRequest>) -> ApiResult<Response> {
    if state.store.is_set_up().await? {
        return Err(AppError::conflict("already_set_up", "the workspace already has an owner; sign in instead"));
    }
    if !state.setup.matches(body.token.expose()) {
        return Err(AppError::forbidden(
            "invalid_setup_token",
            "the setup token is wrong; use the link `switchboard serve` printed when it started",
        ));
    }
    let email = parse_email(&body.email)?;
    let name = parse_name(&body.name, "name", 100)?;
    let hash = hash_new_password(body.password).await?;
    let user = state
        .store
        .complete_setup(NewUser { email, name, role: switchboard_core::Role::Owner, password_hash: Some(hash) })
        .await?;
    state.setup.consume();
    tracing::info!(user = %user.id, "workspace set up: owner created");
    let (session, headers) = start_session(&state, &user).await?;
    Ok((StatusCode::CREATED, headers, Json(session)).into_response())
}
