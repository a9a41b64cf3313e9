//! Rules: what an allow, deny or respond entry matches.

use std::fmt;

use http::Method;
use url::Url;

use super::error::clip;
use super::host::{HostPattern, UrlHost};
use super::path::PathPrefix;

/// The two schemes a request may leave the sandbox with.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Scheme {
    /// `http:`
    Http,
    /// `https:`
    Https,
}

impl Scheme {
    /// `http` or `https`; `None` for every other scheme.
    pub fn parse(text: &str) -> Option<Scheme> {
        match text.to_ascii_lowercase().as_str() {
            "http" => Some(Scheme::Http),
            "https" => Some(Scheme::Https),
            _ => None,
        }
    }

    /// `"http"` or `"https"`.
    pub fn as_str(self) -> &'static str {
        match self {
            Scheme::Http => "http",
            Scheme::Https => "https",
        }
    }
}

/// One allow, deny or respond rule: every matcher set must match.
///
/// Built with [`Rule::host`] (or [`Rule::allow_net`]) and the `with_`
/// methods; a setting that cannot be parsed is kept and reported by
/// [`EgressPolicyBuilder::build`](super::EgressPolicyBuilder::build), with
/// the rule named.
///
/// ```
/// use isobox_egress::{Rule, Scheme};
/// let rule = Rule::host("api.github.com")
///     .with_name("github")
///     .with_schemes([Scheme::Https])
///     .with_methods([http::Method::GET])
///     .with_path_prefix("/repos");
/// assert_eq!(rule.name(), Some("github"));
/// ```
#[derive(Debug, Clone)]
pub struct Rule {
    name: Option<String>,
    host: HostPattern,
    schemes: Vec<Scheme>,
    ports: Vec<u16>,
    methods: Vec<Method>,
    path_prefix: Option<PathPrefix>,
    allow_private: bool,
    public_suffix: bool,
    approval: bool,
    error: Option<String>,
}

impl Rule {
    /// A rule for the hosts `pattern` describes (see [`HostPattern::parse`]):
    /// `api.example.com`, `*.example.com`, `*`, `10.0.0.5`, `[::1]`. It
    /// matches both schemes, every port, method and path until narrowed.
    pub fn host(pattern: &str) -> Rule {
        match HostPattern::parse(pattern) {
            Ok(host) => Rule::for_hosts(host),
            Err(error) => {
                // Never used: build() refuses a rule with an error.
                let mut rule = Rule::for_hosts(HostPattern::Any);
                rule.error = Some(error);
                rule
            }
        }
    }

    /// A rule for the hosts of an already parsed pattern.
    pub fn for_hosts(host: HostPattern) -> Rule {
        Rule {
            name: None,
            host,
            schemes: Vec::new(),
            ports: Vec::new(),
            methods: Vec::new(),
            path_prefix: None,
            allow_private: false,
            public_suffix: false,
            approval: false,
            error: None,
        }
    }

    /// Requests this allow rule lets out wait for a person's approval
    /// first, in a journaled run (`approval = true` in TOML). A run that is
    /// not journaled cannot pause: such a request is refused.
    pub fn require_approval(mut self) -> Rule {
        self.approval = true;
        self
    }

    /// True when requests this rule allows need approval.
    pub fn requires_approval(&self) -> bool {
        self.approval
    }

    /// Names the rule; the name appears in denial messages and the audit.
    pub fn with_name(mut self, name: impl Into<String>) -> Rule {
        self.name = Some(name.into());
        self
    }

    /// Restricts the rule to these schemes (default: both).
    pub fn with_schemes(mut self, schemes: impl IntoIterator<Item = Scheme>) -> Rule {
        self.schemes = schemes.into_iter().collect();
        self
    }

    /// Restricts the rule to these ports (default: every port); a URL
    /// without a port has its scheme's default (80 or 443). Port 0 is an
    /// error.
    pub fn with_ports(mut self, ports: impl IntoIterator<Item = u16>) -> Rule {
        self.ports = ports.into_iter().collect();
        if self.ports.contains(&0) {
            self.note_error("port 0 is not a port".into());
        }
        self
    }

    /// Restricts the rule to these methods (default: every method),
    /// compared ignoring ASCII case.
    pub fn with_methods(mut self, methods: impl IntoIterator<Item = Method>) -> Rule {
        self.methods = methods.into_iter().collect();
        self
    }

