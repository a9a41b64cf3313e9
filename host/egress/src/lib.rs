//! The egress policy: which HTTP requests may leave the sandbox, with which
//! credentials, under which limits. Pure logic: no I/O but reading the
//! policy's files, no network.
//!
//! Every request is checked twice. [`EgressPolicy::decide`] looks at the
//! method and URL: a matching deny rule always wins; else a matching respond
//! rule answers without network ([`Decision::Respond`]); else the first
//! matching allow rule lets it out ([`Decision::Allow`]); else it is denied.
//! After DNS, [`EgressPolicy::check_addresses`] refuses any address that is
//! not public (loopback, RFC 1918, link-local, cloud metadata ..., see
//! [`AddressClass`]) unless the allowing rule names that exact IP or sets
//! `allow_private`. Hosts are compared as a WHATWG URL parser normalises
//! them, so `http://2130706433/`, `http://0x7f.1/` and `http://127.0.0.1/`
//! are the same host. [`EgressPolicy::apply_credentials`] then adds the
//! credentials bound to the request's exact https origin, replacing any
//! header or query parameter of the same name the guest set.
//!
//! The default policy denies everything.
//!
//! # The TOML format
//!
//! Every table and key is optional unless marked required; an unknown key
//! is an error that names its line and column.
//!
//! ```toml
//! [limits]                    # EgressLimits; the defaults are shown
//! max_requests = 50           # per run, redirects and direct responses included
//! max_concurrent = 6
//! max_redirects = 10
//! max_request_body_bytes = 10485760
//! max_response_body_bytes = 10485760
//! max_header_bytes = 65536
//! request_timeout_ms = 30000
//!
//! [[allow]]                   # the first matching allow rule lets a request out
//! name = "github"             # shown in messages and the audit
//! host = "api.github.com"     # required: a name, "*.example.com" (subdomains, not
//!                             # the apex), "*" (any host), an IPv4 or IPv6 address
//! schemes = ["https"]         # default: ["http", "https"]
//! ports = [443]               # default: every port
//! methods = ["GET", "HEAD"]   # default: every method
//! path_prefix = "/repos"      # whole segments: "/repos/x" yes, "/repository" no
//! allow_private = false       # true: may reach non-public addresses
//! allow_public_suffix = false # true: "*.com", "*.co.uk" (a public suffix) is meant
//!
//! [[deny]]                    # the allow keys but the allow_*; always wins
//! host = "*.internal.example"
//!
//! [[respond]]                 # the deny keys, plus the response to give
//! host = "mock.example"
//! status = 200                # default 200; 200 to 599
//! headers = { "content-type" = "application/json" }
//! body = '{"ok":true}'        # or body_base64 = "eyJvayI6dHJ1ZX0="
//!
//! [[credential]]              # some allow rule must let its requests out
//! name = "github token"
//! origin = "https://api.github.com"  # required: https, exact host and port (no wildcard)
//! header = "authorization"           # or query = "api_key"
//! value_env = "GITHUB_TOKEN"         # read when the policy is built; or value = "..."
//! prefix = "Bearer "
//! path_prefix = "/repos"
//! methods = ["GET"]
//!
//! [[resolve]]                 # like curl --resolve
//! host = "api.local"          # required: a name
//! port = 8443                 # default: every port
//! addresses = ["127.0.0.1", "::1"]   # required
//!
//! [tls]
//! ca_files = ["ca.pem"]       # PEM bundles; relative to the policy file's directory
//! builtin_roots = true        # false: trust only ca_files
//! ```
//!
//! A complete policy, read and used:
//!
//! ```
//! use isobox_egress::{Decision, DenyKind, EgressPolicyBuilder};
//! use http::Method;
//!
//! let policy = EgressPolicyBuilder::from_toml_str(r#"
//!     [limits]
//!     max_requests = 20
//!     request_timeout_ms = 5000
//!
//!     [[allow]]
//!     name = "github"
//!     host = "api.github.com"
//!     methods = ["GET"]
//!     path_prefix = "/repos"
//!
//!     [[allow]]
//!     name = "local api"
//!     host = "api.local"
//!     allow_private = true
//!
//!     [[deny]]
//!     name = "internal"
//!     host = "*.internal.example"
//!
//!     [[credential]]
//!     origin = "https://api.github.com"
//!     header = "authorization"
//!     value_env = "GITHUB_TOKEN"
//!     prefix = "Bearer "
//!
//!     [[respond]]
//!     host = "mock.example"
//!     path_prefix = "/data"
//!     status = 200
//!     headers = { "content-type" = "application/json" }
//!     body = '{"ok":true}'
//!
//!     [[resolve]]
//!     host = "api.local"
//!     addresses = ["127.0.0.1"]
//! "#)?
//! .env_lookup(|name| (name == "GITHUB_TOKEN").then(|| "ghp_example".to_string()))
//! .build()?;
//!
//! let url = |s: &str| url::Url::parse(s).unwrap();
//! let mut request = url("https://api.github.com/repos/rust-lang/rust");
//! let Decision::Allow(allowed) = policy.decide(&Method::GET, &request) else { panic!() };
//! assert_eq!(allowed.rule().name.as_deref(), Some("github"));
//! // After DNS: public addresses pass, others do not.
//! assert!(policy.check_addresses(&allowed, &["140.82.112.6".parse()?]).is_ok());
//! assert!(policy.check_addresses(&allowed, &["10.0.0.5".parse()?]).is_err());
//!
//! let mut headers = http::HeaderMap::new();
//! let applied = policy.apply_credentials(&Method::GET, &mut request, &mut headers);
//! assert_eq!(headers["authorization"], "Bearer ghp_example");
//! assert!(applied.is_injected_header(&http::header::AUTHORIZATION));
//!
//! let Decision::Deny(denied) = policy.decide(&Method::POST, &request) else { panic!() };
//! assert_eq!(denied.kind(), DenyKind::NoMatchingRule);
//! assert_eq!(
//!     denied.to_string(),
//!     "blocked by the egress policy: no rule allows POST https://api.github.com:443/repos/rust-lang/rust"
//! );
//! assert!(matches!(policy.decide(&Method::GET, &url("https://mock.example/data/1")), Decision::Respond { .. }));
//! assert_eq!(policy.resolve_override("api.local", 443), Some(&["127.0.0.1".parse()?][..]));
//! assert_eq!(policy.limits().max_requests, 20);
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```

mod address;
mod builder;
mod credentials;
mod decision;
mod direct;
mod error;
mod host;
mod limits;
mod path;
pub mod range;
mod resolve;
mod rules;
mod spec;
mod tls;
mod toml;

#[cfg(test)]
mod tests;

use std::fmt;
use std::net::IpAddr;
use std::sync::Arc;

use http::{HeaderMap, Method};
use rustls::pki_types::CertificateDer;
use url::Url;

pub use address::{AddressClass, classify};
pub use builder::EgressPolicyBuilder;
pub use credentials::{AppliedCredentials, Credential, CredentialRule, CredentialTarget, Secret, redact_url};
pub use decision::{Allowed, Decision, Denied, DenyKind};
pub use direct::DirectResponse;
pub use error::PolicyError;
pub use host::HostPattern;
pub use limits::EgressLimits;
pub use path::PathPrefix;
pub use range::LimitError;
pub use resolve::ResolveOverride;
pub use rules::{Rule, RuleId, RuleKind, Scheme};

use host::UrlHost;
use rules::{Target, TargetError};

/// Which requests may leave a sandbox, with which credentials and limits.
/// Built by [`EgressPolicy::builder`], [`EgressPolicy::from_toml_str`],
/// [`EgressPolicy::from_toml_file`] or [`EgressPolicy::allow_net`]; the
/// [`Default`] denies everything. Cheap enough to clone per engine; its
/// `Debug` never shows a credential value.
#[derive(Clone)]
pub struct EgressPolicy {
    allow: Vec<Rule>,
    deny: Vec<Rule>,
    respond: Vec<RespondRule>,
    credentials: Vec<CredentialRule>,
    resolve: Vec<ResolveOverride>,
    limits: EgressLimits,
    roots: Vec<CertificateDer<'static>>,
    builtin_roots: bool,
}

#[derive(Clone, Debug)]
struct RespondRule {
    rule: Rule,
    response: Arc<DirectResponse>,
}

impl Default for EgressPolicy {
    /// No rule (every request is denied), default limits, built-in roots.
    fn default() -> Self {
        EgressPolicy {
            allow: Vec::new(),
            deny: Vec::new(),
            respond: Vec::new(),
            credentials: Vec::new(),
            resolve: Vec::new(),
            limits: EgressLimits::default(),
            roots: Vec::new(),
            builtin_roots: true,
        }
    }
}

impl EgressPolicy {
    /// A builder; see [`EgressPolicyBuilder`] for its defaults.
    pub fn builder() -> EgressPolicyBuilder {
        EgressPolicyBuilder::new()
    }

    /// A policy that allows each `HOST[:PORT]` spec (see [`Rule::allow_net`]),
    /// with every other setting at its default: the CLI's `--allow-net`.
    ///
    /// ```
    /// let policy = isobox_egress::EgressPolicy::allow_net(["example.com", "*.example.org:443"])?;
    /// # Ok::<(), isobox_egress::PolicyError>(())
    /// ```
    ///
    /// # Errors
    /// [`PolicyError::HostSpec`] for the first bad spec.
    pub fn allow_net<I>(specs: I) -> Result<EgressPolicy, PolicyError>
    where
        I: IntoIterator,
        I::Item: AsRef<str>,
    {
        specs
            .into_iter()
            .fold(EgressPolicy::builder(), |builder, spec| {
                builder.allow_net(spec.as_ref())
            })
            .build()
    }

    /// What to do with a request of `method` to `url` (see the module
    /// documentation for the order of evaluation). A URL whose host is an
    /// IP literal has its address checked here too.
    pub fn decide(&self, method: &Method, url: &Url) -> Decision {
        let target = match Target::of(method, url) {
            Ok(target) => target,
            Err(TargetError::Scheme) => return Decision::Deny(Denied::unsupported_scheme(url)),
            Err(TargetError::NoHost) => return Decision::Deny(Denied::no_host(url)),
        };
        if let Some((index, rule)) = self.deny.iter().enumerate().find(|(_, r)| r.matches(&target, true)) {
            return Decision::Deny(Denied::by_rule(method, url, rule_id(RuleKind::Deny, index, rule)));
        }
        if let Some((index, respond)) = self
            .respond
            .iter()
            .enumerate()
            .find(|(_, r)| r.rule.matches(&target, false))
        {
            return Decision::Respond {
                rule: rule_id(RuleKind::Respond, index, &respond.rule),
                response: Arc::clone(&respond.response),
            };
        }
        let Some((index, rule)) = self.allow.iter().enumerate().find(|(_, r)| r.matches(&target, false)) else {
            return Decision::Deny(Denied::no_rule(method, url));
        };
        let literal = match target.host {
            UrlHost::Ip(ip) => Some(ip),
            UrlHost::Domain(_) => None,
        };
        let allowed = Allowed {
            rule: rule_id(RuleKind::Allow, index, rule),
            host: target.host.to_string(),
            literal,
            port: target.port,
            allow_private: rule.allows_private_addresses(),
            explicit_ip: match rule.host_pattern() {
                HostPattern::Ip(ip) => Some(*ip),
                _ => None,
            },
            approval: rule.requires_approval(),
        };
        if let Some(ip) = literal
            && let Err(denied) = allowed.check_address(ip)
        {
            return Decision::Deny(denied);
        }
        Decision::Allow(allowed)
    }

    /// Checks the addresses `allowed`'s host resolved to (or its resolve
    /// override): every one must be public, or permitted by the rule (see
    /// [`Allowed::check_address`]). Connect only to addresses checked here.
    ///
    /// # Errors
    /// [`DenyKind::NonPublicAddress`] for the first address refused,
    /// [`DenyKind::NoAddresses`] for an empty list.
    pub fn check_addresses(&self, allowed: &Allowed, addresses: &[IpAddr]) -> Result<(), Denied> {
        if addresses.is_empty() {
            return Err(Denied::no_addresses(allowed));
        }
        addresses.iter().try_for_each(|ip| allowed.check_address(*ip))
    }

    /// Adds the credentials bound to the request's origin: for each header
    /// or query parameter name, the first matching credential removes every
    /// header (any case) or parameter of that name the guest set and adds
    /// its own. Call it once the request is allowed, on the URL and headers
    /// about to be sent; the result says what to redact.
    pub fn apply_credentials(&self, method: &Method, url: &mut Url, headers: &mut HeaderMap) -> AppliedCredentials {
        credentials::apply(&self.credentials, method, url, headers)
    }

    /// The credentials a request of `method` to `url` would get.
    pub fn credentials_for(&self, method: &Method, url: &Url) -> Vec<&CredentialRule> {
        self.credentials.iter().filter(|c| c.matches(method, url)).collect()
    }

    /// The fixed addresses for `host` and `port`, if a resolve override
    /// gives them (an entry for that port first, else one for every port).
    pub fn resolve_override(&self, host: &str, port: u16) -> Option<&[IpAddr]> {
        resolve::lookup(&self.resolve, host, port)
    }

    /// The limits.
    pub fn limits(&self) -> &EgressLimits {
        &self.limits
    }

    /// Extra trusted TLS roots.
    pub fn root_certificates(&self) -> &[CertificateDer<'static>] {
        &self.roots
    }

    /// Whether the built-in webpki roots are trusted.
    pub fn use_builtin_roots(&self) -> bool {
        self.builtin_roots
    }

    /// Whether no request can get anything: no allow and no respond rule.
    pub fn denies_everything(&self) -> bool {
        self.allow.is_empty() && self.respond.is_empty()
    }

    /// The allow rules, in order.
    pub fn allow_rules(&self) -> &[Rule] {
        &self.allow
    }

    /// The deny rules, in order.
    pub fn deny_rules(&self) -> &[Rule] {
        &self.deny
    }

    /// The credentials, in order.
    pub fn credentials(&self) -> &[CredentialRule] {
        &self.credentials
    }

    /// The resolve overrides, in order.
    pub fn resolve_overrides(&self) -> &[ResolveOverride] {
        &self.resolve
    }
}

fn rule_id(kind: RuleKind, index: usize, rule: &Rule) -> RuleId {
    RuleId {
        kind,
        index,
        name: rule.name().map(str::to_owned),
    }
}

impl fmt::Debug for EgressPolicy {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("EgressPolicy")
            .field("allow", &self.allow)
            .field("deny", &self.deny)
            .field("respond", &self.respond)
            .field("credentials", &self.credentials)
            .field("resolve", &self.resolve)
            .field("limits", &self.limits)
            .field("root_certificates", &self.roots.len())
            .field("builtin_roots", &self.builtin_roots)
            .finish()
    }
}
