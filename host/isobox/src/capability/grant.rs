//! A capability: a WIT interface plus an implementation, native Rust or a
//! Wasm component plugin; or JSON-typed tools (MCP tools) and their
//! handler. Built once, granted to any number of runs.

use std::path::Path;
use std::sync::Arc;

use super::json::{JsonToolCatalog, JsonToolHandler, JsonTools};
use super::native::NativeCapability;
use super::plugin::Plugin;
use super::{CapabilityError, TodoStore};
use crate::capability::types::{CapabilityInterface, McpTools, WitPackage};

/// A WIT interface and what implements it, or JSON-typed tools and their
/// handler ([`json_tools`](Self::json_tools)). Cloning is cheap.
///
/// ```
/// use isobox::{Capability, RunRequest};
/// use isobox::capability::TodoStore;
///
/// let todo = Capability::todo(TodoStore::new());
/// let request = RunRequest::new("await env.todo.add({ title: 'ship' })")
///     .grant_with_props("todo", todo, serde_json::json!({ "tenant": "acme" }));
/// # let _ = request;
/// ```
#[derive(Clone)]
pub struct Capability {
    pub(crate) inner: Arc<CapabilityInner>,
}

pub(crate) enum CapabilityInner {
    /// Typed by WIT: values are checked against the interface both ways.
    Wit {
        interface: CapabilityInterface,
        implementation: Implementation,
    },
    /// Typed by JSON Schema: one JSON object in, a JSON value out.
    Json(JsonTools),
}

pub(crate) enum Implementation {
    Native(Arc<dyn NativeCapability>),
    Plugin(Plugin),
}

impl Capability {
    /// A capability implemented in Rust, for `interface` (by name, e.g.
    /// `store` or `isobox:kv/store`) of the WIT package `wit`.
    pub fn native(wit: &str, interface: &str, implementation: impl NativeCapability) -> Result<Self, CapabilityError> {
        let interface =
            CapabilityInterface::from_wit(wit, interface).map_err(|e| CapabilityError::new(e.to_string()))?;
        Ok(Capability {
            inner: Arc::new(CapabilityInner::Wit {
                interface,
                implementation: Implementation::Native(Arc::new(implementation)),
            }),
        })
    }

    /// A Wasm component plugin that exports `interface` of the WIT package
    /// `wit` (source text), loaded from `path` and compiled for `engine`.
    pub fn from_component_file(
        engine: &crate::Engine,
        path: &Path,
        wit: &str,
        interface: &str,
    ) -> Result<Self, CapabilityError> {
        let interface =
            CapabilityInterface::from_wit(wit, interface).map_err(|e| CapabilityError::new(e.to_string()))?;
        Self::plugin(engine, path, interface)
    }

    /// As [`from_component_file`](Capability::from_component_file), with the
    /// WIT read from a file or a directory (with `deps/`); `interface` may be
    /// left out when the package has only one.
    pub fn from_component_and_wit_files(
        engine: &crate::Engine,
        component: &Path,
        wit: &Path,
        interface: Option<&str>,
    ) -> Result<Self, CapabilityError> {
        let package = WitPackage::load(wit).map_err(|e| CapabilityError::new(e.to_string()))?;
        let name = match interface {
            Some(name) => name.to_owned(),
            None => {
                let names = package.interface_names();
                match names.as_slice() {
                    [only] => only.clone(),
                    _ => {
                        return Err(CapabilityError::new(format!(
                            "{} has {} interfaces ({}): name one",
                            wit.display(),
                            names.len(),
                            names.join(", ")
                        )));
                    }
                }
            }
        };
        let interface = package
            .interface(&name)
            .map_err(|e| CapabilityError::new(e.to_string()))?;
        Self::plugin(engine, component, interface)
    }

    fn plugin(engine: &crate::Engine, path: &Path, interface: CapabilityInterface) -> Result<Self, CapabilityError> {
        let functions: Vec<String> = interface.functions().iter().map(|f| f.wit_name.clone()).collect();
        let plugin = Plugin::load(&engine.inner.engine, path, interface.id(), &functions)?;
        Ok(Capability {
            inner: Arc::new(CapabilityInner::Wit {
                interface,
                implementation: Implementation::Plugin(plugin),
            }),
        })
    }

    /// Whether a grant of this capability must name a tenant
    /// ([`NativeCapability::requires_tenant`]).
    pub(crate) fn requires_tenant(&self) -> bool {
        match &*self.inner {
            CapabilityInner::Wit {
                implementation: Implementation::Native(native),
                ..
            } => native.requires_tenant(),
            CapabilityInner::Json(json) => json.requires_tenant,
            _ => false,
        }
    }

    /// The built-in to-do list (`wit/capabilities/todo.wit`), scoped per
    /// tenant: records, enums, flags, variants and results through the bridge.
    pub fn todo(store: TodoStore) -> Self {
        Self::native(TodoStore::WIT, "todos", store).expect("the built-in todo WIT is valid")
    }

