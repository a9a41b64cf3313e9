//! The policy builder: every setting is checked when the policy is built.

use std::fmt;
use std::net::IpAddr;
use std::sync::Arc;

use rustls::pki_types::CertificateDer;

use super::credentials::{Credential, process_env};
use super::direct::DirectResponse;
use super::error::{PolicyError, clip};
use super::host::HostPattern;
use super::limits::EgressLimits;
use super::resolve::{ResolveOverride, check_duplicates, resolve_override};
use super::rules::{Rule, RuleKind};
use super::tls::parse_pem_certificates;
use super::{EgressPolicy, RespondRule};

type Lookup = Arc<dyn Fn(&str) -> Option<String> + Send + Sync>;

/// Builds an [`EgressPolicy`]. Every default denies: no rule (so every
/// request is denied), no credential, no direct response, no resolve
/// override, [`EgressLimits::default`], the built-in webpki roots and no
/// extra root.
///
/// Settings that cannot be parsed are kept and reported by
/// [`build`](EgressPolicyBuilder::build), so calls chain.
///
/// ```
/// use isobox_egress::{Credential, DirectResponse, EgressPolicy, Rule};
/// let policy = EgressPolicy::builder()
///     .allow(Rule::host("api.github.com").with_name("github").with_path_prefix("/repos"))
///     .deny(Rule::host("*.internal.example"))
///     .allow_net("example.com:443")
///     .respond(Rule::host("mock.example"), DirectResponse::new(200).with_body("hi"))
///     .credential(Credential::header("https://api.github.com", "authorization").with_value("t0ken"))
///     .build()?;
/// assert!(!format!("{policy:?}").contains("t0ken"));
/// # Ok::<(), isobox_egress::PolicyError>(())
/// ```
#[derive(Default)]
pub struct EgressPolicyBuilder {
    allow: Vec<Rule>,
    deny: Vec<Rule>,
    respond: Vec<(Rule, DirectResponse)>,
    credentials: Vec<Credential>,
    resolve: Vec<(String, Option<u16>, Vec<IpAddr>)>,
    limits: EgressLimits,
    roots: Vec<CertificateDer<'static>>,
    no_builtin_roots: bool,
    env: Option<Lookup>,
    error: Option<PolicyError>,
}

impl EgressPolicyBuilder {
    /// A builder with every default (see the type's documentation).
    pub fn new() -> EgressPolicyBuilder {
        EgressPolicyBuilder::default()
    }

    /// Adds an allow rule; the first matching allow rule decides.
    pub fn allow(mut self, rule: Rule) -> Self {
        self.allow.push(rule);
        self
    }

    /// Adds an allow rule from a `HOST[:PORT]` spec (see [`Rule::allow_net`]).
    pub fn allow_net(mut self, spec: &str) -> Self {
        match Rule::allow_net(spec) {
            Ok(rule) => self.allow.push(rule),
            Err(error) => self.note_error(error),
        }
        self
    }

    /// Adds a deny rule; a matching deny rule always wins.
    pub fn deny(mut self, rule: Rule) -> Self {
        self.deny.push(rule);
        self
    }

    /// Adds a direct response, given for requests `rule` matches (unless a
    /// deny rule matches them too), before any allow rule is considered.
    pub fn respond(mut self, rule: Rule, response: DirectResponse) -> Self {
        self.respond.push((rule, response));
        self
    }

    /// Adds a credential.
    pub fn credential(mut self, credential: Credential) -> Self {
        self.credentials.push(credential);
        self
    }

    /// Puts `credentials` before those added so far (the first matching
    /// credential for a header or parameter wins): a service's per-tenant
    /// credentials over a shared policy's.
    pub fn credentials_first(mut self, mut credentials: Vec<Credential>) -> Self {
        credentials.append(&mut self.credentials);
        self.credentials = credentials;
        self
    }

    /// The credentials added so far, taken out of the builder.
    pub fn take_credentials(&mut self) -> Vec<Credential> {
        std::mem::take(&mut self.credentials)
    }

