//! A connector as kept in memory: its row and its catalog, each tool with its
//! compiled `inputSchema`.

use std::sync::{Arc, OnceLock};

use jsonschema::Validator;
use serde_json::Value;
use switchboard_store::{Connector, ConnectorTool};

/// A connector with its whole catalog, in the store's order.
#[derive(Debug)]
pub struct Catalog {
    pub connector: Connector,
    pub tools: Vec<CatalogTool>,
}

impl Catalog {
    pub(crate) fn new(connector: Connector, tools: Vec<ConnectorTool>) -> Self {
        let tools = tools.into_iter().map(|stored| CatalogTool { stored, validator: OnceLock::new() }).collect();
        Self { connector, tools }
    }

    pub fn tool(&self, name: &str) -> Option<&CatalogTool> {
        self.tools.iter().find(|t| t.stored.tool.name == name)
    }

    /// The tools that are turned on.
    pub fn enabled(&self) -> impl Iterator<Item = &CatalogTool> {
        self.tools.iter().filter(|t| t.stored.enabled)
    }
}

/// One tool of a kept catalog.
#[derive(Debug)]
pub struct CatalogTool {
    pub stored: ConnectorTool,
    /// Compiled on first use: compiling checks the schema against its
    /// meta-schema, which costs more than validating a call with it.
    validator: OnceLock<Result<Arc<Validator>, String>>,
}

impl CatalogTool {
    /// Where `instance` breaks the tool's `inputSchema` and how, as `(instance
    /// path, message)`; empty when it fits. `Err` when the schema is not a valid
    /// JSON Schema.
    pub fn schema_errors(&self, instance: &Value) -> Result<Vec<(String, String)>, String> {
        let validator = self
            .validator
            .get_or_init(|| {
                jsonschema::validator_for(&self.stored.tool.input_schema).map(Arc::new).map_err(|e| e.to_string())
            })
            .clone()?;
        Ok(validator.iter_errors(instance).map(|e| (e.instance_path().to_string(), e.to_string())).collect())
    }
}

/// [`CatalogTool::schema_errors`] for a schema that is not kept (compiled each time).
pub(crate) fn schema_errors(schema: &Value, instance: &Value) -> Result<Vec<(String, String)>, String> {
    let validator = jsonschema::validator_for(schema).map_err(|e| e.to_string())?;
    Ok(validator.iter_errors(instance).map(|e| (e.instance_path().to_string(), e.to_string())).collect())
}
