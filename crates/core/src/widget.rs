//! Interactive UI of a tool (DESIGN E1–E3): which tools render a widget (MCP Apps
//! `_meta.ui.resourceUri`, Apps SDK `_meta["openai/outputTemplate"]`), which
//! resources may be rendered, who may call a tool (the model, the app's own
//! widget), and the Content-Security-Policy a widget's document is served with:
//! built only from the domains its resource declares, none by default.

use serde_json::Value;

use crate::catalog::Tool;

/// The MIME type of an MCP Apps view.
pub const MCP_APP_MIME: &str = "text/html;profile=mcp-app";
/// The MIME type of an Apps SDK component template.
pub const APPS_SDK_MIME: &str = "text/html+skybridge";
/// The MCP Apps extension a client declares in its capabilities.
pub const UI_EXTENSION: &str = "io.modelcontextprotocol/ui";

/// Which protocol a widget speaks to its host.
#[derive(Clone, Copy, Debug, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum WidgetKind {
    /// MCP Apps: `ui/*` JSON-RPC over `postMessage`.
    McpApp,
    /// Apps SDK: `window.openai`, which Switchboard provides over the same bridge.
    AppsSdk,
}

/// The UI resource a tool links to.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Template {
    pub uri: String,
    pub kind: WidgetKind,
}

fn meta(tool: &Tool) -> Option<&serde_json::Map<String, Value>> {
    tool.meta.as_ref()?.as_object()
}

/// The widget a tool's results render in, if it links one. Only `ui://` resources
/// count: a widget is always read from the tool's own server.
pub fn template(tool: &Tool) -> Option<Template> {
    let meta = meta(tool)?;
    let ui_uri = meta.get("ui").and_then(|ui| ui.get("resourceUri")).or_else(|| meta.get("ui/resourceUri"));
    let found = match ui_uri.and_then(Value::as_str) {
        Some(uri) => (uri, WidgetKind::McpApp),
        None => (meta.get("openai/outputTemplate")?.as_str()?, WidgetKind::AppsSdk),
    };
    let (uri, kind) = found;
    (uri.starts_with("ui://") && uri.len() > "ui://".len() && uri.len() <= 2048)
        .then(|| Template { uri: uri.to_owned(), kind })
}

/// A resource of this MIME type may be rendered as a widget (HTML only).
pub fn is_renderable(mime: &str) -> bool {
    let normalized: String = mime.chars().filter(|c| !c.is_whitespace()).collect::<String>().to_ascii_lowercase();
    normalized == MCP_APP_MIME || normalized == APPS_SDK_MIME || normalized == "text/html"
}

/// `_meta.ui.visibility` when it is a list of strings.
fn ui_visibility(tool: &Tool) -> Option<Vec<&str>> {
    let list = meta(tool)?.get("ui")?.get("visibility")?.as_array()?;
    Some(list.iter().filter_map(Value::as_str).collect())
}

/// The model may be offered the tool: not when the server hid it from the model
/// (`_meta.ui.visibility` without `"model"`, or `openai/visibility: "private"`).
pub fn visible_to_model(tool: &Tool) -> bool {
    if let Some(visibility) = ui_visibility(tool) {
        return visibility.contains(&"model");
    }
    meta(tool).and_then(|m| m.get("openai/visibility")).and_then(Value::as_str) != Some("private")
}

/// A widget of the tool's own app may call it: unless `_meta.ui.visibility` leaves
/// out `"app"`, or an Apps SDK tool says `openai/widgetAccessible: false`. A widget
/// never calls another app's tools; that is the caller's check, by app.
pub fn callable_from_widget(tool: &Tool) -> bool {
    if let Some(visibility) = ui_visibility(tool) {
        return visibility.contains(&"app");
    }
    meta(tool).and_then(|m| m.get("openai/widgetAccessible")).and_then(Value::as_bool) != Some(false)
}

/// The origins a widget's resource declares, each checked.
#[derive(Clone, Debug, Default, PartialEq, Eq, serde::Serialize)]
pub struct DeclaredCsp {
    /// `connect-src`: fetch, XHR, WebSocket.
    pub connect: Vec<String>,
    /// `script-src`, `style-src`, `img-src`, `font-src`, `media-src`.
    pub resource: Vec<String>,
    /// `frame-src`.
    pub frame: Vec<String>,
    /// `base-uri`.
    pub base_uri: Vec<String>,
    /// Declared sources that were left out, each with why.
    pub refused: Vec<String>,
}

