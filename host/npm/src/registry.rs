//! The npm registry protocol: a package's metadata (the abbreviated
//! "corgi" document), its dist-tags, and tarball downloads, all through
//! an isobox egress policy.

use std::collections::BTreeMap;

use bytes::Bytes;
use isobox::egress::{Egress, EgressPolicyBuilder, HostSession};
use serde::{Deserialize, Serialize};
use url::Url;

use crate::error::{NpmError, NpmErrorKind};

/// npm's public registry.
pub const NPMJS: &str = "https://registry.npmjs.org/";

/// The abbreviated metadata format, with full JSON as the fallback.
const CORGI: &str = "application/vnd.npm.install-v1+json; q=1.0, application/json; q=0.8, */*";

/// Where packages come from and how to reach it.
///
/// ```
/// let registry = isobox_npm::Registry::new("https://npm.example.com/private/").unwrap()
///     .with_token("s3cret");
/// assert_eq!(registry.url(), "https://npm.example.com/private/");
/// // The token never shows.
/// assert!(!format!("{registry:?}").contains("s3cret"));
/// ```
#[derive(Clone)]
pub struct Registry {
    url: Url,
    token: Option<String>,
    egress: Egress,
}

impl std::fmt::Debug for Registry {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Registry")
            .field("url", &self.url.as_str())
            .field("token", &self.token.as_ref().map(|_| "<set>"))
            .finish()
    }
}

impl Registry {
    /// npm's public registry, reachable under a policy that allows GET to
    /// registry.npmjs.org only.
    pub fn npmjs() -> Registry {
        // A constant URL: parses.
        Registry::new(NPMJS).unwrap_or_else(|_| unreachable!("the npmjs URL parses"))
    }

    /// A registry at `url` (http or https; a path prefix is kept). Its
    /// requests go through a policy that allows GET to that host and port
    /// only; [`Registry::with_egress`] names another.
    ///
    /// # Errors
    /// [`NpmErrorKind::BadSpec`] for a URL that is not http(s) with a host.
    pub fn new(url: &str) -> Result<Registry, NpmError> {
        let mut url =
            Url::parse(url).map_err(|e| NpmError::new(NpmErrorKind::BadSpec, format!("registry URL {url:?}: {e}")))?;
        if !matches!(url.scheme(), "http" | "https") || url.host_str().is_none() {
            return Err(NpmError::new(
                NpmErrorKind::BadSpec,
                format!("registry URL {url}: it must be http or https, with a host"),
            ));
        }
        if !url.path().ends_with('/') {
            let path = format!("{}/", url.path());
            url.set_path(&path);
        }
        url.set_query(None);
        url.set_fragment(None);
        let egress = Egress::new(default_policy(&url)?);
        Ok(Registry {
            url,
            token: None,
            egress,
        })
    }

    /// Sends `authorization: Bearer TOKEN` with requests to the registry's
    /// own origin (never to tarball hosts elsewhere).
    #[must_use]
    pub fn with_token(mut self, token: impl Into<String>) -> Registry {
        self.token = Some(token.into());
        self
    }

    /// Reaches the registry (and its tarballs) under `egress` instead of
    /// the default policy: pin hosts, route through a filter, or set limits.
    #[must_use]
    pub fn with_egress(mut self, egress: Egress) -> Registry {
        self.egress = egress;
        self
    }

    /// The registry's URL, ending in `/`.
    pub fn url(&self) -> &str {
        self.url.as_str()
    }

    /// A session: requests counted together under the policy.
    pub(crate) fn session(&self) -> RegistrySession {
        RegistrySession {
            registry: self.clone(),
            http: self.egress.host_session(),
        }
    }
}

/// The policy a registry gets unless told otherwise: GET to its own host
/// and port, with limits that fit an installation rather than a run.
fn default_policy(url: &Url) -> Result<isobox::egress::EgressPolicy, NpmError> {
    let host = url
        .host_str()
        .unwrap_or_default()
        .trim_start_matches('[')
        .trim_end_matches(']');
    let port = url.port_or_known_default().unwrap_or(443);
    let toml = format!(
        "[limits]\nmax_requests = 100000\nmax_concurrent = 8\nmax_response_body_bytes = 268435456\n\
         request_timeout_ms = 120000\nmax_redirects = 5\n\n\
         [[allow]]\nname = \"npm registry\"\nhost = \"{host}\"\nports = [{port}]\nmethods = [\"GET\"]\n"
    );
    EgressPolicyBuilder::from_toml_str(&toml)
        .and_then(EgressPolicyBuilder::build)
        .map_err(|e| NpmError::new(NpmErrorKind::BadSpec, format!("registry URL {url}: {e}")))
}

