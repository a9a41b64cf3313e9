//! Reading a policy from TOML (the format is documented on the module).

use std::collections::BTreeMap;
use std::io::Read;
use std::net::IpAddr;
use std::path::{Path, PathBuf};

use http::Method;
use serde::de::Error as _;
use serde::{Deserialize, Deserializer};

use super::credentials::{Credential, Secret};
use super::direct::{DirectResponse, decode_base64};
use super::error::{PolicyError, clip};
use super::host::{HostPattern, parse_host};
use super::limits::EgressLimits;
use super::path::PathPrefix;
use super::rules::{Rule, Scheme};
use super::{EgressPolicy, EgressPolicyBuilder};

/// The largest policy file read.
const MAX_POLICY_BYTES: u64 = 1 << 20;
/// The largest CA file read.
const MAX_CA_FILE_BYTES: u64 = 16 << 20;

impl EgressPolicy {
    /// A policy from TOML text (the format is described in the
    /// [module documentation](super)); `ca_files` are relative to the
    /// current directory, `value_env` variables come from the process
    /// environment.
    ///
    /// # Errors
    /// [`PolicyError::Toml`] with the line and column of a syntax error, an
    /// unknown key, or a bad value; the other [`PolicyError`]s as
    /// [`EgressPolicyBuilder::build`] gives them.
    pub fn from_toml_str(text: &str) -> Result<EgressPolicy, PolicyError> {
        EgressPolicyBuilder::from_toml_str(text)?.build()
    }

    /// A policy from a TOML file (at most 1 MiB); `ca_files` are relative to
    /// the file's directory.
    ///
    /// # Errors
    /// As [`from_toml_str`](EgressPolicy::from_toml_str), and
    /// [`PolicyError::Read`] if the file cannot be read.
    pub fn from_toml_file(path: &Path) -> Result<EgressPolicy, PolicyError> {
        EgressPolicyBuilder::from_toml_file(path)?.build()
    }
}

impl EgressPolicyBuilder {
    /// A builder holding the settings of TOML text, to add to (more
    /// `allow_net` rules, an [`env_lookup`](EgressPolicyBuilder::env_lookup))
    /// before building. CA files are read now, relative to the current
    /// directory; environment variables are read by `build`.
    ///
    /// # Errors
    /// As [`EgressPolicy::from_toml_str`], but for what `build` checks.
    pub fn from_toml_str(text: &str) -> Result<EgressPolicyBuilder, PolicyError> {
        from_toml(text, None)
    }

    /// As [`from_toml_str`](EgressPolicyBuilder::from_toml_str), for a file
    /// (at most 1 MiB) whose directory `ca_files` are relative to.
    ///
    /// # Errors
    /// As `from_toml_str`, and [`PolicyError::Read`].
    pub fn from_toml_file(path: &Path) -> Result<EgressPolicyBuilder, PolicyError> {
        let bytes = read_bounded(path, MAX_POLICY_BYTES, "egress policy")?;
        let text = String::from_utf8(bytes).map_err(|_| PolicyError::Read {
            what: "egress policy",
            path: path.to_owned(),
            message: "the file is not UTF-8".into(),
        })?;
        from_toml(&text, path.parent())
    }
}

