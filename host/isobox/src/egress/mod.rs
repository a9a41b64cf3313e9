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
mod host;
mod send;

use std::sync::atomic::AtomicU32;
use std::sync::{Arc, Mutex, OnceLock, Weak};
use std::time::Duration;

use tokio::sync::OwnedSemaphorePermit;

use self::audit::AuditLog;
pub use self::audit::{AuditDecision, EgressRecord};
use self::body::BodySlot;
pub use self::filter::{EgressFilter, FilterFuture, FilterVerdict, OutboundRequest};
pub(crate) use self::hooks::EgressHooks;
pub use self::host::{HostRequestError, HostResponse, HostSession};
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

/// How long a request waits for a connection slot before the run checks
/// whether it is stuck on bodies nobody reads.
const STUCK_CHECK: Duration = Duration::from_millis(20);

/// The network state of one run: its grant, counters and audit trail.
pub(crate) struct EgressRun {
    egress: Option<Egress>,
    requests: AtomicU32,
    concurrency: Arc<tokio::sync::Semaphore>,
    max_concurrent: u32,
    /// The response bodies that may still hold a slot.
    bodies: Mutex<Vec<Weak<BodySlot>>>,
    audit: Arc<AuditLog>,
    /// Records responses, or answers from a recording (`send`).
    pub(crate) cassette: std::sync::OnceLock<crate::journal::Cassette>,
}

impl EgressRun {
    pub fn new(egress: Option<Egress>) -> Arc<Self> {
        let concurrent = egress.as_ref().map_or(1, |e| e.policy().limits().max_concurrent).max(1);
        Arc::new(EgressRun {
            egress,
            requests: AtomicU32::new(0),
            concurrency: Arc::new(tokio::sync::Semaphore::new(concurrent as usize)),
            max_concurrent: concurrent,
            bodies: Mutex::new(Vec::new()),
            audit: Arc::new(AuditLog::default()),
            cassette: std::sync::OnceLock::new(),
        })
    }

    /// A connection slot for one request (redirects included). Waits while
    /// other requests are in flight or their bodies are being read, so
    /// `Promise.all` over many URLs just queues; but when every slot is held
    /// by a response body the guest is not reading, the run could never go
    /// on, so the body used least recently is cancelled (its connection
    /// closed, its next read an error) and its slot taken, as Workers do.
    async fn acquire_slot(&self) -> Option<OwnedSemaphorePermit> {
        // A free slot is free only when nobody queues for it: no timer.
        if let Ok(permit) = self.concurrency.clone().try_acquire_owned() {
            return Some(permit);
        }
        let acquire = self.concurrency.clone().acquire_owned();
        tokio::pin!(acquire);
        loop {
            tokio::select! {
                permit = &mut acquire => return permit.ok(),
                () = tokio::time::sleep(STUCK_CHECK) => self.cancel_an_unread_body(),
            }
        }
    }

    /// Cancels the least recently used unread body when unread bodies hold
    /// every slot.
    fn cancel_an_unread_body(&self) {
        let mut bodies = self.bodies.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
        bodies.retain(|slot| slot.strong_count() > 0);
        let idle: Vec<(Arc<BodySlot>, std::time::Instant)> = bodies
            .iter()
            .filter_map(Weak::upgrade)
            .filter_map(|slot| slot.idle_since().map(|since| (slot, since)))
            .collect();
        if self.concurrency.available_permits() > 0 || idle.len() < self.max_concurrent as usize {
            return;
        }
        if let Some((slot, _)) = idle.into_iter().min_by_key(|(_, since)| *since) {
            slot.cancel();
        }
    }

    /// Keeps track of a body that holds a slot.
    fn track(&self, slot: &Arc<BodySlot>) {
        let mut bodies = self.bodies.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
        bodies.retain(|slot| slot.strong_count() > 0);
        bodies.push(Arc::downgrade(slot));
    }

    fn limits(&self) -> EgressLimits {
        self.egress
            .as_ref()
            .map(|e| e.policy().limits().clone())
            .unwrap_or_default()
    }

    /// The rule that asks for approval of a request of `method` to `url`,
    /// if one does (an allow rule with `approval`).
    pub fn approval_rule(&self, method: &http::Method, url: &str) -> Option<String> {
        let egress = self.egress.as_ref()?;
        let url = url::Url::parse(url).ok()?;
        match egress.policy().decide(method, &url) {
            isobox_egress::Decision::Allow(allowed) if allowed.requires_approval() => Some(allowed.rule().to_string()),
            _ => None,
        }
    }

    /// The audit trail so far.
    pub fn records(&self) -> Vec<EgressRecord> {
        self.audit.snapshot()
    }
}
