//! Limits and policy for upstream connections.

use std::time::Duration;

use switchboard_core::SecretString;
use switchboard_core::network::NetworkPolicy;

#[derive(Clone, Debug, PartialEq)]
pub struct ClientOptions {
    /// Connecting and the protocol handshake together.
    pub connect_timeout: Duration,
    /// One request (a page of tools, a tool call).
    pub call_timeout: Duration,
    /// Largest tool result kept; larger results are truncated and say so.
    pub max_result_bytes: usize,
    /// Most tools accepted from one server (all pages together).
    pub max_tools: usize,
    pub network: NetworkPolicy,
    /// An OAuth access token sent as `Authorization: Bearer` on every request to
    /// the server's own URL (Streamable HTTP), never on a redirect to another origin.
    pub bearer: Option<SecretString>,
}

impl Default for ClientOptions {
    fn default() -> Self {
        Self {
            connect_timeout: Duration::from_secs(15),
            call_timeout: Duration::from_secs(60),
            max_result_bytes: 1024 * 1024,
            max_tools: 10_000,
            network: NetworkPolicy::default(),
            bearer: None,
        }
    }
}