fn from_toml(text: &str, base: Option<&Path>) -> Result<EgressPolicyBuilder, PolicyError> {
    let file: PolicyFile = ::toml::from_str(text).map_err(|error| toml_error(text, &error))?;
    let mut builder = EgressPolicyBuilder::new().limits(file.limits);
    for entry in file.allow {
        let mut rule = entry.rule();
        if entry.allow_private {
            rule = rule.allow_private_addresses();
        }
        if entry.allow_public_suffix {
            rule = rule.allow_public_suffix();
        }
        if entry.approval {
            rule = rule.require_approval();
        }
        builder = builder.allow(rule);
    }
    for entry in file.deny {
        builder = builder.deny(entry.rule());
    }
    for RespondEntry(rule, response) in file.respond {
        builder = builder.respond(rule, response);
    }
    for CredentialEntry(credential) in file.credential {
        builder = builder.credential(credential);
    }
    for entry in file.resolve {
        let addresses = entry.addresses.into_iter().map(|ip| ip.0);
        builder = builder.resolve(&entry.host.0.0, entry.port.map(|p| p.0.0), addresses);
    }
    for path in &file.tls.ca_files {
        let path = match base {
            Some(base) if path.is_relative() => base.join(path),
            _ => path.clone(),
        };
        let pem = read_bounded(&path, MAX_CA_FILE_BYTES, "CA file")?;
        let certificates = super::tls::parse_pem_certificates(&pem)
            .map_err(|message| PolicyError::invalid(format!("CA file {}", path.display()), message))?;
        for certificate in certificates {
            builder = builder.add_root_certificate(certificate);
        }
    }
    Ok(builder.builtin_roots(file.tls.builtin_roots))
}

fn read_bounded(path: &Path, max: u64, what: &'static str) -> Result<Vec<u8>, PolicyError> {
    let read_error = |message: String| PolicyError::Read {
        what,
        path: path.to_owned(),
        message,
    };
    let file = std::fs::File::open(path).map_err(|e| read_error(e.to_string()))?;
    let mut bytes = Vec::new();
    file.take(max + 1)
        .read_to_end(&mut bytes)
        .map_err(|e| read_error(e.to_string()))?;
    if bytes.len() as u64 > max {
        return Err(read_error(format!("the file is larger than {max} bytes")));
    }
    Ok(bytes)
}

