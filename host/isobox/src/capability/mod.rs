//! Capabilities: what a run's code may call as `env.<binding>.<method>(...)`.
//!
//! A [`Capability`] is granted to one run ([`crate::RunRequest::grant`]);
//! its implementation is native Rust ([`NativeCapability`]), a Wasm
//! component plugin ([`Capability::plugin`]), a JSON-typed tool set such as
//! an MCP server's ([`JsonToolHandler`]), or a built-in ([`TodoStore`]; the
//! persistent `kv` and `workspace` are in the `isobox-state` crate). Values cross as a JS value tree and are checked against
//! the capability's WIT types both ways (the type core, private, under
//! `capability/types/`); JSON-typed tools cross as JSON checked against
//! their JSON Schemas. [`typescript_env`] writes the declarations an agent
//! is shown.

mod types;

mod error;
mod grant;
mod json;
mod native;
mod plugin;
mod record;
mod run;
mod todo;

pub use self::error::CapabilityError;
pub use self::grant::{Capability, Grant};
pub use self::json::{CatalogEntry, CatalogPage, JsonCallFuture, JsonToolCatalog, JsonToolHandler};
pub use self::native::{CallContext, CallFuture, NativeCapability, NativeFunctions};
pub use self::record::CapabilityCall;
pub(crate) use self::run::{RunBridge, Started, plugin_limits};
pub use self::todo::TodoStore;
pub use self::types::{
    BridgeError, CallError, CapabilityInterface, Case, Field, FromArgs, FromVal, Function, IntoVal, MAX_CATALOG_TOOLS,
    MAX_MCP_TOOLS, MAX_MCP_TOOLS_BYTES, MAX_SCHEMA_DEPTH, MAX_SCHEMA_DOC_CHARS, MAX_SCHEMA_NODES, MAX_TYPE_DEPTH,
    MAX_WIT_BYTES, MCP_RESULT_NOTE, McpTool, McpTools, McpToolsError, Param, TreeLimits, TypeDef, TypeKind, ValError,
    WitError, WitPackage, WitType, mcp_typescript, mcp_typescript_env, record_field, typescript, typescript_env,
    typescript_env_with_mcp, typescript_env_with_summaries, valid_binding_name,
};
/// wasmtime's component value, what [`NativeCapability`] implementations
/// take and return.
pub use wasmtime::component::Val;
