//! The network side of a run: the policy and its enforcement.
//!
//! `fetch()` in the guest reaches the host through
//! `wasi:http/outgoing-handler`, and every request goes through [`Egress`]:
//! the embedder's [`EgressFilter`] (if any), then the [`EgressPolicy`]
//! (deny by default), then credentials, the SSRF-checked connector and
//! rustls. Each run records an audit trail ([`EgressRecord`]).
//!
//! The policy itself (rules, the TOML format, credentials, address classes)
//! is pure logic in the `isobox-egress` crate, re-exported here whole: see
//! [`EgressPolicy`] for the format. This module adds the enforcement.

mod audit;
mod body;
mod connect;
mod filter;
mod hooks;
mod send;

use std::sync::atomic::AtomicU32;
use std::sync::{Arc, OnceLock};

use self::audit::AuditLog;
pub use self::audit::{AuditDecision, EgressRecord};
pub use self::filter::{EgressFilter, FilterFuture, FilterVerdict, OutboundRequest};
pub(crate) use self::hooks::EgressHooks;
pub use isobox_egress::*;

/// What a run may reach on the network: a policy and, optionally, a
/// programmable filter. Built once and shared by many runs (cloning is
/// cheap); the TLS settings are built on first use and kept.
///
/// ```
/// use isobox::egress::{Egress, EgressPolicy};
///
/// let policy = EgressPolicy::allow_net(["api.example.com"]).unwrap();
/// let egress = Egress::new(policy);
/// let request = isobox::RunRequest::new("await fetch('https://api.example.com/')").with_egress(egress);
/// # let _ = request;
/// ```
#[derive(Clone)]
pub struct Egress {
    inner: Arc<EgressInner>,
}

struct EgressInner {
    policy: EgressPolicy,
    filter: Option<Arc<dyn EgressFilter>>,
    tls: OnceLock<Result<Arc<rustls::ClientConfig>, String>>,
}

impl Egress {
    /// Network access as `policy` says.
    pub fn new(policy: EgressPolicy) -> Self {
        Egress {
            inner: Arc::new(EgressInner {
                policy,
                filter: None,
                tls: OnceLock::new(),
            }),
        }
    }

    /// Adds a filter that sees every request before the policy does.
    pub fn with_filter(self, filter: impl EgressFilter) -> Self {
        Egress {
            inner: Arc::new(EgressInner {
                policy: self.inner.policy.clone(),
                filter: Some(Arc::new(filter)),
                tls: OnceLock::new(),
            }),
        }
    }

    /// The policy.
    pub fn policy(&self) -> &EgressPolicy {
        &self.inner.policy
    }

    fn filter(&self) -> Option<&Arc<dyn EgressFilter>> {
        self.inner.filter.as_ref()
    }

    fn tls(&self) -> Result<Arc<rustls::ClientConfig>, String> {
        self.inner
            .tls
            .get_or_init(|| connect::tls_config(&self.inner.policy))
            .clone()
    }
}

impl From<EgressPolicy> for Egress {
    fn from(policy: EgressPolicy) -> Self {
        Egress::new(policy)
    }
}

impl std::fmt::Debug for Egress {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Egress")
            .field("policy", &self.inner.policy)
            .field("filter", &self.inner.filter.is_some())
            .finish()
    }
}

/// The network state of one run: its grant, counters and audit trail.
pub(crate) struct EgressRun {
    egress: Option<Egress>,
    requests: AtomicU32,
    concurrency: Arc<tokio::sync::Semaphore>,
    audit: Arc<AuditLog>,
}

impl EgressRun {
    pub fn new(egress: Option<Egress>) -> Arc<Self> {
        let concurrent = egress
            .as_ref()
            .map_or(1, |e| e.policy().limits().max_concurrent as usize)
            .max(1);
        Arc::new(EgressRun {
            egress,
            requests: AtomicU32::new(0),
            concurrency: Arc::new(tokio::sync::Semaphore::new(concurrent)),
            audit: Arc::new(AuditLog::default()),
        })
    }

    fn limits(&self) -> EgressLimits {
        self.egress
            .as_ref()
            .map(|e| e.policy().limits().clone())
            .unwrap_or_default()
    }

    /// The audit trail so far.
    pub fn records(&self) -> Vec<EgressRecord> {
        self.audit.snapshot()
    }
}
