//! The doctor: a readiness report for an MCP server URL, as a developer-mode host
//! would find it. Reachability (with the probe's step-by-step explanation when it
//! fails), the transport and protocol versions the server speaks, OAuth discovery
//! when it asks for a token, then the catalog checks of
//! [`switchboard_core::doctor`] over every tool it lists.

use rmcp::model::ProtocolVersion;
use serde_json::Value;
use switchboard_core::doctor::{self, Check};
use url::Url;

use crate::auth_discovery;
use crate::diagnosis::{Step, diagnose};
use crate::endpoint::{Endpoint, HttpTransport};
use crate::handshakes::{self, Answer, INITIALIZE_VERSIONS, Over};
use crate::options::ClientOptions;
use crate::session::UpstreamSession;

/// What the doctor found about one server.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct DoctorReport {
    pub url: String,
    /// `streamable_http` or `sse`, once a session could be opened.
    pub transport: Option<String>,
    /// The version Switchboard's own handshake settled on.
    pub protocol_version: Option<String>,
    pub server: Option<ServerIdentity>,
    pub checks: Vec<Check>,
}

/// The server's `serverInfo`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ServerIdentity {
    pub name: String,
    pub version: String,
}

impl DoctorReport {
    /// No check failed.
    pub fn ok(&self) -> bool {
        doctor::ok(&self.checks)
    }
}

/// Examine the server at `url` under `options` (its address policy included).
pub async fn examine(url: &Url, options: &ClientOptions) -> DoctorReport {
    let mut report =
        DoctorReport { url: url.to_string(), transport: None, protocol_version: None, server: None, checks: vec![] };
    let endpoint = Endpoint::Http { url: url.clone(), transport: HttpTransport::Auto };
    let session = match UpstreamSession::connect(&endpoint, options).await {
        Ok(session) => session,
        Err(err) => {
            let steps = diagnose(&endpoint, &err, options).await;
            match steps.iter().find(|s| !s.ok) {
                Some(step) if step.step == "auth" => {
                    report.checks.push(Check::pass(
                        "reachability",
                        "Reachability",
                        format!("the server answers at {url} and asks for authentication"),
                    ));
                    report.checks.extend(auth_discovery::discover(url, options).await);
                    report.checks.push(Check::warn(
                        "catalog",
                        "Tool catalog",
                        "not checked: without a token the server lists no tools, so its transports, protocol \
                         versions, names, schemas, annotations, descriptions and parameters could not be examined",
                        "connect the server in Switchboard with OAuth to see its actions, or run the doctor against an \
                         instance that lets initialize and tools/list through without a token",
                    ));
                }
                failed => report.checks.push(unreachable(failed, &err)),
            }
            return report;
        }
    };
    report.transport = Some(session.transport().to_owned());
    report.protocol_version = Some(session.protocol_version().to_owned());
    report.server = identity(session.server_info());
    report.checks.push(Check::pass(
        "reachability",
        "Reachability",
        format!("the server answers MCP at {url} (protocol {})", session.protocol_version()),
    ));
    let over = if session.transport() == "sse" { Over::Sse } else { Over::StreamableHttp };
    report.checks.push(transport_check(over));
    report.checks.push(versions_check(url, over, options).await);
    report.checks.push(Check::pass(
        "auth",
        "Authentication",
        "no authentication required: the server answered initialize without a token",
    ));
    let listed = session.list_tools().await;
    session.close().await;
    match listed {
        Ok(tools) => report.checks.extend(doctor::check_catalog(&tools, &schema_error)),
        Err(e) => report.checks.push(Check::fail(
            "catalog",
            "Tool catalog",
            format!("tools/list failed: {e}"),
            "the server must answer tools/list (every page) after the handshake; its log says why it did not",
        )),
    }
    report
}

/// `reachability` failed: the probe's first failing step, in its words.
fn unreachable(failed: Option<&Step>, err: &crate::McpError) -> Check {
    let (detail, hint) = match failed {
        Some(step) => (step.detail.clone(), step.hint.clone().unwrap_or_default()),
        None => (err.to_string(), "check the server's log".to_owned()),
    };
    Check::fail("reachability", "Reachability", detail, hint)
}

fn identity(info: &Value) -> Option<ServerIdentity> {
    let name = info.get("name")?.as_str()?.to_owned();
    let version = info.get("version").and_then(Value::as_str).unwrap_or_default().to_owned();
    Some(ServerIdentity { name, version })
}

/// `transport`: Streamable HTTP, or only the legacy HTTP+SSE transport.
fn transport_check(over: Over) -> Check {
    match over {
        Over::StreamableHttp => Check::pass("transport", "Transport", "Streamable HTTP"),
        Over::Sse => Check::warn(
            "transport",
            "Transport",
            "only the legacy HTTP+SSE transport (2024-11-05): deprecated since 2025-03-26",
            "serve Streamable HTTP (POST and GET at one endpoint such as /mcp); keep the SSE endpoint only for \
             clients that still need it",
        ),
    }
}