    /// Fixes the addresses of `host` (for `port`, or every port), like
    /// curl's `--resolve`.
    pub fn resolve(mut self, host: &str, port: Option<u16>, addresses: impl IntoIterator<Item = IpAddr>) -> Self {
        self.resolve
            .push((host.to_owned(), port, addresses.into_iter().collect()));
        self
    }

    /// Sets the limits (checked by `build`).
    pub fn limits(mut self, limits: EgressLimits) -> Self {
        self.limits = limits;
        self
    }

    /// Trusts the certificates of a PEM bundle as extra TLS roots.
    pub fn add_root_certificates_pem(mut self, pem: &[u8]) -> Self {
        match parse_pem_certificates(pem) {
            Ok(mut certificates) => self.roots.append(&mut certificates),
            Err(message) => self.note_error(PolicyError::invalid("root certificates", message)),
        }
        self
    }

    /// Trusts one more certificate as a TLS root, as given.
    pub fn add_root_certificate(mut self, certificate: CertificateDer<'static>) -> Self {
        self.roots.push(certificate);
        self
    }

    /// Whether the built-in webpki roots are trusted too (default: yes).
    pub fn builtin_roots(mut self, trusted: bool) -> Self {
        self.no_builtin_roots = !trusted;
        self
    }

    /// Where `value_env` credentials are read from, instead of the process
    /// environment (for secrets kept elsewhere, and for tests).
    pub fn env_lookup(mut self, lookup: impl Fn(&str) -> Option<String> + Send + Sync + 'static) -> Self {
        self.env = Some(Arc::new(lookup));
        self
    }

    pub(crate) fn note_error(&mut self, error: PolicyError) {
        self.error.get_or_insert(error);
    }

    /// Checks every setting and reads the credentials' environment variables.
    ///
    /// # Errors
    /// The first problem found: an unparseable rule setting (naming the
    /// rule), a limit out of range, a bad credential or a missing
    /// environment variable (naming the credential and variable, never a
    /// value), a bad resolve entry, an oversized direct response body, or
    /// bad root certificates.
    pub fn build(self) -> Result<EgressPolicy, PolicyError> {
        if let Some(error) = self.error {
            return Err(error);
        }
        self.limits.validate()?;
        for (kind, rules) in [(RuleKind::Allow, &self.allow), (RuleKind::Deny, &self.deny)] {
            for (index, rule) in rules.iter().enumerate() {
                check_rule(kind, index, rule)?;
            }
        }
        let mut respond = Vec::with_capacity(self.respond.len());
        for (index, (rule, response)) in self.respond.into_iter().enumerate() {
            check_rule(RuleKind::Respond, index, &rule)?;
            let context = || rule_context(RuleKind::Respond, index, &rule);
            if let Some(error) = response.error() {
                return Err(PolicyError::invalid(context(), error));
            }
            let max = self.limits.max_response_body_bytes;
            if response.body().len() as u64 > max {
                return Err(PolicyError::invalid(
                    context(),
                    format!(
                        "the body is {} bytes, more than max_response_body_bytes ({max})",
                        response.body().len()
                    ),
                ));
            }
            respond.push(RespondRule {
                rule,
                response: Arc::new(response),
            });
        }
        let env_lookup = self.env.clone();
        let env = move |variable: &str| match &env_lookup {
            Some(lookup) => lookup(variable).ok_or("is not set"),
            None => process_env(variable),
        };
        let credentials = self
            .credentials
            .into_iter()
            .enumerate()
            .map(|(index, credential)| credential.resolve(index, &env))
            .collect::<Result<Vec<_>, _>>()?;
        for (index, credential) in credentials.iter().enumerate() {
            let context = || {
                let mut context = format!("credential #{}", index + 1);
                if let Some(name) = credential.name() {
                    context.push_str(&format!(" \"{}\"", clip(name, 64)));
                }
                context.push_str(&format!(" for `{}`", clip(&credential.origin(), 100)));
                context
            };
            if !credential.reachable(&self.allow) {
                return Err(PolicyError::invalid(
                    context(),
                    "no allow rule lets a request to this origin (https, its port, methods and path \
                     prefix) leave, so the credential would never be sent: add an [[allow]] rule for \
                     it, or remove it",
                ));
            }
            if let Some(first) = credentials[..index]
                .iter()
                .position(|earlier| earlier.same_place(credential))
            {
                return Err(PolicyError::invalid(
                    context(),
                    format!(
                        "credential #{} already fills the same {} for the same requests, and the first \
                         wins: remove one, or narrow them with path_prefix or methods",
                        first + 1,
                        match credential.target() {
                            super::credentials::CredentialTarget::Header(_) => "header",
                            super::credentials::CredentialTarget::Query(_) => "query parameter",
                        }
                    ),
                ));
            }
        }
        let resolve = self
            .resolve
            .into_iter()
            .enumerate()
            .map(|(index, (host, port, addresses))| resolve_override(index, &host, port, addresses))
            .collect::<Result<Vec<ResolveOverride>, _>>()?;
        check_duplicates(&resolve)?;
        Ok(EgressPolicy {
            allow: self.allow,
            deny: self.deny,
            respond,
            credentials,
            resolve,
            limits: self.limits,
            roots: self.roots,
            builtin_roots: !self.no_builtin_roots,
        })
    }
}

