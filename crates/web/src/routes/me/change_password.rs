use axum::extract::State;
use axum::http::StatusCode;
use serde_json::json;
use switchboard_core::AuditKind;
use switchboard_core::credentials::verify_password;

use crate::auth::{Actor, Via};
use crate::client_address::ClientAddress;
use crate::error::{ApiResult, AppError};
use crate::json::Json;
use crate::routes::session::password_attempt;
use crate::routes::{audit_change, hash_new_password};
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
    let attempt = password_attempt(&state, actor.user.email.as_str(), address).await?;
    let hash = state.store.credentials_by_email(&actor.user.email).await?.and_then(|(_, hash)| hash);
    let current = body.current;
    let ok = tokio::task::spawn_blocking(move || verify_password(&current, hash.as_deref()))
        .await
        .map_err(|e| AppError::Internal(e.to_string()))?;
    if !ok {
        // The attempt stays recorded: it counts as a failure.
        tracing::warn!(user = %actor.user.id, "password change refused: wrong current password");
        return Err(AppError::forbidden("wrong_password", "the current password is wrong; nothing was changed"));
    }
    state.store.sign_in_succeeded(&attempt).await?;
    let hash = hash_new_password(body.new).await?;
    let keep = match &actor.via {
        Via::Session { digest } => Some(digest.as_str()),
        Via::Token => None,
    };
    let (user, ended) = state.store.change_own_password(actor.user.id, &hash, keep).await?;
    // Never the password or its hash: who changed theirs and how many sessions ended.
    let who = json!({"id": user.id, "email": user.email.as_str()});
    audit_change(
        &state,
        &actor,
        AuditKind::UserPasswordReset,
        json!({"user": who, "by_self": true, "current_password_checked": true, "other_sessions_ended": ended}),
    )
    .await?;
    tracing::info!(user = %user.id, sessions_ended = ended, "changed their password");
    Ok(StatusCode::NO_CONTENT)
}
