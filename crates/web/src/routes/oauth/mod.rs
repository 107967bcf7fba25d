//! Where authorization servers send people back after they authorized an app.

pub(crate) mod callback;

/// The redirect URI every authorization request names, after the public URL.
pub(crate) const CALLBACK_PATH: &str = "/oauth/callback";
