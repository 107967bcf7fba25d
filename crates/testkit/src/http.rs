//! HTTP clients for tests. reqwest needs the process's TLS crypto provider
//! installed before any client is built, as the binary does at start.

/// Install the crypto provider (again, harmlessly).
pub fn install_tls() {
    switchboard_mcp::install_crypto_provider();
}

/// A plain client, such as the application hands its model providers.
pub fn http_client() -> reqwest::Client {
    install_tls();
    reqwest::Client::new()
}
