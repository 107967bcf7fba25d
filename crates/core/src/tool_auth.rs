//! Which calls of an app carry the person's OAuth token. An app authenticates in
//! one of three ways (`AuthMode`); with `mixed`, each tool's `securitySchemes`
//! decides, as hosts of the Apps SDK read them: a list of schemes, `{"type":
//! "noauth"}` and/or `{"type": "oauth2", "scopes": [...]}`, on the tool itself or
//! mirrored in its `_meta` (the tool's own field wins).

use serde_json::Value;

use crate::catalog::Tool;

/// How an app authenticates to its server.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum AuthMode {
    /// No sign-in at all.
    None,
    /// Every request carries the person's token.
    OAuth,
    /// Discovery and listing go without a token; each tool's `securitySchemes` decides.
    Mixed,
}

impl AuthMode {
    pub fn parse(s: &str) -> Option<Self> {
        match s {
            "none" => Some(Self::None),
            "oauth" => Some(Self::OAuth),
            "mixed" => Some(Self::Mixed),
            _ => None,
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Self::None => "none",
            Self::OAuth => "oauth",
            Self::Mixed => "mixed",
        }
    }

    /// Whether people connect their own account to the app.
    pub fn uses_oauth(self) -> bool {
        matches!(self, Self::OAuth | Self::Mixed)
    }
}

/// What one tool's calls need.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum ToolAuth {
    /// Sent without a token.
    Anonymous,
    /// Sent with the person's token when they have one, without it otherwise.
    Optional,
    /// Needs the person's token, with these scopes (empty: whatever they granted).
    Required { scopes: Vec<String> },
}

impl ToolAuth {
    /// `none`, `optional` or `oauth`, as the API shows it.
    pub fn as_str(&self) -> &'static str {
        match self {
            Self::Anonymous => "none",
            Self::Optional => "optional",
            Self::Required { .. } => "oauth",
        }
    }
}

/// What calls of `tool` need in an app authenticating with `mode`. With `mixed`:
/// `noauth` alone → anonymous; `oauth2` alone → the token, with its scopes; both →
/// optional; a tool that declares no scheme we know is treated as needing the token,
/// so nothing a server meant to protect is called without one.
pub fn tool_auth(mode: AuthMode, tool: &Tool) -> ToolAuth {
    match mode {
        AuthMode::None => ToolAuth::Anonymous,
        AuthMode::OAuth => ToolAuth::Required { scopes: oauth2_scopes(schemes(tool)) },
        AuthMode::Mixed => {
            let declared = schemes(tool);
            let has = |kind: &str| declared.iter().any(|s| s.get("type").and_then(Value::as_str) == Some(kind));
            match (has("noauth"), has("oauth2")) {
                (true, true) => ToolAuth::Optional,
                (true, false) => ToolAuth::Anonymous,
                (false, _) => ToolAuth::Required { scopes: oauth2_scopes(declared) },
            }
        }
    }
}

/// The tool's `securitySchemes` (its own, else `_meta`'s), as objects.
fn schemes(tool: &Tool) -> Vec<&serde_json::Map<String, Value>> {
    let from_meta = tool.meta.as_ref().and_then(|m| m.get("securitySchemes"));
    let list = tool.extra.get("securitySchemes").or(from_meta).and_then(Value::as_array);
    list.into_iter().flatten().filter_map(Value::as_object).collect()
}

fn oauth2_scopes(schemes: Vec<&serde_json::Map<String, Value>>) -> Vec<String> {
    let mut scopes: Vec<String> = vec![];
    for scheme in schemes.into_iter().filter(|s| s.get("type").and_then(Value::as_str) == Some("oauth2")) {
        for scope in scheme.get("scopes").and_then(Value::as_array).into_iter().flatten().filter_map(Value::as_str) {
            if !scopes.iter().any(|s| s == scope) {
                scopes.push(scope.to_owned());
            }
        }
    }
    scopes
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    fn tool(fields: Value) -> Tool {
        let mut t = json!({"name": "t", "inputSchema": {"type": "object"}});
        t.as_object_mut().expect("object").extend(fields.as_object().expect("object").clone());
        serde_json::from_value(t).expect("tool")
    }

    #[test]
    fn each_tool_s_security_schemes_decide_in_a_mixed_app() {
        let required = |s: &[&str]| ToolAuth::Required { scopes: s.iter().map(|x| (*x).to_owned()).collect() };
        let noauth = json!({"type": "noauth"});
        let oauth = json!({"type": "oauth2", "scopes": ["docs.read", "docs.write"]});
        for (mode, fields, expect) in [
            (AuthMode::Mixed, json!({"securitySchemes": [noauth.clone()]}), ToolAuth::Anonymous),
            (AuthMode::Mixed, json!({"securitySchemes": [oauth.clone()]}), required(&["docs.read", "docs.write"])),
            (AuthMode::Mixed, json!({"securitySchemes": [noauth.clone(), oauth.clone()]}), ToolAuth::Optional),
            (AuthMode::Mixed, json!({"_meta": {"securitySchemes": [noauth.clone()]}}), ToolAuth::Anonymous),
            (
                AuthMode::Mixed,
                json!({"_meta": {"securitySchemes": [oauth.clone()]}}),
                required(&["docs.read", "docs.write"]),
            ),
            // The tool's own field wins over `_meta`.
            (
                AuthMode::Mixed,
                json!({"securitySchemes": [oauth.clone()], "_meta": {"securitySchemes": [noauth.clone()]}}),
                required(&["docs.read", "docs.write"]),
            ),
            // Saying nothing, or something unknown, protects.
            (AuthMode::Mixed, json!({}), required(&[])),
            (AuthMode::Mixed, json!({"securitySchemes": "noauth"}), required(&[])),
            (AuthMode::Mixed, json!({"securitySchemes": [{"type": "apiKey"}]}), required(&[])),
            (AuthMode::Mixed, json!({"securitySchemes": [{"type": "oauth2"}]}), required(&[])),
            // Other modes do not read the schemes for whether, only for which scopes.
            (AuthMode::None, json!({"securitySchemes": [oauth.clone()]}), ToolAuth::Anonymous),
            (AuthMode::OAuth, json!({"securitySchemes": [noauth.clone()]}), required(&[])),
            (AuthMode::OAuth, json!({"securitySchemes": [oauth.clone()]}), required(&["docs.read", "docs.write"])),
        ] {
            assert_eq!(tool_auth(mode, &tool(fields.clone())), expect, "{mode:?} {fields}");
        }
    }

    #[test]
    fn modes_read_back_as_written() {
        for mode in [AuthMode::None, AuthMode::OAuth, AuthMode::Mixed] {
            assert_eq!(AuthMode::parse(mode.as_str()), Some(mode));
        }
        assert_eq!(AuthMode::parse("basic"), None);
        assert!(AuthMode::Mixed.uses_oauth() && AuthMode::OAuth.uses_oauth() && !AuthMode::None.uses_oauth());
    }
}
