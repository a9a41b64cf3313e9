//! Credentials: headers and query parameters the host adds to requests for
//! one exact https origin, so the guest never sees the secret.

use std::fmt;

use http::{HeaderMap, HeaderName, HeaderValue, Method};
use url::Url;
use url::form_urlencoded;

use super::error::{PolicyError, clip};
use super::host::{HostPattern, UrlHost, parse_host};
use super::path::PathPrefix;
use super::rules::method_matches;

/// A secret string: its `Debug` and `Display` print `[redacted]`; only
/// [`Secret::expose`] gives the value.
///
/// ```
/// let secret = isobox_egress::Secret::new("ghp_abc");
/// assert_eq!(format!("{secret} {secret:?}"), "[redacted] [redacted]");
/// assert_eq!(secret.expose(), "ghp_abc");
/// ```
#[derive(Clone, PartialEq, Eq)]
pub struct Secret(String);

impl Secret {
    /// Wraps a value.
    pub fn new(value: impl Into<String>) -> Secret {
        Secret(value.into())
    }

    /// The value itself.
    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("[redacted]")
    }
}

impl fmt::Display for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("[redacted]")
    }
}

impl From<String> for Secret {
    fn from(value: String) -> Secret {
        Secret(value)
    }
}

impl From<&str> for Secret {
    fn from(value: &str) -> Secret {
        Secret(value.to_owned())
    }
}

/// Where a credential goes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum CredentialTarget {
    /// A request header (replacing any the guest set).
    Header(HeaderName),
    /// A query parameter (replacing any of the same name the guest set).
    Query(String),
}

#[derive(Clone, Debug)]
enum ValueSource {
    Unset,
    Literal(Secret),
    Env(String),
}

/// A credential as configured: an origin, where the value goes, and where
/// the value comes from (a literal or an environment variable read by
/// [`build`](super::EgressPolicyBuilder::build)). Invalid settings are
/// reported by `build`, with the credential named.
///
/// ```
/// use isobox_egress::Credential;
/// let credential = Credential::header("https://api.github.com", "authorization")
///     .with_value_env("GITHUB_TOKEN")
///     .with_prefix("Bearer ")
///     .with_path_prefix("/repos");
/// ```
#[derive(Clone, Debug)]
pub struct Credential {
    name: Option<String>,
    origin: String,
    host: HostPattern,
    port: u16,
    target: Option<CredentialTarget>,
    value: ValueSource,
    prefix: String,
    path_prefix: Option<PathPrefix>,
    methods: Vec<Method>,
    error: Option<String>,
}

/// Headers a credential may not set: they frame the message or route it.
const RESERVED_HEADERS: [&str; 9] = [
    "host",
    "content-length",
    "transfer-encoding",
    "connection",
    "upgrade",
    "te",
    "trailer",
    "keep-alive",
    "proxy-connection",
];

impl Credential {
    /// A credential sent as header `name` to `origin` (`https://host[:port]`).
    pub fn header(origin: &str, name: &str) -> Credential {
        let mut credential = Credential::new(origin);
        match HeaderName::from_bytes(name.as_bytes()) {
            Ok(header) if RESERVED_HEADERS.contains(&header.as_str()) => {
                credential.note_error(format!("header `{header}` cannot be set by a credential"))
            }
            Ok(header) => credential.target = Some(CredentialTarget::Header(header)),
            Err(_) => credential.note_error(format!("`{}` is not a valid header name", clip(name, 40))),
        }
        credential
    }

    /// A credential sent as query parameter `name` to `origin`.
    pub fn query(origin: &str, name: &str) -> Credential {
        let mut credential = Credential::new(origin);
        if name.is_empty() {
            credential.note_error("the query parameter name is empty".into());
        } else {
            credential.target = Some(CredentialTarget::Query(name.to_owned()));
        }
        credential
    }

