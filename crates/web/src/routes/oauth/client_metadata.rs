use axum::extract::State;
use axum::http::header::{CACHE_CONTROL, CONTENT_TYPE};
use axum::response::IntoResponse;

use super::{CALLBACK_PATH, CLIENT_METADATA_PATH};
use crate::json::Json;
use crate::state::AppState;

/// Switchboard's OAuth Client ID Metadata Document, public: an authorization
/// server that accepts such documents (`client_id_metadata_document_supported`)
/// fetches it from the `client_id` Switchboard sends, which is this URL under the
/// public URL. A public client: no secret, the redirect URI
/// `{public_url}/oauth/callback`, the authorization code and refresh token
/// grants. Switchboard uses it only when the public URL is https.
#[utoipa::path(get, path = "/oauth/client-metadata.json", tag = "connectors", responses(
    (status = 200, description = "the client's metadata; `client_id` is this document's URL",
        content_type = "application/json", body = Object),
))]
pub(crate) async fn client_metadata(State(state): State<AppState>) -> impl IntoResponse {
    let public = &state.config.public_url;
    let document = switchboard_mcp::oauth::client_metadata_document(
        &format!("{public}{CLIENT_METADATA_PATH}"),
        &format!("{public}{CALLBACK_PATH}"),
        public,
    );
    ([(CONTENT_TYPE, "application/json"), (CACHE_CONTROL, "public, max-age=3600")], Json(document))
}