fn check_rule(kind: RuleKind, index: usize, rule: &Rule) -> Result<(), PolicyError> {
    if let Some(error) = rule.error() {
        return Err(PolicyError::invalid(rule_context(kind, index, rule), error));
    }
    if kind != RuleKind::Allow && rule.allows_private_addresses() {
        return Err(PolicyError::invalid(
            rule_context(kind, index, rule),
            "allow_private only has a meaning on allow rules",
        ));
    }
    if kind != RuleKind::Allow && rule.allows_public_suffix() {
        return Err(PolicyError::invalid(
            rule_context(kind, index, rule),
            "allow_public_suffix only has a meaning on allow rules",
        ));
    }
    // Denying broadly is safe; allowing every site under a registry is
    // almost always a mistake for `*.example.co.uk` or the like.
    if kind != RuleKind::Deny
        && !rule.allows_public_suffix()
        && let HostPattern::Subdomains(domain) = rule.host_pattern()
        && is_public_suffix(domain)
    {
        return Err(PolicyError::invalid(
            rule_context(kind, index, rule),
            format!(
                "`*.{}` covers every site under the public suffix `{}`, which anyone may register: \
                 name the hosts you mean, or set allow_public_suffix = true if you really mean all of them",
                clip(domain, 100),
                clip(domain, 100)
            ),
        ));
    }
    Ok(())
}

/// Whether `domain` is on the Public Suffix List (ICANN or private
/// section): `com`, `co.uk`, `github.io`. An unlisted name (`localhost`,
/// `internal`) is not.
fn is_public_suffix(domain: &str) -> bool {
    psl::suffix(domain.as_bytes()).is_some_and(|suffix| suffix.is_known() && suffix.as_bytes() == domain.as_bytes())
}

/// `allow rule #2 "github"`.
pub(crate) fn rule_context(kind: RuleKind, index: usize, rule: &Rule) -> String {
    match rule.name() {
        Some(name) => format!("{} rule #{} \"{}\"", kind.as_str(), index + 1, clip(name, 64)),
        None => format!("{} rule #{}", kind.as_str(), index + 1),
    }
}

impl fmt::Debug for EgressPolicyBuilder {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("EgressPolicyBuilder")
            .field("allow", &self.allow)
            .field("deny", &self.deny)
            .field("respond", &self.respond)
            .field("credentials", &self.credentials)
            .field("resolve", &self.resolve)
            .field("limits", &self.limits)
            .field("root_certificates", &self.roots.len())
            .field("builtin_roots", &!self.no_builtin_roots)
            .field("error", &self.error)
            .finish_non_exhaustive()
    }
}