    fn new(origin: &str) -> Credential {
        let (host, port, error) = match parse_origin(origin) {
            Ok((host, port)) => (host, port, None),
            // Never used: build() refuses a credential with an error.
            Err(error) => (HostPattern::Any, 0, Some(error)),
        };
        Credential {
            name: None,
            origin: origin.to_owned(),
            host,
            port,
            target: None,
            value: ValueSource::Unset,
            prefix: String::new(),
            path_prefix: None,
            methods: Vec::new(),
            error,
        }
    }

    /// Names the credential (shown in errors and the audit).
    pub fn with_name(mut self, name: impl Into<String>) -> Credential {
        self.name = Some(name.into());
        self
    }

    /// The value, given directly.
    pub fn with_value(mut self, value: impl Into<Secret>) -> Credential {
        self.value = ValueSource::Literal(value.into());
        self
    }

    /// The value, read from environment variable `variable` when the policy
    /// is built.
    pub fn with_value_env(mut self, variable: &str) -> Credential {
        self.value = ValueSource::Env(variable.to_owned());
        self
    }

    /// Text put before the value (`"Bearer "`).
    pub fn with_prefix(mut self, prefix: &str) -> Credential {
        self.prefix = prefix.to_owned();
        self
    }

    /// Sends the credential only for paths under `prefix` (see [`PathPrefix`]).
    pub fn with_path_prefix(mut self, prefix: &str) -> Credential {
        match PathPrefix::parse(prefix) {
            Ok(prefix) => self.path_prefix = Some(prefix),
            Err(error) => self.note_error(error),
        }
        self
    }

    /// Sends the credential only with these methods (default: every method).
    pub fn with_methods(mut self, methods: impl IntoIterator<Item = Method>) -> Credential {
        self.methods = methods.into_iter().collect();
        self
    }

    fn note_error(&mut self, error: String) {
        self.error.get_or_insert(error);
    }

    /// The first setting that could not be parsed.
    pub(crate) fn error(&self) -> Option<&str> {
        self.error.as_deref()
    }

    /// Whether `policy` lets a request that would carry this credential
    /// leave (an allow rule for an https request to its origin, methods and
    /// path prefix): [`build`](super::EgressPolicyBuilder::build) refuses a
    /// credential no rule lets out, so a service adding its tenants'
    /// credentials to several policies adds each only where it can go.
    pub fn is_allowed_by(&self, policy: &super::EgressPolicy) -> bool {
        self.error.is_none()
            && reaches(
                &self.host,
                self.port,
                &self.methods,
                self.path_prefix.as_ref(),
                &policy.allow,
            )
    }

    /// The origin as configured.
    pub fn origin(&self) -> &str {
        &self.origin
    }

    /// Checks the credential and reads its value; `index` is 0-based.
    pub(crate) fn resolve(self, index: usize, env: &EnvLookup<'_>) -> Result<CredentialRule, PolicyError> {
        let mut context = format!("credential #{}", index + 1);
        if let Some(name) = &self.name {
            context.push_str(&format!(" \"{}\"", clip(name, 64)));
        }
        context.push_str(&format!(" for `{}`", clip(&self.origin, 100)));
        let invalid = |message: String| PolicyError::invalid(context.clone(), message);
        if let Some(error) = self.error {
            return Err(invalid(error));
        }
        let target = self
            .target
            .ok_or_else(|| invalid("no header or query parameter given".into()))?;
        let (value, from) = match self.value {
            ValueSource::Unset => return Err(invalid("no value given (set `value` or `value_env`)".into())),
            ValueSource::Literal(secret) => (secret, "the value".to_owned()),
            ValueSource::Env(variable) => {
                let value = env(&variable).map_err(|problem| PolicyError::Env {
                    context: context.clone(),
                    variable: clip(&variable, 100),
                    problem,
                })?;
                (
                    Secret(value),
                    format!("the value of environment variable `{}`", clip(&variable, 100)),
                )
            }
        };
        if value.0.is_empty() {
            return Err(invalid(format!("{from} is empty")));
        }
        let full = Secret(format!("{}{}", self.prefix, value.0));
        let header_value = match &target {
            CredentialTarget::Header(_) => {
                let mut header = HeaderValue::from_str(full.expose()).map_err(|_| {
                    invalid(format!(
                        "{from} (with its prefix) is not a valid header value: visible ASCII only, no line breaks"
                    ))
                })?;
                header.set_sensitive(true);
                Some(header)
            }
            CredentialTarget::Query(_) => None,
        };
        Ok(CredentialRule {
            name: self.name,
            host: self.host,
            port: self.port,
            path_prefix: self.path_prefix,
            methods: self.methods,
            target,
            value: full,
            header_value,
        })
    }
}

