//! Content digests that do not depend on how a document was written: object keys
//! sorted, no insignificant whitespace, then SHA-256 in lowercase hex.

use serde_json::Value;
use sha2::{Digest, Sha256};

/// `value` as canonical JSON: objects with their keys in byte order, no spaces.
/// Two documents that mean the same JSON give the same text.
pub fn canonical_json(value: &Value) -> String {
    let mut out = String::new();
    write_canonical(value, &mut out);
    out
}

fn write_canonical(value: &Value, out: &mut String) {
    match value {
        Value::Object(map) => {
            let mut keys: Vec<&String> = map.keys().collect();
            keys.sort();
            out.push('{');
            for (i, key) in keys.into_iter().enumerate() {
                if i > 0 {
                    out.push(',');
                }
                out.push_str(&Value::String(key.clone()).to_string());
                out.push(':');
                write_canonical(&map[key], out);
            }
            out.push('}');
        }
        Value::Array(items) => {
            out.push('[');
            for (i, item) in items.iter().enumerate() {
                if i > 0 {
                    out.push(',');
                }
                write_canonical(item, out);
            }
            out.push(']');
        }
        scalar => out.push_str(&scalar.to_string()),
    }
}

/// SHA-256 of `bytes`, lowercase hex.
pub fn sha256_hex(bytes: &[u8]) -> String {
    Sha256::digest(bytes).iter().map(|b| format!("{b:02x}")).collect()
}

/// SHA-256 (hex) of `value`'s canonical JSON.
pub fn json_digest(value: &Value) -> String {
    sha256_hex(canonical_json(value).as_bytes())
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    #[test]
    fn key_order_and_spacing_do_not_matter() {
        let a: Value = serde_json::from_str(r#"{"b": 1, "a": {"y": [1, {"d": 2, "c": 3}], "x": null}}"#).expect("json");
        let b: Value = serde_json::from_str(r#"{"a":{"x":null,"y":[1,{"c":3,"d":2}]},"b":1}"#).expect("json");
        assert_eq!(canonical_json(&a), r#"{"a":{"x":null,"y":[1,{"c":3,"d":2}]},"b":1}"#);
        assert_eq!(json_digest(&a), json_digest(&b));
    }

    #[test]
    fn any_difference_changes_the_digest() {
        let base = json!({"name": "t", "description": "Deletes a task"});
        for other in [
            json!({"name": "t", "description": "Deletes a task "}),
            json!({"name": "t", "description": "Deletes a task", "x": null}),
            json!({"name": "t", "description": ["Deletes a task"]}),
            json!({"name": "T", "description": "Deletes a task"}),
        ] {
            assert_ne!(json_digest(&base), json_digest(&other), "{other}");
        }
        // Arrays keep their order: it can mean something.
        assert_ne!(json_digest(&json!([1, 2])), json_digest(&json!([2, 1])));
    }

    #[test]
    fn strings_are_escaped_as_json() {
        assert_eq!(canonical_json(&json!({"k\"ey": "a\nb"})), r#"{"k\"ey":"a\nb"}"#);
        assert_eq!(sha256_hex(b""), "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
    }
}
