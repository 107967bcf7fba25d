//! Elicitation: a server asking the person behind a call for input, during the call.
//!
//! A request is a form (`mode: "form"`, a message and a `requestedSchema` in the
//! restricted elicitation schema: an object of flat properties — strings, numbers,
//! booleans, single- and multi-select enums) or a URL to open (`mode: "url"`). The
//! person accepts (with the form's content), declines or cancels. The rules here
//! are pure: what a request is, whether an answer fits its form, which fields look
//! like secrets (never stored or logged as typed), which URLs may be opened.

use serde_json::{Map, Value};
use time::OffsetDateTime;
use time::format_description::well_known::Rfc3339;

/// What replaces the value of a secret-looking field wherever an answer is kept.
pub const REDACTED: &str = "[redacted]";

/// What a server asks the person for.
#[derive(Clone, Debug, PartialEq)]
pub enum ElicitationRequest {
    /// Fill in a form.
    Form { message: String, requested_schema: Value },
    /// Open a URL (to sign in somewhere, pay, consent) and say when done.
    Url { message: String, url: String, elicitation_id: Option<String> },
}

impl ElicitationRequest {
    /// From the `params` of an `elicitation/create` request (no `mode` is a form, as before 2025-11-25).
    pub fn from_params(params: &Value) -> Result<Self, String> {
        let message = params.get("message").and_then(Value::as_str).unwrap_or_default().to_owned();
        match params.get("mode").and_then(Value::as_str).unwrap_or("form") {
            "form" => {
                let schema = params.get("requestedSchema").cloned().unwrap_or(Value::Null);
                if !schema.get("properties").is_none_or(Value::is_object) {
                    return Err("the form's requestedSchema has no usable properties".into());
                }
                Ok(Self::Form { message, requested_schema: schema })
            }
            "url" => {
                let url = params.get("url").and_then(Value::as_str).ok_or("the URL request names no url")?.to_owned();
                let elicitation_id =
                    params.get("elicitationId").and_then(Value::as_str).filter(|s| !s.is_empty()).map(str::to_owned);
                Ok(Self::Url { message, url, elicitation_id })
            }
            other => Err(format!("elicitation mode {other:?} is not one Switchboard knows")),
        }
    }

    /// `form` or `url`.
    pub fn mode(&self) -> &'static str {
        match self {
            Self::Form { .. } => "form",
            Self::Url { .. } => "url",
        }
    }

    pub fn message(&self) -> &str {
        match self {
            Self::Form { message, .. } | Self::Url { message, .. } => message,
        }
    }

    /// The request as the `params` of `elicitation/create`.
    pub fn to_params(&self) -> Value {
        match self {
            Self::Form { message, requested_schema } => {
                serde_json::json!({"mode": "form", "message": message, "requestedSchema": requested_schema})
            }
            Self::Url { message, url, elicitation_id } => {
                let mut params = serde_json::json!({"mode": "url", "message": message, "url": url});
                if let Some(id) = elicitation_id {
                    params["elicitationId"] = Value::String(id.clone());
                }
                params
            }
        }
    }
}

/// The person's choice.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ElicitationAction {
    Accept,
    Decline,
    Cancel,
}

impl ElicitationAction {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Accept => "accept",
            Self::Decline => "decline",
            Self::Cancel => "cancel",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        match s {
            "accept" => Some(Self::Accept),
            "decline" => Some(Self::Decline),
            "cancel" => Some(Self::Cancel),
            _ => None,
        }
    }
}

/// An answer to a request: the choice, and with an accepted form its content.
#[derive(Clone, Debug, PartialEq)]
pub struct ElicitationAnswer {
    pub action: ElicitationAction,
    pub content: Option<Map<String, Value>>,
}

impl ElicitationAnswer {
    /// Nobody answered (the time ran out, the turn was stopped, nobody can ask).
    pub fn cancel() -> Self {
        Self { action: ElicitationAction::Cancel, content: None }
    }

    /// The `ElicitResult` sent to the server.
    pub fn to_result(&self) -> Value {
        let mut result = serde_json::json!({"action": self.action.as_str()});
        if let (ElicitationAction::Accept, Some(content)) = (self.action, &self.content) {
            result["content"] = Value::Object(content.clone());
        }
        result
    }
}

/// The properties of a form's schema, by name.
fn properties(schema: &Value) -> impl Iterator<Item = (&String, &Value)> {
    schema.get("properties").and_then(Value::as_object).into_iter().flatten()
}

