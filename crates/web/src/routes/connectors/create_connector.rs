use crate::auth::Actor;
use crate::error::{ApiResult, AppError};
use crate::json::Json;
use crate::state::AppState;
use crate::views::parse_name;
use crate::views_connectors::{ConnectorView, CreateConnectorRequest, CreatedConnectorView, ToolView};
use axum::extract::State;
use axum::http::StatusCode;
use switchboard_core::catalog::Classification;
use switchboard_core::oauth::LegacyEndpoints;
use switchboard_mcp::{Endpoint, HttpTransport, StdioCommand};
use switchboard_service::{DraftAuth, NewDraft};
use switchboard_store::ConnectorOAuth;

/// Connect to an MCP server, list all its tools, and keep it as a draft.
///
/// Nothing is stored unless the connection and the listing succeed; on failure the
/// answer is a diagnosis, step by step. With `auth.mode = "oauth"` the draft is
/// stored at once without tools and the answer carries `connect_url`: the
/// creator connects their account there, and the tools are listed with their token.
/// With `mixed` the tools are listed without a token, as with `none`, each saying
/// what its calls need (`auth`), and the answer carries `connect_url` too.
/// Its warnings then say whether the authorization server lists `offline_access`
/// (without it, people sign in again whenever their access token expires).
#[utoipa::path(post, path = "/api/v1/connectors", tag = "connectors", request_body = CreateConnectorRequest,
    security(("session" = []), ("token" = [])), responses(
    (status = 201, body = CreatedConnectorView),
    (status = 403, description = "developer mode is off, or local commands are not allowed"),
    (status = 422, description = "invalid input, or the server could not be reached (`details.steps`)"),
))]
pub(crate) async fn create_connector(
    State(state): State<AppState>,
    actor: Actor,
    Json(body): Json<CreateConnectorRequest>,
) -> ApiResult<(StatusCode, Json<CreatedConnectorView>)> {
    let name = parse_name(&body.name, "name", 100)?;
    let description = body.description.trim().to_owned();
    if description.chars().count() > 2000 {
        return Err(AppError::invalid("description must be at most 2000 characters"));
    }
    let auth = auth_from(body.auth.as_ref())?;
    let (endpoint, transport) = endpoint_from(&body)?;
    let (oauth, mixed) = (matches!(auth, DraftAuth::OAuth(_)), matches!(auth, DraftAuth::Mixed(_)));
    if (oauth || mixed) && !matches!(endpoint, Endpoint::Http { .. }) {
        return Err(AppError::invalid("OAuth needs the server's url, not a command"));
    }
    let draft = NewDraft { name, description, url: body.url.clone(), transport, auth };
    let created = state.services.connectors().create(&actor.user, draft, &endpoint).await?;
    let stored: Vec<_> = created.tools.iter().map(|t| t.stored.clone()).collect();
    let warnings = if oauth {
        let mut warnings =
            vec!["connect your account to list this app's tools: open connect_url in a browser".to_owned()];
        warnings.extend(state.services.connectors().oauth_warnings(&actor.user, created.connector.id).await?);
        warnings
    } else if mixed {
        let mut all = warnings(&stored);
        all.extend(state.services.connectors().oauth_warnings(&actor.user, created.connector.id).await?);
        all
    } else {
        warnings(&stored)
    };
    Ok((
        StatusCode::CREATED,
        Json(CreatedConnectorView {
            connector: ConnectorView::new(&created.connector, stored.len(), true),
            tools: stored.iter().map(|t| ToolView::in_app(t, &created.connector.auth_mode)).collect(),
            warnings,
            connect_url: (oauth || mixed).then(|| crate::views_connectors::connect_url(created.connector.id)),
        }),
    ))
}

