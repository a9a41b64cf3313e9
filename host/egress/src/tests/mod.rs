//! Policy tests that call the policy directly, with no guest.

mod credentials;
mod decide;
mod toml;

use http::Method;
use url::Url;

use super::{Decision, Denied, EgressPolicy};

pub(super) fn url(text: &str) -> Url {
    Url::parse(text).unwrap_or_else(|e| panic!("{text}: {e}"))
}

pub(super) fn decide(policy: &EgressPolicy, method: &str, target: &str) -> Decision {
    let method = Method::from_bytes(method.as_bytes()).unwrap();
    policy.decide(&method, &url(target))
}

/// The allow rule's name (or `#index`), or panics with the decision.
pub(super) fn allowed_by(policy: &EgressPolicy, method: &str, target: &str) -> String {
    match decide(policy, method, target) {
        Decision::Allow(allowed) => allowed
            .rule()
            .name
            .clone()
            .unwrap_or_else(|| format!("#{}", allowed.rule().index)),
        other => panic!("{method} {target}: expected Allow, got {other:?}"),
    }
}

pub(super) fn denied(policy: &EgressPolicy, method: &str, target: &str) -> Denied {
    match decide(policy, method, target) {
        Decision::Deny(denied) => denied,
        other => panic!("{method} {target}: expected Deny, got {other:?}"),
    }
}