/// The error with its line and column, and without the quoted source line
/// toml adds (it could show a credential value).
fn toml_error(text: &str, error: &::toml::de::Error) -> PolicyError {
    let (line, column) = match error.span() {
        Some(span) => {
            let before = text.get(..span.start).unwrap_or(text);
            let line = before.matches('\n').count() + 1;
            let column = before.rsplit('\n').next().map_or(0, |l| l.chars().count()) + 1;
            (line, column)
        }
        None => (0, 0),
    };
    PolicyError::Toml {
        line,
        column,
        message: clip(error.message().trim(), 300),
    }
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct PolicyFile {
    #[serde(default)]
    limits: EgressLimits,
    #[serde(default)]
    allow: Vec<AllowEntry>,
    #[serde(default)]
    deny: Vec<DenyEntry>,
    #[serde(default)]
    respond: Vec<RespondEntry>,
    #[serde(default)]
    credential: Vec<CredentialEntry>,
    #[serde(default)]
    resolve: Vec<ResolveEntry>,
    #[serde(default)]
    tls: TlsEntry,
}

/// Declares a rule table: the keys every rule has, then its own. (serde's
/// `flatten` would lose `deny_unknown_fields` and the values' positions.)
macro_rules! rule_entry {
    ($name:ident { $($(#[$meta:meta])* $field:ident: $ty:ty,)* }) => {
        #[derive(Deserialize)]
        #[serde(deny_unknown_fields)]
        struct $name {
            name: Option<String>,
            host: Parsed<HostPattern>,
            #[serde(default, deserialize_with = "non_empty")]
            schemes: Option<Vec<Parsed<Scheme>>>,
            #[serde(default, deserialize_with = "non_empty")]
            ports: Option<Vec<Parsed<Port>>>,
            #[serde(default, deserialize_with = "non_empty")]
            methods: Option<Vec<Parsed<Method>>>,
            path_prefix: Option<Parsed<PathPrefix>>,
            $($(#[$meta])* $field: $ty,)*
        }

        impl $name {
            fn rule(&self) -> Rule {
                let mut rule = Rule::for_hosts(self.host.0.clone());
                if let Some(name) = &self.name {
                    rule = rule.with_name(name.clone());
                }
                if let Some(schemes) = &self.schemes {
                    rule = rule.with_schemes(schemes.iter().map(|s| s.0));
                }
                if let Some(ports) = &self.ports {
                    rule = rule.with_ports(ports.iter().map(|p| p.0.0));
                }
                if let Some(methods) = &self.methods {
                    rule = rule.with_methods(methods.iter().map(|m| m.0.clone()));
                }
                if let Some(prefix) = &self.path_prefix {
                    rule = rule.with_path_prefix(prefix.0.as_str());
                }
                rule
            }
        }
    };
}

rule_entry!(AllowEntry {
    #[serde(default)]
    allow_private: bool,
    #[serde(default)]
    allow_public_suffix: bool,
    #[serde(default)]
    approval: bool,
});

rule_entry!(DenyEntry {});

rule_entry!(RawRespond {
    status: Option<u16>,
    #[serde(default)]
    headers: BTreeMap<String, String>,
    body: Option<String>,
    body_base64: Option<String>,
});

#[derive(Deserialize)]
#[serde(try_from = "RawRespond")]
struct RespondEntry(Rule, DirectResponse);

impl TryFrom<RawRespond> for RespondEntry {
    type Error = String;

    fn try_from(raw: RawRespond) -> Result<Self, String> {
        let rule = raw.rule();
        let body = match (raw.body, raw.body_base64) {
            (Some(_), Some(_)) => return Err("set `body` or `body_base64`, not both".into()),
            (Some(text), None) => text.into_bytes(),
            (None, Some(encoded)) => decode_base64(&encoded).map_err(|e| format!("body_base64: {e}"))?,
            (None, None) => Vec::new(),
        };
        let mut response = DirectResponse::new(raw.status.unwrap_or(200)).with_body(body);
        for (name, value) in &raw.headers {
            response = response.with_header(name, value);
        }
        if let Some(error) = response.error() {
            return Err(error.to_owned());
        }
        Ok(RespondEntry(rule, response))
    }
}

#[derive(Deserialize)]
#[serde(try_from = "RawCredential")]
struct CredentialEntry(Credential);

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawCredential {
    name: Option<String>,
    origin: String,
    header: Option<String>,
    query: Option<String>,
    value: Option<TomlSecret>,
    value_env: Option<String>,
    prefix: Option<String>,
    path_prefix: Option<Parsed<PathPrefix>>,
    #[serde(default, deserialize_with = "non_empty")]
    methods: Option<Vec<Parsed<Method>>>,
}

impl TryFrom<RawCredential> for CredentialEntry {
    type Error = String;

    fn try_from(raw: RawCredential) -> Result<Self, String> {
        let mut credential = match (raw.header, raw.query) {
            (Some(header), None) => Credential::header(&raw.origin, &header),
            (None, Some(query)) => Credential::query(&raw.origin, &query),
            (Some(_), Some(_)) => return Err("set `header` or `query`, not both".into()),
            (None, None) => return Err("set `header` (a header name) or `query` (a query parameter name)".into()),
        };
        credential = match (raw.value, raw.value_env) {
            (Some(value), None) => credential.with_value(value.0),
            (None, Some(variable)) => credential.with_value_env(&variable),
            (Some(_), Some(_)) => return Err("set `value` or `value_env`, not both".into()),
            (None, None) => return Err("set `value_env` (an environment variable's name) or `value`".into()),
        };
        if let Some(name) = raw.name {
            credential = credential.with_name(name);
        }
        if let Some(prefix) = raw.prefix {
            credential = credential.with_prefix(&prefix);
        }
        if let Some(path) = raw.path_prefix {
            credential = credential.with_path_prefix(path.0.as_str());
        }
        if let Some(methods) = raw.methods {
            credential = credential.with_methods(methods.into_iter().map(|m| m.0));
        }
        match credential.error() {
            Some(error) => Err(error.to_owned()),
            None => Ok(CredentialEntry(credential)),
        }
    }
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct ResolveEntry {
    host: Parsed<Domain>,
    port: Option<Parsed<Port>>,
    #[serde(deserialize_with = "non_empty_required")]
    addresses: Vec<Parsed<IpAddr>>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct TlsEntry {
    #[serde(default)]
    ca_files: Vec<PathBuf>,
    #[serde(default = "yes")]
    builtin_roots: bool,
}

impl Default for TlsEntry {
    fn default() -> Self {
        TlsEntry {
            ca_files: Vec::new(),
            builtin_roots: true,
        }
    }
}

fn yes() -> bool {
    true
}

/// A value parsed from its TOML string (or integer), so that a bad value is
/// reported at its own line and column.
struct Parsed<T>(T);

/// A port, 1 to 65535.
struct Port(u16);

/// A domain name (not an IP, not a wildcard).
struct Domain(String);

trait FromToml: Sized {
    fn from_toml<'de, D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error>;
}

impl<'de, T: FromToml> Deserialize<'de> for Parsed<T> {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        T::from_toml(deserializer).map(Parsed)
    }
}

fn from_string<'de, D: Deserializer<'de>, T>(
    deserializer: D,
    parse: impl FnOnce(&str) -> Result<T, String>,
) -> Result<T, D::Error> {
    let text = String::deserialize(deserializer)?;
    parse(&text).map_err(D::Error::custom)
}

impl FromToml for HostPattern {
    fn from_toml<'de, D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        from_string(deserializer, HostPattern::parse)
    }
}

impl FromToml for Domain {
    fn from_toml<'de, D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        from_string(deserializer, |text| match parse_host(text)? {
            HostPattern::Domain(domain) => Ok(Domain(domain)),
            _ => Err(format!("`{}` must be a host name, not an IP address", clip(text, 100))),
        })
    }
}

impl FromToml for PathPrefix {
    fn from_toml<'de, D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        from_string(deserializer, PathPrefix::parse)
    }
}

impl FromToml for Scheme {
    fn from_toml<'de, D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        from_string(deserializer, |text| {
            Scheme::parse(text).ok_or_else(|| format!("scheme `{}` is not `http` or `https`", clip(text, 20)))
        })
    }
}