/// `protocol_versions`: `server/discover` (2026-07-28, Streamable HTTP only), then
/// `initialize` asking for each earlier version in turn.
async fn versions_check(url: &Url, over: Over, options: &ClientOptions) -> Check {
    let discover = match over {
        Over::StreamableHttp => Some(handshakes::discover(url, options).await),
        Over::Sse => None,
    };
    let mut asked = vec![];
    for version in INITIALIZE_VERSIONS {
        let answer = handshakes::initialize(url, over, version.clone(), options).await;
        asked.push((version, answer));
    }
    evaluate_versions(discover.as_ref(), &asked)
}

/// The verdict on the handshakes' answers: current when `server/discover` works or
/// `initialize` at the newest initialize-based version is accepted.
fn evaluate_versions(discover: Option<&Answer>, asked: &[(ProtocolVersion, Answer)]) -> Check {
    const ID: &str = "protocol_versions";
    const TITLE: &str = "Protocol versions";
    let mut parts = vec![];
    match discover {
        Some(Answer::Accepted) => parts.push("server/discover (2026-07-28): supported".to_owned()),
        Some(Answer::Negotiated(v)) => parts.push(format!("server/discover: answered with {v}")),
        Some(Answer::Refused(_)) => parts.push("server/discover (2026-07-28): not supported".to_owned()),
        None => {}
    }
    for (version, answer) in asked {
        parts.push(match answer {
            Answer::Accepted => format!("initialize {version}: accepted"),
            Answer::Negotiated(other) => format!("initialize {version}: answered with {other}"),
            Answer::Refused(why) => format!("initialize {version}: failed ({why})"),
        });
    }
    let detail = parts.join("; ");
    let newest = asked.first().map(|(v, a)| (v.as_str(), a));
    let current = matches!(discover, Some(Answer::Accepted)) || matches!(newest, Some((_, Answer::Accepted)));
    if current {
        return Check::pass(ID, TITLE, detail);
    }
    let any = asked.iter().any(|(_, a)| !matches!(a, Answer::Refused(_)));
    let hint = "update the server's MCP SDK: current clients ask for 2025-11-25 through initialize, and for \
                2026-07-28 through server/discover";
    if any { Check::warn(ID, TITLE, detail, hint) } else { Check::fail(ID, TITLE, detail, hint) }
}

/// Why a JSON Schema is not valid (checked against its meta-schema and compiled),
/// or `None`. External `$ref`s are not fetched, so they count as errors.
fn schema_error(schema: &Value) -> Option<String> {
    jsonschema::validator_for(schema).err().map(|e| {
        let at = e.instance_path().to_string();
        if at.is_empty() { e.to_string() } else { format!("{e} at {at}") }
    })
}

#[cfg(test)]
mod tests {
    use serde_json::json;
    use switchboard_core::doctor::Status;

    use super::*;

    #[test]
    fn schemas_are_checked_against_their_meta_schema() {
        assert_eq!(schema_error(&json!({"type": "object", "properties": {"q": {"type": "string"}}})), None);
        let bad_type = schema_error(&json!({"type": "object", "properties": {"q": {"type": "strang"}}}));
        assert!(bad_type.is_some_and(|e| e.contains("strang")));
        assert!(schema_error(&json!({"type": "object", "required": "id"})).is_some());
        assert!(
            schema_error(&json!({"type": "object", "properties": {"n": {"type": "integer", "minimum": "0"}}}))
                .is_some()
        );
    }

    #[test]
    fn versions_are_current_with_discover_or_the_newest_initialize() {
        let v = |a: [Answer; 3]| -> Vec<(ProtocolVersion, Answer)> { INITIALIZE_VERSIONS.into_iter().zip(a).collect() };
        let refused = || Answer::Refused("HTTP 400".into());
        let all = v([Answer::Accepted, Answer::Accepted, Answer::Accepted]);
        let check = evaluate_versions(Some(&Answer::Accepted), &all);
        assert_eq!(check.status, Status::Pass);
        assert_eq!(
            check.detail,
            "server/discover (2026-07-28): supported; initialize 2025-11-25: accepted; \
             initialize 2025-06-18: accepted; initialize 2025-03-26: accepted"
        );
        assert_eq!(evaluate_versions(Some(&refused()), &all).status, Status::Pass);
        assert_eq!(evaluate_versions(None, &all).status, Status::Pass);

        let older =
            v([Answer::Negotiated("2025-03-26".into()), Answer::Negotiated("2025-03-26".into()), Answer::Accepted]);
        let check = evaluate_versions(Some(&refused()), &older);
        assert_eq!(check.status, Status::Warn);
        assert!(check.detail.contains("initialize 2025-11-25: answered with 2025-03-26"), "{}", check.detail);
        let none = v([refused(), refused(), refused()]);
        assert_eq!(evaluate_versions(Some(&refused()), &none).status, Status::Fail);
    }

    #[test]
    fn transports_and_identities() {
        assert_eq!(transport_check(Over::StreamableHttp).status, Status::Pass);
        let sse = transport_check(Over::Sse);
        assert_eq!(sse.status, Status::Warn);
        assert!(sse.detail.contains("deprecated since 2025-03-26"));
        assert_eq!(
            identity(&json!({"name": "kanban", "version": "0.1.0"})),
            Some(ServerIdentity { name: "kanban".into(), version: "0.1.0".into() })
        );
        assert_eq!(identity(&json!({"name": "x"})).map(|i| i.version), Some(String::new()));
        assert_eq!(identity(&Value::Null), None);
    }
}
