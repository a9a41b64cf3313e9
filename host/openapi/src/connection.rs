//! Where a spec's calls go and with what credentials: the base URL the
//! operator allows, the egress policy made for it (that origin and path
//! only), and credentials from the spec's security schemes whose values
//! the host reads from environment variables and the egress filter adds to
//! requests for that origin. The code never sees them.

use std::sync::Arc;

use base64::Engine as _;
use isobox::egress::{Credential, Egress, EgressLimits, EgressPolicy, Rule, Scheme};
use serde_json::Value;
use url::Url;

use crate::error::{QUOTE_CHARS, clip};
use crate::spec::OpenApiSpec;

/// Why a connection could not be made. Messages name environment
/// variables, never their values.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum ConnectionError {
    /// No base URL was given and the spec's first server is not an
    /// absolute http(s) URL.
    #[error(
        "no base URL: give one (NAME=SPEC@https://api.example.com); the spec's servers[0] is not an absolute http(s) URL"
    )]
    NoBaseUrl,
    /// The base URL is not an http(s) URL with a host.
    #[error("the base URL {url:?} is not an http(s) URL with a host")]
    BadBaseUrl {
        /// The URL (bounded).
        url: String,
    },
    /// A credential names a scheme the spec does not declare (and that is
    /// not `bearer` or `basic`).
    #[error("no security scheme {scheme:?}: the spec declares {known}; `bearer` and `basic` may be used for any spec")]
    UnknownScheme {
        /// The scheme asked for (bounded).
        scheme: String,
        /// The schemes the spec declares.
        known: String,
    },
    /// A scheme kind that cannot be injected (an API key in a cookie, mutual TLS).
    #[error(
        "security scheme {scheme:?} ({kind}) cannot be injected: bearer, basic and API keys in a header or query can"
    )]
    UnsupportedScheme {
        /// The scheme (bounded).
        scheme: String,
        /// What it is.
        kind: String,
    },
    /// The environment variable holding a credential is unset or empty.
    #[error("the environment variable {variable} (for security scheme {scheme:?}) is unset or empty")]
    MissingValue {
        /// The variable's name.
        variable: String,
        /// The scheme.
        scheme: String,
    },
    /// Credentials are sent only over https.
    #[error("credentials are only sent over https: the base URL is {url}")]
    CredentialsNeedHttps {
        /// The base URL (bounded).
        url: String,
    },
    /// The egress policy refused the settings.
    #[error("the egress policy for the base URL: {0}")]
    Policy(String),
}

type EnvLookup = Arc<dyn Fn(&str) -> Option<String> + Send + Sync>;

/// The settings of one OpenAPI capability's connection: base URL,
/// credentials, trusted roots, limits. Nothing is read until
/// [`build`](Self::build).
///
/// ```
/// use isobox_openapi::{Connection, OpenApiSpec};
///
/// let spec = OpenApiSpec::from_slice(br#"{"openapi": "3.0.3", "info": {"title": "t", "version": "1"},
///     "components": {"securitySchemes": {"token": {"type": "http", "scheme": "bearer"}}}, "paths": {}}"#)?;
/// let connection = Connection::new()
///     .base_url("https://api.example.com/v1")
///     .auth("token", "EXAMPLE_TOKEN")
///     .env_lookup(|name| (name == "EXAMPLE_TOKEN").then(|| "secret".to_owned()))
///     .build(&spec)?;
/// assert_eq!(connection.base().as_str(), "https://api.example.com/v1");
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Clone, Default)]
pub struct Connection {
    base_url: Option<String>,
    auth: Vec<(String, String)>,
    roots_pem: Vec<Vec<u8>>,
    limits: Option<EgressLimits>,
    env_lookup: Option<EnvLookup>,
}

/// A built connection: the base URL and the egress every call goes through.
#[derive(Clone)]
pub struct BuiltConnection {
    base: Url,
    egress: Egress,
}