    /// Restricts the rule to paths under `prefix` (see [`PathPrefix`]).
    pub fn with_path_prefix(mut self, prefix: &str) -> Rule {
        match PathPrefix::parse(prefix) {
            Ok(prefix) => self.path_prefix = Some(prefix),
            Err(error) => self.note_error(error),
        }
        self
    }

    /// Lets an allow rule reach non-public addresses (loopback, RFC 1918,
    /// link-local, cloud metadata ...: every [`AddressClass`](super::AddressClass)
    /// but `Public`). Without it, only a rule whose host is an exact IP
    /// literal reaches that one non-public address.
    pub fn allow_private_addresses(mut self) -> Rule {
        self.allow_private = true;
        self
    }

    /// Lets an allow rule's wildcard cover a public suffix: `*.com`,
    /// `*.co.uk`, `*.github.io` (every site anyone may register there).
    /// Without it, [`build`](super::EgressPolicyBuilder::build) refuses such
    /// a rule as a likely mistake.
    pub fn allow_public_suffix(mut self) -> Rule {
        self.public_suffix = true;
        self
    }

    /// Whether the rule may cover a public suffix.
    pub fn allows_public_suffix(&self) -> bool {
        self.public_suffix
    }

    /// The rule's name, if any.
    pub fn name(&self) -> Option<&str> {
        self.name.as_deref()
    }

    /// The hosts matched.
    pub fn host_pattern(&self) -> &HostPattern {
        &self.host
    }

    /// The schemes matched (empty: both).
    pub fn schemes(&self) -> &[Scheme] {
        &self.schemes
    }

    /// The ports matched (empty: every port).
    pub fn ports(&self) -> &[u16] {
        &self.ports
    }

    /// The methods matched (empty: every method).
    pub fn methods(&self) -> &[Method] {
        &self.methods
    }

    /// The path prefix, if any.
    pub fn path_prefix(&self) -> Option<&PathPrefix> {
        self.path_prefix.as_ref()
    }

    /// Whether the rule may reach non-public addresses.
    pub fn allows_private_addresses(&self) -> bool {
        self.allow_private
    }

    fn note_error(&mut self, error: String) {
        self.error.get_or_insert(error);
    }

    /// The first setting that could not be parsed.
    pub(crate) fn error(&self) -> Option<&str> {
        self.error.as_deref()
    }

    /// Whether the rule matches `target`; `wide` for deny rules.
    pub(crate) fn matches(&self, target: &Target<'_>, wide: bool) -> bool {
        (self.schemes.is_empty() || self.schemes.contains(&target.scheme))
            && self.host.matches(&target.host, wide)
            && (self.ports.is_empty() || self.ports.contains(&target.port))
            && method_matches(&self.methods, target.method)
            && self
                .path_prefix
                .as_ref()
                .is_none_or(|prefix| prefix.matches(target.path, wide))
    }
}

pub(crate) fn method_matches(methods: &[Method], method: &Method) -> bool {
    methods.is_empty() || methods.iter().any(|m| m.as_str().eq_ignore_ascii_case(method.as_str()))
}

/// The parts of a request URL that rules look at.
pub(crate) struct Target<'a> {
    pub method: &'a Method,
    pub scheme: Scheme,
    pub host: UrlHost<'a>,
    pub port: u16,
    pub path: &'a str,
}

impl<'a> Target<'a> {
    /// `None` with the reason when the URL cannot leave at all: a scheme
    /// other than http(s), or no host.
    pub(crate) fn of(method: &'a Method, url: &'a Url) -> Result<Target<'a>, TargetError> {
        let scheme = Scheme::parse(url.scheme()).ok_or(TargetError::Scheme)?;
        let host = UrlHost::of(url).ok_or(TargetError::NoHost)?;
        // http(s) URLs always have a known default port.
        let port = url.port_or_known_default().ok_or(TargetError::NoHost)?;
        Ok(Target {
            method,
            scheme,
            host,
            port,
            path: url.path(),
        })
    }
}

/// Why a URL cannot be a target.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum TargetError {
    Scheme,
    NoHost,
}

/// Which list a rule is in.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum RuleKind {
    /// `[[allow]]`
    Allow,
    /// `[[deny]]`
    Deny,
    /// `[[respond]]`
    Respond,
}

impl RuleKind {
    /// `"allow"`, `"deny"` or `"respond"`.
    pub fn as_str(self) -> &'static str {
        match self {
            RuleKind::Allow => "allow",
            RuleKind::Deny => "deny",
            RuleKind::Respond => "respond",
        }
    }
}

