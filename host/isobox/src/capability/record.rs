//! The capability calls of one run, for the outcome.

use serde::{Deserialize, Serialize};

/// One call a run made to a capability.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CapabilityCall {
    /// The binding: `env.<binding>`.
    pub binding: String,
    /// The method's JS name.
    pub method: String,
    /// From the call reaching the host to its result.
    pub duration_us: u64,
    /// Whether it returned a value (false: a bad argument, a WIT error
    /// result, or a failure of the implementation).
    pub ok: bool,
    /// Why it failed.
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub error: Option<String>,
}
