//! Tools' `inputSchema`s, compiled once and kept by their text.
//!
//! Compiling a JSON Schema (which checks it against its meta-schema) costs more
//! than validating a call's arguments with it, and a catalog's schemas rarely
//! change; a changed schema has other text and so gets its own entry. At most
//! [`MAX_SCHEMAS`] are kept; when full, the cache starts over.

use std::collections::HashMap;
use std::sync::{Arc, Mutex, PoisonError};

use jsonschema::Validator;
use serde_json::Value;

const MAX_SCHEMAS: usize = 1024;

#[derive(Debug, Default)]
pub(crate) struct SchemaCache {
    compiled: Mutex<HashMap<String, Arc<Validator>>>,
}

impl SchemaCache {
    /// The compiled `schema`, or why it is not a valid JSON Schema.
    fn validator(&self, schema: &Value) -> Result<Arc<Validator>, String> {
        let key = schema.to_string();
        if let Some(found) = self.lock().get(&key) {
            return Ok(found.clone());
        }
        let compiled = Arc::new(jsonschema::validator_for(schema).map_err(|e| e.to_string())?);
        let mut cache = self.lock();
        if cache.len() >= MAX_SCHEMAS {
            cache.clear();
        }
        cache.insert(key, compiled.clone());
        Ok(compiled)
    }

    /// Where `instance` breaks `schema` and how, as `(instance path, message)`;
    /// empty when it fits. `Err` when `schema` is not a valid JSON Schema.
    pub(crate) fn errors(&self, schema: &Value, instance: &Value) -> Result<Vec<(String, String)>, String> {
        let validator = self.validator(schema)?;
        Ok(validator.iter_errors(instance).map(|e| (e.instance_path().to_string(), e.to_string())).collect())
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, HashMap<String, Arc<Validator>>> {
        self.compiled.lock().unwrap_or_else(PoisonError::into_inner)
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    #[test]
    fn the_same_schema_is_compiled_once_and_bad_ones_are_refused() {
        let cache = SchemaCache::default();
        let schema = json!({"type": "object", "properties": {"id": {"type": "string"}}});
        let first = cache.validator(&schema).expect("valid");
        let again = cache.validator(&schema).expect("valid");
        assert!(Arc::ptr_eq(&first, &again));
        assert!(!first.is_valid(&json!({"id": 1})));
        assert!(cache.validator(&json!({"type": "no such type"})).is_err());
    }
}
