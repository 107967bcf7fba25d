//! How to reach a stored connector.

use switchboard_mcp::{Endpoint, HttpTransport, StdioCommand};
use switchboard_store::Connector;

use crate::error::{Result, ServiceError};

/// The connector's endpoint, from its stored URL and transport or its command.
pub fn endpoint_of(c: &Connector) -> Result<Endpoint> {
    if let Some(url) = &c.url {
        let url = url.parse().map_err(|e| ServiceError::Internal(format!("stored url {url:?}: {e}")))?;
        let transport = match c.transport.as_str() {
            "streamable_http" => HttpTransport::StreamableHttp,
            "sse" => HttpTransport::Sse,
            _ => HttpTransport::Auto,
        };
        return Ok(Endpoint::Http { url, transport });
    }
    let command =
        c.command.as_ref().ok_or_else(|| ServiceError::Internal("connector has neither url nor command".into()))?;
    let argv = command["argv"].as_array().into_iter().flatten().filter_map(|v| v.as_str().map(str::to_owned)).collect();
    let env = command["env"]
        .as_object()
        .into_iter()
        .flatten()
        .filter_map(|(k, v)| v.as_str().map(|v| (k.clone(), v.to_owned())))
        .collect();
    let cwd = command["cwd"].as_str().map(Into::into);
    Ok(Endpoint::Stdio(StdioCommand { argv, env, cwd }))
}
