//! Limits on a run's outgoing requests.

use std::time::Duration;

use serde::{Deserialize, Serialize};

use crate::range::{LimitError, check, duration_ms};

/// Limits on the outgoing HTTP requests of one run. Every field has a
/// default (see [`EgressLimits::default`]) and a range that
/// [`EgressLimits::validate`] checks; the `[limits]` table of a TOML policy
/// uses the same names (`request_timeout_ms` for the timeout).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct EgressLimits {
    /// Requests per run, counting each redirect followed and each direct
    /// response. Default 50; 1 to 100,000.
    pub max_requests: u32,
    /// Requests in flight at once. Default 6; 1 to 256.
    pub max_concurrent: u32,
    /// Redirects followed for one request (0: none is followed). Default
    /// 10; 0 to 20.
    pub max_redirects: u32,
    /// Body of one request, in bytes. Default 10 MiB; 0 to 1 GiB.
    pub max_request_body_bytes: u64,
    /// Body of one response, in bytes; also bounds the body of a direct
    /// response. Default 10 MiB; 1 to 1 GiB.
    pub max_response_body_bytes: u64,
    /// All the header names and values of one request or response, in
    /// bytes. Default 64 KiB; 1 KiB to 1 MiB.
    pub max_header_bytes: u64,
    /// Time for one request, from connecting to the end of the response
    /// body. Default 30 s; 1 ms to 10 min.
    #[serde(with = "duration_ms", rename = "request_timeout_ms")]
    pub request_timeout: Duration,
}

const KIB: u64 = 1024;
const MIB: u64 = 1024 * KIB;
const GIB: u64 = 1024 * MIB;

impl Default for EgressLimits {
    fn default() -> Self {
        EgressLimits {
            max_requests: 50,
            max_concurrent: 6,
            max_redirects: 10,
            max_request_body_bytes: 10 * MIB,
            max_response_body_bytes: 10 * MIB,
            max_header_bytes: 64 * KIB,
            request_timeout: Duration::from_secs(30),
        }
    }
}

impl EgressLimits {
    /// Checks every limit against its range.
    ///
    /// # Errors
    /// The first limit outside its range, named as in TOML.
    pub fn validate(&self) -> Result<(), LimitError> {
        check("max_requests", self.max_requests.into(), 1, 100_000, "")?;
        check("max_concurrent", self.max_concurrent.into(), 1, 256, "")?;
        check("max_redirects", self.max_redirects.into(), 0, 20, "")?;
        check("max_request_body_bytes", self.max_request_body_bytes, 0, GIB, " bytes")?;
        check(
            "max_response_body_bytes",
            self.max_response_body_bytes,
            1,
            GIB,
            " bytes",
        )?;
        check("max_header_bytes", self.max_header_bytes, KIB, MIB, " bytes")?;
        let timeout_ms = u64::try_from(self.request_timeout.as_millis()).unwrap_or(u64::MAX);
        check("request_timeout_ms", timeout_ms, 1, 10 * 60 * 1000, " ms")?;
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_defaults_are_documented_and_valid() {
        let limits = EgressLimits::default();
        assert_eq!(limits.validate(), Ok(()));
        assert_eq!(limits.max_requests, 50);
        assert_eq!(limits.max_concurrent, 6);
        assert_eq!(limits.max_redirects, 10);
        assert_eq!(limits.max_response_body_bytes, 10 << 20);
        assert_eq!(limits.max_header_bytes, 64 << 10);
        assert_eq!(limits.request_timeout, Duration::from_secs(30));
    }

    #[test]
    fn senseless_values_are_refused_by_name() {
        type Setter = fn(&mut EgressLimits);
        let cases: [(&str, Setter); 8] = [
            ("max_requests", |l| l.max_requests = 0),
            ("max_concurrent", |l| l.max_concurrent = 0),
            ("max_concurrent", |l| l.max_concurrent = 100_000),
            ("max_redirects", |l| l.max_redirects = 21),
            ("max_response_body_bytes", |l| l.max_response_body_bytes = 0),
            ("max_header_bytes", |l| l.max_header_bytes = 10),
            ("request_timeout_ms", |l| l.request_timeout = Duration::ZERO),
            ("request_timeout_ms", |l| l.request_timeout = Duration::from_secs(3600)),
        ];
        for (name, set) in cases {
            let mut limits = EgressLimits::default();
            set(&mut limits);
            let error = limits.validate().unwrap_err();
            assert_eq!(error.name, name);
            assert!(error.to_string().starts_with(&format!("limit `{name}` is")), "{error}");
        }
        let zero_ok = EgressLimits {
            max_redirects: 0,
            max_request_body_bytes: 0,
            ..EgressLimits::default()
        };
        assert_eq!(zero_ok.validate(), Ok(()));
    }
}