/// Reads an environment variable, or says why it cannot.
pub(crate) type EnvLookup<'a> = dyn Fn(&str) -> Result<String, &'static str> + 'a;

/// The process environment.
pub(crate) fn process_env(variable: &str) -> Result<String, &'static str> {
    match std::env::var(variable) {
        Ok(value) => Ok(value),
        Err(std::env::VarError::NotPresent) => Err("is not set"),
        Err(std::env::VarError::NotUnicode(_)) => Err("is not valid UTF-8"),
    }
}

fn parse_origin(origin: &str) -> Result<(HostPattern, u16), String> {
    let shown = clip(origin, 100);
    let url = Url::parse(origin).map_err(|error| format!("origin `{shown}` is not a URL: {error}"))?;
    match url.scheme() {
        "https" => {}
        "http" => {
            return Err(
                "credentials are only sent over https: an http origin would send the secret in clear text".into(),
            );
        }
        _ => return Err(format!("origin `{shown}` must be an https:// URL")),
    }
    if !url.username().is_empty() || url.password().is_some() {
        return Err("the origin cannot hold a user or password".into());
    }
    if url.path() != "/" || url.query().is_some() || url.fragment().is_some() {
        return Err(format!(
            "origin `{shown}` must be https://host[:port] only; put a path in `path_prefix`"
        ));
    }
    let host = UrlHost::of(&url).ok_or_else(|| format!("origin `{shown}` has no host"))?;
    let host = host.to_string();
    let wildcard = host.contains('*');
    let host = parse_host(&host)?;
    if wildcard || host.is_wildcard() {
        return Err(format!(
            "origin `{shown}` is a wildcard: a credential goes to one exact origin, so a secret \
             cannot reach hosts nobody named (give one credential per origin)"
        ));
    }
    let port = url.port_or_known_default().unwrap_or(443);
    Ok((host, port))
}

/// A credential ready to apply: an exact https origin, optional path prefix
/// and methods, and the value. Its `Debug` never shows the value.
#[derive(Clone)]
pub struct CredentialRule {
    name: Option<String>,
    host: HostPattern,
    port: u16,
    path_prefix: Option<PathPrefix>,
    methods: Vec<Method>,
    target: CredentialTarget,
    value: Secret,
    header_value: Option<HeaderValue>,
}

impl CredentialRule {
    /// Whether some allow rule lets a request carrying this credential
    /// leave: an https request to its origin, with one of its methods,
    /// under its path prefix. A credential no rule allows is never sent
    /// and is a mistake in the policy.
    pub(crate) fn reachable(&self, allow: &[super::rules::Rule]) -> bool {
        reaches(&self.host, self.port, &self.methods, self.path_prefix.as_ref(), allow)
    }

