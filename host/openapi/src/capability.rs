//! A spec and a connection as an isobox [`Capability`]: each operation a
//! method of `env.NAME`, declared to `search` and `describe` through a
//! catalog (a short summary, ranked search, one operation's TypeScript)
//! rather than all at once.

use std::sync::Arc;

use isobox::Capability;
use isobox::capability::{CatalogEntry, CatalogPage, JsonToolCatalog, McpTool, McpTools};

use crate::call::OpenApiHandler;
use crate::connection::{BuiltConnection, Connection, ConnectionError};
use crate::error::clip;
use crate::spec::OpenApiSpec;

/// What search and describe show of one spec.
struct OpenApiCatalog {
    spec: Arc<OpenApiSpec>,
}

impl JsonToolCatalog for OpenApiCatalog {
    fn summary(&self, binding: &str) -> String {
        let title = self
            .spec
            .title()
            .map(|t| crate::typescript::doc_line(t, 80))
            .unwrap_or_else(|| "An HTTP API".to_owned());
        format!(
            "  /** {title} (OpenAPI): {count} operations, each env.{binding}.<operation>(args) with args one \
             object of its path, query and header parameters and `body`. Resolves with the parsed response \
             (JSON, text, or {{ contentType, base64 }}); a non-2xx status rejects with an Error holding it. \
             Find operations with search and read one with describe(\"{binding}.<operation>\"). */\n  \
             const {binding}: {{ [operation: string]: (args?: Record<string, unknown>) => Promise<any> }};\n",
            count = self.spec.operations().len()
        )
    }

    fn search(&self, _binding: &str, query: &str, offset: usize, limit: usize) -> CatalogPage {
        let total = self.spec.count_matches(query);
        let entries = self
            .spec
            .search(query, offset, limit)
            .into_iter()
            .map(|hit| {
                let operation = &self.spec.operations()[hit.operation];
                CatalogEntry {
                    method: operation.method.clone(),
                    text: self.spec.brief(operation),
                }
            })
            .collect();
        CatalogPage { entries, total }
    }

    fn describe(&self, binding: &str, method: &str) -> Option<String> {
        let text = self.spec.describe(method)?;
        Some(format!("// env.{binding}.{method}\n{text}"))
    }
}

/// `spec` as a capability whose calls go over `connection`.
///
/// ```
/// use isobox_openapi::{Connection, OpenApiSpec, capability};
///
/// let spec = OpenApiSpec::from_slice(br#"{"openapi": "3.0.3", "info": {"title": "t", "version": "1"},
///     "paths": {"/ping": {"get": {"responses": {"204": {"description": "pong"}}}}}}"#)?;
/// let connection = Connection::new().base_url("http://127.0.0.1:8080").build(&spec)?;
/// let api = capability(std::sync::Arc::new(spec), connection)?;
/// assert_eq!(api.methods(), ["getPing"]);
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
///
/// # Errors
///
/// [`ConnectionError::Policy`] when the operations cannot be tools (not
/// expected: names are made distinct at load).
pub fn capability(spec: Arc<OpenApiSpec>, connection: BuiltConnection) -> Result<Capability, ConnectionError> {
    let tools: Vec<McpTool> = spec
        .operations()
        .iter()
        .map(|operation| McpTool {
            name: operation.method.clone(),
            method: operation.method.clone(),
            description: None,
            input_schema: serde_json::Value::Object(Default::default()),
            output_schema: None,
        })
        .collect();
    let tools = McpTools::from_named_tools(tools).map_err(|e| ConnectionError::Policy(clip(&e.to_string(), 300)))?;
    Ok(Capability::json_tools_with_catalog(
        tools,
        OpenApiCatalog { spec: spec.clone() },
        OpenApiHandler { spec, connection },
    ))
}

/// Loads nothing: builds `connection` for `spec` and makes the capability.
///
/// # Errors
///
/// A [`ConnectionError`].
pub fn connect(spec: Arc<OpenApiSpec>, connection: &Connection) -> Result<Capability, ConnectionError> {
    let built = connection.build(&spec)?;
    capability(spec, built)
}
