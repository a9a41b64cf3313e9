//! Capabilities implemented in Rust, in the host: an async function per WIT
//! function, taking and returning wasmtime's component values ([`Val`]),
//! already checked against the WIT signature by the bridge.

use std::collections::BTreeMap;
use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;

use wasmtime::component::Val;

use super::CapabilityError;

/// The future a native function returns: its result (`None` for a function
/// without one).
pub type CallFuture = Pin<Box<dyn Future<Output = Result<Option<Val>, CapabilityError>> + Send>>;

/// Who is calling: the binding's name in `env` and the grant's properties.
#[derive(Debug, Clone)]
pub struct CallContext {
    /// The name the run's code calls the capability by (`env.<binding>`).
    pub binding: String,
    /// The grant's properties (a tenant id, say): `null` when none.
    pub props: Arc<serde_json::Value>,
}

impl CallContext {
    /// `props.tenant` when it is a string.
    pub fn tenant(&self) -> Option<&str> {
        self.props.get("tenant").and_then(serde_json::Value::as_str)
    }

    /// Whose data a per-tenant store reads for this call: `props.tenant`
    /// when it is a non-empty string; else, in a `shared` store, the one
    /// namespace of grants without a tenant (empty: no tenant id is);
    /// else none (the grant check refuses such runs before they start).
    pub(crate) fn namespace(&self, shared: bool) -> Option<&str> {
        match self.tenant() {
            Some(tenant) if !tenant.is_empty() => Some(tenant),
            _ => shared.then_some(""),
        }
    }
}

/// A capability implemented in Rust.
pub trait NativeCapability: Send + Sync + 'static {
    /// Calls WIT function `function` (its WIT name, e.g. `get-user`) with
    /// arguments that match its signature.
    fn call(&self, context: CallContext, function: &str, args: Vec<Val>) -> CallFuture;

    /// Whether every grant must name a tenant (`props.tenant`, a non-empty
    /// string): a capability that keeps data per tenant says yes, and a run
    /// granted it without one is refused before it starts, rather than
    /// reading and writing a namespace other embedders' runs share.
    fn requires_tenant(&self) -> bool {
        false
    }
}

type Handler = Arc<dyn Fn(CallContext, Vec<Val>) -> CallFuture + Send + Sync>;

/// A native capability made of one closure per WIT function.
///
/// ```
/// use isobox::capability::{CapabilityError, NativeFunctions};
/// use wasmtime::component::Val;
///
/// let functions = NativeFunctions::new().function("shout", |_context, args| async move {
///     match args.as_slice() {
///         [Val::String(text)] => Ok(Some(Val::String(text.to_uppercase()))),
///         _ => Err(CapabilityError::new("shout takes one string")),
///     }
/// });
/// # let _ = functions;
/// ```
#[derive(Default, Clone)]
pub struct NativeFunctions {
    handlers: BTreeMap<String, Handler>,
}

impl NativeFunctions {
    /// No functions yet.
    pub fn new() -> Self {
        NativeFunctions::default()
    }

    /// Adds the implementation of WIT function `name`.
    pub fn function<F, Fut>(mut self, name: &str, handler: F) -> Self
    where
        F: Fn(CallContext, Vec<Val>) -> Fut + Send + Sync + 'static,
        Fut: Future<Output = Result<Option<Val>, CapabilityError>> + Send + 'static,
    {
        let handler: Handler = Arc::new(move |context, args| Box::pin(handler(context, args)));
        self.handlers.insert(name.to_owned(), handler);
        self
    }

    /// The WIT names of the functions given.
    pub fn names(&self) -> impl Iterator<Item = &str> {
        self.handlers.keys().map(String::as_str)
    }
}

impl NativeCapability for NativeFunctions {
    fn call(&self, context: CallContext, function: &str, args: Vec<Val>) -> CallFuture {
        match self.handlers.get(function) {
            Some(handler) => handler(context, args),
            None => {
                let message = format!("the function {function} has no implementation");
                Box::pin(async move { Err(CapabilityError::new(message)) })
            }
        }
    }
}