/// The domains a UI resource declares in its `_meta`: MCP Apps `ui.csp`
/// (`connectDomains`, `resourceDomains`, `frameDomains`, `baseUriDomains`) and
/// Apps SDK `openai/widgetCSP` (`connect_domains`, `resource_domains`,
/// `frame_domains`). A source is kept only when it is a plain origin (see
/// [`check_source`]) and not one of `own_origins`, Switchboard's own: a widget
/// never reaches its host's API.
pub fn declared_csp(resource_meta: Option<&Value>, own_origins: &[String]) -> DeclaredCsp {
    let mut csp = DeclaredCsp::default();
    let ui = resource_meta.and_then(|m| m.get("ui")).and_then(|ui| ui.get("csp"));
    let sdk = resource_meta.and_then(|m| m.get("openai/widgetCSP"));
    let lists = |mcp_key: &str, sdk_key: &str| -> Vec<Value> {
        let from = |v: Option<&Value>, key: &str| {
            v.and_then(|v| v.get(key)).and_then(Value::as_array).cloned().unwrap_or_default()
        };
        [from(ui, mcp_key), from(sdk, sdk_key)].concat()
    };
    let own: Vec<String> = own_origins.iter().map(|o| o.trim_end_matches('/').to_ascii_lowercase()).collect();
    let mut refused = vec![];
    let mut pick = |declared: Vec<Value>| -> Vec<String> {
        let mut kept: Vec<String> = vec![];
        for value in declared {
            let Some(text) = value.as_str() else {
                refused.push(format!("{value}: not a string"));
                continue;
            };
            match check_source(text) {
                Ok(source) if own.contains(&source) => refused.push(format!("{text}: Switchboard's own origin")),
                Ok(source) if !kept.contains(&source) => kept.push(source),
                Ok(_) => {}
                Err(why) => refused.push(format!("{}: {why}", text.chars().take(200).collect::<String>())),
            }
        }
        kept
    };
    csp.connect = pick(lists("connectDomains", "connect_domains"));
    csp.resource = pick(lists("resourceDomains", "resource_domains"));
    csp.frame = pick(lists("frameDomains", "frame_domains"));
    csp.base_uri = pick(lists("baseUriDomains", "base_uri_domains"));
    csp.refused = refused;
    csp
}

/// A declared source as it goes into the policy: `scheme://host[:port]`, lower
/// case, with `https` or `wss` (or `http`/`ws` for `localhost` and loopback
/// addresses, for servers under development); a leading `*.` wildcard on a name of
/// at least two labels. Paths, quotes, keywords, `;` and anything else that could
/// widen the policy are refused.
pub fn check_source(text: &str) -> Result<String, &'static str> {
    let lowered = text.trim().trim_end_matches('/').to_ascii_lowercase();
    let (scheme, rest) = lowered.split_once("://").ok_or("not an origin (scheme://host)")?;
    let (host, port) = match rest.strip_prefix('[') {
        Some(bracketed) => {
            let (address, after) = bracketed.split_once(']').ok_or("not a host name")?;
            let port = match after {
                "" => None,
                _ => Some(after.strip_prefix(':').ok_or("not a host name")?),
            };
            (&rest[..address.len() + 2], port)
        }
        None => match rest.split_once(':') {
            Some((host, port)) => (host, Some(port)),
            None => (rest, None),
        },
    };
    if let Some(port) = port
        && (port.is_empty() || port.len() > 5 || !port.chars().all(|c| c.is_ascii_digit()))
    {
        return Err("the port is not a number");
    }
    let local = matches!(host, "localhost" | "127.0.0.1" | "[::1]");
    match scheme {
        "https" | "wss" => {}
        "http" | "ws" if local => {}
        "http" | "ws" => return Err("only https and wss are allowed (http for localhost)"),
        _ => return Err("only https and wss are allowed"),
    }
    if !local {
        let name = host.strip_prefix("*.").unwrap_or(host);
        let labels: Vec<&str> = name.split('.').collect();
        let label_ok =
            |l: &&str| !l.is_empty() && l.len() <= 63 && l.chars().all(|c| c.is_ascii_alphanumeric() || c == '-');
        if labels.len() < 2 || !labels.iter().all(label_ok) || name.contains('*') {
            return Err("not a host name");
        }
    }
    Ok(lowered)
}