    /// Whether `other` would be sent in the same place to the same
    /// requests as this one: the same origin, header or parameter, path
    /// prefix and methods. The first wins, so the second is dead.
    pub(crate) fn same_place(&self, other: &CredentialRule) -> bool {
        let target = match (&self.target, &other.target) {
            (CredentialTarget::Header(a), CredentialTarget::Header(b)) => a == b,
            (CredentialTarget::Query(a), CredentialTarget::Query(b)) => a == b,
            _ => false,
        };
        let mut mine: Vec<String> = self.methods.iter().map(|m| m.as_str().to_ascii_uppercase()).collect();
        let mut theirs: Vec<String> = other.methods.iter().map(|m| m.as_str().to_ascii_uppercase()).collect();
        mine.sort();
        theirs.sort();
        target
            && self.host == other.host
            && self.port == other.port
            && self.path_prefix.as_ref().map(PathPrefix::as_str) == other.path_prefix.as_ref().map(PathPrefix::as_str)
            && mine == theirs
    }

    /// The credential's name, if any.
    pub fn name(&self) -> Option<&str> {
        self.name.as_deref()
    }

    /// The origin, `https://host` or `https://host:port`.
    pub fn origin(&self) -> String {
        match self.port {
            443 => format!("https://{}", self.host),
            port => format!("https://{}:{port}", self.host),
        }
    }

    /// Where the value goes.
    pub fn target(&self) -> &CredentialTarget {
        &self.target
    }

    /// The path prefix, if any.
    pub fn path_prefix(&self) -> Option<&PathPrefix> {
        self.path_prefix.as_ref()
    }

    /// The methods it is sent with (empty: every method).
    pub fn methods(&self) -> &[Method] {
        &self.methods
    }

    /// Whether a request of `method` to `url` gets this credential: scheme
    /// https, the same host and port, the method and path within bounds.
    pub fn matches(&self, method: &Method, url: &Url) -> bool {
        url.scheme() == "https"
            && UrlHost::of(url).is_some_and(|host| self.host.matches(&host, false))
            && url.port_or_known_default() == Some(self.port)
            && method_matches(&self.methods, method)
            && self
                .path_prefix
                .as_ref()
                .is_none_or(|prefix| prefix.matches(url.path(), false))
    }
}

impl fmt::Debug for CredentialRule {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("CredentialRule")
            .field("name", &self.name)
            .field("origin", &self.origin())
            .field("path_prefix", &self.path_prefix)
            .field("methods", &self.methods)
            .field("target", &self.target)
            .field("value", &self.value)
            .finish()
    }
}

/// What [`EgressPolicy::apply_credentials`](super::EgressPolicy::apply_credentials)
/// injected into one request: enough to show the guest its own request and
/// to redact the audit.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct AppliedCredentials {
    headers: Vec<HeaderName>,
    query: Vec<String>,
    rules: Vec<usize>,
}

impl AppliedCredentials {
    /// Whether nothing was injected.
    pub fn is_empty(&self) -> bool {
        self.rules.is_empty()
    }

    /// The headers injected.
    pub fn header_names(&self) -> &[HeaderName] {
        &self.headers
    }

    /// The query parameters injected.
    pub fn query_names(&self) -> &[String] {
        &self.query
    }

    /// The 0-based indexes of the credentials applied, in the policy's order.
    pub fn credential_indexes(&self) -> &[usize] {
        &self.rules
    }

    /// Whether `name` is an injected header (its value must be redacted).
    pub fn is_injected_header(&self, name: &HeaderName) -> bool {
        self.headers.contains(name)
    }

    /// Removes what was injected from a request, before following a
    /// redirect (credentials are then applied afresh for the new URL).
    pub fn remove_from(&self, url: &mut Url, headers: &mut HeaderMap) {
        for name in &self.headers {
            headers.remove(name);
        }
        remove_query_params(url, &self.query);
    }

    /// The URL without injected query parameters and without a password.
    pub fn redact_url(&self, url: &Url) -> String {
        redact_url(url, self)
    }
}

