//! JSON-typed capabilities: tools described by JSON Schema instead of WIT,
//! such as the tools of an upstream MCP server (`isobox mcp --upstream`),
//! or tools an embedder implements in Rust. `env.NAME.tool(args)` sends one
//! JSON object and resolves with a JSON value; the conversion and its
//! limits are [`json_args`](crate::capability::types::json_args) and
//! [`json_result`](crate::capability::types::json_result), the method names and
//! TypeScript those of [`McpTools`].

use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;

use serde_json::{Map, Value};

use super::CapabilityError;
use super::native::CallContext;
use crate::capability::types::McpTools;

/// The future a JSON tool returns: its result, or why it failed.
pub type JsonCallFuture = Pin<Box<dyn Future<Output = Result<Value, CapabilityError>> + Send>>;

/// Tools whose arguments and results are JSON: what implements a
/// [`Capability::json_tools`](super::Capability::json_tools).
///
/// A call's promise in the sandbox resolves with the `Ok` value; an error
/// made by [`CapabilityError::tool`] (the tool reports a failure, like an
/// MCP result with `isError`) rejects with an `Error` whose message is the
/// tool's text; any other error (the implementation itself failed) with an
/// `Error` named `CapabilityError`.
pub trait JsonToolHandler: Send + Sync + 'static {
    /// Calls the tool named `tool` (its name in the tool list, e.g.
    /// `create_entities`, not its JS method) with `args`, always an object.
    fn call(&self, context: CallContext, tool: &str, args: Map<String, Value>) -> JsonCallFuture;
}

impl<F, Fut> JsonToolHandler for F
where
    F: Fn(CallContext, String, Map<String, Value>) -> Fut + Send + Sync + 'static,
    Fut: Future<Output = Result<Value, CapabilityError>> + Send + 'static,
{
    fn call(&self, context: CallContext, tool: &str, args: Map<String, Value>) -> JsonCallFuture {
        Box::pin(self(context, tool.to_owned(), args))
    }
}

/// What `search` and `describe` show of a JSON capability too large to
/// show whole (an OpenAPI spec's thousand operations): a short summary of
/// the binding, a ranked and paged search over its methods, and one
/// method's TypeScript. Given to
/// [`Capability::json_tools_with_catalog`](super::Capability::json_tools_with_catalog).
pub trait JsonToolCatalog: Send + Sync + 'static {
    /// The lines that go inside `declare namespace env { ... }` for
    /// `binding`, indented by two spaces: a few lines whatever the number of
    /// methods (their count and how to find them, not the methods).
    fn summary(&self, binding: &str) -> String;

    /// The methods that match `query` best, best first, from the
    /// `offset`-th match on, at most `limit` of them.
    fn search(&self, binding: &str, query: &str, offset: usize, limit: usize) -> CatalogPage;

    /// The TypeScript of method `method` (its declaration with its doc
    /// comment and the named types it uses), or `None` when there is no
    /// such method.
    fn describe(&self, binding: &str, method: &str) -> Option<String>;
}

/// One page of a [`JsonToolCatalog::search`].
#[derive(Debug, Clone, Default, PartialEq)]
pub struct CatalogPage {
    /// The matches on this page, best first: the method's name and a short
    /// TypeScript signature with its summary.
    pub entries: Vec<CatalogEntry>,
    /// How many methods matched in all.
    pub total: usize,
}

/// One match of a [`JsonToolCatalog::search`].
#[derive(Debug, Clone, PartialEq)]
pub struct CatalogEntry {
    /// The method, as called: `issuesCreate` in `env.github.issuesCreate`.
    pub method: String,
    /// A short text to show for it: its signature and summary.
    pub text: String,
}

/// A JSON capability's tools and their implementation.
pub(crate) struct JsonTools {
    pub tools: McpTools,
    pub handler: Arc<dyn JsonToolHandler>,
    /// Whether every grant must name a tenant.
    pub requires_tenant: bool,
    /// What search and describe show instead of the tools' schemas.
    pub catalog: Option<Arc<dyn JsonToolCatalog>>,
}