impl BuiltConnection {
    /// The base URL operation paths are appended to.
    pub fn base(&self) -> &Url {
        &self.base
    }

    /// The egress calls go through.
    pub fn egress(&self) -> &Egress {
        &self.egress
    }
}

impl Connection {
    /// No base URL (the spec's first server, when absolute), no
    /// credentials, the platform's trusted roots, default egress limits,
    /// credentials read from the process environment.
    pub fn new() -> Self {
        Self::default()
    }

    /// The URL calls go to (`https://api.github.com`); operation paths are
    /// appended to its path.
    pub fn base_url(mut self, url: &str) -> Self {
        self.base_url = Some(url.to_owned());
        self
    }

    /// Inject security scheme `scheme` (a name under
    /// `components.securitySchemes`, or `bearer` or `basic`) with the value
    /// of environment variable `variable`: a token, an API key, or
    /// `user:password` for basic.
    pub fn auth(mut self, scheme: &str, variable: &str) -> Self {
        self.auth.push((scheme.to_owned(), variable.to_owned()));
        self
    }

    /// Trust these PEM root certificates too (a test CA, a private one).
    pub fn add_root_certificates_pem(mut self, pem: &[u8]) -> Self {
        self.roots_pem.push(pem.to_vec());
        self
    }

    /// The egress limits of each call (default: [`EgressLimits::default`]).
    pub fn limits(mut self, limits: EgressLimits) -> Self {
        self.limits = Some(limits);
        self
    }

    /// Reads credential variables with `lookup` instead of the process
    /// environment (for tests and embedders with their own secret store).
    pub fn env_lookup(mut self, lookup: impl Fn(&str) -> Option<String> + Send + Sync + 'static) -> Self {
        self.env_lookup = Some(Arc::new(lookup));
        self
    }

    /// The base URL and an egress policy that lets calls reach only it
    /// (its scheme, host, port and path), with the credentials bound to it.
    ///
    /// # Errors
    ///
    /// A [`ConnectionError`].
    pub fn build(&self, spec: &OpenApiSpec) -> Result<BuiltConnection, ConnectionError> {
        let base = match &self.base_url {
            Some(text) => Url::parse(text).map_err(|_| ConnectionError::BadBaseUrl {
                url: clip(text, QUOTE_CHARS),
            })?,
            None => spec.server_url().ok_or(ConnectionError::NoBaseUrl)?,
        };
        let (Some(host), Some(port)) = (base.host_str(), base.port_or_known_default()) else {
            return Err(ConnectionError::BadBaseUrl {
                url: clip(base.as_str(), QUOTE_CHARS),
            });
        };
        let scheme = match base.scheme() {
            "https" => Scheme::Https,
            "http" => Scheme::Http,
            _ => {
                return Err(ConnectionError::BadBaseUrl {
                    url: clip(base.as_str(), QUOTE_CHARS),
                });
            }
        };
        if base.query().is_some() || base.fragment().is_some() || !base.username().is_empty() {
            return Err(ConnectionError::BadBaseUrl {
                url: clip(base.as_str(), QUOTE_CHARS),
            });
        }
        let path_prefix = base.path().trim_end_matches('/');
        let path_prefix = if path_prefix.is_empty() { "/" } else { path_prefix };
        let mut rule = Rule::host(host).with_schemes([scheme]).with_ports([port]);
        if path_prefix != "/" {
            rule = rule.with_path_prefix(path_prefix);
        }
        let mut builder = EgressPolicy::builder().allow(rule.with_name("openapi base URL"));
        if !self.auth.is_empty() && scheme != Scheme::Https {
            return Err(ConnectionError::CredentialsNeedHttps {
                url: clip(base.as_str(), QUOTE_CHARS),
            });
        }
        let origin = base.origin().ascii_serialization();
        for (name, variable) in &self.auth {
            let target = scheme_target(spec, name)?;
            let value = self.read(variable).ok_or_else(|| ConnectionError::MissingValue {
                variable: clip(variable, QUOTE_CHARS),
                scheme: clip(name, QUOTE_CHARS),
            })?;
            let mut credential = target.credential(&origin, value).with_name(format!("openapi {name}"));
            if path_prefix != "/" {
                credential = credential.with_path_prefix(path_prefix);
            }
            builder = builder.credential(credential);
        }
        for pem in &self.roots_pem {
            builder = builder.add_root_certificates_pem(pem);
        }
        if let Some(limits) = &self.limits {
            builder = builder.limits(limits.clone());
        }
        let policy = builder
            .build()
            .map_err(|e| ConnectionError::Policy(clip(&e.to_string(), 400)))?;
        Ok(BuiltConnection {
            base,
            egress: Egress::new(policy),
        })
    }

