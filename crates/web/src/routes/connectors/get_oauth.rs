use axum::extract::{Path, State};

use crate::auth::Actor;
use crate::error::ApiResult;
use crate::json::Json;
use crate::routes::parse_id;
use crate::state::AppState;
use crate::views_connectors::{OAuthConnectionView, connect_url};

/// Your connection to an OAuth app: `connected`, `needs_connect` or
/// `needs_reconnect` (with the `reason`), with its issuer, scopes and expiry.
/// Never a token.
#[utoipa::path(get, path = "/api/v1/connectors/{id}/oauth", tag = "connectors", params(("id" = Uuid, Path)),
    security(("session" = []), ("token" = [])), responses(
    (status = 200, body = OAuthConnectionView),
    (status = 404),
    (status = 409, description = "the app does not use OAuth"),
))]
pub(crate) async fn get_oauth(
    State(state): State<AppState>,
    actor: Actor,
    Path(id): Path<String>,
) -> ApiResult<Json<OAuthConnectionView>> {
    let id = parse_id(&id, "connector")?;
    let c = state.services.connectors().oauth_connection(&actor.user, id).await?;
    Ok(Json(OAuthConnectionView {
        state: c.state.to_owned(),
        reason: c.reason,
        issuer: c.issuer,
        scopes: c.scopes,
        expires_at: c.expires_at,
        refreshable: c.refreshable,
        connect_url: connect_url(id),
    }))
}
