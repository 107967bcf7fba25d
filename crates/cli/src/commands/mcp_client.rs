use std::process::ExitCode;

use anyhow::{Context as _, bail};
use serde_json::{Map, Value, json};
use switchboard_core::SecretString;
use switchboard_core::oauth::LegacyEndpoints;
use switchboard_mcp::headless::{self, HeadlessOAuth, HeadlessReport, PlannedCall};
use switchboard_mcp::oauth::ClientCredentials;
use switchboard_mcp::{Elicitation, Handshake};

use crate::cli::{ElicitationAnswer, McpClientArgs};
use crate::config::{self, Common};

/// `switchboard mcp-client URL [--call NAME[=JSON]]…`: what happened on stdout
/// (never a token); exit 1 when anything failed, a tool's error result included.
pub(super) async fn run(common: &Common, args: &McpClientArgs) -> anyhow::Result<ExitCode> {
    let mut calls = args.calls.iter().map(|c| planned(c)).collect::<anyhow::Result<Vec<_>>>()?;
    let context = HarnessContext::of(args)?;
    calls.extend(context.calls);
    let oauth = HeadlessOAuth {
        redirect_uri: args.redirect_uri.clone(),
        static_client: static_client(args).or(context.client),
        client_metadata_url: args.client_metadata_url.clone(),
        scope: args.scope.clone(),
        legacy_endpoints: if args.legacy_oauth_endpoints { LegacyEndpoints::Allowed } else { LegacyEndpoints::Refused },
    };
    let mut options = config::upstream(&common.file);
    options.elicitation = match args.elicitation {
        ElicitationAnswer::Refuse => Elicitation::Refuse,
        ElicitationAnswer::AcceptDefaults => Elicitation::AcceptDefaults,
    };
    if let Some(version) = &args.protocol_version {
        options.handshake = Handshake::Version(version.clone());
    }
    let report = headless::run(&args.url, &oauth, &calls, &options).await?;
    let failed: Vec<&str> = report
        .calls
        .iter()
        .filter(|(_, o)| o.result.get("isError").and_then(Value::as_bool) == Some(true))
        .map(|(name, _)| name.as_str())
        .collect();
    if args.json {
        println!("{}", serde_json::to_string_pretty(&as_json(&report))?);
    } else {
        print!("{}", human(&report));
    }
    if !failed.is_empty() {
        bail!("the server answered with an error result for {}", failed.join(", "));
    }
    Ok(ExitCode::SUCCESS)
}

/// `NAME` or `NAME=JSON`, the JSON an object of arguments.
fn planned(text: &str) -> anyhow::Result<PlannedCall> {
    let (name, arguments) = match text.split_once('=') {
        None => (text, Map::new()),
        Some((name, raw)) => match serde_json::from_str(raw).with_context(|| format!("--call {name}: bad JSON"))? {
            Value::Object(map) => (name, map),
            _ => bail!("--call {name}: the arguments must be a JSON object"),
        },
    };
    if name.trim().is_empty() {
        bail!("--call needs a tool name");
    }
    Ok(PlannedCall { name: name.to_owned(), arguments })
}

/// The pre-registered client of the flags.
fn static_client(args: &McpClientArgs) -> Option<ClientCredentials> {
    let client_id = args.client_id.as_ref()?;
    let client_secret = args.client_secret.as_deref().map(SecretString::new);
    Some(ClientCredentials { client_id: client_id.clone(), client_secret })
}

/// What the conformance harness's scenario context asks of a client: a
/// pre-registered client (`client_id`, `client_secret`) and calls to make
/// (`toolCalls`: `name` and `arguments`).
#[derive(Default)]
struct HarnessContext {
    client: Option<ClientCredentials>,
    calls: Vec<PlannedCall>,
}

impl HarnessContext {
    fn of(args: &McpClientArgs) -> anyhow::Result<Self> {
        let Some(raw) = &args.conformance_context else { return Ok(Self::default()) };
        let context: Value = serde_json::from_str(raw).context("MCP_CONFORMANCE_CONTEXT is not JSON")?;
        let text = |key: &str| context.get(key).and_then(Value::as_str).filter(|s| !s.is_empty());
        let client = text("client_id").map(|client_id| ClientCredentials {
            client_id: client_id.to_owned(),
            client_secret: text("client_secret").map(SecretString::new),
        });
        let mut calls = vec![];
        for call in context.get("toolCalls").and_then(Value::as_array).into_iter().flatten() {
            let Some(name) = call.get("name").and_then(Value::as_str) else {
                bail!("MCP_CONFORMANCE_CONTEXT: a tool call without a name");
            };
            let arguments = match call.get("arguments") {
                None | Some(Value::Null) => Map::new(),
                Some(Value::Object(map)) => map.clone(),
                Some(_) => bail!("MCP_CONFORMANCE_CONTEXT: the arguments of {name} are not an object"),
            };
            calls.push(PlannedCall { name: name.to_owned(), arguments });
        }
        Ok(Self { client, calls })
    }
}

fn as_json(report: &HeadlessReport) -> Value {
    json!({
        "protocolVersion": report.protocol_version,
        "serverInfo": report.server_info,
        "authorizations": report.authorizations.iter().map(|a| json!({
            "issuer": a.issuer, "clientId": a.client_id, "scope": a.scope, "refreshable": a.refreshable,
        })).collect::<Vec<_>>(),
        "tools": report.tools,
        "calls": report.calls.iter().map(|(name, o)| json!({
            "name": name, "result": o.result, "truncated": o.truncated,
        })).collect::<Vec<_>>(),
    })
}

fn human(report: &HeadlessReport) -> String {
    let name = |key: &str| report.server_info.get(key).and_then(Value::as_str).unwrap_or_default().to_owned();
    let mut out = format!("server {} {} · protocol {}\n", name("name"), name("version"), report.protocol_version);
    for a in &report.authorizations {
        let scope = if a.scope.is_empty() { "no scope".to_owned() } else { format!("scope {:?}", a.scope) };
        let refresh = if a.refreshable { ", refresh token issued" } else { "" };
        out.push_str(&format!("authorized by {} as client {:?} ({scope}{refresh})\n", a.issuer, a.client_id));
    }
    let names: Vec<&str> = report.tools.iter().map(|t| t.name.as_str()).collect();
    out.push_str(&format!("{} tools: {}\n", names.len(), names.join(", ")));
    for (name, outcome) in &report.calls {
        out.push_str(&format!("called {name}: {}\n", outcome.result));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_call_is_a_name_and_optional_json_arguments() {
        let call = planned(r#"add={"a":2,"b":3}"#).unwrap();
        assert_eq!(call.name, "add");
        assert_eq!(Value::Object(call.arguments), json!({"a": 2, "b": 3}));
        assert!(planned("test-tool").unwrap().arguments.is_empty());
        assert!(planned("x=[1]").is_err());
        assert!(planned("x={").is_err());
        assert!(planned("=").is_err());
    }
}