/// The `Content-Security-Policy` of a widget's document: scripts and styles inline
/// or from the declared resource domains, connections and frames only to the
/// declared domains (`'none'` when none are), no plugins, no form posts, framed
/// only by Switchboard's pages, and sandboxed to an origin of its own whatever
/// frame it is loaded in (`sandbox allow-scripts allow-forms`, no
/// `allow-same-origin`, no popups, no top navigation).
pub fn content_security_policy(csp: &DeclaredCsp) -> String {
    let list = |sources: &[String]| sources.join(" ");
    let with = |base: &str, sources: &[String]| {
        if sources.is_empty() { base.to_owned() } else { format!("{base} {}", list(sources)) }
    };
    let or_none = |sources: &[String]| if sources.is_empty() { "'none'".to_owned() } else { list(sources) };
    [
        "default-src 'none'".to_owned(),
        with("script-src 'unsafe-inline'", &csp.resource),
        with("style-src 'unsafe-inline'", &csp.resource),
        with("img-src data: blob:", &csp.resource),
        with("font-src data:", &csp.resource),
        with("media-src data: blob:", &csp.resource),
        format!("connect-src {}", or_none(&csp.connect)),
        format!("frame-src {}", or_none(&csp.frame)),
        format!("base-uri {}", or_none(&csp.base_uri)),
        "object-src 'none'".to_owned(),
        "form-action 'none'".to_owned(),
        "frame-ancestors 'self'".to_owned(),
        "sandbox allow-scripts allow-forms".to_owned(),
    ]
    .join("; ")
}