    /// Tools described by JSON Schema (an MCP server's `tools/list`), each
    /// a method `env.BINDING.<method>(args)` (method names as
    /// [`McpTools`] gives them) that sends `args`, one object, to `handler`
    /// and resolves with the JSON value it returns. See
    /// [`json_args`](crate::capability::types::json_args) for what crosses.
    ///
    /// ```
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() -> Result<(), Box<dyn std::error::Error>> {
    /// use isobox::capability::McpTools;
    /// use isobox::{Capability, Engine, RunRequest};
    /// use isobox::capability::{CallContext, CapabilityError};
    /// use serde_json::{Map, Value};
    ///
    /// let tools = McpTools::from_json(r#"{"tools": [{"name": "add_numbers", "inputSchema": {"type": "object"}}]}"#)?;
    /// let calc = Capability::json_tools(tools, |_: CallContext, tool: String, args: Map<String, Value>| async move {
    ///     match (tool.as_str(), args["a"].as_f64(), args["b"].as_f64()) {
    ///         ("add_numbers", Some(a), Some(b)) => Ok(serde_json::json!(a + b)),
    ///         _ => Err(CapabilityError::tool("add_numbers takes { a: number, b: number }")),
    ///     }
    /// });
    /// let engine = Engine::builder().build().await?;
    /// let outcome = engine
    ///     .run(RunRequest::new("await env.calc.addNumbers({ a: 2, b: 3 })").grant("calc", calc))
    ///     .await;
    /// assert_eq!(outcome.result.unwrap(), serde_json::json!(5));
    /// # Ok(()) }
    /// ```
    pub fn json_tools(tools: McpTools, handler: impl JsonToolHandler) -> Self {
        Capability {
            inner: Arc::new(CapabilityInner::Json(JsonTools {
                tools,
                handler: Arc::new(handler),
                requires_tenant: false,
                catalog: None,
            })),
        }
    }

    /// As [`json_tools`](Self::json_tools), for tools that keep data per
    /// tenant: a run granted them without a non-empty `props.tenant` is
    /// refused before it starts, as for a
    /// [`NativeCapability::requires_tenant`] capability.
    pub fn json_tools_per_tenant(tools: McpTools, handler: impl JsonToolHandler) -> Self {
        Capability {
            inner: Arc::new(CapabilityInner::Json(JsonTools {
                tools,
                handler: Arc::new(handler),
                requires_tenant: true,
                catalog: None,
            })),
        }
    }

    /// As [`json_tools`](Self::json_tools), for a tool set too large to
    /// declare whole (an OpenAPI spec's operations): [`typescript`](Self::typescript)
    /// gives `catalog`'s short summary, and `isobox mcp`'s `search` and
    /// `describe` ask `catalog` rather than reading the tools' schemas. The
    /// tools' input schemas are not used and may be `{}`.
    pub fn json_tools_with_catalog(
        tools: McpTools,
        catalog: impl JsonToolCatalog,
        handler: impl JsonToolHandler,
    ) -> Self {
        Capability {
            inner: Arc::new(CapabilityInner::Json(JsonTools {
                tools,
                handler: Arc::new(handler),
                requires_tenant: false,
                catalog: Some(Arc::new(catalog)),
            })),
        }
    }

    /// The catalog of a [`json_tools_with_catalog`](Self::json_tools_with_catalog)
    /// capability.
    pub fn json_catalog(&self) -> Option<&dyn JsonToolCatalog> {
        match &*self.inner {
            CapabilityInner::Json(json) => json.catalog.as_deref(),
            CapabilityInner::Wit { .. } => None,
        }
    }

    /// The checked WIT interface; `None` for [`json_tools`](Self::json_tools).
    pub fn interface(&self) -> Option<&CapabilityInterface> {
        match &*self.inner {
            CapabilityInner::Wit { interface, .. } => Some(interface),
            CapabilityInner::Json(_) => None,
        }
    }

    /// The tools of a [`json_tools`](Self::json_tools) capability; `None`
    /// for a WIT one.
    pub fn json_tool_list(&self) -> Option<&McpTools> {
        match &*self.inner {
            CapabilityInner::Wit { .. } => None,
            CapabilityInner::Json(json) => Some(&json.tools),
        }
    }

    /// The JavaScript names of its methods, in declaration order.
    pub fn methods(&self) -> Vec<String> {
        match &*self.inner {
            CapabilityInner::Wit { interface, .. } => interface.functions().iter().map(|f| f.js_name.clone()).collect(),
            CapabilityInner::Json(json) => json.tools.tools().iter().map(|t| t.method.clone()).collect(),
        }
    }

    /// TypeScript declarations of `env.<binding>`, generated from the WIT
    /// or the tools' JSON Schemas.
    pub fn typescript(&self, binding: &str) -> String {
        match &*self.inner {
            CapabilityInner::Wit { interface, .. } => crate::capability::types::typescript(binding, interface),
            CapabilityInner::Json(JsonTools {
                catalog: Some(catalog), ..
            }) => format!("declare namespace env {{\n{}}}\n", catalog.summary(binding)),
            CapabilityInner::Json(json) => crate::capability::types::mcp_typescript_env(&[(binding, &json.tools)]),
        }
    }
}

impl std::fmt::Debug for Capability {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match &*self.inner {
            CapabilityInner::Wit {
                interface,
                implementation,
            } => {
                let kind = match implementation {
                    Implementation::Native(_) => "native",
                    Implementation::Plugin(_) => "plugin",
                };
                f.debug_struct("Capability")
                    .field("interface", &interface.id())
                    .field("implementation", &kind)
                    .finish()
            }
            CapabilityInner::Json(json) => f
                .debug_struct("Capability")
                .field("json_tools", &json.tools.tools().len())
                .finish(),
        }
    }
}

/// A capability granted to a run under a name, with per-run properties.
#[derive(Clone, Debug)]
pub struct Grant {
    /// The name the code calls it by: `env.<name>`.
    pub name: String,
    /// What is granted.
    pub capability: Capability,
    /// Properties for the implementation (a tenant id, say).
    pub props: Arc<serde_json::Value>,
}
