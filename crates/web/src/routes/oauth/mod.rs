//! Where authorization servers send people back after they authorized an app,
//! and the client metadata they may fetch.

pub(crate) mod callback;
pub(crate) mod client_metadata;

/// The redirect URI every authorization request names, after the public URL.
pub(crate) const CALLBACK_PATH: &str = "/oauth/callback";

/// Where Switchboard's Client ID Metadata Document is served, after the public URL.
pub(crate) const CLIENT_METADATA_PATH: &str = "/oauth/client-metadata.json";

/// The Client ID Metadata Document's URL, when `public_url` may serve as a
/// client identifier (https); otherwise authorization servers get a registered client.
pub(crate) fn client_metadata_url(public_url: &str) -> Option<String> {
    let url = format!("{public_url}{CLIENT_METADATA_PATH}");
    switchboard_core::oauth::metadata_document_allowed(&url).then_some(url)
}
