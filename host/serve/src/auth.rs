//! API keys: `Authorization: Bearer KEY`, matched by SHA-256 digest in
//! constant time against every tenant's keys. Keys are never logged.

use http::HeaderMap;
use subtle::ConstantTimeEq;

use super::config::{Tenant, key_digest};

/// The tenant whose key the request carries, if any.
///
/// Every configured digest is compared, each in constant time, so the time
/// taken says nothing about how much of a key matched.
pub(crate) fn authenticate<'a>(tenants: &'a [Tenant], headers: &HeaderMap) -> Option<&'a Tenant> {
    let value = headers.get(http::header::AUTHORIZATION)?.as_bytes();
    let key = value
        .strip_prefix(b"Bearer ")
        .or_else(|| value.strip_prefix(b"bearer "))?;
    if key.is_empty() {
        return None;
    }
    let digest = key_digest(key);
    let mut found = None;
    for tenant in tenants {
        for candidate in &tenant.key_digests {
            if bool::from(candidate.ct_eq(&digest)) {
                found = Some(tenant);
            }
        }
    }
    found
}
