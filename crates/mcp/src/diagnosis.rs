//! Why a connection failed, as ordered steps a server author can act on.

use serde::Serialize;

use crate::endpoint::{Endpoint, HttpTransport};
use crate::error::McpError;
use crate::options::ClientOptions;

/// One step of reaching a server: what was tried, whether it worked, and what to do.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Step {
    /// `url`, `resolve`, `connect`, `tls`, `redirect`, `http_status`, `content_type`,
    /// `protocol`, `jsonrpc`, `auth`, `start` or `tools`.
    pub step: &'static str,
    pub ok: bool,
    pub detail: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub hint: Option<String>,
}

fn ok(step: &'static str, detail: impl Into<String>) -> Step {
    Step { step, ok: true, detail: detail.into(), hint: None }
}

fn failed(step: &'static str, detail: impl Into<String>, hint: impl Into<String>) -> Step {
    Step { step, ok: false, detail: detail.into(), hint: Some(hint.into()) }
}

/// The steps up to and including the one that failed with `err`. For an HTTP
/// server that could not be reached, the endpoint is probed step by step.
pub async fn diagnose(endpoint: &Endpoint, err: &McpError, options: &ClientOptions) -> Vec<Step> {
    match endpoint {
        Endpoint::Http { url, transport } => match err {
            McpError::BadUrl(detail) => vec![failed(
                "url",
                detail.clone(),
                "use the server's full http:// or https:// URL, e.g. https://example.com/mcp",
            )],
            McpError::Refused(refused) => vec![
                ok("url", format!("{url} is an http(s) URL")),
                failed(
                    "resolve",
                    refused.to_string(),
                    "an admin can allow private or link-local addresses in the workspace's network settings; metadata addresses stay refused unless explicitly allowed",
                ),
            ],
            other => {
                let mut steps = crate::probe::probe_http(url, options).await;
                if *transport == HttpTransport::StreamableHttp
                    && let Some(last) = steps.last_mut().filter(|s| !s.ok && s.step == "http_status")
                    && crate::probe::serves_legacy_sse(url, options).await
                {
                    last.hint = Some(
                        "this URL serves the legacy HTTP+SSE transport (2024-11-05), not Streamable HTTP: set the \
                         transport to sse, or to auto to let Switchboard choose"
                            .to_owned(),
                    );
                }
                if steps.iter().all(|s| s.ok) {
                    steps.push(failed(
                        "protocol",
                        other.to_string(),
                        "the server answers initialize but the MCP session failed: check its transport (Streamable HTTP at /mcp, or legacy SSE at /sse)",
                    ));
                }
                steps
            }
        },
        Endpoint::Stdio(command) => {
            let program = command.argv.first().cloned().unwrap_or_default();
            match err {
                McpError::EmptyCommand => {
                    vec![failed("start", "no command was given", "give the program and its arguments")]
                }
                McpError::Spawn { reason, .. } => vec![failed(
                    "start",
                    format!("{program:?} could not be started: {reason}"),
                    "use an absolute path or a program on the server's PATH; the command runs without a shell",
                )],
                McpError::Stopped { .. } => vec![failed(
                    "start",
                    format!("{program:?} started but {err}"),
                    "run the command by hand: it must stay running and speak MCP on stdin/stdout (logs go to stderr); a missing argument, file or environment variable is the usual cause",
                )],
                other => vec![
                    ok("start", format!("{program:?} started")),
                    failed(
                        "protocol",
                        other.to_string(),
                        "the program must speak MCP on stdin/stdout and write logs only to stderr; check it does not exit at once",
                    ),
                ],
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::endpoint::StdioCommand;

    fn last(steps: &[Step]) -> (&'static str, bool) {
        steps.last().map(|s| (s.step, s.ok)).expect("a step")
    }

    #[tokio::test]
    async fn refusals_and_bad_urls_need_no_probe() {
        let http =
            Endpoint::Http { url: "http://169.254.169.254/mcp".parse().expect("url"), transport: HttpTransport::Auto };
        let refused = switchboard_core::network::check("169.254.169.254".parse().expect("ip"), &Default::default())
            .expect_err("refused");
        let steps = diagnose(&http, &McpError::Refused(refused), &ClientOptions::default()).await;
        assert_eq!(last(&steps), ("resolve", false));
        let steps =
            diagnose(&http, &McpError::BadUrl("ftp://x is not an http(s) URL".into()), &ClientOptions::default()).await;
        assert_eq!(last(&steps), ("url", false));
    }

    #[tokio::test]
    async fn commands_fail_at_start_or_at_the_handshake() {
        let cmd = Endpoint::Stdio(StdioCommand { argv: vec!["/bin/nope".into()], ..StdioCommand::default() });
        let spawn = McpError::Spawn { program: "/bin/nope".into(), reason: "No such file".into() };
        let options = ClientOptions::default();
        assert_eq!(last(&diagnose(&cmd, &spawn, &options).await), ("start", false));
        assert_eq!(
            last(&diagnose(&cmd, &McpError::Connect("connection closed".into()), &options).await),
            ("protocol", false)
        );
        assert!(diagnose(&cmd, &spawn, &options).await.last().and_then(|s| s.hint.as_ref()).is_some());
    }
}