/// `url` without the query parameters `applied` injected and without any
/// userinfo password: what the audit and the guest may see.
///
/// ```
/// use isobox_egress::{redact_url, AppliedCredentials};
/// let url = url::Url::parse("https://me:pw@example.com/x?a=1").unwrap();
/// assert_eq!(redact_url(&url, &AppliedCredentials::default()), "https://me@example.com/x?a=1");
/// ```
pub fn redact_url(url: &Url, applied: &AppliedCredentials) -> String {
    let mut url = url.clone();
    // Fails only for URLs that cannot have a password, which have none.
    let _ = url.set_password(None);
    remove_query_params(&mut url, &applied.query);
    url.into()
}

/// Applies `rules` to a request: for each header or parameter name, the
/// first matching credential replaces whatever the guest set.
pub(crate) fn apply(
    rules: &[CredentialRule],
    method: &Method,
    url: &mut Url,
    headers: &mut HeaderMap,
) -> AppliedCredentials {
    let mut applied = AppliedCredentials::default();
    let mut query_values = Vec::new();
    for (index, rule) in rules.iter().enumerate() {
        if !rule.matches(method, url) {
            continue;
        }
        match (&rule.target, &rule.header_value) {
            (CredentialTarget::Header(name), Some(value)) if !applied.headers.contains(name) => {
                headers.remove(name);
                headers.insert(name.clone(), value.clone());
                applied.headers.push(name.clone());
                applied.rules.push(index);
            }
            (CredentialTarget::Query(name), _) if !applied.query.contains(name) => {
                applied.query.push(name.clone());
                query_values.push((name.as_str(), rule.value.expose()));
                applied.rules.push(index);
            }
            _ => {}
        }
    }
    if !query_values.is_empty() {
        remove_query_params(url, &applied.query);
        let mut pairs = url.query_pairs_mut();
        for (name, value) in query_values {
            pairs.append_pair(name, value);
        }
    }
    applied
}

/// Removes every query parameter whose decoded name is in `names`, leaving
/// the others exactly as written.
fn remove_query_params(url: &mut Url, names: &[String]) {
    let Some(query) = url.query() else {
        return;
    };
    let mut removed = false;
    let kept: Vec<&str> = query
        .split('&')
        .filter(|piece| {
            let name = form_urlencoded::parse(piece.as_bytes()).next().map(|(name, _)| name);
            let drop = name.is_some_and(|name| names.iter().any(|n| *n == name));
            removed |= drop;
            !drop
        })
        .collect();
    if removed {
        let kept = kept.join("&");
        url.set_query((!kept.is_empty()).then_some(kept.as_str()));
    }
}

/// Whether an allow rule lets an https request to `host`:`port`, with one
/// of `methods` (any when empty), under `path_prefix`, leave.
fn reaches(
    host: &HostPattern,
    port: u16,
    methods: &[Method],
    path_prefix: Option<&PathPrefix>,
    allow: &[super::rules::Rule],
) -> bool {
    let host = match host {
        HostPattern::Domain(domain) => UrlHost::Domain(domain.as_str()),
        HostPattern::Ip(ip) => UrlHost::Ip(*ip),
        HostPattern::Any | HostPattern::Subdomains(_) => return false,
    };
    allow.iter().any(|rule| {
        (rule.schemes().is_empty() || rule.schemes().contains(&super::rules::Scheme::Https))
            && rule.host_pattern().matches(&host, false)
            && (rule.ports().is_empty() || rule.ports().contains(&port))
            && (rule.methods().is_empty()
                || methods.is_empty()
                || methods.iter().any(|m| method_matches(rule.methods(), m)))
            && match (rule.path_prefix(), path_prefix) {
                (Some(rule), Some(mine)) => paths_overlap(rule.as_str(), mine.as_str()),
                _ => true,
            }
    })
}

/// Whether some path is under both prefixes.
fn paths_overlap(a: &str, b: &str) -> bool {
    let under = |path: &str, prefix: &str| {
        path.starts_with(prefix)
            && (prefix.ends_with('/') || path.len() == prefix.len() || path[prefix.len()..].starts_with('/'))
    };
    under(a, b) || under(b, a)
}