/// Which rule decided: its list, its 0-based index in that list, its name.
/// Displays as `rule "name"`, or `allow rule #1` (1-based) when unnamed.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct RuleId {
    /// The list the rule is in.
    pub kind: RuleKind,
    /// 0-based position in that list.
    pub index: usize,
    /// The rule's name, if it has one.
    pub name: Option<String>,
}

impl fmt::Display for RuleId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.name {
            Some(name) => write!(f, "rule \"{}\"", clip(name, 64)),
            None => write!(f, "{} rule #{}", self.kind.as_str(), self.index + 1),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn hits(rule: &Rule, method: Method, url: &str) -> bool {
        let url = Url::parse(url).unwrap();
        let target = Target::of(&method, &url).unwrap();
        rule.matches(&target, false)
    }

    #[test]
    fn each_matcher_narrows_the_rule() {
        let rule = Rule::host("api.example.com")
            .with_schemes([Scheme::Https])
            .with_ports([443, 8443])
            .with_methods([Method::GET, Method::HEAD])
            .with_path_prefix("/v1");
        assert!(rule.error().is_none());
        assert!(hits(&rule, Method::GET, "https://api.example.com/v1/x"));
        assert!(hits(&rule, Method::HEAD, "https://api.example.com:8443/v1"));
        assert!(!hits(&rule, Method::GET, "http://api.example.com/v1/x"), "scheme");
        assert!(!hits(&rule, Method::GET, "https://api.example.com:444/v1/x"), "port");
        assert!(!hits(&rule, Method::POST, "https://api.example.com/v1/x"), "method");
        assert!(!hits(&rule, Method::GET, "https://api.example.com/v2/x"), "path");
        assert!(!hits(&rule, Method::GET, "https://www.example.com/v1/x"), "host");
    }

    #[test]
    fn an_unnarrowed_rule_matches_both_schemes_and_every_port_and_method() {
        let rule = Rule::host("example.com");
        assert!(hits(&rule, Method::GET, "http://example.com/"));
        assert!(hits(&rule, Method::DELETE, "https://example.com:9999/a/b"));
        let patch = Method::from_bytes(b"PATCH").unwrap();
        assert!(hits(&rule, patch, "https://example.com/"));
    }

    #[test]
    fn default_ports_come_from_the_scheme() {
        let rule = Rule::host("example.com").with_ports([80]);
        assert!(hits(&rule, Method::GET, "http://example.com/"));
        assert!(hits(&rule, Method::GET, "http://example.com:80/"));
        assert!(!hits(&rule, Method::GET, "https://example.com/"));
        assert!(hits(&rule, Method::GET, "https://example.com:80/"));
    }

    #[test]
    fn methods_compare_ignoring_case() {
        let rule = Rule::host("example.com").with_methods([Method::DELETE]);
        let lower = Method::from_bytes(b"delete").unwrap();
        assert!(hits(&rule, lower, "https://example.com/"));
    }

    #[test]
    fn bad_settings_are_kept_for_build() {
        assert!(Rule::host("a b").error().unwrap().contains("not a valid host"));
        assert!(Rule::host("x.com").with_ports([0]).error().unwrap().contains("port 0"));
        assert!(
            Rule::host("x.com")
                .with_path_prefix("v1")
                .error()
                .unwrap()
                .contains("must start")
        );
        // The first error is the one kept.
        let rule = Rule::host("a b").with_path_prefix("v1");
        assert!(rule.error().unwrap().contains("not a valid host"));
    }

    #[test]
    fn targets_need_http_and_a_host() {
        let get = Method::GET;
        let ftp = Url::parse("ftp://example.com/").unwrap();
        assert_eq!(Target::of(&get, &ftp).err(), Some(TargetError::Scheme));
        let file = Url::parse("file:///etc/passwd").unwrap();
        assert_eq!(Target::of(&get, &file).err(), Some(TargetError::Scheme));
        let dot = Url::parse("http://./").unwrap();
        assert_eq!(Target::of(&get, &dot).err(), Some(TargetError::NoHost));
    }

    #[test]
    fn rule_ids_display_name_or_position() {
        let named = RuleId {
            kind: RuleKind::Deny,
            index: 0,
            name: Some("internal".into()),
        };
        assert_eq!(named.to_string(), "rule \"internal\"");
        let unnamed = RuleId {
            kind: RuleKind::Deny,
            index: 1,
            name: None,
        };
        assert_eq!(unnamed.to_string(), "deny rule #2");
    }
}
