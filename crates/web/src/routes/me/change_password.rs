use axum::extract::State;
use axum::http::StatusCode;
use switchboard_service::PasswordChange;

use crate::auth::{Actor, Via};
use crate::client_address::ClientAddress;
use crate::error::ApiResult;
use crate::json::Json;
use crate::state::AppState;
use crate::views::ChangePasswordRequest;

/// Change one's own password (Settings → Account).
///
/// The current password is required; the new one follows the same rules as
/// everywhere. Every other browser session of this person ends; the one this
/// was sent from stays signed in. API tokens are kept.
///
/// A wrong current password counts as a failed sign-in of the account and from
/// the client's address: once either has too many, the check is refused with
/// 429 and `Retry-After` before the password is looked at, as sign-in is, so a
/// stolen session cannot be used to guess the password.
#[utoipa::path(post, path = "/api/v1/me/password", tag = "me", request_body = ChangePasswordRequest,
    security(("session" = []), ("token" = [])), responses(
    (status = 204, description = "changed; the person's other sessions have ended"),
    (status = 401),
    (status = 403, description = "the current password is wrong: nothing changed"),
    (status = 422, description = "the new password breaks the rules: nothing changed"),
    (status = 429, description = "too many wrong passwords; `Retry-After` says when to try again"),
))]
pub(crate) async fn change_password(
    State(state): State<AppState>,
    actor: Actor,
    ClientAddress(address): ClientAddress,
    Json(body): Json<ChangePasswordRequest>,
) -> ApiResult<StatusCode> {
    let attempt = state.services.sign_ins().attempt(actor.user.email.as_str(), address).await?;
    let keep_session = match &actor.via {
        Via::Session { digest } => Some(digest.as_str()),
        Via::Token => None,
    };
    let change = PasswordChange { attempt, current: body.current, new: body.new, keep_session };
    state.services.accounts().change_own_password(&actor.user, change).await?;
    Ok(StatusCode::NO_CONTENT)
}