/// `html` with `snippet` placed first in its `<head>` (or after the doctype, or
/// first of all when it has neither), so it runs before the page's own scripts.
pub fn insert_first(html: &str, snippet: &str) -> String {
    let lower = html.to_ascii_lowercase();
    let after = |tag: &str| {
        let start = lower.find(tag)?;
        let end = lower[start..].find('>')? + start + 1;
        Some(end)
    };
    let at = after("<head").or_else(|| after("<!doctype")).unwrap_or(0);
    let mut out = String::with_capacity(html.len() + snippet.len());
    out.push_str(&html[..at]);
    out.push_str(snippet);
    out.push_str(&html[at..]);
    out
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    fn tool(meta: Value) -> Tool {
        serde_json::from_value(json!({"name": "t", "inputSchema": {"type": "object"}, "_meta": meta})).unwrap()
    }

    #[test]
    fn a_template_is_a_ui_uri_of_either_protocol() {
        let cases = [
            (json!({"ui": {"resourceUri": "ui://a/b.html"}}), Some(("ui://a/b.html", WidgetKind::McpApp))),
            (json!({"ui/resourceUri": "ui://flat.html"}), Some(("ui://flat.html", WidgetKind::McpApp))),
            (json!({"openai/outputTemplate": "ui://widget/x.html"}), Some(("ui://widget/x.html", WidgetKind::AppsSdk))),
            (
                json!({"ui": {"resourceUri": "ui://m"}, "openai/outputTemplate": "ui://s"}),
                Some(("ui://m", WidgetKind::McpApp)),
            ),
            (json!({"ui": {"resourceUri": "https://evil.example/x.html"}}), None),
            (json!({"openai/outputTemplate": "file:///etc/passwd"}), None),
            (json!({"ui": {"resourceUri": "ui://"}}), None),
            (json!({"ui": {"resourceUri": 7}}), None),
            (json!({}), None),
        ];
        for (meta, expect) in cases {
            let got = template(&tool(meta.clone()));
            assert_eq!(got.as_ref().map(|t| (t.uri.as_str(), t.kind)), expect, "{meta}");
        }
        let plain: Tool = serde_json::from_value(json!({"name": "t"})).unwrap();
        assert_eq!(template(&plain), None);
    }

    #[test]
    fn only_html_renders() {
        for (mime, expect) in [
            ("text/html;profile=mcp-app", true),
            ("text/html; profile=mcp-app", true),
            ("text/html+skybridge", true),
            ("TEXT/HTML", true),
            ("text/plain", false),
            ("application/javascript", false),
            ("image/svg+xml", false),
            ("", false),
        ] {
            assert_eq!(is_renderable(mime), expect, "{mime}");
        }
    }

    #[test]
    fn visibility_decides_who_may_call() {
        // (meta, offered to the model, callable from its widget)
        let cases = [
            (json!({}), true, true),
            (json!({"ui": {"visibility": ["model", "app"]}}), true, true),
            (json!({"ui": {"visibility": ["app"]}}), false, true),
            (json!({"ui": {"visibility": ["model"]}}), true, false),
            (json!({"ui": {"visibility": []}}), false, false),
            (json!({"openai/visibility": "private"}), false, true),
            (json!({"openai/visibility": "public"}), true, true),
            (json!({"openai/widgetAccessible": false}), true, false),
            (json!({"openai/widgetAccessible": true, "openai/visibility": "private"}), false, true),
        ];
        for (meta, model, widget) in cases {
            let t = tool(meta.clone());
            assert_eq!((visible_to_model(&t), callable_from_widget(&t)), (model, widget), "{meta}");
        }
    }

    #[test]
    fn sources_are_plain_origins() {
        let cases = [
            ("https://api.example.com", Ok("https://api.example.com")),
            ("https://API.Example.com/", Ok("https://api.example.com")),
            ("https://*.cdn.example.com", Ok("https://*.cdn.example.com")),
            ("wss://live.example.com:8443", Ok("wss://live.example.com:8443")),
            ("http://localhost:3000", Ok("http://localhost:3000")),
            ("http://127.0.0.1:9", Ok("http://127.0.0.1:9")),
            ("http://example.com", Err(())),
            ("https://*", Err(())),
            ("https://*.com", Err(())),
            ("*", Err(())),
            ("'unsafe-eval'", Err(())),
            ("https://a.example.com; script-src *", Err(())),
            ("https://a.example.com/path", Err(())),
            ("javascript:alert(1)", Err(())),
            ("data:", Err(())),
            ("https://a.example.com:99999x", Err(())),
            ("https://a b.example.com", Err(())),
            ("http://[::1]:5173", Ok("http://[::1]:5173")),
            ("http://[::1]", Ok("http://[::1]")),
            ("http://[::2]", Err(())),
        ];
        for (text, expect) in cases {
            assert_eq!(check_source(text).map_err(|_| ()), expect.map(str::to_owned), "{text}");
        }
    }

    #[test]
    fn the_policy_holds_only_declared_domains() {
        let none = content_security_policy(&declared_csp(None, &["http://127.0.0.1:8080".to_owned()]));
        assert!(none.contains("connect-src 'none'"), "{none}");
        assert!(none.contains("frame-src 'none'"), "{none}");
        assert!(none.contains("default-src 'none'"), "{none}");
        assert!(none.contains("sandbox allow-scripts allow-forms"), "{none}");
        assert!(!none.contains("allow-same-origin") && !none.contains("allow-top-navigation"), "{none}");
        assert!(!none.contains("https:"), "{none}");

        let meta = json!({
            "ui": {"csp": {"connectDomains": ["https://api.example.com", "http://127.0.0.1:8080", "https://x; img-src *"],
                           "resourceDomains": ["https://cdn.example.com"]}},
            "openai/widgetCSP": {"connect_domains": ["https://api.example.com", "wss://live.example.com"],
                                 "frame_domains": ["https://player.example.com"]}
        });
        let declared = declared_csp(Some(&meta), &["http://127.0.0.1:8080/".to_owned()]);
        assert_eq!(declared.connect, ["https://api.example.com", "wss://live.example.com"]);
        assert_eq!(declared.resource, ["https://cdn.example.com"]);
        assert_eq!(declared.frame, ["https://player.example.com"]);
        assert_eq!(declared.refused.len(), 2, "{:?}", declared.refused);
        assert!(declared.refused.iter().any(|r| r.contains("own origin")), "{:?}", declared.refused);
        let policy = content_security_policy(&declared);
        assert!(policy.contains("connect-src https://api.example.com wss://live.example.com;"), "{policy}");
        assert!(policy.contains("script-src 'unsafe-inline' https://cdn.example.com;"), "{policy}");
        assert!(policy.contains("frame-src https://player.example.com;"), "{policy}");
        assert!(!policy.contains("img-src *"), "{policy}");
    }

    #[test]
    fn the_snippet_goes_first_in_the_head() {
        let cases = [
            ("<!doctype html><html><head><title>x</title></head></html>", "<!doctype html><html><head>S<title>"),
            ("<HTML><HEAD lang=en><meta></HEAD>", "<HTML><HEAD lang=en>S<meta>"),
            ("<!DOCTYPE html><body>hi</body>", "<!DOCTYPE html>S<body>"),
            ("<p>bare</p>", "S<p>bare</p>"),
        ];
        for (html, starts) in cases {
            assert!(insert_first(html, "S").starts_with(starts), "{html} → {}", insert_first(html, "S"));
        }
    }
}
