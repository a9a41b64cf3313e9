//! A capability: a WIT interface plus an implementation, native Rust or a
//! Wasm component plugin. Built once, granted to any number of runs.

use std::path::Path;
use std::sync::Arc;

use super::native::NativeCapability;
use super::plugin::Plugin;
use super::{CapabilityError, KvStore, TodoStore};
use crate::capability::{CapabilityInterface, WitPackage};

/// A WIT interface and what implements it. Cloning is cheap.
///
/// ```
/// use isobox::{Capability, KvStore, RunRequest};
///
/// let kv = Capability::kv(KvStore::new());
/// let request = RunRequest::new("await env.kv.put('k', 'v'); await env.kv.get('k')")
///     .grant_with_props("kv", kv, serde_json::json!({ "tenant": "acme" }));
/// # let _ = request;
/// ```
#[derive(Clone)]
pub struct Capability {
    pub(crate) inner: Arc<CapabilityInner>,
}

pub(crate) struct CapabilityInner {
    pub interface: CapabilityInterface,
    pub implementation: Implementation,
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
            inner: Arc::new(CapabilityInner {
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
            inner: Arc::new(CapabilityInner {
                interface,
                implementation: Implementation::Plugin(plugin),
            }),
        })
    }

    /// The built-in key-value store (`wit/capabilities/kv.wit`), scoped per
    /// tenant (`props.tenant`).
    pub fn kv(store: KvStore) -> Self {
        Self::native(KvStore::WIT, "store", store).expect("the built-in kv WIT is valid")
    }

    /// The built-in to-do list (`wit/capabilities/todo.wit`), scoped per
    /// tenant: records, enums, flags, variants and results through the bridge.
    pub fn todo(store: TodoStore) -> Self {
        Self::native(TodoStore::WIT, "todos", store).expect("the built-in todo WIT is valid")
    }

    /// The checked WIT interface.
    pub fn interface(&self) -> &CapabilityInterface {
        &self.inner.interface
    }

    /// TypeScript declarations of `env.<binding>`, generated from the WIT.
    pub fn typescript(&self, binding: &str) -> String {
        crate::capability::typescript(binding, &self.inner.interface)
    }
}

impl std::fmt::Debug for Capability {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let kind = match self.inner.implementation {
            Implementation::Native(_) => "native",
            Implementation::Plugin(_) => "plugin",
        };
        f.debug_struct("Capability")
            .field("interface", &self.inner.interface.id())
            .field("implementation", &kind)
            .finish()
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
