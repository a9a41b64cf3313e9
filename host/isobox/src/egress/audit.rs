//! The egress audit trail of one run: one record per request the guest made
//! (and per redirect followed), in the order they were made.

use std::sync::Mutex;

use serde::Serialize;

/// What happened to one outgoing request.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, serde::Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum AuditDecision {
    /// The policy allowed it and it went to the network.
    Allowed,
    /// The policy or the filter refused it; nothing left the host.
    Denied,
    /// A direct response of the policy, or the filter, answered it.
    Responded,
}

/// One request in the audit trail. Secrets are never in it: the URL is the
/// one the guest asked for (no injected credential), with any password
/// removed.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, serde::Deserialize)]
pub struct EgressRecord {
    /// The method.
    pub method: String,
    /// The URL, redacted.
    pub url: String,
    /// Allowed, denied or answered by the host.
    pub decision: AuditDecision,
    /// Why, for a denied request (the text the guest saw), or which rule
    /// answered.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub reason: Option<String>,
    /// The rule that decided, when it has a name.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub rule: Option<String>,
    /// The response status, when a response came.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub status: Option<u16>,
    /// The request body's size.
    pub request_bytes: u64,
    /// Response body bytes the guest received.
    pub response_bytes: u64,
    /// From the request reaching the host to the end of the response body
    /// (or of the exchange, when the body was not read).
    pub duration_us: u64,
    /// Whether this request is a redirect the host followed.
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    pub redirect: bool,
    /// Why the exchange failed after it was allowed (connect, TLS, timeout,
    /// a size cap).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
}

/// The records of one run, shared by its requests.
#[derive(Debug, Default)]
pub(crate) struct AuditLog {
    records: Mutex<Vec<EgressRecord>>,
}

impl AuditLog {
    /// Adds a record; returns its index for later updates.
    pub fn push(&self, record: EgressRecord) -> usize {
        let mut records = self.records.lock().unwrap_or_else(|e| e.into_inner());
        records.push(record);
        records.len() - 1
    }

    /// Changes record `index` (a response arrived, a body ended).
    pub fn update(&self, index: usize, change: impl FnOnce(&mut EgressRecord)) {
        let mut records = self.records.lock().unwrap_or_else(|e| e.into_inner());
        if let Some(record) = records.get_mut(index) {
            change(record);
        }
    }

    /// The records so far.
    pub fn snapshot(&self) -> Vec<EgressRecord> {
        self.records.lock().unwrap_or_else(|e| e.into_inner()).clone()
    }
}
