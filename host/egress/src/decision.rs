//! What the policy decides about one request, and why a request is denied.

use std::fmt;
use std::net::IpAddr;
use std::sync::Arc;

use http::Method;
use url::Url;

use super::address::{AddressClass, classify};
use super::direct::DirectResponse;
use super::error::clip;
use super::rules::RuleId;

/// What [`EgressPolicy::decide`](super::EgressPolicy::decide) says about a request.
#[derive(Debug, Clone)]
#[must_use]
pub enum Decision {
    /// An allow rule matched: the request may go to the network, once the
    /// resolved addresses pass [`EgressPolicy::check_addresses`](super::EgressPolicy::check_addresses).
    Allow(Allowed),
    /// A respond rule matched: answer with this response, without network.
    Respond {
        /// The respond rule that matched.
        rule: RuleId,
        /// The response to give.
        response: Arc<DirectResponse>,
    },
    /// The request must not leave; the guest sees [`Denied`]'s message.
    Deny(Denied),
}

/// A request an allow rule lets out, with what it may connect to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Allowed {
    pub(crate) rule: RuleId,
    pub(crate) host: String,
    pub(crate) literal: Option<IpAddr>,
    pub(crate) port: u16,
    pub(crate) allow_private: bool,
    pub(crate) explicit_ip: Option<IpAddr>,
    pub(crate) approval: bool,
}

impl Allowed {
    /// True when the rule that matched asks for a person's approval
    /// ([`Rule::require_approval`](crate::Rule::require_approval)).
    pub fn requires_approval(&self) -> bool {
        self.approval
    }

    /// The allow rule that matched.
    pub fn rule(&self) -> &RuleId {
        &self.rule
    }

    /// The host to connect to, as the URL normalised it (`api.example.com`,
    /// `127.0.0.1`, `[::1]`; trailing dots removed).
    pub fn host(&self) -> &str {
        &self.host
    }

    /// The host when it is an IP literal: connect to it without DNS.
    pub fn ip_literal(&self) -> Option<IpAddr> {
        self.literal
    }

    /// The port to connect to (the scheme's default when the URL has none).
    pub fn port(&self) -> u16 {
        self.port
    }

    /// Whether the rule lets the request reach non-public addresses.
    pub fn allows_private_addresses(&self) -> bool {
        self.allow_private
    }

    /// The exact IP address the rule names as its host, if it does: that
    /// one address is reachable even when it is not public.
    pub fn explicit_ip(&self) -> Option<IpAddr> {
        self.explicit_ip
    }

    /// Whether the request may connect to `ip`: a public address, any
    /// address if the rule allows private addresses, or the rule's own IP.
    ///
    /// # Errors
    /// [`DenyKind::NonPublicAddress`], naming the host and the class (not
    /// the address, which only the audit sees through [`Denied::address`]).
    pub fn check_address(&self, ip: IpAddr) -> Result<(), Denied> {
        let class = classify(ip);
        let explicit = self.explicit_ip.map(|e| e.to_canonical()) == Some(ip.to_canonical());
        if class.is_public() || self.allow_private || explicit {
            return Ok(());
        }
        let host = clip(&self.host, 100);
        let message = if self.literal.is_some() {
            format!("{PREFIX}{host} is a non-public address ({class})")
        } else {
            format!("{PREFIX}{host} resolves to a non-public address ({class})")
        };
        Err(Denied {
            kind: DenyKind::NonPublicAddress,
            message,
            rule: Some(self.rule.clone()),
            address: Some((ip, class)),
        })
    }
}

/// Why a request was denied.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum DenyKind {
    /// A scheme other than http or https.
    UnsupportedScheme,
    /// The URL has no host.
    NoHost,
    /// No allow or respond rule matches.
    NoMatchingRule,
    /// A deny rule matches.
    DeniedByRule,
    /// The host is, or resolves to, an address that is not public and the
    /// allowing rule does not permit it.
    NonPublicAddress,
    /// The host resolved to no address.
    NoAddresses,
}

impl DenyKind {
    /// A stable kebab-case name for logs and the audit (`no-matching-rule`).
    pub fn as_str(self) -> &'static str {
        match self {
            DenyKind::UnsupportedScheme => "unsupported-scheme",
            DenyKind::NoHost => "no-host",
            DenyKind::NoMatchingRule => "no-matching-rule",
            DenyKind::DeniedByRule => "denied-by-rule",
            DenyKind::NonPublicAddress => "non-public-address",
            DenyKind::NoAddresses => "no-addresses",
        }
    }
}

/// A denied request: its kind, the rule that denied it (if one did) and a
/// message for the guest (its `Display`), which starts with
/// `blocked by the egress policy:`, is at most about 300 characters long and
/// never holds a credential, a query string or a resolved address.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Denied {
    kind: DenyKind,
    message: String,
    rule: Option<RuleId>,
    address: Option<(IpAddr, AddressClass)>,
}

const PREFIX: &str = "blocked by the egress policy: ";

impl Denied {
    pub(crate) fn unsupported_scheme(url: &Url) -> Denied {
        Denied::new(
            DenyKind::UnsupportedScheme,
            format!(
                "{PREFIX}only http and https requests may leave the sandbox, not `{}:`",
                clip(url.scheme(), 20)
            ),
        )
    }

