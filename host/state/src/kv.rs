//! `env.kv`: the persistent key-value store (`wit/capabilities/kv.wit`)
//! over [`isobox_store::kv::Kv`], one namespace per tenant.

use isobox::Capability;
use isobox::capability::{CallContext, CallFuture, CapabilityError, NativeCapability, Val};
use isobox_store::StoreError;
use isobox_store::kv::{Kv, KvError, PutOptions};

/// The WIT of `env.kv`.
pub const KV_WIT: &str = include_str!("../../../wit/capabilities/kv.wit");

/// Whose namespace a grant without a tenant uses.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Tenancy {
    /// Every grant must name its tenant (`props.tenant`); a run granted the
    /// capability without one is refused before it starts. For services.
    PerTenant,
    /// A grant without a tenant uses one namespace shared by every such run
    /// (a grant with a tenant still gets its own). For a single user, such
    /// as the `isobox` command line.
    Shared,
}

struct KvCapability {
    kv: Kv,
    tenancy: Tenancy,
}

/// `env.kv` over `kv`.
///
/// ```
/// # tokio::runtime::Runtime::new().unwrap().block_on(async {
/// use isobox::RunRequest;
/// use isobox_state::{Tenancy, kv_capability};
///
/// let store = isobox_store::Store::open("memory").await?;
/// let kv = kv_capability(store.kv(), Tenancy::PerTenant);
/// let request = RunRequest::new("await env.kv.put('k', 'v')")
///     .grant_with_props("kv", kv, serde_json::json!({ "tenant": "acme" }));
/// # let _ = request;
/// # Ok::<(), isobox_store::StoreError>(())
/// # }).unwrap();
/// ```
pub fn kv_capability(kv: Kv, tenancy: Tenancy) -> Capability {
    // The WIT is part of this crate and checked by its tests.
    Capability::native(KV_WIT, "store", KvCapability { kv, tenancy }).expect("the kv WIT is valid")
}

fn string(args: &[Val], index: usize, what: &str) -> Result<String, CapabilityError> {
    match args.get(index) {
        Some(Val::String(text)) => Ok(text.clone()),
        _ => Err(CapabilityError::new(format!("kv: expected {what} to be a string"))),
    }
}

fn field<'a>(record: Option<&'a Val>, name: &str) -> Option<&'a Val> {
    match record {
        Some(Val::Option(Some(inner))) => field(Some(inner), name),
        Some(Val::Record(fields)) => fields.iter().find(|(n, _)| n == name).map(|(_, v)| v),
        _ => None,
    }
}

fn some(value: Option<&Val>) -> Option<&Val> {
    match value {
        Some(Val::Option(Some(inner))) => Some(inner),
        _ => None,
    }
}

fn opt_u64(value: Option<&Val>) -> Option<u64> {
    match some(value) {
        Some(Val::U64(n)) => Some(*n),
        _ => None,
    }
}

fn opt_string(value: Option<&Val>) -> Option<String> {
    match some(value) {
        Some(Val::String(s)) => Some(s.clone()),
        _ => None,
    }
}

fn opt_u64_val(value: Option<i64>) -> Val {
    Val::Option(value.map(|v| Box::new(Val::U64(v.max(0) as u64))))
}

fn ok(value: Val) -> Result<Option<Val>, CapabilityError> {
    Ok(Some(Val::Result(Ok(Some(Box::new(value))))))
}

/// A refusal the code can handle (a typed `kv-error`), or a failure of the
/// store (the call fails with the store's message).
fn refused(error: StoreError) -> Result<Option<Val>, CapabilityError> {
    match error {
        StoreError::Kv(error) => {
            let message = error.to_string();
            let case = match error {
                KvError::BadKey(_) => "bad-key",
                KvError::TooLarge(_) => "too-large",
                KvError::Quota(_) => "quota",
                KvError::Invalid(_) => "invalid",
            };
            let value = Val::Variant(case.to_owned(), Some(Box::new(Val::String(message))));
            Ok(Some(Val::Result(Err(Some(Box::new(value))))))
        }
        other => Err(CapabilityError::new(other.to_string())),
    }
}

impl NativeCapability for KvCapability {
    fn call(&self, context: CallContext, function: &str, args: Vec<Val>) -> CallFuture {
        let kv = self.kv.clone();
        let namespace = match context.tenant() {
            Some(tenant) if !tenant.is_empty() => Some(tenant.to_owned()),
            _ => (self.tenancy == Tenancy::Shared).then(String::new),
        };
        let function = function.to_owned();
        Box::pin(async move {
            let Some(ns) = namespace else {
                return Err(CapabilityError::new("kv: this grant names no tenant (props.tenant)"));
            };
            match function.as_str() {
                "get" | "get-with-version" => {
                    let key = string(&args, 0, "the key")?;
                    match kv.get(&ns, &key).await {
                        Ok(found) => ok(Val::Option(found.map(|entry| {
                            Box::new(if function == "get" {
                                Val::String(entry.value)
                            } else {
                                Val::Record(vec![
                                    ("value".into(), Val::String(entry.value)),
                                    ("version".into(), Val::U64(entry.version)),
                                    ("expires-at".into(), opt_u64_val(entry.expires_at)),
                                ])
                            })
                        }))),
                        Err(e) => refused(e),
                    }
                }
                "put" => {
                    let key = string(&args, 0, "the key")?;
                    let value = string(&args, 1, "the value")?;
                    let options = args.get(2);
                    let put = PutOptions {
                        if_version: opt_u64(field(options, "if-version")),
                        if_absent: matches!(some(field(options, "if-absent")), Some(Val::Bool(true))),
                        ttl_ms: opt_u64(field(options, "ttl-ms")),
                    };
                    match kv.put(&ns, &key, &value, put).await {
                        Ok(written) => ok(Val::Record(vec![
                            ("ok".into(), Val::Bool(written.ok)),
                            ("version".into(), Val::U64(written.version)),
                        ])),
                        Err(e) => refused(e),
                    }
                }
                "delete" => {
                    let key = string(&args, 0, "the key")?;
                    match kv.delete(&ns, &key, opt_u64(args.get(1))).await {
                        Ok(gone) => ok(Val::Bool(gone)),
                        Err(e) => refused(e),
                    }
                }
                "list" => {
                    let options = args.first();
                    let prefix = opt_string(field(options, "prefix")).unwrap_or_default();
                    let cursor = opt_string(field(options, "cursor"));
                    let limit = match some(field(options, "limit")) {
                        Some(Val::U32(n)) => Some(*n),
                        _ => None,
                    };
                    match kv.list(&ns, &prefix, cursor.as_deref(), limit).await {
                        Ok(page) => ok(Val::Record(vec![
                            (
                                "keys".into(),
                                Val::List(
                                    page.keys
                                        .into_iter()
                                        .map(|k| {
                                            Val::Record(vec![
                                                ("name".into(), Val::String(k.key)),
                                                ("version".into(), Val::U64(k.version)),
                                                ("expires-at".into(), opt_u64_val(k.expires_at)),
                                            ])
                                        })
                                        .collect(),
                                ),
                            ),
                            ("complete".into(), Val::Bool(page.cursor.is_none())),
                            (
                                "cursor".into(),
                                Val::Option(page.cursor.map(|c| Box::new(Val::String(c)))),
                            ),
                        ])),
                        Err(e) => refused(e),
                    }
                }
                other => Err(CapabilityError::new(format!("kv has no function {other}"))),
            }
        })
    }

    fn requires_tenant(&self) -> bool {
        self.tenancy == Tenancy::PerTenant
    }
}