    fn read(&self, variable: &str) -> Option<String> {
        let value = match &self.env_lookup {
            Some(lookup) => lookup(variable),
            None => std::env::var(variable).ok(),
        };
        value.filter(|v| !v.is_empty())
    }
}

/// Where a security scheme's value goes.
enum Target {
    Bearer,
    Basic,
    Header(String),
    Query(String),
}

impl Target {
    fn credential(self, origin: &str, value: String) -> Credential {
        match self {
            Target::Bearer => Credential::header(origin, "authorization")
                .with_prefix("Bearer ")
                .with_value(value),
            Target::Basic => Credential::header(origin, "authorization")
                .with_prefix("Basic ")
                .with_value(base64::engine::general_purpose::STANDARD.encode(value.as_bytes())),
            Target::Header(name) => Credential::header(origin, &name).with_value(value),
            Target::Query(name) => Credential::query(origin, &name).with_value(value),
        }
    }
}

/// Where the value of security scheme `name` goes: the spec's scheme of
/// that name, or a generic `bearer` or `basic`.
fn scheme_target(spec: &OpenApiSpec, name: &str) -> Result<Target, ConnectionError> {
    let schemes = spec
        .document()
        .pointer("/components/securitySchemes")
        .and_then(Value::as_object);
    let declared = schemes.and_then(|s| s.get(name)).map(|s| {
        crate::document::resolve(spec.document(), s, "#")
            .map(|(v, _)| v.clone())
            .unwrap_or(Value::Null)
    });
    let declared = match (declared, name) {
        (Some(scheme), _) => scheme,
        (None, "bearer") => return Ok(Target::Bearer),
        (None, "basic") => return Ok(Target::Basic),
        (None, _) => {
            let known: Vec<&str> = schemes
                .map(|s| s.keys().map(String::as_str).collect())
                .unwrap_or_default();
            return Err(ConnectionError::UnknownScheme {
                scheme: clip(name, QUOTE_CHARS),
                known: if known.is_empty() {
                    "none".to_owned()
                } else {
                    clip(&known.join(", "), 300)
                },
            });
        }
    };
    let kind = declared.get("type").and_then(Value::as_str).unwrap_or("");
    let unsupported = |what: &str| ConnectionError::UnsupportedScheme {
        scheme: clip(name, QUOTE_CHARS),
        kind: what.to_owned(),
    };
    match kind {
        "http" => match declared
            .get("scheme")
            .and_then(Value::as_str)
            .map(str::to_ascii_lowercase)
            .as_deref()
        {
            Some("bearer") => Ok(Target::Bearer),
            Some("basic") => Ok(Target::Basic),
            _ => Err(unsupported("an http scheme other than bearer or basic")),
        },
        "oauth2" | "openIdConnect" => Ok(Target::Bearer),
        "apiKey" => {
            let key = declared.get("name").and_then(Value::as_str).unwrap_or("").to_owned();
            match declared.get("in").and_then(Value::as_str) {
                Some("header") => Ok(Target::Header(key)),
                Some("query") => Ok(Target::Query(key)),
                _ => Err(unsupported("an API key outside a header or the query")),
            }
        }
        _ => Err(unsupported("neither http, apiKey, oauth2 nor openIdConnect")),
    }
}