/// The errors of `content` against the form's `schema` (empty: it fits). Checks the
/// restricted elicitation schema: required fields, each property's type, string
/// formats (`email`, `uri`, `date`, `date-time`) and lengths, number bounds, enums
/// (`enum`, titled `oneOf`), multi-select arrays and their sizes; fields the form does
/// not have are refused.
pub fn validate(schema: &Value, content: &Map<String, Value>) -> Vec<String> {
    let mut errors = vec![];
    let known: Map<String, Value> = properties(schema).map(|(k, v)| (k.clone(), v.clone())).collect();
    for name in schema.get("required").and_then(Value::as_array).into_iter().flatten().filter_map(Value::as_str) {
        if !content.contains_key(name) {
            errors.push(format!("{name}: required"));
        }
    }
    for (name, value) in content {
        match known.get(name) {
            None => errors.push(format!("{name}: not a field of this form")),
            Some(property) => {
                if let Err(e) = check_value(property, value) {
                    errors.push(format!("{name}: {e}"));
                }
            }
        }
    }
    errors
}

/// The values an enum property allows: `enum`, or the `const` of each `oneOf`/`anyOf`.
fn choices(property: &Value) -> Option<Vec<&Value>> {
    if let Some(values) = property.get("enum").and_then(Value::as_array) {
        return Some(values.iter().collect());
    }
    let titled = property.get("oneOf").or_else(|| property.get("anyOf"))?.as_array()?;
    Some(titled.iter().filter_map(|o| o.get("const")).collect())
}

fn check_value(property: &Value, value: &Value) -> Result<(), String> {
    let kind = property.get("type").and_then(Value::as_str).unwrap_or_default();
    match kind {
        "string" => {
            let s = value.as_str().ok_or("must be text")?;
            if let Some(allowed) = choices(property)
                && !allowed.iter().any(|a| a.as_str() == Some(s))
            {
                return Err("must be one of the choices offered".into());
            }
            let chars = s.chars().count() as u64;
            if let Some(min) = property.get("minLength").and_then(Value::as_u64)
                && chars < min
            {
                return Err(format!("must be at least {min} characters"));
            }
            if let Some(max) = property.get("maxLength").and_then(Value::as_u64)
                && chars > max
            {
                return Err(format!("must be at most {max} characters"));
            }
            match property.get("format").and_then(Value::as_str) {
                Some("email") if !is_email(s) => Err("must be an email address".into()),
                Some("uri") if !is_uri(s) => Err("must be a URI (such as https://example.com)".into()),
                Some("date") if !is_date(s) => Err("must be a date (YYYY-MM-DD)".into()),
                Some("date-time") if OffsetDateTime::parse(s, &Rfc3339).is_err() => {
                    Err("must be a date and time (RFC 3339, such as 2026-07-28T09:30:00Z)".into())
                }
                _ => Ok(()),
            }
        }
        "number" | "integer" => {
            let n = value.as_f64().ok_or("must be a number")?;
            if kind == "integer" && !(value.is_i64() || value.is_u64()) {
                return Err("must be a whole number".into());
            }
            if let Some(min) = property.get("minimum").and_then(Value::as_f64)
                && n < min
            {
                return Err(format!("must be at least {min}"));
            }
            if let Some(max) = property.get("maximum").and_then(Value::as_f64)
                && n > max
            {
                return Err(format!("must be at most {max}"));
            }
            Ok(())
        }
        "boolean" => value.as_bool().map(|_| ()).ok_or_else(|| "must be true or false".into()),
        "array" => {
            let items = value.as_array().ok_or("must be a list of choices")?;
            let allowed = property.get("items").and_then(choices).unwrap_or_default();
            if items.iter().any(|i| !allowed.contains(&i)) {
                return Err("must be chosen among the choices offered".into());
            }
            if items.iter().enumerate().any(|(n, i)| items[..n].contains(i)) {
                return Err("must not choose the same thing twice".into());
            }
            let count = items.len() as u64;
            if let Some(min) = property.get("minItems").and_then(Value::as_u64)
                && count < min
            {
                return Err(format!("must choose at least {min}"));
            }
            if let Some(max) = property.get("maxItems").and_then(Value::as_u64)
                && count > max
            {
                return Err(format!("must choose at most {max}"));
            }
            Ok(())
        }
        other => Err(format!("has a type this form does not support ({other:?})")),
    }
}

fn is_email(s: &str) -> bool {
    let Some((local, domain)) = s.rsplit_once('@') else { return false };
    !local.is_empty() && domain.contains('.') && !domain.starts_with('.') && !s.chars().any(char::is_whitespace)
}

fn is_uri(s: &str) -> bool {
    let Some((scheme, rest)) = s.split_once(':') else { return false };
    let mut chars = scheme.chars();
    chars.next().is_some_and(|c| c.is_ascii_alphabetic())
        && chars.all(|c| c.is_ascii_alphanumeric() || "+-.".contains(c))
        && !rest.is_empty()
        && !s.chars().any(|c| c.is_whitespace() || c.is_control())
}