    pub(crate) fn no_host(url: &Url) -> Denied {
        Denied::new(
            DenyKind::NoHost,
            format!("{PREFIX}the URL `{}` has no host", describe_url(url)),
        )
    }

    pub(crate) fn no_rule(method: &Method, url: &Url) -> Denied {
        Denied::new(
            DenyKind::NoMatchingRule,
            format!("{PREFIX}no rule allows {}", describe_request(method, url)),
        )
    }

    pub(crate) fn by_rule(method: &Method, url: &Url, rule: RuleId) -> Denied {
        let mut denied = Denied::new(
            DenyKind::DeniedByRule,
            format!("{PREFIX}{} is denied by {rule}", describe_request(method, url)),
        );
        denied.rule = Some(rule);
        denied
    }

    pub(crate) fn no_addresses(allowed: &Allowed) -> Denied {
        let mut denied = Denied::new(
            DenyKind::NoAddresses,
            format!("{PREFIX}{} resolved to no address", clip(&allowed.host, 100)),
        );
        denied.rule = Some(allowed.rule.clone());
        denied
    }

    fn new(kind: DenyKind, message: String) -> Denied {
        Denied {
            kind,
            message,
            rule: None,
            address: None,
        }
    }

    /// Why the request was denied.
    pub fn kind(&self) -> DenyKind {
        self.kind
    }

    /// The message for the guest (the same as `Display`).
    pub fn message(&self) -> &str {
        &self.message
    }

    /// The deny rule that matched, or the allow rule whose addresses were refused.
    pub fn rule(&self) -> Option<&RuleId> {
        self.rule.as_ref()
    }

    /// The refused address and its class, for the audit (not in the message).
    pub fn address(&self) -> Option<(IpAddr, AddressClass)> {
        self.address
    }
}

impl fmt::Display for Denied {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.message)
    }
}

impl std::error::Error for Denied {}

/// `GET https://host:port/path`, without user, query or fragment, bounded.
fn describe_request(method: &Method, url: &Url) -> String {
    format!("{} {}", clip(method.as_str(), 24), describe_url(url))
}

/// `scheme://host:port/path`, at most 200 characters.
fn describe_url(url: &Url) -> String {
    let host = url.host_str().unwrap_or("");
    let text = match url.port_or_known_default() {
        Some(port) => format!("{}://{host}:{port}{}", url.scheme(), url.path()),
        None => format!("{}://{host}{}", url.scheme(), url.path()),
    };
    clip(&text, 200)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::rules::RuleKind;

    fn allowed(host: &str, literal: Option<&str>, allow_private: bool, explicit: Option<&str>) -> Allowed {
        Allowed {
            rule: RuleId {
                kind: RuleKind::Allow,
                index: 0,
                name: Some("r".into()),
            },
            host: host.into(),
            literal: literal.map(|l| l.parse().unwrap()),
            port: 443,
            allow_private,
            explicit_ip: explicit.map(|e| e.parse().unwrap()),
            approval: false,
        }
    }

    #[test]
    fn messages_hide_query_user_and_are_bounded() {
        let url = Url::parse(&format!(
            "https://user:pw@example.com/{}?token=abc#frag",
            "p".repeat(5000)
        ))
        .unwrap();
        let message = Denied::no_rule(&Method::GET, &url).to_string();
        assert!(message.starts_with("blocked by the egress policy: no rule allows GET https://example.com:443/ppp"));
        assert!(!message.contains("token") && !message.contains("pw") && !message.contains("user"));
        assert!(message.chars().count() < 300, "{}", message.len());
        let long_method = Method::from_bytes("X".repeat(1000).as_bytes()).unwrap();
        assert!(Denied::no_rule(&long_method, &url).to_string().chars().count() < 300);
    }

    #[test]
    fn non_public_addresses_need_permission() {
        let loopback: IpAddr = "127.0.0.1".parse().unwrap();
        let public: IpAddr = "8.8.8.8".parse().unwrap();
        let plain = allowed("example.com", None, false, None);
        assert_eq!(plain.check_address(public), Ok(()));
        let denied = plain.check_address(loopback).unwrap_err();
        assert_eq!(denied.kind(), DenyKind::NonPublicAddress);
        assert_eq!(denied.address(), Some((loopback, AddressClass::Loopback)));
        assert_eq!(
            denied.to_string(),
            "blocked by the egress policy: example.com resolves to a non-public address (loopback)"
        );
        assert!(allowed("example.com", None, true, None).check_address(loopback).is_ok());
        let explicit = allowed("127.0.0.1", Some("127.0.0.1"), false, Some("127.0.0.1"));
        assert!(explicit.check_address(loopback).is_ok());
        assert!(explicit.check_address("::ffff:127.0.0.1".parse().unwrap()).is_ok());
        let other = explicit.check_address("127.0.0.2".parse().unwrap()).unwrap_err();
        assert_eq!(
            other.to_string(),
            "blocked by the egress policy: 127.0.0.1 is a non-public address (loopback)"
        );
    }

    #[test]
    fn kinds_have_stable_names() {
        assert_eq!(DenyKind::NoMatchingRule.as_str(), "no-matching-rule");
        assert_eq!(DenyKind::NonPublicAddress.as_str(), "non-public-address");
    }
}
