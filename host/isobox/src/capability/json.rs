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

/// A JSON capability's tools and their implementation.
pub(crate) struct JsonTools {
    pub tools: McpTools,
    pub handler: Arc<dyn JsonToolHandler>,
    /// Whether every grant must name a tenant.
    pub requires_tenant: bool,
}