fn is_date(s: &str) -> bool {
    let parts: Vec<&str> = s.split('-').collect();
    let [y, m, d] = parts.as_slice() else { return false };
    if y.len() != 4 || m.len() != 2 || d.len() != 2 {
        return false;
    }
    let (Ok(y), Ok(m), Ok(d)) = (y.parse::<i32>(), m.parse::<u8>(), d.parse::<u8>()) else { return false };
    time::Month::try_from(m).ok().and_then(|m| time::Date::from_calendar_date(y, m, d).ok()).is_some()
}

/// A field whose value is a secret: `format: "password"`, or a name or title that
/// says password, secret, token, API key or private key. The page warns before the
/// person types one, and its value is never kept as typed.
pub fn looks_secret(name: &str, property: &Value) -> bool {
    if property.get("format").and_then(Value::as_str) == Some("password") {
        return true;
    }
    let title = property.get("title").and_then(Value::as_str).unwrap_or_default();
    let words = format!("{name} {title}").to_lowercase().replace(['_', '-'], " ");
    let squeezed = words.replace(' ', "");
    ["password", "passwd", "passphrase", "secret", "token", "apikey", "privatekey", "accesskey"]
        .iter()
        .any(|w| squeezed.contains(w))
        || words.split_whitespace().any(|w| w == "pin")
}

/// The names of the form's secret-looking fields.
pub fn secret_fields(schema: &Value) -> Vec<String> {
    properties(schema).filter(|(name, property)| looks_secret(name, property)).map(|(n, _)| n.clone()).collect()
}

/// `content` with the values of the form's secret-looking fields replaced by [`REDACTED`].
pub fn redact(schema: &Value, content: &mut Map<String, Value>) {
    for name in secret_fields(schema) {
        if let Some(value) = content.get_mut(&name) {
            *value = Value::String(REDACTED.into());
        }
    }
}