/// A package's metadata as the registry gives it (only what installing
/// needs).
#[derive(Clone, Debug, Deserialize)]
pub(crate) struct Packument {
    #[serde(rename = "dist-tags", default)]
    pub dist_tags: BTreeMap<String, String>,
    #[serde(default)]
    pub versions: BTreeMap<String, Manifest>,
}

/// One published version.
#[derive(Clone, Debug, Default, Deserialize, Serialize, PartialEq, Eq)]
#[serde(rename_all = "camelCase")]
pub(crate) struct Manifest {
    pub name: String,
    pub version: String,
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub dependencies: BTreeMap<String, String>,
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub optional_dependencies: BTreeMap<String, String>,
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub peer_dependencies: BTreeMap<String, String>,
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub peer_dependencies_meta: BTreeMap<String, PeerMeta>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub os: Option<serde_json::Value>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cpu: Option<serde_json::Value>,
    pub dist: Dist,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub deprecated: Option<serde_json::Value>,
}

#[derive(Clone, Debug, Default, Deserialize, Serialize, PartialEq, Eq)]
pub(crate) struct PeerMeta {
    #[serde(default)]
    pub optional: bool,
}

#[derive(Clone, Debug, Default, Deserialize, Serialize, PartialEq, Eq)]
pub(crate) struct Dist {
    pub tarball: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub integrity: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub shasum: Option<String>,
}

/// Requests of one installation, counted together under the policy.
pub(crate) struct RegistrySession {
    registry: Registry,
    http: HostSession,
}

impl RegistrySession {
    /// The metadata of `name`.
    pub async fn packument(&self, name: &str) -> Result<Packument, NpmError> {
        // A scope's slash is encoded, as npm does: `@scope%2fname`.
        let path = name.replacen('/', "%2f", 1);
        let url = self
            .registry
            .url
            .join(&path)
            .map_err(|e| NpmError::new(NpmErrorKind::BadSpec, format!("{name}: {e}")))?;
        let body = self.get(&url, CORGI, name).await?;
        serde_json::from_slice(&body).map_err(|e| {
            NpmError::new(
                NpmErrorKind::Registry,
                format!("the registry's metadata for {name} is not npm metadata: {e}"),
            )
        })
    }

    /// A tarball's bytes (not yet checked).
    pub async fn tarball(&self, url: &str, package: &str) -> Result<Bytes, NpmError> {
        let url = Url::parse(url).map_err(|e| {
            NpmError::new(
                NpmErrorKind::Registry,
                format!("{package}: the tarball URL {url:?} is not a URL: {e}"),
            )
        })?;
        self.get(&url, "application/octet-stream", package).await
    }

    async fn get(&self, url: &Url, accept: &str, package: &str) -> Result<Bytes, NpmError> {
        let same_origin = url.origin() == self.registry.url.origin();
        let bearer = self
            .registry
            .token
            .as_ref()
            .filter(|_| same_origin)
            .map(|t| format!("Bearer {t}"));
        let mut headers = vec![("accept", accept), ("user-agent", "isobox-npm")];
        if let Some(bearer) = &bearer {
            headers.push(("authorization", bearer.as_str()));
        }
        let shown = redacted(url);
        let response = self.http.get(url.as_str(), &headers).await.map_err(|e| {
            let kind = if e.is_refused() {
                NpmErrorKind::Egress
            } else {
                NpmErrorKind::Registry
            };
            NpmError::new(kind, format!("{package}: GET {shown}: {e}"))
        })?;
        match response.status {
            200..=299 => Ok(response.body),
            404 => Err(NpmError::new(
                NpmErrorKind::NotFound,
                format!(
                    "{package}: the registry {} has no such package (404)",
                    self.registry.url
                ),
            )),
            401 | 403 => Err(NpmError::new(
                NpmErrorKind::Registry,
                format!(
                    "{package}: the registry refused the request ({}): {}",
                    response.status,
                    if self.registry.token.is_some() {
                        "check the registry token"
                    } else {
                        "it may need a token (--registry-token-env)"
                    }
                ),
            )),
            status => Err(NpmError::new(
                NpmErrorKind::Registry,
                format!("{package}: GET {shown} answered {status}"),
            )),
        }
    }
}

/// A URL without credentials or query, for messages.
fn redacted(url: &Url) -> String {
    let mut shown = url.clone();
    let _ = shown.set_username("");
    let _ = shown.set_password(None);
    shown.set_query(None);
    shown.to_string()
}