impl FromToml for Method {
    fn from_toml<'de, D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        from_string(deserializer, |text| {
            Method::from_bytes(text.to_ascii_uppercase().as_bytes())
                .map_err(|_| format!("`{}` is not an HTTP method", clip(text, 20)))
        })
    }
}

impl FromToml for IpAddr {
    fn from_toml<'de, D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        from_string(deserializer, |text| {
            let bare = text.strip_prefix('[').and_then(|t| t.strip_suffix(']')).unwrap_or(text);
            bare.parse()
                .map_err(|_| format!("`{}` is not an IP address", clip(text, 60)))
        })
    }
}

impl FromToml for Port {
    fn from_toml<'de, D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        match u16::deserialize(deserializer)? {
            0 => Err(D::Error::custom("port 0 is not a port")),
            port => Ok(Port(port)),
        }
    }
}

/// A credential value: any TOML string. Anything else is refused without
/// echoing it, as serde's messages would.
struct TomlSecret(Secret);

impl<'de> Deserialize<'de> for TomlSecret {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        match ::toml::Value::deserialize(deserializer) {
            Ok(::toml::Value::String(value)) => Ok(TomlSecret(Secret::new(value))),
            _ => Err(D::Error::custom("a credential `value` must be a string")),
        }
    }
}

/// An optional list that, when given, is not empty (an empty list would
/// read as "any" and surprise).
fn non_empty<'de, D: Deserializer<'de>, T: Deserialize<'de>>(deserializer: D) -> Result<Option<Vec<T>>, D::Error> {
    non_empty_required(deserializer).map(Some)
}

fn non_empty_required<'de, D: Deserializer<'de>, T: Deserialize<'de>>(deserializer: D) -> Result<Vec<T>, D::Error> {
    let list = Vec::<T>::deserialize(deserializer)?;
    if list.is_empty() {
        return Err(D::Error::custom(
            "the list is empty: give at least one item, or leave the key out",
        ));
    }
    Ok(list)
}