/// Parse the authentication: `none` (the default), or `oauth` or `mixed` with its settings.
fn auth_from(auth: Option<&crate::views_connectors::AuthRequest>) -> Result<DraftAuth, AppError> {
    let Some(auth) = auth else { return Ok(DraftAuth::None) };
    match auth.mode.as_str() {
        "none" => {
            if auth.client_id.is_some()
                || auth.client_secret.is_some()
                || auth.scopes.is_some()
                || auth.legacy_endpoints == Some(true)
            {
                return Err(AppError::invalid(
                    "client_id, client_secret, scopes and legacy_endpoints go with auth mode \"oauth\" or \"mixed\"",
                ));
            }
            Ok(DraftAuth::None)
        }
        mode @ ("oauth" | "mixed") => {
            let client_id = auth.client_id.as_deref().map(str::trim).filter(|c| !c.is_empty()).map(str::to_owned);
            let client_secret = auth.client_secret.clone().filter(|s| !s.is_empty());
            if client_secret.is_some() && client_id.is_none() {
                return Err(AppError::invalid("a client_secret needs its client_id"));
            }
            let scopes = auth.scopes.as_deref().unwrap_or_default().split_whitespace().collect::<Vec<_>>().join(" ");
            if scopes.len() > 1000 || client_id.as_ref().is_some_and(|c| c.len() > 500) {
                return Err(AppError::invalid("client_id and scopes must be shorter"));
            }
            let legacy_endpoints =
                if auth.legacy_endpoints == Some(true) { LegacyEndpoints::Allowed } else { LegacyEndpoints::Refused };
            let settings = ConnectorOAuth { client_id, client_secret, scopes, legacy_endpoints };
            Ok(if mode == "mixed" { DraftAuth::Mixed(settings) } else { DraftAuth::OAuth(settings) })
        }
        other => Err(AppError::invalid(format!(
            "auth mode {other:?} is not available: use \"none\", \"oauth\" or \"mixed\""
        ))),
    }
}

/// Parse the target: exactly one of `url` and `command`, and a transport that fits it.
fn endpoint_from(body: &CreateConnectorRequest) -> Result<(Endpoint, &'static str), AppError> {
    match (&body.url, &body.command) {
        (Some(url), None) => {
            let parsed: url::Url =
                url.trim().parse().map_err(|e| AppError::invalid(format!("url {url:?} is not a URL: {e}")))?;
            if !matches!(parsed.scheme(), "http" | "https") {
                return Err(AppError::invalid("url must start with http:// or https://"));
            }
            let (transport, name) = match body.transport.as_deref().unwrap_or("auto") {
                "auto" => (HttpTransport::Auto, "auto"),
                "streamable_http" => (HttpTransport::StreamableHttp, "streamable_http"),
                "sse" => (HttpTransport::Sse, "sse"),
                other => {
                    return Err(AppError::invalid(format!(
                        "transport {other:?} does not go with a url: use auto, streamable_http or sse"
                    )));
                }
            };
            Ok((Endpoint::Http { url: parsed, transport }, name))
        }
        (None, Some(cmd)) => {
            if !matches!(body.transport.as_deref(), None | Some("stdio")) {
                return Err(AppError::invalid("a command uses the stdio transport"));
            }
            if cmd.argv.is_empty() || cmd.argv[0].trim().is_empty() {
                return Err(AppError::invalid("command.argv must name a program"));
            }
            let command =
                StdioCommand { argv: cmd.argv.clone(), env: cmd.env.clone(), cwd: cmd.cwd.as_ref().map(Into::into) };
            Ok((Endpoint::Stdio(command), "stdio"))
        }
        (Some(_), Some(_)) => Err(AppError::invalid("give either url or command, not both")),
        (None, None) => Err(AppError::invalid("give the server's url, or a command to run")),
    }
}

/// What a reviewer should look at twice.
fn warnings(tools: &[switchboard_store::ConnectorTool]) -> Vec<String> {
    let mut out = vec![];
    let writes = tools.iter().filter(|t| t.tool.classification() == Classification::Write).count();
    if writes > 0 {
        out.push(format!("{writes} of {} actions are write actions: each call will ask for confirmation", tools.len()));
    }
    let unannotated: Vec<&str> =
        tools.iter().filter(|t| t.tool.annotations.is_none()).map(|t| t.tool.name.as_str()).collect();
    if !unannotated.is_empty() {
        out.push(format!("no annotations on {}: they are treated as write actions", unannotated.join(", ")));
    }
    if tools.is_empty() {
        out.push("the server lists no tools".to_owned());
    }
    out
}
