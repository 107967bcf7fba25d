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
    /// Longest a tool call that runs as a task may take, from its creation: then it
    /// is cancelled upstream (`tasks/cancel`) and ends cancelled.
    pub task_deadline: Duration,
    /// Largest tool result kept; larger results are truncated and say so.
    pub max_result_bytes: usize,
    /// Most tools accepted from one server (all pages together).
    pub max_tools: usize,
    pub network: NetworkPolicy,
    /// An OAuth access token sent as `Authorization: Bearer` on every request to
    /// the server's own URL (Streamable HTTP), never on a redirect to another origin.
    pub bearer: Option<SecretString>,
    pub handshake: Handshake,
    pub elicitation: Elicitation,
}

/// How a session answers a server that asks its user for input (`elicitation/create`).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum Elicitation {
    /// Offer no elicitation; answer such requests with "method not found".
    #[default]
    Refuse,
    /// Offer form elicitation and accept every form with the defaults its schema gives
    /// (a headless client with nobody to ask).
    AcceptDefaults,
    /// Offer form and URL elicitation and ask the person whose call is running
    /// (see [`crate::elicitation::asking`]); with nobody to ask, answer `cancel`.
    Ask,
}

/// The handshake a session makes (Streamable HTTP and stdio).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub enum Handshake {
    /// `server/discover` at 2026-07-28 first, `initialize` at 2025-11-25 for servers that do not know it.
    #[default]
    Auto,
    /// One protocol version only, with its own lifecycle: `server/discover` from 2026-07-28 on,
    /// `initialize` before.
    Version(String),
}

impl Default for ClientOptions {
    fn default() -> Self {
        Self {
            connect_timeout: Duration::from_secs(15),
            call_timeout: Duration::from_secs(60),
            task_deadline: Duration::from_secs(15 * 60),
            max_result_bytes: 1024 * 1024,
            max_tools: 10_000,
            network: NetworkPolicy::default(),
            bearer: None,
            handshake: Handshake::Auto,
            elicitation: Elicitation::Refuse,
        }
    }
}
