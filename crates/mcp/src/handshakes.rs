//! One handshake at a time, each asking for one protocol version, to find out
//! which versions a server speaks: `server/discover` for the stateless 2026-07-28
//! protocol, `initialize` for the earlier ones. Every handshake goes through the
//! policy-checked client and is closed at once.

use rmcp::model::ProtocolVersion;
use rmcp::service::{ClientLifecycleMode, ClientServiceExt};
use rmcp::transport::StreamableHttpClientTransport;
use rmcp::transport::streamable_http_client::StreamableHttpClientTransportConfig;
use url::Url;

use crate::error::Cause;
use crate::http_client;
use crate::legacy_sse::LegacySseTransport;
use crate::options::ClientOptions;
use crate::session::client_info;
use crate::tool_fields::ToolFields;

/// The initialize-based versions the doctor asks for, newest first.
pub(crate) const INITIALIZE_VERSIONS: [ProtocolVersion; 3] =
    [ProtocolVersion::V_2025_11_25, ProtocolVersion::V_2025_06_18, ProtocolVersion::V_2025_03_26];

/// The HTTP transport a handshake runs over.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Over {
    StreamableHttp,
    Sse,
}

/// How a server answered a handshake that asked for one version.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) enum Answer {
    /// It settled on the version asked for.
    Accepted,
    /// It answered with another version, as the specification lets a server do.
    Negotiated(String),
    /// The handshake failed; why, in one line.
    Refused(String),
}

/// `server/discover` asking for 2026-07-28 (Streamable HTTP only).
pub(crate) async fn discover(url: &Url, options: &ClientOptions) -> Answer {
    let mode = ClientLifecycleMode::Discover { preferred_versions: vec![ProtocolVersion::V_2026_07_28] };
    handshake(url, Over::StreamableHttp, ProtocolVersion::V_2026_07_28, mode, options).await
}

/// `initialize` asking for `version`.
pub(crate) async fn initialize(url: &Url, over: Over, version: ProtocolVersion, options: &ClientOptions) -> Answer {
    handshake(url, over, version, ClientLifecycleMode::Initialize, options).await
}

async fn handshake(
    url: &Url,
    over: Over,
    version: ProtocolVersion,
    mode: ClientLifecycleMode,
    options: &ClientOptions,
) -> Answer {
    let deadline = tokio::time::Instant::now() + options.connect_timeout;
    let asked = version.to_string();
    match tokio::time::timeout_at(deadline, run(url, over, version, mode, options, deadline)).await {
        Ok(Ok(answered)) if answered == asked => Answer::Accepted,
        Ok(Ok(answered)) => Answer::Negotiated(answered),
        Ok(Err(why)) => Answer::Refused(why),
        Err(_) => Answer::Refused(format!("no answer within {:?}", options.connect_timeout)),
    }
}

/// The version the server settled on, or why the handshake failed.
async fn run(
    url: &Url,
    over: Over,
    version: ProtocolVersion,
    mode: ClientLifecycleMode,
    options: &ClientOptions,
    deadline: tokio::time::Instant,
) -> Result<String, String> {
    http_client::preflight(url, &options.network).await.map_err(|e| e.to_string())?;
    let client = http_client::build(options).map_err(|e| e.to_string())?;
    let info = client_info().with_protocol_version(version);
    let service = match over {
        Over::StreamableHttp => {
            let config = StreamableHttpClientTransportConfig::with_uri(url.as_str());
            let transport = StreamableHttpClientTransport::with_client(client, config);
            info.serve_with_lifecycle(transport, mode).await
        }
        Over::Sse => {
            let transport = LegacySseTransport::connect(client, url, options, deadline, ToolFields::default())
                .await
                .map_err(|e| e.to_string())?;
            info.serve_with_lifecycle(transport, mode).await
        }
    };
    let mut service = service.map_err(|e| {
        let cause = Cause::of(&e);
        tracing::debug!(error = %cause.chain(), "a handshake was refused");
        first_line(&cause.to_string())
    })?;
    let answered = service.peer_info().map(|p| p.protocol_version.to_string()).unwrap_or_default();
    let _ = service.close_with_timeout(std::time::Duration::from_secs(2)).await;
    Ok(answered)
}

/// Error texts can carry a whole HTML page; one line is enough in a report.
fn first_line(text: &str) -> String {
    let line = text.lines().next().unwrap_or_default();
    match line.char_indices().nth(200) {
        Some((cut, _)) => format!("{}…", &line[..cut]),
        None => line.to_owned(),
    }
}

#[cfg(test)]
mod tests {
    use super::first_line;

    #[test]
    fn error_texts_are_cut_to_one_short_line() {
        assert_eq!(first_line("HTTP 400: bad\n<html>…</html>"), "HTTP 400: bad");
        let long = "é".repeat(300);
        assert_eq!(first_line(&long).chars().count(), 201);
    }
}