/// Whether a URL a server asks the person to open may be opened: `http` or `https`
/// with a host, nothing else (no `javascript:`, `data:`, `file:`, custom schemes).
pub fn openable(url: &str) -> bool {
    let lower = url.trim().to_ascii_lowercase();
    let rest = lower.strip_prefix("https://").or_else(|| lower.strip_prefix("http://"));
    rest.is_some_and(|r| {
        let host = r.split(['/', '?', '#']).next().unwrap_or_default();
        !host.is_empty() && !url.chars().any(|c| c.is_whitespace() || c.is_control())
    }) && url.trim() == url
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    fn check(schema: Value, content: Value, expect: &[&str]) {
        let errors = validate(&schema, content.as_object().expect("an object"));
        assert_eq!(errors, expect, "{content}");
    }

    #[test]
    fn answers_are_checked_against_the_form() {
        let schema = json!({
            "type": "object",
            "properties": {
                "name": {"type": "string", "minLength": 2, "maxLength": 5},
                "email": {"type": "string", "format": "email"},
                "site": {"type": "string", "format": "uri"},
                "born": {"type": "string", "format": "date"},
                "at": {"type": "string", "format": "date-time"},
                "age": {"type": "integer", "minimum": 0, "maximum": 150},
                "score": {"type": "number", "maximum": 1.5},
                "ok": {"type": "boolean"},
                "color": {"type": "string", "enum": ["red", "green"]},
                "size": {"type": "string", "oneOf": [{"const": "s", "title": "Small"}, {"const": "l", "title": "Large"}]},
                "tags": {"type": "array", "items": {"type": "string", "enum": ["a", "b", "c"]}, "maxItems": 2},
                "titled": {"type": "array", "items": {"anyOf": [{"const": "x", "title": "X"}]}, "minItems": 1}
            },
            "required": ["name"]
        });
        check(schema.clone(), json!({"name": "Ann"}), &[]);
        check(
            schema.clone(),
            json!({"name": "Ann", "email": "a@b.io", "site": "https://x.io/a", "born": "2000-02-29",
                   "at": "2026-07-28T09:30:00Z", "age": 30, "score": 1.5, "ok": true, "color": "red",
                   "size": "l", "tags": ["a", "c"], "titled": ["x"]}),
            &[],
        );
        check(schema.clone(), json!({}), &["name: required"]);
        check(
            schema.clone(),
            json!({"name": "A", "extra": 1}),
            &["extra: not a field of this form", "name: must be at least 2 characters"],
        );
        check(schema.clone(), json!({"name": "Annabel"}), &["name: must be at most 5 characters"]);
        check(schema.clone(), json!({"name": 5}), &["name: must be text"]);
        check(schema.clone(), json!({"name": "Ann", "email": "nope"}), &["email: must be an email address"]);
        check(
            schema.clone(),
            json!({"name": "Ann", "site": "not a uri"}),
            &["site: must be a URI (such as https://example.com)"],
        );
        check(schema.clone(), json!({"name": "Ann", "born": "2001-02-29"}), &["born: must be a date (YYYY-MM-DD)"]);
        check(
            schema.clone(),
            json!({"name": "Ann", "at": "yesterday"}),
            &["at: must be a date and time (RFC 3339, such as 2026-07-28T09:30:00Z)"],
        );
        check(schema.clone(), json!({"name": "Ann", "age": 3.5}), &["age: must be a whole number"]);
        check(schema.clone(), json!({"name": "Ann", "age": 151}), &["age: must be at most 150"]);
        check(schema.clone(), json!({"name": "Ann", "age": "3"}), &["age: must be a number"]);
        check(schema.clone(), json!({"name": "Ann", "ok": "yes"}), &["ok: must be true or false"]);
        check(schema.clone(), json!({"name": "Ann", "color": "blue"}), &["color: must be one of the choices offered"]);
        check(schema.clone(), json!({"name": "Ann", "size": "m"}), &["size: must be one of the choices offered"]);
        check(
            schema.clone(),
            json!({"name": "Ann", "tags": ["a", "z"]}),
            &["tags: must be chosen among the choices offered"],
        );
        check(
            schema.clone(),
            json!({"name": "Ann", "tags": ["a", "a"]}),
            &["tags: must not choose the same thing twice"],
        );
        check(schema.clone(), json!({"name": "Ann", "tags": ["a", "b", "c"]}), &["tags: must choose at most 2"]);
        check(schema, json!({"name": "Ann", "titled": []}), &["titled: must choose at least 1"]);
    }

    #[test]
    fn secret_looking_fields_are_found_and_redacted() {
        for (name, property, secret) in [
            ("password", json!({"type": "string"}), true),
            ("pw", json!({"type": "string", "format": "password"}), true),
            ("key", json!({"type": "string", "title": "API key"}), true),
            ("api_key", json!({"type": "string"}), true),
            ("githubToken", json!({"type": "string"}), true),
            ("client-secret", json!({"type": "string"}), true),
            ("pin", json!({"type": "string"}), true),
            ("name", json!({"type": "string", "title": "Your name"}), false),
            ("spinner", json!({"type": "string"}), false),
            ("email", json!({"type": "string", "format": "email"}), false),
        ] {
            assert_eq!(looks_secret(name, &property), secret, "{name}");
        }
        let schema = json!({"properties": {"name": {"type": "string"}, "password": {"type": "string"}}});
        let mut content = json!({"name": "Ann", "password": "hunter2"}).as_object().cloned().expect("object");
        redact(&schema, &mut content);
        assert_eq!(Value::Object(content), json!({"name": "Ann", "password": REDACTED}));
    }

    #[test]
    fn only_http_urls_may_be_opened() {
        for (url, ok) in [
            ("https://example.com/pay?x=1", true),
            ("http://localhost:8080/", true),
            ("HTTPS://EXAMPLE.COM", true),
            ("javascript:alert(1)", false),
            ("data:text/html,hi", false),
            ("file:///etc/passwd", false),
            ("https://", false),
            ("https:///path", false),
            ("https://exa mple.com", false),
            (" https://example.com", false),
            ("myapp://open", false),
        ] {
            assert_eq!(openable(url), ok, "{url}");
        }
    }

    #[test]
    fn requests_are_read_from_their_params() {
        let form = ElicitationRequest::from_params(
            &json!({"message": "Who?", "requestedSchema": {"type": "object", "properties": {}}}),
        );
        assert_eq!(form.as_ref().map(ElicitationRequest::mode), Ok("form"));
        let url = ElicitationRequest::from_params(
            &json!({"mode": "url", "message": "Go", "url": "https://x.io", "elicitationId": "e1"}),
        )
        .expect("a url request");
        assert_eq!(
            url,
            ElicitationRequest::Url {
                message: "Go".into(),
                url: "https://x.io".into(),
                elicitation_id: Some("e1".into())
            }
        );
        assert_eq!(url.to_params()["elicitationId"], "e1");
        assert!(ElicitationRequest::from_params(&json!({"mode": "telepathy"})).is_err());
        let answer = ElicitationAnswer { action: ElicitationAction::Decline, content: Some(Map::new()) };
        assert_eq!(answer.to_result(), json!({"action": "decline"}));
    }
}
