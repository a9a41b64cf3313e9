//! The built-in `kv` capability (`wit/capabilities/kv.wit`): an in-memory
//! key-value store of strings, one namespace per tenant (the grant's
//! `props.tenant`). Shared by every run it is granted to, so runs of one
//! tenant see each other's keys and no other tenant's. A grant without a
//! tenant is refused, unless the store was made [`KvStore::shared`].

use std::collections::BTreeMap;
use std::sync::{Arc, Mutex};

use wasmtime::component::Val;

use super::CapabilityError;
use super::native::{CallContext, CallFuture, NativeCapability};

/// The most keys one tenant may hold.
const MAX_KEYS_PER_TENANT: usize = 10_000;
/// The longest key, and the largest value, in bytes.
const MAX_KEY_BYTES: usize = 1024;
const MAX_VALUE_BYTES: usize = 1024 * 1024;
/// The most keys `list` returns.
const MAX_LIST: u32 = 1000;

/// The store behind the `kv` capability. Cloning shares it.
///
/// ```
/// use isobox::capability::KvStore;
/// use isobox::{Capability, RunRequest};
///
/// // One namespace per tenant: every grant names its tenant.
/// let store = KvStore::new();
/// let request = RunRequest::new("await env.kv.put('k', 'v')")
///     .grant_with_props("kv", Capability::kv(store.clone()), serde_json::json!({ "tenant": "acme" }));
/// # let _ = request;
/// // A local tool with one user: grants without a tenant share one namespace.
/// let local = KvStore::shared();
/// let request = RunRequest::new("await env.kv.get('k')").grant("kv", Capability::kv(local));
/// # let _ = request;
/// ```
#[derive(Clone, Default, Debug)]
pub struct KvStore {
    tenants: Arc<Mutex<BTreeMap<String, BTreeMap<String, String>>>>,
    shared: bool,
}

impl KvStore {
    /// An empty store with one namespace per tenant: each grant must carry
    /// `props.tenant` (a run granted it without one is refused).
    pub fn new() -> Self {
        KvStore::default()
    }

    /// An empty store where a grant without `props.tenant` uses one
    /// namespace shared by every such run (a grant with a tenant still gets
    /// that tenant's). For a single user, such as the `isobox` command
    /// line; never for a service with several tenants.
    pub fn shared() -> Self {
        KvStore {
            shared: true,
            ..KvStore::default()
        }
    }

    /// The WIT of the capability.
    pub const WIT: &'static str = include_str!("../../../../wit/capabilities/kv.wit");

    /// The value of `key` for `tenant` (for a host that reads what runs wrote).
    pub fn get(&self, tenant: &str, key: &str) -> Option<String> {
        let tenants = self.tenants.lock().unwrap_or_else(|e| e.into_inner());
        tenants.get(tenant).and_then(|keys| keys.get(key)).cloned()
    }

    fn apply(&self, tenant: &str, function: &str, args: Vec<Val>) -> Result<Option<Val>, CapabilityError> {
        let mut tenants = self.tenants.lock().unwrap_or_else(|e| e.into_inner());
        let keys = tenants.entry(tenant.to_owned()).or_default();
        let text = |value: &Val| match value {
            Val::String(text) => Ok(text.clone()),
            _ => Err(CapabilityError::new("kv: expected a string")),
        };
        let key = match args.first() {
            Some(value) => text(value)?,
            None => return Err(CapabilityError::new("kv: missing the key")),
        };
        if key.len() > MAX_KEY_BYTES {
            return Err(CapabilityError::new(format!(
                "kv: a key may have at most {MAX_KEY_BYTES} bytes"
            )));
        }
        match function {
            "get" => Ok(Some(Val::Option(
                keys.get(&key).map(|v| Box::new(Val::String(v.clone()))),
            ))),
            "put" => {
                let value = text(
                    args.get(1)
                        .ok_or_else(|| CapabilityError::new("kv.put: missing the value"))?,
                )?;
                if value.len() > MAX_VALUE_BYTES {
                    return Err(CapabilityError::new(format!(
                        "kv.put: a value may have at most {MAX_VALUE_BYTES} bytes"
                    )));
                }
                if !keys.contains_key(&key) && keys.len() >= MAX_KEYS_PER_TENANT {
                    return Err(CapabilityError::new(format!(
                        "kv.put: a tenant may keep at most {MAX_KEYS_PER_TENANT} keys"
                    )));
                }
                keys.insert(key, value);
                Ok(None)
            }
            "delete" => Ok(Some(Val::Bool(keys.remove(&key).is_some()))),
            "list" => {
                let limit = match args.get(1) {
                    Some(Val::Option(Some(limit))) => match **limit {
                        Val::U32(limit) => limit.min(MAX_LIST),
                        _ => 100,
                    },
                    _ => 100,
                };
                let found = keys
                    .range(key.clone()..)
                    .take_while(|(k, _)| k.starts_with(&key))
                    .take(limit as usize)
                    .map(|(k, _)| Val::String(k.clone()))
                    .collect();
                Ok(Some(Val::List(found)))
            }
            other => Err(CapabilityError::new(format!("kv has no function {other}"))),
        }
    }
}

impl NativeCapability for KvStore {
    fn call(&self, context: CallContext, function: &str, args: Vec<Val>) -> CallFuture {
        let result = match context.namespace(self.shared) {
            Some(namespace) => self.apply(namespace, function, args),
            None => Err(CapabilityError::new("kv: this grant names no tenant (props.tenant)")),
        };
        Box::pin(async move { result })
    }

    fn requires_tenant(&self) -> bool {
        !self.shared
    }
}
